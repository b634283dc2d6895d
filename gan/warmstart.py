"""Warm starts: trainers forked from a helper process that has already loaded TensorFlow, so a run
started from the dashboard skips the import that is most of a cold start (Linux only).

The helper (`python -m gan.warmstart`, one per launching process) imports TensorFlow, Keras and the
trainer's modules and nothing more: it runs no TensorFlow operation, so no thread pool or device
exists yet when it forks. Each child starts its own session, takes the launcher's
environment, working directory and log, and runs a module as `python -m MODULE ARGS` would; the
helper reaps it when it ends. The helper ends when its launcher does (its stdin closes) or after
IDLE_SECONDS without a start, so an idle server does not hold its memory.

`start` returns None whenever a fork cannot stand in for a new Python, and the launcher then starts
one: off Linux (macOS forbids forking a process that has loaded its system frameworks; Windows has no
fork), when the helper is still loading after the launcher's wait, when one ended without loading,
and when the environment differs in what the libraries read as they load (LOAD_TIME: TensorFlow's
and oneDNN's settings, thread counts, Python's own); the helper is then replaced, for the next start.
"""

import contextlib
import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path

ENV = "GAN_WARM_START"  # "0": every trainer is a new Python, as off Linux
IDLE_SECONDS = 600.0
PRELOAD = ("tensorflow", "gan.training")  # what a trainer imports: TensorFlow, Keras, then the models, data…
LOAD_TIME = ("TF_", "ONEDNN_", "DNNL_", "KERAS_", "OMP_", "KMP_", "MKL_", "OPENBLAS_", "CUDA_", "XLA_", "PYTHON",
             "LD_", "MALLOC_")
READY = "ready"


def available() -> bool:
    return sys.platform == "linux" and os.environ.get(ENV) != "0"


def load_time(env: dict[str, str]) -> dict[str, str]:
    """The variables of env that TensorFlow, Keras, the BLAS or Python read while loading."""
    return {name: value for name, value in env.items() if name.startswith(LOAD_TIME)}


class Helper:
    """The launching process's handle on one helper: started at once, usable once it says it is ready."""

    def __init__(self, env: dict[str, str]):
        self.fixed = load_time(env)
        self.process = subprocess.Popen([sys.executable, "-m", __name__, str(IDLE_SECONDS), *PRELOAD],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=env, start_new_session=True)
        self.ready = self.failed = False

    def loaded(self, wait: float = 0.0) -> bool:
        """Whether it has said it is ready, waiting up to `wait` seconds for it to say so."""
        if not self.ready and not self.failed and select.select([self.process.stdout], [], [], wait)[0]:
            self.ready = self.process.stdout.readline().decode().strip() == READY
            self.failed = not self.ready  # it ended before it was ready
        return self.ready

    def fork(self, module: str, args: list[str], env: dict[str, str], log: Path) -> int:
        """The pid of a child running `python -m module args`; OSError or ValueError if the helper is gone."""
        request = {"module": module, "args": args, "env": env, "cwd": os.getcwd(), "log": str(log)}
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            raise OSError("the warm-start helper has ended")
        return int(json.loads(reply)["pid"])

    def close(self) -> None:
        """End the helper (its children live on), and reap it."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        threading.Thread(target=self.process.wait, daemon=True, name="reap-warm-start-helper").start()


_helper: Helper | None = None
_broken = False  # a helper ended without loading: TensorFlow cannot load here, so never try again
_lock = threading.Lock()  # one request at a time on the helper's pipes: the dashboard serves visitors in threads


def start(module: str, args: list[str], env: dict[str, str], log: Path, wait: float = 0.0) -> int | None:
    """The pid of a child of the helper running `python -m module args` with env, appending its output
    to log; None if a new Python must be started instead (see the module's docstring). A helper still
    loading is waited for up to `wait` seconds: it started first, so it is ready sooner than a new
    Python would be, and the two would share the CPU. Starts or replaces the helper as needed, so the
    next start can be warm."""
    with _lock:
        helper = _helper_for(env)
        if helper is not None and helper.loaded(wait):
            with contextlib.suppress(OSError, ValueError):  # it ended just now: the next start replaces it
                return helper.fork(module, args, env, log)
    return None


def prepare(env: dict[str, str]) -> None:
    """Start loading a helper for children with env now, unless one is loading or loaded for them: a
    page about to start a run calls this, so that the run starts warm."""
    with _lock:
        _helper_for(env)


def stop() -> None:
    """End the helper, if any (its children live on)."""
    global _helper
    with _lock:
        if _helper is not None:
            _helper.close()
            _helper = None


def _helper_for(env: dict[str, str]) -> Helper | None:
    """The helper for children with env, started if there is none alive for them; None where warm
    starts are off, or where one ended without loading (TensorFlow cannot load here: never again)."""
    global _helper, _broken
    if not available() or _broken:
        return None
    if _helper is not None:
        _helper.loaded()
        if _helper.failed:
            _broken = True
            return None
        if _helper.process.poll() is None and load_time(env) == _helper.fixed:
            return _helper
        _helper.close()
    _helper = Helper(env)
    return _helper


def _child(request: dict) -> None:
    """In the forked child: become `python -m module args` in a session of its own, then exit."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the helper's "reap automatically" is not the trainer's
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)  # also closes this copy of the helper's pipes
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(nothing)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [request["module"], *request["args"]]
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:  # as Python ends on one: None is success, a message is printed and fails
        code = 0 if exit_.code is None else exit_.code
        if not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - whatever it was, it goes to the run's log, as a new Python's would
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve(idle_seconds: float, preload: list[str]) -> None:
    """The helper: import the preload modules, say so, then fork a child per request line until stdin
    closes or stays quiet for idle_seconds. Replies are one JSON line each: {"pid": N}."""
    for module in preload:
        if module == "tensorflow":
            from gan import cli

            cli.import_tensorflow_quietly()  # as the trainer does it: quiet, and without pandas
        else:
            importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children: no zombies
    os.write(1, (READY + "\n").encode())
    pending = b""
    while True:
        while b"\n" not in pending:
            if not select.select([0], [], [], idle_seconds)[0]:
                return
            chunk = os.read(0, 65536)
            if not chunk:
                return
            pending += chunk
        line, pending = pending.split(b"\n", 1)
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        os.write(1, (json.dumps({"pid": pid}) + "\n").encode())


if __name__ == "__main__":
    serve(float(sys.argv[1]), sys.argv[2:])
