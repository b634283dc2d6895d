"""The Live training page (AppTest): curves, sample grids, run comparison and damaged run files."""

import base64
import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan import runs, sampling
from gan.limits import Limits
from tests.conftest import copy_of

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def run_dir(runs_root, finished_run) -> Path:
    """A copy of the tiny finished run in this test's runs root, free to damage."""
    return copy_of(finished_run, runs_root)


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
    assert runs.read_config(run_dir).loss == "hinge"  # D's output is a raw score, not a probability
    assert {"D loss", "G loss", "real images", "generated images", "real ranked above fake (share)"} <= set(names)
    assert any("D's raw score" in chart.proto.spec for chart in at.get("plotly_chart"))
    assert "D(x) on real images" not in names and "hinge asks for at least +1" in texts(at.caption)
    assert "D's loss is 2 at the balance point" in texts(at.caption)
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
    assert not {chart.key for chart in at.get("plotly_chart")} & {"live_losses", "live_outputs"}


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


def test_without_runs_the_bundled_example_run_shows_its_real_history(runs_root):
    at = open_live()
    assert not at.exception
    assert "bundled example run" in texts(at.info)
    assert at.selectbox(key="live_run").options == ["Bundled pretrained generator"]
    history = runs.read_metrics(sampling.PRETRAINED)
    assert charts(at)[0][0]["x"][-1] == history[-1]["step"]  # its own metrics.csv, drawn as any run's
    assert len(at.image) >= 1 and "finished" in texts(at.metric)


def test_a_participants_run_comes_first_and_the_example_stays_one_choice_away(run_dir):
    at = open_live()
    picker = at.selectbox(key="live_run")
    assert picker.value == run_dir and picker.options[-1] == "Bundled pretrained generator"
    assert "bundled example run" not in texts(at.info)


def test_no_runs_and_no_bundled_run_points_to_the_train_page(runs_root, tmp_path, monkeypatch):
    monkeypatch.setattr(sampling, "PRETRAINED", tmp_path / "pretrained")
    at = open_live()
    assert not at.exception
    assert "No training runs yet" in texts(at.info)


def quality_row(epoch: int, shares: list[float], fdd: float = 60.0) -> dict[str, float]:
    shares = np.asarray(shares, float)
    entropy = float(-np.sum(shares[shares > 0] * np.log(shares[shares > 0])))
    return {"epoch": epoch, "seconds": 10.0 * epoch, "fdd": fdd, "score": 4.0, "confident": 0.5, "entropy": entropy,
            **{f"class_{d}": share for d, share in enumerate(shares)}}


def rewrite_quality(run_dir: Path, rows: list[dict[str, float]]) -> None:
    (run_dir / "quality.csv").unlink(missing_ok=True)
    for row in rows:
        runs.append_quality(run_dir, row)


def quality_charts(at: AppTest) -> dict[str, list[dict]]:
    """{chart title: traces} of the quality charts (their Streamlit keys start with quality_chart_)."""
    return {json.loads(chart.proto.spec)["layout"]["title"]["text"]: traces
            for chart, traces in zip(at.get("plotly_chart"), charts(at), strict=True)
            if chart.key.startswith("quality_chart_")}


def test_quality_per_epoch_with_the_real_floor(run_dir):
    (row,) = runs.read_quality(run_dir)
    at = open_live()
    assert not at.exception
    labels = {metric.label: metric.value for metric in at.metric}
    assert labels["FDD · real digits 1.03"] == f"{row['fdd']:.3g}"
    assert labels["Classifier score · real digits 9.71"] == f"{row['score']:.2f}"
    assert "Confident · real digits 98%" in labels and "Class entropy · real digits 2.30" in labels
    found = quality_charts(at)
    assert list(found) == ["FDD", "Classifier score", "Confident", "Digits drawn at epoch 1"]
    assert found["FDD"][0]["x"] == [1.0] and found["FDD"][0]["y"] == [pytest.approx(row["fdd"])]
    assert found["Digits drawn at epoch 1"][0]["type"] == "bar"
    assert found["Digits drawn at epoch 1"][0]["y"] == pytest.approx([row[f"class_{d}"] for d in range(10)])


