"""Shared fixtures: no network in unit tests, bundled data only, and a tiny finished run."""

import io
import os
import socket
from pathlib import Path

import pytest

from gan import runs
from gan.config import RunConfig

REPO = Path(__file__).resolve().parents[1]
MAX_WORKERS = 4  # each worker imports TensorFlow (about 0.5 GB): more would crowd a laptop's memory


def pytest_xdist_auto_num_workers(config) -> int:
    """Workers for -n auto: one per core this process may use, at most MAX_WORKERS."""
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
                      MAX_WORKERS))


def pytest_configure(config) -> None:
    """Under pytest-xdist, each worker's TensorFlow (and each trainer it starts) computes on one
    thread: the workers already share the cores, and more threads than cores only make them wait."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

TINY = {"n_images": 64, "batch_size": 16, "latent_dim": 8, "epochs": 1, "seed": 1, "conditional": False}


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


@pytest.fixture(autouse=True)
def offline(request, monkeypatch):
    """Unit tests use the bundled digits and may not open network connections (loopback is fine,
    for the browser test's local server)."""
    monkeypatch.setenv("GAN_BUNDLED_DATA", "1")
    monkeypatch.setenv("GAN_NO_SPEED_PROBE", "1")  # test_page_train's budget tests allow it
    monkeypatch.setenv("GAN_EVAL_SAMPLES", "256")  # runs score 256 digits, not 2,000: tests of quality set their own
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


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    """A tiny run trained to the end in this process: metrics, one sample grid, generator.keras."""

    from gan import training

    os.environ["GAN_BUNDLED_DATA"] = "1"
    os.environ["GAN_EVAL_SAMPLES"] = "256"
    root = tmp_path_factory.mktemp("shared_runs")
    cfg = tiny_config()
    run_dir = runs.create(root, cfg)
    assert training.train(cfg, run_dir) == "finished"
    return run_dir
