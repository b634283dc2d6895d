"""gan.curves: the incremental metrics reader, smoothing, thinning and the figure."""

import numpy as np
import pandas as pd
import pytest

from gan import config, curves, runs

HEADER = ",".join(runs.METRICS_FIELDS) + "\n"


def row(step: int, d_loss: float = 0.5) -> str:
    return f"{step},1,{step / 10},{d_loss},0.7,0.6,0.4,900\n"


@pytest.fixture
def metrics(tmp_path):
    return tmp_path / "metrics.csv"


def test_missing_and_empty_files_read_as_empty_frames(metrics):
    assert curves.metrics_frame(metrics).empty
    metrics.write_text("")
    assert curves.metrics_frame(metrics).empty
    metrics.write_text(HEADER)
    assert curves.metrics_frame(metrics).empty
    metrics.write_text(HEADER[:20])  # a header still being written
    assert curves.metrics_frame(metrics).empty


def test_half_written_last_line_waits_for_its_newline(metrics):
    metrics.write_text(HEADER + row(10) + row(20)[:9])
    tail = curves.MetricsTail(metrics)
    assert tail.read()["step"].tolist() == [10.0]
    with open(metrics, "a") as handle:
        handle.write(row(20)[9:] + row(30))
    frame = tail.read()
    assert frame["step"].tolist() == [10.0, 20.0, 30.0]
    assert frame["d_loss"].dtype == np.float64


def test_reads_only_what_was_appended(metrics):
    metrics.write_text(HEADER + row(10))
    tail = curves.MetricsTail(metrics)
    first = tail.read()
    assert tail.read() is first  # unchanged file: no parse, same frame
    with open(metrics, "a") as handle:
        handle.write(row(20))
    assert tail.read()["step"].tolist() == [10.0, 20.0]


def test_damaged_rows_are_skipped(metrics):
    metrics.write_text(HEADER + row(10) + "20,1,oops,0.5,0.7,0.6,0.4,900\n" + "30,1\n" + row(40))
    assert curves.metrics_frame(metrics)["step"].tolist() == [10.0, 40.0]


def test_a_rewritten_file_is_read_again(tmp_path, metrics):
    runs.append_metrics(tmp_path, [{"step": s, "epoch": 1 + s // 30, "seconds": 0, "d_loss": 1, "g_loss": 1,
                                    "d_real": 0.5, "d_fake": 0.5, "images_per_s": 1} for s in (10, 20, 30, 40)])
    tail = curves.MetricsTail(metrics)
    assert len(tail.read()) == 4
    runs.keep_metrics_through(tmp_path, 1)  # what a resume does: an atomic rewrite with fewer rows
    assert tail.read()["step"].tolist() == [10.0, 20.0]
    metrics.unlink()
    assert tail.read().empty


def test_agrees_with_the_run_store_reader(finished_run):
    expected = pd.DataFrame(runs.read_metrics(finished_run))
    frame = curves.metrics_frame(finished_run / "metrics.csv")
    assert len(frame) > 0
    pd.testing.assert_frame_equal(frame[expected.columns], expected, check_dtype=False)


def test_smooth_keeps_level_and_reduces_noise():
    noisy = pd.Series(np.random.default_rng(0).normal(1.0, 0.5, 2000))
    assert curves.smooth(noisy, 0.0) is noisy
    smoothed = curves.smooth(noisy, 0.9)
    assert smoothed.std() < noisy.std() / 3
    assert abs(smoothed.iloc[100:].mean() - 1.0) < 0.1
    assert curves.smooth(pd.Series([2.0] * 5), 0.99).tolist() == pytest.approx([2.0] * 5)  # debiased start