def test_collapsed_histogram_raises_a_warning(run_dir):
    even = [0.1] * 10
    collapsed = [0.02, 0.9, 0.0, 0.03, 0.0, 0.05, 0.0, 0.0, 0.0, 0.0]
    rewrite_quality(run_dir, [quality_row(1, even, fdd=80.0), quality_row(2, even, fdd=50.0)])
    at = open_live()
    assert not at.exception
    assert "Mode collapse" not in texts(at.warning)
    rewrite_quality(run_dir, [quality_row(1, even, fdd=80.0), quality_row(2, collapsed, fdd=120.0)])
    at = open_live()
    assert not at.exception
    warning = texts(at.warning)
    assert "Mode collapse? Digits 2, 4, 6, 7, 8, 9 are almost never drawn" in warning
    assert "draws little else" in warning  # what mode collapse is, in one line
    assert quality_charts(at)["Digits drawn at epoch 2"][0]["y"] == pytest.approx(collapsed)
    fdd = next(metric for metric in at.metric if metric.label.startswith("FDD"))
    assert fdd.value == "120"


@pytest.mark.parametrize("content", ["", "epoch,seconds,fdd\n", "epoch,seconds,fdd,score\n1,3.5,12", "\x00garbage\x89\n"
                                     "not,a,quality,file\n\n"])
def test_missing_or_damaged_quality_file_waits_for_the_first_epoch(run_dir, content):
    (run_dir / "quality.csv").write_text(content)
    at = open_live()
    assert not at.exception
    assert "Quality appears after the first epoch" in texts(at.caption)
    assert not quality_charts(at)
    assert any(trace["name"] == "D loss" for traces in charts(at) for trace in traces)  # the rest still shows


def test_damaged_rows_among_good_ones_are_skipped(run_dir):
    rewrite_quality(run_dir, [quality_row(1, [0.1] * 10, fdd=80.0), quality_row(2, [0.1] * 10, fdd=40.0)])
    with open(run_dir / "quality.csv", "a") as handle:
        handle.write("3,30,oops,4,0.5\n4,40,")  # a short row, then a half-written one
    at = open_live()
    assert not at.exception
    assert quality_charts(at)["FDD"][0]["x"] == [1.0, 2.0]


def test_quality_error_is_shown(run_dir):
    (run_dir / "quality.csv").unlink()
    runs.write_status(run_dir, quality_error="classifier.keras is damaged")
    at = open_live()
    assert not at.exception
    shown = re.sub(r"\\(.)", r"\1", texts(at.warning))  # as read: the run file's text is escaped, not markup
    assert "Quality is not measured for this run: classifier.keras is damaged" in shown


def test_comparison_offers_fdd_per_epoch(run_dir, runs_root):
    other = Path(shutil.copytree(run_dir, runs_root / "otherrun0001"))
    rewrite_quality(other, [quality_row(1, [0.1] * 10, fdd=90.0), quality_row(2, [0.1] * 10, fdd=30.0)])
    at = open_live()
    at.multiselect(key="compare_runs").set_value([run_dir, other])
    at.selectbox(key="compare_metric").set_value("fdd")
    at.run()
    assert not at.exception
    compared = charts(at)[-1]
    assert [trace["name"].split(" · ")[0] for trace in compared] == [run_dir.name, other.name]
    assert compared[0]["x"] == [1.0]
    assert compared[1]["x"] == [1.0, 2.0] and compared[1]["y"] == [90.0, 30.0]


