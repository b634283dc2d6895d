"""What the command lines share: an argument parser whose errors are one line and exit code 2."""

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator


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


@contextlib.contextmanager
def kept_out(*names: str) -> Iterator[None]:
    """While inside, importing any of these modules that is not yet imported raises ImportError, as if
    it were not installed; afterwards they import as usual. Modules already imported are left alone."""
    blocked = [name for name in names if name not in sys.modules]
    sys.modules.update(dict.fromkeys(blocked))
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras with stderr silenced: TensorFlow prints start-up notes before its log
    level applies.

    pandas is kept out (unless this process imported it already): Keras imports it only to accept
    DataFrames, which the command lines never hand it. It cost each trainer, probe and sampler 0.4–0.5 s
    of CPU of a 3.1–3.5 s import and 68 MB at peak (python -m bench.import_cost, AVX-512 EPYC).
    """
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        with kept_out("pandas"):
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def add_run_arguments(parser: Parser) -> None:
    """--run and --runs-dir, as every command that reads a run takes them."""
    from gan import runs

    parser.add_argument("--run", required=True, help="run directory (or run id under --runs-dir)")
    parser.add_argument("--runs-dir", help=f"runs root for a run id (default ${runs.ROOT_ENV} or ./runs)")


def load_run_generator(prog: str, args):
    """(run directory, its generator) for parsed --run/--runs-dir; one clear line and exit if unusable."""
    from gan import runs

    try:
        run_dir = runs.locate(args.run, runs.resolve_root(args.runs_dir))
    except runs.RunError as error:
        fail(prog, str(error))
    import_tensorflow_quietly()
    from gan import sampling

    try:
        return run_dir, sampling.load_generator(run_dir / "generator.keras")
    except sampling.GeneratorError as error:
        fail(prog, str(error), 1)
