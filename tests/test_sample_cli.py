"""The sampling command line, run in this process (tests/test_train_cli.py runs it as a real process)."""

import numpy as np
import pytest

from gan import images, sample


@pytest.fixture
def run(in_process):
    return lambda *args: in_process(sample.main, *args)


def test_writes_uint8_digits_and_a_png_grid(finished_run, tmp_path, run):
    out, png = tmp_path / "s.npy", tmp_path / "s.png"
    done = run("--run", str(finished_run), "--n", "300", "--seed", "3", "--out", str(out), "--png", str(png))
    assert done.returncode == 0, done.stderr
    pixels = np.load(out)
    assert pixels.shape == (300, 28, 28) and pixels.dtype == np.uint8
    assert images.read_png(png.read_bytes()).ndim == 2
    again = tmp_path / "again.npy"
    assert run("--run", str(finished_run), "--n", "300", "--seed", "3", "--out", str(again)).returncode == 0
    assert np.array_equal(np.load(again), pixels)


@pytest.mark.parametrize(("args", "says"), [
    (["--n", "0"], "--n must be between 1"),
    (["--seed", "-1"], "--seed must be between"),
    (["--out", "x.txt"], "--out must end in .npy"),
    (["--digit", "3"], "needs a conditional generator"),
    ([], "say where to write"),
])
def test_bad_arguments_give_one_line_and_exit_2(finished_run, tmp_path, args, says, run):
    if "--out" not in args and args != []:
        args = [*args, "--out", str(tmp_path / "x.npy")]
    done = run("--run", str(finished_run), *args)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and says in done.stderr


def test_missing_run_and_corrupt_generator_are_clear(finished_run, tmp_path, run):
    done = run("--run", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.npy"))
    assert done.returncode == 2 and "no run" in done.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((finished_run / "config.json").read_text())
    (broken / "generator.keras").write_bytes(b"not a model")
    done = run("--run", str(broken), "--out", str(tmp_path / "x.npy"))
    assert done.returncode == 1 and "not a Keras model file" in done.stderr
    assert "Traceback" not in done.stderr


def test_parse_args_defaults():
    args = sample.parse_args(["--run", "x", "--out", "a.npy"])
    assert (args.n, args.seed, args.digit) == (64, 0, None)


def test_a_colour_run_writes_colour_images_of_its_classes(colour_run, tmp_path, run):
    out, png = tmp_path / "c.npy", tmp_path / "c.png"
    done = run("--run", str(colour_run), "--n", "5", "--digit", "2", "--out", str(out), "--png", str(png))
    assert done.returncode == 0, done.stderr
    assert "wrote (5, 32, 32, 3) uint8" in done.stdout
    assert np.load(out).shape == (5, 32, 32, 3) and np.load(out).dtype == np.uint8
    from PIL import Image

    with Image.open(png) as grid:
        assert grid.mode == "RGB"
    done = run("--run", str(colour_run), "--digit", "3", "--out", str(out))
    assert done.returncode == 2 and "--digit must be between 0 and 2 (this generator's classes), not 3" in done.stderr
