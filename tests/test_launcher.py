import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gan import launcher, runs, training
from tests.conftest import tiny_config

pytestmark = pytest.mark.slow  # every test here starts trainer processes


def wait_until_ended(run_dir, timeout=180.0):
    deadline = time.monotonic() + timeout
    while runs.read_status(run_dir).active:
        assert time.monotonic() < deadline, runs.read_status(run_dir)
        time.sleep(0.2)
    return runs.read_status(run_dir)


def test_concurrent_identical_submissions_start_one_process(runs_root):
    cfg = tiny_config(seed=11)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: launcher.submit(runs_root, cfg, max_concurrent=4), range(8)))
    assert sorted(r.outcome for r in results) == ["attached"] * 7 + ["started"]
    assert len({r.run_dir for r in results}) == 1
    status = wait_until_ended(results[0].run_dir)
    assert status.state == "finished", (results[0].run_dir / "train.log").read_text()
    again = launcher.submit(runs_root, cfg)
    assert again.outcome == "finished" and again.epoch == cfg.epochs


def test_limit_refuses_a_second_concurrent_run(runs_root):
    first = launcher.submit(runs_root, tiny_config(seed=21, n_images=4096, epochs=3), max_concurrent=1)
    second = launcher.submit(runs_root, tiny_config(seed=22), max_concurrent=1)
    assert first.outcome == "started"
    assert second.outcome == "refused" and second.busy == 1
    assert not second.run_dir.exists()
    launcher.cancel(first.run_dir)
    assert wait_until_ended(first.run_dir).state == "cancelled"


def test_cancelled_run_resumes_from_its_last_epoch(runs_root):
    cfg = tiny_config(seed=31, n_images=1024, epochs=6)
    started = launcher.submit(runs_root, cfg)
    deadline = time.monotonic() + 180
    while runs.read_status(started.run_dir).epoch < 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    launcher.cancel(started.run_dir)
    stopped = wait_until_ended(started.run_dir)
    assert stopped.state == "cancelled" and stopped.epoch >= 1
    resumed = launcher.submit(runs_root, cfg)
    assert resumed.outcome == "resumed" and resumed.epoch == stopped.epoch
    assert wait_until_ended(started.run_dir).state == "finished"
    steps = [r["step"] for r in runs.read_metrics(started.run_dir)]
    assert steps == sorted(set(steps)) and steps[-1] == 6 * 1024 // 16


def test_a_damaged_or_foreign_checkpoint_is_refused_before_resuming_and_nothing_is_lost(runs_root, tmp_path):
    cfg = tiny_config(seed=41, epochs=2)
    run_dir = runs.create(runs_root, cfg)
    training.train(cfg.replace(epochs=1), run_dir)  # one epoch done, then "interrupted"
    runs.write_status(run_dir, state="interrupted")
    before = runs.read_metrics(run_dir), runs.read_quality(run_dir)
    other = runs.create(tmp_path, tiny_config(seed=42))
    training.train(tiny_config(seed=42), other)
    for damage in ((other / "checkpoint.npz").read_bytes(), b"PK\x03\x04 damaged"):
        (run_dir / "checkpoint.npz").write_bytes(damage)
        refused = launcher.submit(runs_root, cfg)
        assert refused.outcome == "unresumable" and refused.error.kind in ("checkpoint_foreign", "checkpoint_damaged")
        assert runs.read_status(run_dir).state == "interrupted" and not runs.read_status(run_dir).active
        assert (runs.read_metrics(run_dir), runs.read_quality(run_dir)) == before


def test_finished_trainers_are_reaped_not_left_as_zombies(runs_root):
    started = launcher.submit(runs_root, tiny_config(seed=51))
    pid = runs.read_status(started.run_dir).pid
    wait_until_ended(started.run_dir)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists():  # a zombie keeps its /proc entry until its parent waits
        assert time.monotonic() < deadline, Path(f"/proc/{pid}/status").read_text()[:200]
        time.sleep(0.1)
