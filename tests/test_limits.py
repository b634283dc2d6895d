import pytest

from gan import launcher, limits, runs
from gan.config import ConfigError
from tests.conftest import tiny_config


def test_laptop_has_no_caps_but_the_concurrency_setting():
    assert limits.from_settings({}) == limits.Limits()
    assert limits.from_settings({"GAN_MAX_CONCURRENT": "3"}).max_concurrent == 3
    limits.check(tiny_config(epochs=1000, n_images=70000, batch_size=64), limits.from_settings({}))


def test_demo_mode_caps_epochs_and_images():
    cap = limits.from_settings({"GAN_DEMO": "1", "GAN_DEMO_MAX_EPOCHS": "5", "GAN_DEMO_KEEP_RUNS": "not a number"})
    assert cap.demo and cap.max_epochs == 5 and cap.max_images == 10000 and cap.keep_runs == 20
    limits.check(tiny_config(epochs=5), cap)
    with pytest.raises(ConfigError, match="epochs: must be at most 5 on this shared demo server") as raised:
        limits.check(tiny_config(epochs=6), cap)
    assert raised.value.field == "epochs"
    with pytest.raises(ConfigError, match="n_images"):
        limits.check(tiny_config(n_images=20000), cap)


def test_prune_keeps_the_newest_ended_runs_and_never_an_active_or_waiting_one(runs_root):
    import os
    import time

    made = []
    for seed in range(5):
        run_dir = runs.create(runs_root, tiny_config(seed=100 + seed))
        os.utime(run_dir / "config.json", (time.time() - 100 + seed, time.time() - 100 + seed))
        made.append(run_dir)  # oldest first
    runs.write_status(made[0], state="running", pid=os.getpid(), heartbeat=time.time())
    runs.write_status(made[1], state="waiting", waiting_since=time.time())  # queued: not ended either
    deleted = launcher.prune(runs_root, keep=2)
    assert sorted(deleted) == [made[2]]
    assert sorted(runs.list_runs(runs_root)) == sorted([made[0], made[1], made[3], made[4]])
    assert [p.name for p in runs_root.iterdir() if p.name.startswith(".deleted")] == []
