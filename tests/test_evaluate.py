import json
import subprocess
import sys
from pathlib import Path

import pytest

from gan import evaluate, quality

REPO = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, "-m", "gan.evaluate", *args], cwd=REPO, capture_output=True, text=True)


def test_prints_the_run_s_numbers_next_to_the_real_floor_as_json(finished_run):
    done = run("--run", str(finished_run), "--n", "300", "--seed", "4")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"run", "epoch", "n", "seed", "generated", "real_floor", "collapse_warning"} <= set(report)
    assert (report["n"], report["seed"], report["epoch"]) == (300, 4, 1)
    for numbers in (report["generated"], report["real_floor"]):
        assert {*quality.METRICS, "histogram"} <= set(numbers)
        assert len(numbers["histogram"]) == 10 and sum(numbers["histogram"]) == pytest.approx(1.0, abs=1e-3)
    assert report["generated"]["fdd"] > report["real_floor"]["fdd"]


@pytest.mark.parametrize(("args", "says"), [
    (["--n", "0"], "--n must be between 10 and 100,000"),
    (["--n", "many"], "invalid int value"),
    (["--seed", "-1"], "--seed must be between"),
    (["--colour", "red"], "unrecognized arguments"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, says, capsys):
    with pytest.raises(SystemExit) as exit_:
        evaluate.parse_args(["--run", "x", *args])
    stderr = capsys.readouterr().err
    assert exit_.value.code == 2 and len(stderr.strip().splitlines()) == 1 and says in stderr


def test_missing_run_or_generator_is_one_clear_line(finished_run, tmp_path):
    done = run("--run", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "no run" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = run()
    assert done.returncode == 2 and "--run" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text((finished_run / "config.json").read_text())
    done = run("--run", str(empty))
    assert done.returncode == 1 and "There is no generator" in done.stderr and "Traceback" not in done.stderr


def test_a_run_on_other_images_than_digits_is_not_scored_by_the_digit_classifier(colour_run):
    done = run("--run", str(colour_run), "--n", "100")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "scores MNIST digits only; this run's generator draws other images (32×32×3)" in done.stderr
