import pytest

from gan import limits
from gan.config import ConfigError
from tests.conftest import tiny_config


def test_laptop_has_no_caps_but_the_concurrency_setting():
    assert limits.from_settings({}) == limits.Limits()
    assert limits.from_settings({"GAN_MAX_CONCURRENT": "3"}).max_concurrent == 3
    limits.check(tiny_config(epochs=1000, n_images=70000, batch_size=64), limits.from_settings({}))


def test_demo_mode_caps_epochs_and_images():
    cap = limits.from_settings({"GAN_DEMO": "1", "GAN_DEMO_MAX_EPOCHS": "5", "GAN_DEMO_KEEP_RUNS": "not a number"})
    assert cap.demo and cap.max_epochs == 5 and cap.max_images == 10000 and cap.keep_runs == 5
    assert (cap.max_runs, cap.keep_hours, cap.imports_per_hour) == (100, 24, 6)
    limits.check(tiny_config(epochs=5), cap)
    with pytest.raises(ConfigError, match="epochs: must be at most 5 on this shared demo server") as raised:
        limits.check(tiny_config(epochs=6), cap)
    assert raised.value.field == "epochs"
    with pytest.raises(ConfigError, match="n_images"):
        limits.check(tiny_config(n_images=20000), cap)
