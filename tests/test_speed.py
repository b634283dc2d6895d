import json

import pytest

from gan import runs, speed
from tests.conftest import tiny_config


def test_a_measurement_is_cached_per_shape_and_machine_and_expires(runs_root, monkeypatch):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)  # the suite may itself run capped
    cfg = tiny_config()
    assert speed.lookup(runs_root, cfg) is None
    found = speed.Speed(seconds_per_image=0.001, startup_s=8.0, measured_at=1000.0, source="probe")
    speed.record(runs_root, cfg, found)
    assert speed.lookup(runs_root, cfg, now=1000.0 + 60) == found
    assert speed.lookup(runs_root, cfg.replace(seed=7, epochs=9, g_lr=0.01), now=1060.0) == found  # same cost
    assert speed.lookup(runs_root, cfg.replace(batch_size=32), now=1060.0) is None
    assert speed.lookup(runs_root, cfg, now=1000.0 + speed.MAX_AGE_SECONDS + 1) is None
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert "oneDNN ≤ AVX2" in speed.machine()
    assert speed.lookup(runs_root, cfg, now=1060.0) is None  # another kind of machine


def test_damaged_caches_read_as_unmeasured(runs_root):
    cfg = tiny_config()
    (runs_root / runs.SPEEDS_FILE).write_text("{not json")
    assert speed.lookup(runs_root, cfg) is None
    (runs_root / runs.SPEEDS_FILE).write_text(json.dumps({speed.key(cfg, runs_root): {"seconds_per_image": 1}}))
    assert speed.lookup(runs_root, cfg) is None


@pytest.mark.parametrize(("budget", "epochs"), [(58, 5), (64, 6), (297, 29), (1, 1)])
def test_a_budget_buys_the_epochs_whose_wall_time_comes_closest(budget, epochs):
    found = speed.Speed(seconds_per_image=0.001, startup_s=5.0, measured_at=0.0, source="run")  # 10 s/epoch
    plan = speed.plan(budget, found, n_images=10_000)
    assert plan.epochs == epochs
    assert plan.seconds == 5.0 + 10.0 * epochs
    assert speed.plan(60, found, 10_000, elapsed_s=20.0, startup_s=1.0).epochs == 4


@pytest.mark.parametrize(("value", "seconds"), [(None, 5.0), ("0.5", 0.5), ("0", 0.2), ("1e9", 60.0),
                                                ("soon", 5.0)])
def test_a_host_sets_how_long_a_probe_times_steps_within_bounds(monkeypatch, value, seconds):
    monkeypatch.delenv(speed.PROBE_ENV)
    if value is not None:
        monkeypatch.setenv(speed.PROBE_ENV, value)
    assert speed.probe_seconds() == seconds


@pytest.mark.slow
def test_a_probe_measures_this_machine_and_caches_it(runs_root):
    cfg = tiny_config(n_images=512)
    found = speed.measure(runs_root, cfg, started=__import__("time").time())
    assert found.source == "probe" and found.startup_s > 0
    assert 1e-6 < found.seconds_per_image < 1.0
    assert speed.lookup(runs_root, cfg) == found
    assert not runs.probe_running(runs_root)


def test_an_upload_of_another_shape_is_measured_on_its_own_images(runs_root):
    from gan import uploads
    from tests.conftest import coloured_shapes

    shapes = coloured_shapes(96)
    stored = uploads.from_arrays(shapes.pixels, shapes.labels, "shapes.npz")
    uploads.store(runs_root, stored)
    digits = tiny_config(n_images=96)
    colour = uploads.configure(digits, stored.reference, 96, len(stored.class_names))
    assert speed.data_shape(colour, runs_root) == (32, 32, 3) and speed.data_shape(digits, runs_root) == (28, 28, 1)
    assert speed.key(colour, runs_root) != speed.key(digits.replace(conditional=colour.conditional), runs_root)
    assert "image_shape" not in speed.key(digits, runs_root)  # digits' measurements from before stay valid
    found = speed.measure(runs_root, colour, started=__import__("time").time())
    assert found.source == "probe" and 1e-6 < found.seconds_per_image < 1.0
    assert speed.lookup(runs_root, colour) == found and speed.lookup(runs_root, digits) is None
