"""A trainer's start-up: its phases in status.json, and a cancel that ends it before training begins."""

import os
import threading
import time
from pathlib import Path

import pytest

from gan import launcher, runs, startup, warmstart
from tests.conftest import copy_of, tiny_config, wait_for


@pytest.fixture
def run_dir(runs_root) -> Path:
    return runs.create(runs_root, tiny_config())


def test_phases_are_recorded_and_cleared_when_training_begins(run_dir):
    with startup.StartUp(run_dir, time.time(), exit_process=lambda: None) as start:
        start.phase("tensorflow")
        assert runs.read_status(run_dir).phase == "tensorflow"
        start.phase("restoring", resumed_from=3)
        assert (runs.read_status(run_dir).phase, runs.read_status(run_dir).resumed_from) == ("restoring", 3)
        with pytest.raises(ValueError, match="not a start-up phase"):
            start.phase("dreaming")
        start.done()
        assert runs.read_status(run_dir).phase is None


def test_a_cancel_during_start_up_ends_the_process_as_cancelled(run_dir):
    exited = threading.Event()
    with startup.StartUp(run_dir, time.time(), exit_process=exited.set) as start:
        start.phase("tensorflow")
        runs.request_cancel(run_dir)
        assert exited.wait(10)
    status = runs.read_status(run_dir)
    assert status.state == "cancelled" and status.phase is None


def test_an_older_cancel_or_one_after_the_first_step_is_not_the_start_ups(run_dir):
    runs.request_cancel(run_dir)  # from before this launch: meant for an earlier process
    exited = threading.Event()
    with startup.StartUp(run_dir, time.time() + 1, exit_process=exited.set) as start:
        assert not exited.wait(3 * startup.CANCEL_POLL_SECONDS)
        start.done()
        runs.request_cancel(run_dir)  # now the training loop's to honour
        assert not exited.wait(3 * startup.CANCEL_POLL_SECONDS)
    assert runs.read_status(run_dir).state == "queued"


def test_a_start_up_longer_than_the_stale_limit_still_reads_as_alive(run_dir, monkeypatch):
    # On a slow, crowded host TensorFlow's import alone can take longer than a heartbeat may be old.
    monkeypatch.setattr(runs, "HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setattr(runs, "STALE_AFTER_SECONDS", 0.6)
    runs.write_status(run_dir, state="queued", pid=os.getpid(), host=runs.HOST, heartbeat=time.time())
    with startup.StartUp(run_dir, time.time(), exit_process=lambda: None) as start:
        start.phase("tensorflow")
        time.sleep(1.5)  # one long phase, nothing written by the start-up itself
        assert runs.read_status(run_dir).state == "queued"
        start.done()


class Heard:
    """A stand-in StartUp that only records what the training loop tells it."""

    def __init__(self):
        self.phases, self.done_at_step = [], None

    def phase(self, name, **fields):
        self.phases.append((name, fields.get("resumed_from")))

    def done(self):
        self.done_at_step = self.done_at_step or "first step"


def test_training_reports_each_phase_including_the_epoch_it_restores(runs_root, finished_run):
    from gan import training

    run_dir = copy_of(finished_run, runs_root)
    heard = Heard()
    cfg = runs.read_config(run_dir).replace(epochs=2)  # one more epoch than it has
    assert training.train(cfg, run_dir, start=heard) == "finished"
    assert heard.phases == [("data", None), ("model", None), ("restoring", 1), ("compiling", None)]
    assert heard.done_at_step == "first step"


@pytest.mark.slow
def test_a_run_cancelled_while_loading_tensorflow_stops_and_keeps_nothing_half_done(runs_root, monkeypatch):
    monkeypatch.setenv(warmstart.ENV, "0")  # a cold start: a warm one passes its import in a millisecond
    started = launcher.submit(runs_root, tiny_config(seed=61, epochs=3))
    wait_for(lambda: runs.read_status(started.run_dir).phase == "tensorflow")
    launcher.cancel(started.run_dir)
    wait_for(lambda: not runs.read_status(started.run_dir).active)
    status = runs.read_status(started.run_dir)
    assert status.state == "cancelled" and status.step == 0 and status.epoch == 0
    assert not (started.run_dir / "metrics.csv").exists()
    resumed = launcher.submit(runs_root, tiny_config(seed=61, epochs=3))
    assert resumed.outcome == "started"
    launcher.cancel(resumed.run_dir)  # at once, too: no trainer left to train on after the test
    wait_for(lambda: not runs.read_status(resumed.run_dir).active)
