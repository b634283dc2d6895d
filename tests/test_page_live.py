"""The Live training page (AppTest): curves, sample grids, run comparison and damaged run files."""

import base64
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan import runs

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def run_dir(runs_root, finished_run) -> Path:
    """A copy of the tiny finished run in this test's runs root, free to damage."""
    return Path(shutil.copytree(finished_run, runs_root / finished_run.name))


def open_live() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/live.py")
    return at.run()


def charts(at: AppTest) -> list[list[dict]]:
    """The traces of each Plotly chart on the page, with x and y decoded to lists."""
    def decode(values):  # Plotly sends numeric arrays as {"dtype": ..., "bdata": base64}
        if isinstance(values, dict):
            return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]).tolist()
        return values
    return [[{**trace, "x": decode(trace.get("x")), "y": decode(trace.get("y"))}
             for trace in json.loads(chart.proto.spec)["data"]] for chart in at.get("plotly_chart")]


def texts(elements) -> str:
    return " ".join(str(element.value) for element in elements)


def test_shows_curves_state_and_sample_grid(run_dir):
    at = open_live()
    assert not at.exception
    specs = charts(at)
    names = [trace["name"] for traces in specs for trace in traces]
    assert {"D loss", "G loss", "D(x) on real digits", "D(G(z)) on generated digits"} <= set(names)
    last_step = max(row["step"] for row in runs.read_metrics(run_dir))
    assert specs[0][0]["x"][-1] == last_step
    assert "finished" in texts(at.metric)
    assert "bundled MNIST" in texts(at.caption)
    assert len(at.image) >= 1
    assert any("GIF" in button.label for button in at.download_button)


def test_comparison_plots_every_chosen_run(run_dir, runs_root):
    other = Path(shutil.copytree(run_dir, runs_root / "otherrun0001"))
    at = open_live()
    at.multiselect(key="compare_runs").set_value([run_dir, other])
    at.run()
    assert not at.exception
    compared = charts(at)[-1]
    assert [trace["name"].split(" · ")[0] for trace in compared] == [run_dir.name, other.name]


def test_half_written_metrics_line_is_ignored(run_dir):
    last_step = max(row["step"] for row in runs.read_metrics(run_dir))
    with open(run_dir / "metrics.csv", "a") as handle:
        handle.write(f"{int(last_step) + 10},1,9.5,0.6,0.7,0.6,0.4,90")  # every field, no newline yet
    at = open_live()
    assert not at.exception
    assert charts(at)[0][0]["x"][-1] == last_step


def test_missing_metrics_file_says_so(run_dir):
    (run_dir / "metrics.csv").unlink()
    at = open_live()
    assert not at.exception
    assert "No metrics yet" in texts(at.info)
    assert not at.get("plotly_chart")


def test_corrupt_sample_grid_gives_a_message(run_dir):
    (run_dir / "samples" / "epoch_0001.png").write_bytes(b"not a png at all")
    at = open_live()
    assert not at.exception
    assert "cannot be shown" in texts(at.warning)
    assert len(at.image) == 0


def test_failed_run_shows_its_error(run_dir):
    runs.write_status(run_dir, state="failed", error="out of memory in epoch 1")
    at = open_live()
    assert not at.exception
    assert "out of memory in epoch 1" in texts(at.error)


def test_running_run_shows_progress(run_dir):
    runs.write_status(run_dir, state="running", pid=os.getpid(), heartbeat=time.time(), step=5, steps_total=10,
                      eta_s=75.0)
    at = open_live()
    assert not at.exception
    assert "running" in texts(at.metric)
    assert "1m15s" in texts(at.metric)
    assert at.get("progress")


def test_no_runs_points_to_the_train_page(runs_root):
    at = open_live()
    assert not at.exception
    assert "No training runs yet" in texts(at.info)