def test_thin_averages_into_at_most_max_points():
    frame = pd.DataFrame({"step": np.arange(100_001.0), "d_loss": np.tile([0.0, 2.0], 50_001)[:100_001]})
    thinned = curves.thin(frame, 2000)
    assert len(thinned) <= 2000
    assert thinned["step"].is_monotonic_increasing
    assert thinned["step"].iloc[0] == pytest.approx(frame["step"].iloc[:51].mean())
    assert thinned["step"].iloc[-1] > 99_950  # the newest rows are still there
    assert thinned["d_loss"].iloc[:-1].tolist() == pytest.approx([1.0] * (len(thinned) - 1), abs=0.05)
    assert len(curves.thin(frame.head(10), 2000)) == 10


def test_curves_are_indexed_by_step_and_labelled():
    frame = pd.DataFrame({"step": [10.0, 20.0, 30.0], "d_loss": [1.0, 2.0, 3.0], "g_loss": [3.0, 2.0, 1.0]})
    lines = curves.curves(frame, {"d_loss": "D loss", "g_loss": "G loss", "absent": "X"})
    assert list(lines) == ["D loss", "G loss"]
    assert lines["D loss"].index.tolist() == [10.0, 20.0, 30.0]
    assert lines["G loss"].tolist() == [3.0, 2.0, 1.0]
    assert curves.curves(curves._empty(), {"d_loss": "D loss"}) == {}


def test_figure_has_one_named_trace_per_curve():
    lines = {"D loss": pd.Series([1.0, 2.0], index=[10.0, 20.0]), "G loss": pd.Series([2.0, 1.0], index=[10.0, 20.0])}
    fig = curves.figure(lines, "Losses", "loss", reference=0.5)
    assert [trace.name for trace in fig.data] == ["D loss", "G loss"]
    assert list(fig.data[0].x) == [10.0, 20.0]
    assert fig.data[0].line.color != fig.data[1].line.color
    assert len(fig.layout.shapes) == 1


# --- quality per epoch ------------------------------------------------------------------

FLOOR = {"fdd": 1.03121, "score": 9.714433, "confident": 0.977, "entropy": 2.298755}


def quality_row(epoch: float, fdd: float = 50.0, score: float = 5.0, shares=None) -> dict[str, float]:
    shares = [0.1] * 10 if shares is None else shares
    return {"epoch": epoch, "seconds": 10.0 * epoch, "fdd": fdd, "score": score, "confident": 0.5,
            "entropy": 2.0, **{f"class_{d}": share for d, share in enumerate(shares)}}


def test_quality_rows_keep_numbered_epochs_in_order():
    rows = [quality_row(2, fdd=40), quality_row(1), {"seconds": 3.0}, quality_row(float("nan")),
            quality_row(2, fdd=30)]
    kept = curves.quality_rows(rows)
    assert [row["epoch"] for row in kept] == [1, 2]
    assert kept[-1]["fdd"] == 30  # a resumed run's repeated epoch: the later row wins
    assert curves.quality_rows([]) == []


def test_quality_series_leaves_out_missing_values():
    rows = [quality_row(1, fdd=80), quality_row(2, fdd=float("nan")), quality_row(3, fdd=20)]
    series = curves.quality_series(rows, "fdd")
    assert series.index.tolist() == [1.0, 3.0]
    assert series.tolist() == [80.0, 20.0]
    assert curves.quality_series(rows, "absent").empty


def test_class_shares_read_missing_as_zero():
    row = quality_row(1, shares=[0.5, float("nan"), *([0.0625] * 8)])
    del row["class_9"]
    assert curves.class_shares(row) == [0.5, 0.0, *([0.0625] * 7), 0.0]


def test_epoch_figure_marks_each_epoch_and_the_real_floor():
    rows = [quality_row(e, fdd=f) for e, f in ((1, 200.0), (2, 90.0), (3, 40.0))]
    fig = curves.epoch_figure(rows, "fdd", "FDD", floor=FLOOR["fdd"], log_y=True)
    assert list(fig.data[0].x) == [1.0, 2.0, 3.0]
    assert list(fig.data[0].y) == [200.0, 90.0, 40.0]
    assert fig.data[0].mode == "lines+markers"
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.dtick == 1  # whole epochs only
    (shape,) = fig.layout.shapes
    assert shape.y0 == shape.y1 == FLOOR["fdd"] and shape.line.dash == "dash"
    (label,) = fig.layout.annotations
    assert label.text == "real digits"
    assert label.y == pytest.approx(np.log10(FLOOR["fdd"]))  # log axes place annotations in log10 units
    linear = curves.epoch_figure(rows, "score", "score", floor=FLOOR["score"])
    assert linear.layout.annotations[0].y == pytest.approx(FLOOR["score"])
    assert not curves.epoch_figure(rows, "score", "score").layout.shapes
    assert curves.epoch_figure([quality_row(e) for e in range(1, 51)], "fdd", "FDD").layout.xaxis.dtick == 5


