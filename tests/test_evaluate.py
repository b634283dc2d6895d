"""The evaluation command line, run in this process."""

import json
import shutil

import pytest

from gan import evaluate, quality, runs, scoring, uploads
from tests.conftest import coloured_shapes


@pytest.fixture
def run(in_process):
    return lambda *args: in_process(evaluate.main, *args)


def test_prints_the_run_s_numbers_next_to_the_real_floor_as_json(finished_run, run):
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


def test_missing_run_or_generator_is_one_clear_line(finished_run, tmp_path, run):
    done = run("--run", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "no run" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = run()
    assert done.returncode == 2 and "--run" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text((finished_run / "config.json").read_text())
    done = run("--run", str(empty))
    assert done.returncode == 1 and "There is no generator" in done.stderr and "Traceback" not in done.stderr


def test_a_run_on_your_own_images_prints_the_novelty_measures_instead_of_the_classifier_s(colour_run, tmp_path,
                                                                                           capsys):
    shapes = coloured_shapes(96)  # the images colour_run trained on, stored as an upload is
    stored = uploads.store(tmp_path, uploads.from_arrays(shapes.pixels, shapes.labels, "shapes.npz"))
    cfg = runs.read_config(colour_run).replace(dataset=uploads.PREFIX + stored.sha256)
    run_dir = runs.create(tmp_path, cfg)
    for name in ("generator.keras", "status.json"):
        shutil.copy(colour_run / name, run_dir / name)
    assert evaluate.main(["--run", str(run_dir), "--n", "100"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "real_floor" not in report and "fdd" not in report["generated"]
    generated = report["generated"]
    assert set(generated) == set(report["units"]) == set(scoring.NOVELTY_FIELDS)
    assert generated["rfd"] > generated["rfd_real"] > 0 and 0 <= generated["near_copies"] <= 1
    assert 0 < generated["copy_threshold"] < generated["real_gap"]
    shutil.rmtree(stored.path)  # the images are gone: one clear line
    with pytest.raises(SystemExit) as exit_:
        evaluate.main(["--run", str(run_dir), "--n", "100"])
    assert exit_.value.code == 1 and "Traceback" not in capsys.readouterr().err
