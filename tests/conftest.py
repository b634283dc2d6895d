"""Shared fixtures: no network in unit tests, bundled data only, and a tiny finished run."""

import fcntl
import gc
import io
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import pytest

from gan import data, runs
from gan.config import RunConfig

REPO = Path(__file__).resolve().parents[1]
MAX_WORKERS = 4  # each worker imports TensorFlow (about 0.5 GB): more would crowd a laptop's memory


@pytest.hookimpl(optionalhook=True)  # pytest -p no:xdist still runs the suite, in one process
def pytest_xdist_auto_num_workers(config) -> int:
    """Workers for -n auto: one per core this process may use, at most MAX_WORKERS."""
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
                      MAX_WORKERS))


ONE_THREAD = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OPENBLAS_NUM_THREADS")


def pytest_configure(config) -> None:
    """Under pytest-xdist, each worker computes on one thread, as does every process it starts
    (trainers, the app's server): TensorFlow's two thread pools and NumPy's OpenBLAS. The workers
    already share the cores; more threads than cores only wait, and a pool's idle threads spin
    before they sleep, burning CPU that another worker needed (with only TensorFlow's intra-op pool
    at one thread the suite took about 10% more CPU natively, 12–15% more under bench.suite_time
    --slow-host). The controller sets them before it starts the workers, which inherit them:
    OpenBLAS reads its own when NumPy is first imported, TensorFlow its two when it is."""
    if config.getoption("dist", "no") != "no" and config.getoption("tx", None):
        for name in ONE_THREAD:
            os.environ.setdefault(name, "1")


def pytest_collection_modifyitems(config, items) -> None:
    """The end-to-end tests (marked slow: trainers, a cluster, the browser) first, in their own order:
    each takes a minute or more on a slow host, and one started last would leave the other workers
    idle while it runs; the quick tests then fill in around them. (pyproject's --maxschedchunk 1
    hands tests out one or two at a time: xdist's default first chunks, a quarter of each worker's
    share, put every end-to-end test in the first worker, one after another.)"""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: file order otherwise


TINY = {"n_images": 64, "batch_size": 16, "latent_dim": 8, "epochs": 1, "seed": 1, "conditional": False}


