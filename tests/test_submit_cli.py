"""python -m gan.submit: the launcher from the command line, one JSON line per submission."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gan import runs

REPO = Path(__file__).resolve().parents[1]
TINY = ["--preset", "quick", "--epochs", "1", "--set", "n_images=64", "--set", "batch_size=16",
        "--set", "latent_dim=8", "--set", "conditional=false"]


def submit(root: Path, *args: str, **env: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "gan.submit", *TINY, *args, "--runs-dir", str(root)], cwd=REPO,
                          capture_output=True, text=True, timeout=60, env=dict(os.environ, **env))
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    return json.loads(lines[0])


@pytest.mark.slow
def test_two_submissions_start_queue_and_both_finish_in_order_with_no_page_open(runs_root):
    # The second starts when the first trainer ends and passes its slot on. (Places further back in
    # line, withdrawing and a cancel passing the slot on: tests/test_launcher.py.)
    answers = [submit(runs_root, "--set", f"seed={seed}", GAN_MAX_CONCURRENT="1") for seed in (1, 2)]
    assert [(a["outcome"], a.get("position")) for a in answers] == [("started", None), ("queued", 1)]
    assert submit(runs_root, "--set", "seed=2", GAN_MAX_CONCURRENT="1")["position"] == 1  # same config, same place
    deadline = time.monotonic() + 240
    while not all(runs.read_status(runs_root / a["run"]).state == "finished" for a in answers):
        assert time.monotonic() < deadline, [runs.read_status(runs_root / a["run"]).state for a in answers]
        time.sleep(0.2)
    starts = [runs.read_status(runs_root / a["run"]).launched_at for a in answers]
    assert starts == sorted(starts)
    assert submit(runs_root, "--set", "seed=1")["outcome"] == "finished"


def test_a_demo_cap_is_refused_as_json_and_nothing_is_created(runs_root):
    answer = submit(runs_root, "--epochs", "500", GAN_DEMO="1")
    assert answer["outcome"] == "refused" and "epochs" in answer["error"]
    assert list(runs_root.iterdir()) == []


def test_data_is_ingested_into_the_runs_root_or_refused_as_json(runs_root, tmp_path):
    import numpy as np

    np.save(tmp_path / "few.npy", np.zeros((10, 28, 28), np.uint8))
    answer = submit(runs_root, "--data", str(tmp_path / "few.npy"))
    assert (answer["outcome"], answer["reason"]) == ("refused", "bad_data") and "at least 64" in answer["error"]
    assert list(runs_root.iterdir()) == []
    np.save(tmp_path / "mine.npy", np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8))
    answer = submit(runs_root, "--data", str(tmp_path / "mine.npy"), "--epochs", "500", GAN_DEMO="1")
    assert answer["outcome"] == "refused" and "epochs" in answer["error"]
    [stored] = (runs_root / "datasets").iterdir()  # checked and stored before the launcher weighed the run
    assert len(stored.name) == 64 and (stored / "meta.json").exists()
