"""A trainer's start-up as a visitor sees it: the phase it is in, written to status.json (loading
TensorFlow, loading the digits, building the model, restoring epoch N, compiling the training step),
and a cancel that acts within CANCEL_POLL_SECONDS while nothing has been trained yet.

The same watcher keeps the heartbeat fresh meanwhile: on a slow or crowded host TensorFlow's import
alone can outlast runs.STALE_AFTER_SECONDS, and a trainer that is only starting must not read as
one whose process died.

Until the first training step ends the process has written nothing a crash could spoil (its file
rewrites are atomic), so a cancel then ends it at once instead of waiting for TensorFlow's import
or the step's tracing, which take seconds each on a slow CPU. From the first step on, the training
loop checks for a cancel itself and stops after a clean write.
"""

import os
import threading
import time
from pathlib import Path

from gan import runs

PHASES = ("tensorflow", "data", "model", "restoring", "compiling")  # in the order a trainer passes them
CANCEL_POLL_SECONDS = 0.25


class StartUp:
    """Use as a context manager around the start-up; call phase() as it goes and done() at the
    first step's end. A cancel requested at or after launched_at before done() marks the run
    cancelled and calls exit_process (os._exit(0) by default: no Python clean-up can be
    half-done, since nothing of the run is being written)."""

    def __init__(self, run_dir: Path, launched_at: float, exit_process=None):
        self.run_dir, self.launched_at = Path(run_dir), launched_at
        self.exit_process = exit_process or (lambda: os._exit(0))
        self.lock = threading.Lock()  # held while deciding to end, so done() and an exit never overlap
        self.watching = True
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True, name="startup-cancel")

    def __enter__(self) -> "StartUp":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done()

    def phase(self, name: str, **fields) -> None:
        """Record the phase now under way (one of PHASES), with any other status fields."""
        if name not in PHASES:
            raise ValueError(f"not a start-up phase: {name!r}")
        runs.write_status(self.run_dir, phase=name, heartbeat=time.time(), **fields)

    def done(self) -> None:
        """The first step has ended: no more phase, and cancels are the training loop's."""
        with self.lock:
            if not self.watching:
                return
            self.watching = False
            self.stopped.set()
        runs.write_status(self.run_dir, phase=None)

    def _watch(self) -> None:
        beat = time.monotonic()
        while not self.stopped.wait(CANCEL_POLL_SECONDS):
            with self.lock:
                if self.watching and time.monotonic() - beat >= runs.HEARTBEAT_SECONDS:
                    runs.write_status(self.run_dir, heartbeat=time.time())
                    beat = time.monotonic()
                if self.watching and runs.cancel_requested(self.run_dir, self.launched_at):
                    self.watching = False
                    runs.write_status(self.run_dir, state="cancelled", phase=None, heartbeat=time.time(),
                                      eta_s=None)
                    self.exit_process()
                    return