def wait_for(condition, timeout: float = 60.0, what: Callable[[], object] | None = None) -> None:
    """Poll condition until it holds; fail the test after timeout seconds, saying what() if given."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what() if what is not None else "timed out"
        time.sleep(0.05)


def tiny_config(**changes) -> RunConfig:
    """A config that trains in a few seconds: latent 8, 64 images, 1 epoch."""
    return RunConfig(**{**TINY, **changes})


def fake_finished_run(root: Path, seed: int, quality: list[tuple[float, float, float]] = (), grids: int = 1,
                      config: dict | None = None, **status) -> Path:
    """A run written with gan.runs as a trainer leaves it, without training: a tiny config (told
    apart by seed, changed by `config`), status "finished" with `status`'s fields, one quality.csv row per (fdd, score,
    confident) and `grids` small PNG sample grids, one per epoch, each a different grey."""
    from PIL import Image

    run_dir = runs.create(root, tiny_config(seed=seed, **(config or {})))
    for epoch in range(1, grids + 1):
        png = io.BytesIO()
        Image.new("L", (60, 60), 40 * epoch % 256).save(png, format="PNG")
        runs.save_sample_grid(run_dir, epoch, png.getvalue())
    for epoch, (fdd, score, confident) in enumerate(quality, start=1):
        runs.append_quality(run_dir, {"epoch": epoch, "seconds": epoch, "fdd": fdd, "score": score,
                                      "confident": confident})
    runs.write_status(run_dir, **{"state": "finished", "epoch": 1, "data_source": "bundled", "n_train": 64, **status})
    return run_dir


@pytest.fixture
def in_process(capsys):
    """run(main, *args): a command line's main(argv) run in this process, as `python -m` runs it,
    answered as subprocess.run answers (returncode, stdout, stderr). A process of its own would
    import TensorFlow again, seconds of CPU each; the tests that need a real process (signals,
    kill -9, the launcher) start one."""

    def run(main, *args) -> subprocess.CompletedProcess:
        capsys.readouterr()
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as stop:
            code = stop.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code or 0, out, err)

    return run


SHAPE_NAMES = ("square", "disc", "bar")
SHAPES_SOURCE = "test_shapes"  # data.Dataset source of coloured_shapes, named as such in its description


def coloured_shapes(n: int, seed: int = 0, side: int = 32, colour: bool = True) -> data.Dataset:
    """n synthetic images drawn with numpy, labelled by shape: a square, a disc or a horizontal bar
    of a random vivid colour, size and position on a dark background of another random colour. uint8
    (n, side, side, 3), or (n, side, side) grey when not colour; class_names SHAPE_NAMES."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:side, :side]
    channels = 3 if colour else 1
    pixels = np.empty((n, side, side, channels), np.uint8)
    labels = rng.integers(0, len(SHAPE_NAMES), n).astype(np.uint8)
    for i, label in enumerate(labels):
        size = rng.integers(side // 6, side // 3)
        y, x = rng.integers(size, side - size, 2)
        if label == 0:
            inside = (abs(rows - y) <= size) & (abs(cols - x) <= size)
        elif label == 1:
            inside = (rows - y) ** 2 + (cols - x) ** 2 <= size**2
        else:
            inside = (abs(rows - y) <= size // 3) & (abs(cols - x) <= size * 1.5)
        pixels[i] = rng.integers(0, 60, channels)
        ink = rng.integers(0, 256, channels)
        pixels[i][inside] = ink * 255 // max(ink.max(), 1)  # vivid: the brightest channel at full
    return data.Dataset(pixels if colour else pixels[..., 0], labels, SHAPES_SOURCE, SHAPE_NAMES)


@contextmanager
def training_on(dataset: data.Dataset):
    """Runs trained inside this block train on `dataset` (gan.training.prepare_data returns it), as a
    run on an uploaded dataset would."""
    from gan import training

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(data.SOURCE_LABELS, dataset.source, f"synthetic {dataset.source} made by the tests")
        patch.setattr(training, "prepare_data", lambda *args, **kwargs: dataset)
        yield


COLOUR = {"architecture": "dcgan_lean", "conditional": True, "n_images": 96, "batch_size": 16}


@pytest.fixture(autouse=True, scope="session")
def components_scanned_once():
    """Each AppTest scans every installed package's metadata for Streamlit components, the first
    time it runs a page: about 0.07 s of CPU per page test with this project's packages. They do
    not change during a test session, so the scan's answer is kept from its first time. (A real
    server scans once, when it starts.)"""
    from streamlit.components.v2 import manifest_scanner

    scan, found = manifest_scanner.scan_component_manifests, []

    def once(*args, **kwargs):
        if not found:
            found.append(scan(*args, **kwargs))
        return list(found[0])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", once)
        yield


@pytest.fixture(autouse=True, scope="session")
def warm_starts():
    """Trainers the launcher starts here start as the dashboard's do: warm, forked from a helper that
    loads TensorFlow once per worker, at the first start (gan.warmstart), instead of each loading it
    again (about 3 s of CPU each). The command lines start theirs cold (test_submit_cli,
    test_train_cli), as do tests that switch warm starts off."""
    from gan import launcher, warmstart

    launcher.warm_up(load_now=False)
    yield
    warmstart.stop()


@pytest.fixture(autouse=True)
def earlier_tests_frozen():
    """Each test's garbage collections walk only what exists from its start on: gc.freeze() first.

    Streamlit clears a loaded Keras's session after every script run, and Keras then runs a full
    garbage collection (what ui.common.freeze_loaded_libraries makes cheap for a server, once). A
    pytest worker lives through hundreds of tests, and each run of a page would walk everything the
    earlier tests left alive: a tiny run trained in the worker alone leaves about 11,000 objects
    (its traced train step's graph). Frozen, the collections skip them. Measured on the page and
    training tests in one process: 133 s of CPU without, 112 s with; the price is the reference
    cycles earlier tests left, never freed (that process's peak memory: 1.38 GB without, 1.56 GB with)."""
    gc.freeze()


@pytest.fixture(autouse=True)
def offline(request, monkeypatch):
    """Unit tests use the bundled digits and may not open network connections (loopback is fine,
    for the browser test's local server)."""
    monkeypatch.setenv("GAN_BUNDLED_DATA", "1")
    monkeypatch.setenv("GAN_NO_SPEED_PROBE", "1")  # test_page_train's budget tests allow it
    monkeypatch.setenv("GAN_EVAL_SAMPLES", "256")  # runs score 256 digits, not 2,000: tests of quality set their own
    monkeypatch.setenv("GAN_PROBE_SECONDS", "0.5")  # speed probes time 0.5 s of steps, not 5 s
    if request.node.get_closest_marker("network_allowed"):
        return
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and sock.family != socket.AF_UNIX:
            raise RuntimeError(f"network access in a unit test: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def runs_root(tmp_path, monkeypatch) -> Path:
    """An empty runs root, also exported as $GAN_RUNS_DIR for code (and pages) that read it."""
    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setenv(runs.ROOT_ENV, str(root))
    return root


def made_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder `name` that make(folder) fills, made once for the whole session however many
    xdist workers ask: the first to ask makes it under a lock, the others wait for it and read it.
    (A module's fixture would be made again in each worker that runs one of the module's tests.)"""
    base = tmp_path_factory.getbasetemp()  # under xdist, one folder per worker in the session's folder
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "session_runs"
    shared.mkdir(exist_ok=True)
    folder, made = shared / name, shared / f"{name}.made"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the file closes
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that died while making it
            folder.mkdir()
            make(folder)
            made.touch()
    return folder


def session_run(tmp_path_factory, name: str, cfg: RunConfig, dataset: data.Dataset | None = None) -> Path:
    """The run of cfg, trained to the end once for the whole session (made_once) on `dataset`, else
    the bundled digits. Tests must not change it: copy_of gives them a copy to change."""
    from gan import training

    os.environ["GAN_BUNDLED_DATA"] = "1"  # session fixtures start before the tests' own environment
    os.environ["GAN_EVAL_SAMPLES"] = "256"

    def train(root: Path) -> None:
        run_dir = runs.create(root, cfg)
        with training_on(dataset) if dataset is not None else nullcontext():
            assert training.train(cfg, run_dir) == "finished"

    return runs.run_path(made_once(tmp_path_factory, name, train), cfg.run_id)


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    """A tiny run trained to the end: metrics, one sample grid, generator.keras."""
    return session_run(tmp_path_factory, "finished", tiny_config())


@pytest.fixture(scope="session")
def other_run(tmp_path_factory) -> Path:
    """A tiny run of another config (latent_dim 16) trained to the end: its checkpoint belongs to
    another run than finished_run's."""
    return session_run(tmp_path_factory, "other", tiny_config(latent_dim=16))


def copy_of(run_dir: Path, root: Path, epochs: int | None = None) -> Path:
    """A copy of run_dir (a session run, which tests must not change) under root: what a test that
    would otherwise train the same config again starts from. With `epochs`, the copy is the run of
    the same config for that many epochs (a resume then has epochs left to train), holding the same
    files: the checkpoint's config leaves epochs out."""
    if epochs is None:
        return Path(shutil.copytree(run_dir, root / run_dir.name))
    cfg = runs.read_config(run_dir).replace(epochs=epochs)
    copy = Path(shutil.copytree(run_dir, runs.run_path(root, cfg.run_id), ignore=shutil.ignore_patterns("config.json")))
    runs.create(root, cfg)
    return copy


@pytest.fixture(scope="session")
def colour_run(tmp_path_factory) -> Path:
    """A tiny conditional dcgan_lean run trained to the end on 96 coloured 32 x 32 shapes of 3 classes."""
    return session_run(tmp_path_factory, "colour", tiny_config(**COLOUR), coloured_shapes(96))
