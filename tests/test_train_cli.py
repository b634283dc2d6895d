"""The training command line: as a real process where signals and a kill -9 in the middle are the
point, in this process (tests/conftest.py in_process) otherwise."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gan import config, runs, speed, train
from tests.conftest import wait_for

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--set", "n_images=512", "--set", "batch_size=16", "--set", "latent_dim=8"]


def cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "gan.train", *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def text(done) -> tuple[str, str, int]:
    return done.stdout, done.stderr, done.returncode


@pytest.mark.parametrize(("args", "says"), [
    (["--set", "batch_size=0"], "batch_size: must be between 8 and 1024"),
    (["--set", "loss=foo"], "loss: must be one of"),
    (["--set", "augment=flip"], "augment: must be one of off, translation, cutout"),
    (["--set", "g_lr=-1"], "g_lr: must be between"),
    (["--set", "batch_size"], "--set takes KEY=VALUE"),
    (["--epochs", "zero"], "--epochs: invalid int value"),
    (["--preset", "fast"], "--preset: invalid choice"),
    (["--run", "../etc"], "no run at ../etc"),
    (["--run", "a.b"], "not a plain id"),
    (["--minutes", "0"], "minutes: must be between 0 and 1440"),
    (["--minutes", "2", "--epochs", "3"], "not allowed with argument"),
])
def test_bad_arguments_give_one_line_and_exit_2(runs_root, args, says, in_process):
    done = in_process(train.main, *args, "--runs-dir", runs_root)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2
    assert len(lines) == 1 and lines[0].startswith("gan.train: error: ") and says in lines[0], done.stderr
    assert list(runs_root.iterdir()) == []


def test_config_from_args_applies_preset_then_overrides():
    args = train.parse_args(["--preset", "mlp", "--epochs", "2", "--set", "seed=5", "--set", "conditional=true"])
    cfg = train.config_from_args(args)
    assert (cfg.architecture, cfg.epochs, cfg.seed, cfg.conditional) == ("mlp", 2, 5, True)
    augmented = train.config_from_args(train.parse_args(["--set", "augment=translation,cutout"]))
    assert augmented.augment == "translation,cutout" and augmented.replace(augment="off") == config.preset("quick")


def expected_steps(steps_per_epoch, epochs):
    last = steps_per_epoch * epochs
    return sorted(set(range(10, last + 1, 10)) | {steps_per_epoch * e for e in range(1, epochs + 1)})


@pytest.mark.slow
def test_sigterm_cancels_kill_9_interrupts_and_each_rerun_resumes_without_gaps_or_duplicates(runs_root, in_process):
    args = ["--preset", "quick", "--epochs", "4", *SMALL, "--runs-dir", str(runs_root)]
    process = cli(*args)
    run_dir = runs_root / train.config_from_args(train.parse_args(args)).run_id
    wait_for(lambda: runs.read_status(run_dir).epoch >= 1, timeout=180)
    process.send_signal(signal.SIGTERM)  # stops cleanly at the next logged step
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0 and "cancelled" in out
    status = runs.read_status(run_dir)
    assert status.state == "cancelled" and status.epoch >= 1
    cancelled_at = status.epoch

    process = cli(*args)  # resumes, and is killed outright during its next epoch
    def training_again():  # this process's own steps: the cancelled one logged part of the next epoch too
        now = runs.read_status(run_dir)
        return now.pid == process.pid and now.state == "running" and (now.step or 0) > cancelled_at * 32 + 10

    wait_for(training_again, timeout=180)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    status = runs.read_status(run_dir)  # the epoch may have completed between its first row and the kill
    assert status.state == "interrupted" and cancelled_at <= status.epoch < 4

    out, err, _ = text(in_process(train.main, *args))  # the last rerun needs no signal: in this process
    assert out.strip().splitlines()[-1] == str(run_dir), err
    assert "epoch   4/4" in out and "epoch   1/4" not in out  # resumed, not restarted
    steps = [int(r["step"]) for r in runs.read_metrics(run_dir)]
    assert steps == expected_steps(32, 4)
    assert [e for e, _ in runs.list_samples(run_dir)] == [1, 2, 3, 4]
    assert runs.read_status(run_dir).state == "finished"

    from gan import sample

    pixels = run_dir.parent / "digits.npy"
    done = in_process(sample.main, "--run", run_dir, "--n", "100", "--seed", "0", "--out", pixels)
    assert done.returncode == 0, done.stderr
    assert np.load(pixels).shape == (100, 28, 28)


def test_same_config_again_is_the_cached_run(finished_run, in_process):
    cfg = runs.read_config(finished_run)
    sets = [f"--set={key}={value}" for key, value in cfg.to_dict().items()]
    out, err, _ = text(in_process(train.main, *sets, "--runs-dir", finished_run.parent))
    assert "already finished" in out and out.strip().splitlines()[-1] == str(finished_run), err


@pytest.mark.slow
def test_minutes_buys_the_epochs_this_machine_fits_in_them(runs_root, in_process, monkeypatch):
    monkeypatch.setattr(train, "STARTED", time.time())  # the budget counts from the process's start: as if now
    cfg = config.preset("quick", n_images=512, batch_size=16, latent_dim=8)
    # 512 images at 0.1 s each: 51.2 s an epoch, so two minutes less 0-15 s of start-up hold 2.05-2.3
    speed.record(runs_root, cfg, speed.Speed(0.1, 1.0, time.time(), "probe"))
    out, err, _ = text(in_process(train.main, "--minutes", "2", *SMALL, "--runs-dir", runs_root))
    assert "budget 2 min: 2 epochs" in out and speed.machine() in out, err
    run_dir = Path(out.strip().splitlines()[-1])
    assert runs.read_config(run_dir) == cfg.replace(epochs=2)
    assert runs.read_status(run_dir).state == "finished" and runs.read_status(run_dir).budget_minutes == 2


def test_data_trains_on_your_own_images_stored_once_by_their_hash(runs_root, tmp_path, in_process):
    from PIL import Image

    folder = tmp_path / "mine"
    for i, pixels in enumerate(np.random.default_rng(0).integers(0, 256, (66, 28, 28), dtype=np.uint8)):
        (folder / ("a" if i % 2 else "b")).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / ("a" if i % 2 else "b") / f"{i}.png")
    (folder / "a" / "broken.png").write_bytes(b"not a picture")
    args = ["--data", str(folder), "--epochs", "1", "--set", "batch_size=16", "--set", "latent_dim=8",
            "--set", "conditional=false", "--runs-dir", str(runs_root)]
    out, err, _ = text(in_process(train.main, *args))
    assert "data mine: 66 images kept, 1 skipped; 28x28 grey; classes: a, b; sha256 " in out, (out, err)
    assert "skipped a/broken.png: unreadable" in out
    run_dir = Path(out.strip().splitlines()[-1])
    cfg = runs.read_config(run_dir)
    assert cfg.dataset.startswith("sha256:") and cfg.n_images == 66
    status = runs.read_status(run_dir)
    assert status.state == "finished" and status.data_source == "upload" and status.n_train == 66
    assert [p.name for p in (runs_root / "datasets").iterdir()] == [cfg.dataset.removeprefix("sha256:")]
    for path in list(folder.glob("b/*.png"))[:10]:
        path.unlink()
    out, err, code = text(in_process(train.main, *args))
    assert code == 2 and out == ""
    assert err.startswith("gan.train: error: Only 56 usable pictures (1 skipped); at least 64")


def test_an_evaluated_epoch_prints_its_quality():
    assert train.quality_text({}) == ""  # an epoch the schedule did not evaluate
    assert train.quality_text({"epoch": 3, "fdd": 12.345, "score": 8.1}) == "  FDD 12.3"
    assert train.quality_text({"epoch": 3, "rfd": 84.21, "near_copies": 0.125}) == \
        "  random-feature distance 84.2  near-copies 12.5%"