def test_histogram_figure_has_ten_bars_and_an_even_line():
    shares = [0.0, 0.9, *([0.0125] * 8)]
    fig = curves.histogram_figure(shares, "Digits")
    assert list(fig.data[0].x) == [str(d) for d in range(10)]
    assert list(fig.data[0].y) == shares
    assert fig.layout.shapes[0].y0 == pytest.approx(0.1)
    assert fig.layout.yaxis.tickformat == ".0%"


def test_quality_figures_for_the_latest_epoch():
    rows = [quality_row(1), quality_row(2, shares=[0.3, 0.7, *([0.0] * 8)])]
    figs = curves.quality_figures(rows, FLOOR)
    titles = [fig.layout.title.text for fig in figs]
    assert titles == ["FDD", "Classifier score", "Confident", "Digits drawn at epoch 2"]
    assert list(figs[-1].data[0].y)[:2] == [0.3, 0.7]
    assert all(fig.layout.shapes for fig in figs)
    assert not curves.quality_figures(rows)[0].layout.shapes  # no floor known: no guide
    assert curves.quality_figures([]) == []


def test_quality_metrics_name_the_floor_and_the_change():
    rows = [quality_row(1, fdd=120.0, score=3.0), quality_row(2, fdd=80.0, score=3.0)]
    fdd, score, confident, entropy = curves.quality_metrics(rows, FLOOR)
    assert fdd["label"] == "FDD · real digits 1.03"
    assert fdd["value"] == "80"
    assert fdd["delta"] == "-40" and fdd["delta_color"] == "inverse"  # down is good for FDD
    assert fdd["delta_description"] == "since epoch 1"
    assert score["label"] == "Classifier score · real digits 9.71"
    assert score["delta"] == 0 and score["delta_color"] == "normal"  # no change: grey, no arrow
    assert confident["label"] == "Confident · real digits 98%" and confident["value"] == "50%"
    assert entropy["value"] == "2.00"


def test_quality_metrics_of_a_first_or_damaged_epoch():
    fdd = curves.quality_metrics([quality_row(1)])[0]
    assert fdd["label"] == "FDD" and fdd["delta"] is None and fdd["delta_description"] is None
    damaged = curves.quality_metrics([quality_row(1), quality_row(2, fdd=float("nan"))], FLOOR)
    assert damaged[0]["value"] == "—" and damaged[0]["delta"] is None
    assert curves.quality_metrics([]) == []


def test_per_epoch_figure_marks_points_on_whole_epochs():
    lines = {"run a": pd.Series([200.0, 100.0], index=[1.0, 2.0]), "run b": pd.Series([150.0], index=[1.0])}
    fig = curves.figure(lines, "FDD", "FDD", per_epoch=True, log_y=True)
    assert [trace.mode for trace in fig.data] == ["lines+markers", "lines+markers"]
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.xaxis.dtick == 1
    assert fig.layout.yaxis.type == "log"
    assert curves.figure(lines, "x", "y").data[0].mode == "lines"


def test_every_loss_says_how_its_discriminator_output_reads():
    assert set(curves.VERDICTS) == set(config.LOSSES)
    for verdict in curves.VERDICTS.values():
        assert set(verdict.columns) <= set(runs.METRICS_FIELDS)
        assert verdict.probability == (verdict.columns == curves.PROBABILITY)
    assert curves.SEPARATION in runs.METRICS_FIELDS
