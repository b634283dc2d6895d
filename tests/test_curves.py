"""gan.curves: the incremental metrics reader, smoothing, thinning and the figure."""

import numpy as np
import pandas as pd
import pytest

from gan import curves, runs

HEADER = ",".join(runs.METRICS_FIELDS) + "\n"


def row(step: int, d_loss: float = 0.5) -> str:
    return f"{step},1,{step / 10},{d_loss},0.7,0.6,0.4,900\n"


@pytest.fixture
def metrics(tmp_path):
    return tmp_path / "metrics.csv"


def test_missing_and_empty_files_read_as_empty_frames(metrics):
    assert curves.read_metrics(metrics).empty
    metrics.write_text("")
    assert curves.read_metrics(metrics).empty
    metrics.write_text(HEADER)
    assert curves.read_metrics(metrics).empty
    metrics.write_text(HEADER[:20])  # a header still being written
    assert curves.read_metrics(metrics).empty


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
    assert curves.read_metrics(metrics)["step"].tolist() == [10.0, 40.0]


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
    frame = curves.read_metrics(finished_run / "metrics.csv")
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
