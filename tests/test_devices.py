"""Training on several devices: the device count's checks, and runs on two logical CPU devices
(tf.distribute.MirroredStrategy) that lose the same losses as one device and resume either way."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gan import devices, runs, train
from tests.conftest import ONE_THREAD, made_once, tiny_config

REPO = Path(__file__).resolve().parents[1]
# One device against two on the same global batches, compared on the metrics rows (each epoch's
# means; 4 steps an epoch). The two take float sums in different orders (and the synchronised batch
# norm computes its variance in one pass, not two), so they agree to rounding: measured at most
# 1.2e-7 relative over 8 steps (mlp) and 4 steps (dcgan_lean) here. Rounding differences then grow
# as the adversarial game amplifies them, as between any two machines: dcgan_lean's running means
# were 5e-6 apart after 12 steps, 1e-3 after 18 and 1e-2 after 24 (batch 16, 512 images). The
# runs use one thread, as every process under xdist does. With TensorFlow's thread pools (-n 0, 2
# cores) dcgan_lean's d_loss was 1.1e-5 apart after 4 steps with gan.optimizer's Adam and 1.2e-7
# with Keras' (which last bits Adam's division by √v amplifies is luck); on one thread at most 2e-7.
RTOL, ATOL = 1e-5, 1e-6
VALUES = ("d_loss", "g_loss", "d_real", "d_fake", "d_real_score", "d_fake_score", "d_separation")


def test_the_count_comes_from_the_option_else_the_environment_else_one(monkeypatch):
    monkeypatch.delenv(devices.ENV, raising=False)
    assert devices.requested() == 1
    monkeypatch.setenv(devices.ENV, "2")
    assert devices.requested() == 2
    assert devices.requested("3") == 3


@pytest.mark.parametrize("value", ["0", "-1", str(devices.MAX_DEVICES + 1), "two", "1.5"])
def test_a_count_outside_its_range_is_refused_by_name(value):
    with pytest.raises(devices.DeviceError, match=rf"^devices: must be a whole number between 1 and "
                                                  rf"{devices.MAX_DEVICES}, not {value}\."):
        devices.requested(value)


def test_a_batch_must_split_evenly_and_xla_stays_on_one_device():
    devices.check(2, 64)
    devices.check(1, 63, jit_compile=True)
    with pytest.raises(devices.DeviceError, match="batch_size 64 does not split evenly over 3 devices"):
        devices.check(3, 64)
    with pytest.raises(devices.DeviceError, match="XLA"):
        devices.check(2, 64, jit_compile=True)


def test_the_command_line_refuses_an_uneven_split_before_making_a_run(runs_root, capsys, monkeypatch):
    monkeypatch.setenv(devices.ENV, "3")  # as the dashboard passes it on to its trainers
    with pytest.raises(SystemExit) as stop:
        train.main(["--set", "batch_size=64", "--runs-dir", str(runs_root)])
    assert stop.value.code == 2
    assert "devices: batch_size 64 does not split evenly over 3 devices" in capsys.readouterr().err
    assert not list(runs_root.iterdir())


def test_a_run_the_dashboard_starts_on_too_many_devices_fails_saying_why(runs_root, monkeypatch, in_process):
    run_dir = runs.create(runs_root, tiny_config(batch_size=16))
    monkeypatch.setenv(devices.ENV, "3")  # as the launcher passes it on to the trainer it starts
    done = in_process(train.main, "--run", run_dir.name, "--runs-dir", runs_root)
    assert done.returncode == 1 and "batch_size 16 does not split evenly over 3 devices" in done.stderr
    status = runs.read_status(run_dir)
    assert status.state == "failed" and status.error.kind == "devices_batch" and status.epoch == 0


def requirements(name: str) -> list[str]:
    return [line for line in (REPO / name).read_text().splitlines() if line and not line.startswith("#")]


def test_the_gpu_requirements_are_the_runtimes_with_cuda_tensorflow_instead_of_the_cpu_build():
    cpu, gpu = requirements("requirements.txt"), requirements("requirements-gpu.txt")
    (version,) = [line.split("==")[1].split(";")[0] for line in cpu if line.startswith("tensorflow-cpu==")]
    assert gpu[0] == f'tensorflow[and-cuda]=={version}; sys_platform == "linux"'
    assert gpu[1:] == [line for line in cpu if not line.startswith("tensorflow-cpu")]


def train_runs(root: str) -> None:
    """In a fresh process, whose CPU can still be split in two: the runs the slow tests compare.
    mlp for two epochs: one device for the first, resumed on two; two devices for the first,
    resumed on one. dcgan_lean, augmented (wgan_gp, so the gradient penalty sees augmented images
    too): one epoch on one device and on two."""
    from gan import training

    devices.prepare(2)
    mlp = tiny_config(architecture="mlp", loss="hinge", conditional=True, g_top_k=0.75, ema_decay=0.999, epochs=2)
    lean = tiny_config(architecture="dcgan_lean", loss="wgan_gp", conditional=True, g_top_k=0.75,
                       augment="color,translation,cutout")
    first = mlp.replace(epochs=1)
    plan = {"one_then_two": [(first, 1), (mlp, 2)], "two_then_one": [(first, 2), (mlp, 1)],
            "lean_one": [(lean, 1)], "lean_two": [(lean, 2)]}
    for name, steps in plan.items():
        run_dir = runs.create(Path(root) / name, steps[-1][0])
        for cfg, count in steps:
            assert training.train(cfg, run_dir, devices=count) == "finished"


@pytest.fixture
def compared(tmp_path_factory) -> Path:
    """The runs of train_runs, trained once for the session (made_once: xdist may run this module's
    two slow tests in two workers, and a module's fixture would then train them in each)."""
    def train_in_a_fresh_process(root: Path) -> None:
        # Hidden GPUs: the runs are on logical CPUs on any machine. One thread however pytest runs (RTOL).
        env = {**os.environ, "GAN_BUNDLED_DATA": "1", "GAN_EVAL_SAMPLES": "256", "CUDA_VISIBLE_DEVICES": "",
               **dict.fromkeys(ONE_THREAD, "1")}
        code = f"from tests.test_devices import train_runs; train_runs({str(root)!r})"
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=420)
        assert done.returncode == 0, done.stderr[-3000:]

    return made_once(tmp_path_factory, "devices", train_in_a_fresh_process)


