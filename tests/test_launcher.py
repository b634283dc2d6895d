import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gan import launcher, owners, runs, speed, waitlist
from gan.limits import Limits
from tests.conftest import copy_of, tiny_config

pytestmark = pytest.mark.slow  # every test here starts trainer processes


def wait_until_ended(run_dir, timeout=180.0):
    """Until no process trains the run and it is not waiting for one."""
    deadline = time.monotonic() + timeout
    while runs.read_status(run_dir).active or runs.read_status(run_dir).state == "waiting":
        assert time.monotonic() < deadline, runs.read_status(run_dir)
        time.sleep(0.2)
    return runs.read_status(run_dir)


def test_concurrent_identical_submissions_start_one_process_which_is_reaped_when_it_ends(runs_root):
    cfg = tiny_config(seed=11)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: launcher.submit(runs_root, cfg, Limits(max_concurrent=4)), range(8)))
    assert sorted(r.outcome for r in results) == ["attached"] * 7 + ["started"]
    assert len({r.run_dir for r in results}) == 1
    pid = runs.read_status(results[0].run_dir).pid
    status = wait_until_ended(results[0].run_dir)
    assert status.state == "finished", (results[0].run_dir / "train.log").read_text()
    again = launcher.submit(runs_root, cfg)
    assert again.outcome == "finished" and again.epoch == cfg.epochs
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists():  # not left a zombie: it keeps its /proc entry until its parent waits
        assert time.monotonic() < deadline, Path(f"/proc/{pid}/status").read_text()[:200]
        time.sleep(0.1)


def test_while_a_warm_start_waits_for_its_helper_the_run_reads_as_loading_tensorflow(runs_root, monkeypatch):
    seen = []

    def start(module, args, env, log, wait):  # stands in for a helper still loading
        seen.append(runs.read_status(runs.run_path(runs_root, tiny_config(seed=12).run_id)))
        return os.getpid()

    monkeypatch.setattr(launcher, "_warm", True)
    monkeypatch.setattr(launcher.warmstart, "start", start)
    submitted = launcher.submit(runs_root, tiny_config(seed=12), Limits(max_concurrent=1))
    assert submitted.outcome == "started" and len(seen) == 1
    assert (seen[0].state, seen[0].pid, seen[0].phase, seen[0].active) == ("queued", None, "tensorflow", True)
    assert launcher.active_runs(runs_root) == [submitted.run_dir]  # not idle to readers outside the launch lock
    assert runs.read_status(submitted.run_dir).pid == os.getpid()


def test_beyond_the_limit_runs_queue_in_order_and_the_next_starts_when_a_slot_frees(runs_root):
    first = launcher.submit(runs_root, tiny_config(seed=21), Limits(max_concurrent=1))  # still starting below
    second = launcher.submit(runs_root, tiny_config(seed=22), Limits(max_concurrent=1))
    third = launcher.submit(runs_root, tiny_config(seed=23), Limits(max_concurrent=1))
    assert first.outcome == "started"
    assert (second.outcome, second.position, second.busy) == ("queued", 1, 1)
    assert (third.outcome, third.position) == ("queued", 2)
    again = launcher.submit(runs_root, tiny_config(seed=23), Limits(max_concurrent=1))
    assert again.position == 2  # the same config keeps its place
    assert waitlist.waiting(runs_root) == [second.run_dir, third.run_dir]
    launcher.withdraw(third.run_dir)
    launcher.cancel(first.run_dir)  # killed while starting: the canceller passes the slot on
    assert wait_until_ended(second.run_dir).state == "finished"  # the whole queue, in order: test_submit_cli
    assert runs.read_status(first.run_dir).state == "cancelled"


