import time
from concurrent.futures import ThreadPoolExecutor

from gan import launcher, runs
from tests.conftest import tiny_config


def wait_until_ended(run_dir, timeout=180.0):
    deadline = time.monotonic() + timeout
    while runs.is_active(runs.read_status(run_dir)):
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
    assert status["state"] == "finished", (results[0].run_dir / "train.log").read_text()
    again = launcher.submit(runs_root, cfg)
    assert again.outcome == "finished" and "already been trained" in again.message


def test_limit_refuses_a_second_concurrent_run(runs_root):
    first = launcher.submit(runs_root, tiny_config(seed=21, n_images=4096, epochs=3), max_concurrent=1)
    second = launcher.submit(runs_root, tiny_config(seed=22), max_concurrent=1)
    assert first.outcome == "started"
    assert second.outcome == "refused" and "limit is 1" in second.message
    assert not second.run_dir.exists()
    launcher.cancel(first.run_dir)
    assert wait_until_ended(first.run_dir)["state"] == "cancelled"


def test_cancelled_run_resumes_from_its_last_epoch(runs_root):
    cfg = tiny_config(seed=31, n_images=1024, epochs=6)
    started = launcher.submit(runs_root, cfg)
    deadline = time.monotonic() + 180
    while runs.read_status(started.run_dir).get("epoch", 0) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    launcher.cancel(started.run_dir)
    stopped = wait_until_ended(started.run_dir)
    assert stopped["state"] == "cancelled" and stopped["epoch"] >= 1
    resumed = launcher.submit(runs_root, cfg)
    assert resumed.outcome == "resumed" and f"epoch {stopped['epoch']}" in resumed.message
    assert wait_until_ended(started.run_dir)["state"] == "finished"
    steps = [r["step"] for r in runs.read_metrics(started.run_dir)]
    assert steps == sorted(set(steps)) and steps[-1] == 6 * 1024 // 16