def test_a_queued_run_shows_its_place_in_line(runs_root):
    from gan import launcher
    from tests.conftest import tiny_config

    holder = runs.create(runs_root, tiny_config(seed=90))
    runs.write_status(holder, state="running", pid=os.getpid(), heartbeat=time.time())
    queued = launcher.submit(runs_root, tiny_config(seed=91), Limits(max_concurrent=1))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/live.py")
    at.query_params["run"] = queued.run_dir.name
    at.run()
    assert not at.exception
    assert "Number 1 in line for a training slot" in texts(at.info)
    assert "waiting for a slot" in texts(at.metric)


def test_the_device_a_run_trains_on_is_named(run_dir):
    device = runs.read_status(run_dir).device  # as the trainer recorded it: "CPU" without a GPU
    at = open_live()
    assert not at.exception
    assert device and f"Trains on: {device}" in re.sub(r"\\(.)", r"\1", texts(at.caption))
    runs.write_status(run_dir, executor="ray", host="lab-pc-07")
    at = open_live()
    assert f"Trains on: {device}, on machine lab-pc-07 of the Ray cluster" in re.sub(r"\\(.)", r"\1", texts(at.caption))


def test_text_from_run_files_is_shown_as_plain_text_not_markdown(run_dir):
    hostile = "![beacon](http://evil.example/b.png) [log in here](http://phish.example)"
    runs.write_status(run_dir, state="failed", data_source="uploaded", data_description=hostile,
                      error={"kind": "recorded", "params": {"text": hostile}})
    at = open_live()
    assert not at.exception
    source = texts(at.caption) + texts(at.error)  # the Markdown the browser renders
    read = re.sub(r"\\(.)", r"\1", source)  # what a viewer reads once the escapes are applied
    assert read.count("http://evil.example/b.png") == 2 and read.count("[log in here](http://phish.example)") == 2
    for markup in (r"(?<!\\)\]\(", r"(?<!\\)!\[", r"http(?!\\:)"):  # a link, an image, a bare URL
        assert not re.search(markup, source), markup


def test_a_colour_run_shows_its_colour_grids_and_no_digit_quality(runs_root, colour_run):
    copy_of(colour_run, runs_root)
    at = open_live()
    assert not at.exception
    assert "finished" in texts(at.metric)
    assert any("apply to MNIST digits only" in box.value and "(32×32 colour)" in box.value for box in at.info)
    assert not any("FDD" in metric.label for metric in at.metric)
    assert len(at.image) == 2 + 16  # the browsed and newest grids, and the copy strip: 8 samples, 8 nearest images
    assert any("GIF" in button.label for button in at.download_button)


# --- data without a classifier: the random-feature distance and the memorisation check -------------

def novelty_run(root: Path, shares: list[float]) -> Path:
    """A finished run on colour images the digit classifier cannot judge: quality.csv rows with the
    novelty columns only (one per share of near-copies), and the latest epoch's copy strip."""
    from tests.conftest import fake_finished_run

    run_dir = fake_finished_run(root, seed=77, grids=len(shares), epoch=len(shares), data_source="upload",
                                data_description="my sketches")
    for epoch, share in enumerate(shares, start=1):
        runs.append_quality(run_dir, {"epoch": epoch, "seconds": 5.0 * epoch, "rfd": 400.0 / epoch, "rfd_real": 9.5,
                                      "near_copies": share, "copy_threshold": 0.045, "nearest_median": 0.08 + share,
                                      "real_gap": 0.089})
    rng = np.random.default_rng(0)
    samples = rng.integers(0, 256, (8, 32, 32, 3)).astype(np.uint8)
    nearest = samples.copy()
    nearest[5:] = 255 - nearest[5:]
    runs.save_copies(run_dir, runs.Copies(len(shares), samples, nearest, np.array([3, 14, 15, 92, 65, 35, 89, 79]),
                                          np.array([0.0, 0.01, 0.02, 0.03, 0.04, 0.3, 0.4, 0.5]), 0.045))
    return run_dir


