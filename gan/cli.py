"""What the command lines share: an argument parser whose errors are one line and exit code 2."""

import argparse
import os
import sys


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def fail(prog: str, message: str, code: int = 2):
    """Print one clear line to stderr and exit."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    sys.exit(code)


def progress_bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def duration(seconds: float | None) -> str:
    """'1h02m', '3m05s', '42s' or '?'."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with stderr silenced: it prints start-up notes before its log level applies."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
