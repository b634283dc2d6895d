"""The digit classifier's verdict as the pages show it: a run's quality per epoch (Live training)
and each drawn digit's predicted class and confidence (Sample). No TensorFlow imported here."""

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from gan import curves, data, quality, runs
from ui import common, i18n
from ui.i18n import t

UNSURE_STYLE = "background-color: rgba(255, 170, 0, 0.3)"  # amber: readable on light and dark themes


def real_floor() -> dict | None:
    """quality.real_floor(), or None when the classifier's assets cannot be read."""
    try:
        return quality.real_floor()
    except quality.QualityUnavailable:
        return None


def warning_text(warning: quality.CollapseWarning) -> str:
    """A collapse warning in the session's language."""
    if i18n.language() == i18n.DEFAULT:
        return str(warning)
    return t(f"quality.warning.{warning.kind}", **warning.params)


def relabel(fig, title: str, x_title: str, y_title: str, guide: str):
    """A gan.curves figure with its title, axes, dashed guide and bars' hover text in the session's language."""
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title).update_annotations(text=guide)
    return fig.update_traces(hovertemplate=t("quality.hover"), selector={"type": "bar"})


def metric_labels(metrics: list[dict], rows: list[dict], floor: dict | None) -> list[dict]:
    """curves.quality_metrics' cards, labelled in the session's language."""
    for column, metric in zip(curves.QUALITY, metrics, strict=True):
        name, written = t(f"quality.metric.{column}"), curves.QUALITY[column][1]
        reference = (floor or {}).get(column)
        metric["label"] = name if reference is None else t("quality.metric_floor", name=name,
                                                           value=written.format(reference))
        if metric["delta_description"]:
            metric["delta_description"] = t("quality.since_epoch", epoch=int(rows[-2]["epoch"]))
    return metrics


def show_run_quality(run_dir: Path, status: dict) -> None:
    """Latest metrics against real digits, a collapse warning, and four charts from quality.csv; for
    a run on other images than MNIST digits, that the digit classifier does not apply."""
    st.subheader(t("quality.title"))
    if not quality.reads(status.data_source, status.image_shape):
        st.info(t("quality.not_digits", shape=common.shape_label(status.image_shape or data.IMAGE_SHAPE)))
        return
    if status.quality_error:
        st.warning(t("quality.not_measured", error=i18n.plain(i18n.error_text(status.quality_error))))
    rows = curves.quality_rows(runs.read_quality(run_dir))
    if not rows:
        st.caption(t("quality.first_epoch"))
        return
    st.caption(t("quality.explained", samples=quality.EVAL_SAMPLES, confident=quality.CONFIDENT,
                 max_entropy=quality.MAX_ENTROPY))
    floor = real_floor()
    for column, metric in zip(st.columns(4), metric_labels(curves.quality_metrics(rows, floor), rows, floor),
                              strict=True):
        column.metric(**metric)
    if (warning := quality.latest_warning(rows)) and warning.early:
        st.info(warning_text(warning), icon=":material/hourglass_top:")
    elif warning:
        st.warning(f"{warning_text(warning)}  \n{t('quality.collapse')}", icon="⚠️")
    epoch_axis, real = t("quality.epoch_axis"), t("quality.real_digits")
    titles = [(t("quality.metric.fdd"), epoch_axis, t("quality.fdd_axis"), real),
              (t("quality.metric.score"), epoch_axis, t("quality.score_axis"), real),
              (t("quality.metric.confident"), epoch_axis, t("quality.confident_axis"), real),
              (t("quality.drawn_at", epoch=int(rows[-1]["epoch"])), t("quality.digit_axis"), t("quality.share_axis"),
               t("quality.even"))]
    figures = curves.quality_figures(rows, floor)
    for i, (column, fig, labels) in enumerate(zip(st.columns(2) + st.columns(2), figures, titles, strict=True)):
        column.plotly_chart(relabel(fig, *labels), width="stretch", key=f"quality_chart_{i}")


def show_verdict(predicted: np.ndarray, confidence: np.ndarray, cols: int, beside) -> None:
    """A summary line and a table laid out like the grid (rows of `cols`), each cell the predicted
    digit and its probability, unsure ones shaded; the class histogram goes in the container
    `beside`. predicted int (n,), confidence float (n,) in [0, 1]."""
    n = len(predicted)
    counts = np.bincount(predicted, minlength=curves.N_CLASSES)
    sure = float(np.mean(confidence > quality.CONFIDENT))
    st.markdown(t("quality.verdict", sure=sure, n=n, confident=quality.CONFIDENT,
                  counts=", ".join(f"{d}×{c}" for d, c in enumerate(counts))))
    histogram = curves.histogram_figure((counts / n).tolist(), "", height=280)
    beside.plotly_chart(relabel(histogram, t("quality.predicted"), t("quality.digit_axis"), t("quality.share_axis"),
                                t("quality.even")), width="stretch", key="sample_classes")
    rows = -(-n // cols)
    cells = np.full(rows * cols, "", dtype=object)
    cells[:n] = [f"{d} · {round(100 * p)}" for d, p in zip(predicted, confidence, strict=True)]
    unsure = np.zeros(rows * cols, bool)
    unsure[:n] = confidence <= quality.CONFIDENT
    labels = [str(c + 1) for c in range(cols)]
    frame = pd.DataFrame(cells.reshape(rows, cols), index=range(1, rows + 1), columns=labels)
    styles = pd.DataFrame(np.where(unsure.reshape(rows, cols), UNSURE_STYLE, ""), index=frame.index,
                          columns=labels)
    st.caption(t("quality.table", confident=quality.CONFIDENT))
    st.dataframe(frame.style.apply(lambda _: styles, axis=None), height=min(35 * (rows + 1) + 3, 600))