def run(root: Path, name: str) -> Path:
    (run_dir,) = runs.list_runs(root / name)
    return run_dir


def rows(root: Path, name: str) -> list[dict]:
    return runs.read_metrics(run(root, name))


def status(root: Path, name: str) -> runs.Status:
    return runs.read_status(run(root, name))


def assert_close(expected: list[dict], got: list[dict], rtol: float, atol: float) -> None:
    assert [row["step"] for row in got] == [row["step"] for row in expected]
    for want, have in zip(expected, got, strict=True):
        for key in VALUES:
            assert have[key] == pytest.approx(want[key], rel=rtol, abs=atol), (want["step"], key)


@pytest.mark.slow
def test_two_devices_lose_what_one_does_and_resume_either_way(compared):
    # Epoch 1 on one device against two; epoch 2 resumed on two against resumed on one. (A resume
    # on one device continues exactly as training straight on: tests/test_training.py.)
    one_first = rows(compared, "one_then_two")
    assert [row["step"] for row in one_first] == [4, 8]
    assert_close(one_first, rows(compared, "two_then_one"), RTOL, ATOL)
    on_two, on_one = status(compared, "one_then_two"), status(compared, "two_then_one")
    assert on_two.device == "2× CPU (MirroredStrategy)"
    assert on_one.device == "CPU"  # no GPU on the machines these tests run on
    assert on_two.state == on_one.state == "finished" and on_two.resumed_from == on_one.resumed_from == 1


@pytest.mark.slow
def test_synchronised_batch_norm_and_augmentation_drawn_for_the_global_batch_keep_two_devices_with_one(compared):
    # dcgan_lean's batch norm computes its statistics over both replicas' halves, and the augmentation
    # is drawn once for the global batch: either done per replica would part the two runs here.
    assert_close(rows(compared, "lean_one"), rows(compared, "lean_two"), RTOL, ATOL)
    from gan import sampling

    a, b = (sampling.sample(sampling.load_generator(run(compared, name) / "generator.keras"), 16, 0)
            for name in ("lean_one", "lean_two"))
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # pixels 0..255: rounding may tip one