def test_a_queued_run_can_be_withdrawn_and_rejoins_at_the_back(runs_root):
    runs.create(runs_root, tiny_config(seed=24))
    busy = runs.write_status(runs.run_path(runs_root, tiny_config(seed=24).run_id), state="running",
                             pid=os.getpid(), heartbeat=time.time())  # a slot held by a live process
    assert busy.active
    queued = [launcher.submit(runs_root, tiny_config(seed=s), Limits(max_concurrent=1)) for s in (25, 26)]
    assert [q.position for q in queued] == [1, 2]
    assert launcher.withdraw(queued[0].run_dir) and not launcher.withdraw(queued[0].run_dir)
    assert runs.read_status(queued[0].run_dir).state == "cancelled"
    assert waitlist.position(runs_root, queued[1].run_dir) == 1
    assert launcher.submit(runs_root, tiny_config(seed=25), Limits(max_concurrent=1)).position == 2


def test_a_run_keeps_its_first_submitters_name_and_budget(runs_root):
    holder = runs.create(runs_root, tiny_config(seed=27))
    runs.write_status(holder, state="running", pid=os.getpid(), heartbeat=time.time())  # so submissions wait
    ada, bob = owners.digest("ada-token-01"), owners.digest("bob-token-02")
    first = launcher.submit(runs_root, tiny_config(seed=28), owner=ada, display_name=" Ada\tL. ", budget_minutes=2.0)
    assert launcher.withdraw(first.run_dir)
    again = launcher.submit(runs_root, tiny_config(seed=28), owner=bob, display_name="Bob", budget_minutes=5.0)
    assert again.outcome == "queued"
    status = runs.read_status(first.run_dir)
    assert (status.owner, status.display_name, status.budget_minutes) == (ada, "Ada L.", 2.0)
    unnamed = launcher.submit(runs_root, tiny_config(seed=29))  # the command line: no owner, no name, no budget
    status = runs.read_status(unnamed.run_dir)
    assert (status.owner, status.display_name, status.budget_minutes) == (None, None, None)


def test_start_estimates_follow_the_training_runs_eta_and_the_measured_speeds(runs_root):
    cfg = tiny_config(seed=27, epochs=3, n_images=100)
    training = runs.create(runs_root, tiny_config(seed=28))
    runs.write_status(training, state="running", pid=os.getpid(), heartbeat=time.time(), eta_s=60.0)
    queued = [launcher.submit(runs_root, cfg.replace(seed=s), Limits(max_concurrent=1)) for s in (29, 30)]
    assert waitlist.start_estimates(runs_root, 1) == {queued[0].run_dir.name: 60.0, queued[1].run_dir.name: None}
    speed.record(runs_root, cfg, speed.Speed(0.1, 5.0, time.time(), "probe"))  # 10 s an epoch, 5 s to start
    assert waitlist.start_estimates(runs_root, 1) == {queued[0].run_dir.name: 60.0, queued[1].run_dir.name: 95.0}
    assert waitlist.start_estimates(runs_root, 2) == {queued[0].run_dir.name: 0.0, queued[1].run_dir.name: 35.0}


def test_cancelled_run_resumes_from_its_last_epoch(runs_root):
    cfg = tiny_config(seed=31, n_images=256, epochs=6)  # 16 steps an epoch: five epochs left to cancel in
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
    assert steps == sorted(set(steps)) and steps[-1] == 6 * 256 // 16


def test_a_damaged_or_foreign_checkpoint_is_refused_before_resuming_and_nothing_is_lost(runs_root, finished_run,
                                                                                         other_run):
    cfg = tiny_config(epochs=2)
    run_dir = copy_of(finished_run, runs_root, epochs=2)  # one epoch of two done, then "interrupted"
    runs.write_status(run_dir, state="interrupted")
    before = runs.read_metrics(run_dir), runs.read_quality(run_dir)
    for damage in ((other_run / "checkpoint.npz").read_bytes(), b"PK\x03\x04 damaged"):  # another run's, broken
        (run_dir / "checkpoint.npz").write_bytes(damage)
        refused = launcher.submit(runs_root, cfg)
        assert refused.outcome == "unresumable" and refused.error.kind in ("checkpoint_foreign", "checkpoint_damaged")
        assert runs.read_status(run_dir).state == "interrupted" and not runs.read_status(run_dir).active
        assert (runs.read_metrics(run_dir), runs.read_quality(run_dir)) == before