def novelty_charts(at: AppTest) -> dict[str, list[dict]]:
    return {json.loads(chart.proto.spec)["layout"]["title"]["text"]: traces
            for chart, traces in zip(at.get("plotly_chart"), charts(at), strict=True)
            if chart.key.startswith("novelty_chart_")}


def test_data_without_a_classifier_shows_likeness_and_copying(runs_root):
    novelty_run(runs_root, [0.01, 0.02, 0.03])
    at = open_live()
    assert not at.exception
    assert any("apply to MNIST digits only" in box.value for box in at.info)
    assert "never trained" in texts(at.caption) and "near-copy" in texts(at.caption)
    assert not quality_charts(at)  # no FDD, no class histogram: they would mean nothing here
    assert "Mode collapse" not in texts(at.warning) + texts(at.info)
    labels = {metric.label: metric.value for metric in at.metric}
    assert labels["Random-feature distance · training images 9.5"] == "133"
    assert labels["Near-copies · fresh images ≈ 1.0%"] == "3.0%"
    assert labels["Median distance to nearest · real 0.089"] == "0.110"
    found = novelty_charts(at)
    assert list(found) == ["Random-feature distance", "Near-copies"]
    assert found["Random-feature distance"][0]["x"] == [1.0, 2.0, 3.0]
    assert found["Random-feature distance"][0]["y"] == pytest.approx([400.0, 200.0, 400.0 / 3], rel=1e-5)
    assert found["Near-copies"][0]["y"] == pytest.approx([0.01, 0.02, 0.03])
    assert "The 8 most copy-like samples at epoch 3" in texts(at.markdown)
    pairs = [caption.value for caption in at.caption if caption.value.startswith("#")]
    assert len(pairs) == 8 and pairs[0] == "#3 · 0.000 · **near-copy**" and pairs[5] == "#35 · 0.300"
    assert len(at.image) == 2 + 16  # the browsed and newest grids, then each sample above its nearest training image
    assert "may be memorising" not in texts(at.warning)


def test_many_near_copies_raise_a_warning(runs_root):
    novelty_run(runs_root, [0.02, 0.35])
    at = open_live()
    assert not at.exception
    assert "35% of the samples are near-copies of training images" in texts(at.warning)


def test_likeness_and_copying_in_chinese(runs_root):
    novelty_run(runs_root, [0.02, 0.35])
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.switch_page("pages/live.py")
    at.run()
    assert not at.exception
    assert "相似与抄袭" in texts(at.subheader)
    assert "随机特征距离 · 训练图像 9.5" in {metric.label for metric in at.metric}
    assert "35% 的样本是训练图像的近似副本" in texts(at.warning)
    assert list(novelty_charts(at)) == ["随机特征距离", "近似副本"]


def test_the_strip_waits_when_its_file_is_missing_or_damaged(runs_root):
    run_dir = novelty_run(runs_root, [0.02])
    (run_dir / runs.COPIES).write_bytes(b"not an npz")
    at = open_live()
    assert not at.exception
    assert "appear here after the next evaluated epoch" in texts(at.info)
    assert novelty_charts(at)


def test_a_digit_run_shows_no_novelty_section(run_dir):
    at = open_live()
    assert not at.exception
    assert not novelty_charts(at) and "Random-feature distance" not in texts(at.caption)


def test_a_run_on_your_own_images_names_them(runs_root):
    from gan import uploads
    from tests.conftest import coloured_shapes
    from tests.test_gallery import upload_run

    shapes = coloured_shapes(64)
    stored = uploads.store(runs_root, uploads.from_arrays(shapes.pixels, shapes.labels, "shapes.zip"))
    run_dir = upload_run(runs_root, 1, stored, 300.0, 0.02)
    runs.write_status(run_dir, image_shape=(32, 32, 3))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["run"] = run_dir.name
    at.switch_page("pages/live.py").run()
    assert not at.exception
    caption = "Data: your images “shapes\\.zip”: 64 pictures, 32×32 colour"  # a visitor's name: never markup
    assert caption in [c.value for c in at.caption]
