"""The digit classifier's verdict as the pages show it: a run's quality per epoch (Live training)
and each drawn digit's predicted class and confidence (Sample). No TensorFlow imported here."""

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from gan import curves, quality, runs

COLLAPSE = ("Mode collapse is when the generator finds a few digits that fool the discriminator and "
            "draws little else: bars vanish from the class histogram and FDD stalls or rises.")
UNSURE_STYLE = "background-color: rgba(255, 170, 0, 0.3)"  # amber: readable on light and dark themes


def real_floor() -> dict | None:
    """quality.real_floor(), or None when the classifier's assets cannot be read."""
    try:
        return quality.real_floor()
    except quality.QualityUnavailable:
        return None


def show_run_quality(run_dir: Path, status: dict) -> None:
    """Latest metrics against real digits, a collapse warning, and four charts from quality.csv."""
    st.subheader("Quality per epoch")
    st.caption(f"After each epoch a small digit classifier judges {quality.EVAL_SAMPLES:,} generated digits. "
               "**FDD** (Fréchet distance between its view of fakes and of real digits) falls as fakes look "
               "real; the **classifier score** (max 10) rises when digits are both recognisable and varied; "
               f"**confident** is the share it recognises with over {quality.CONFIDENT:.0%} certainty; "
               f"**class entropy** (nats) is how evenly the ten digits are drawn, {quality.MAX_ENTROPY:.2f} when "
               "all even. Dashed lines: the same numbers for real digits, the best to hope for.")
    if status.get("quality_error"):
        st.warning(f"Quality is not measured for this run: {status['quality_error']}")
    rows = curves.quality_rows(runs.read_quality(run_dir))
    if not rows:
        st.caption("Quality appears after the first epoch.")
        return
    floor = real_floor()
    for column, metric in zip(st.columns(4), curves.quality_metrics(rows, floor), strict=True):
        column.metric(**metric)
    if warning := quality.latest_warning(rows):
        st.warning(f"{warning}  \n{COLLAPSE}", icon="⚠️")
    for i, (column, fig) in enumerate(zip(st.columns(2) + st.columns(2), curves.quality_figures(rows, floor),
                                          strict=True)):
        column.plotly_chart(fig, width="stretch", key=f"quality_chart_{i}")


def show_verdict(predicted: np.ndarray, confidence: np.ndarray, cols: int, beside) -> None:
    """A summary line and a table laid out like the grid (rows of `cols`), each cell the predicted
    digit and its probability, unsure ones shaded; the class histogram goes in the container
    `beside`. predicted int (n,), confidence float (n,) in [0, 1]."""
    n = len(predicted)
    counts = np.bincount(predicted, minlength=curves.N_CLASSES)
    sure = float(np.mean(confidence > quality.CONFIDENT))
    st.markdown(f"**What the digit classifier sees:** {sure:.0%} of the {n} digits are recognised with "
                f"confidence over {quality.CONFIDENT:.0%}; classes "
                + ", ".join(f"{d}×{c}" for d, c in enumerate(counts)) + ".")
    beside.plotly_chart(curves.histogram_figure((counts / n).tolist(), "Predicted digits", height=280),
                        width="stretch", key="sample_classes")
    rows = -(-n // cols)
    cells = np.full(rows * cols, "", dtype=object)
    cells[:n] = [f"{d} · {round(100 * p)}" for d, p in zip(predicted, confidence, strict=True)]
    unsure = np.zeros(rows * cols, bool)
    unsure[:n] = confidence <= quality.CONFIDENT
    labels = [str(c + 1) for c in range(cols)]
    frame = pd.DataFrame(cells.reshape(rows, cols), index=range(1, rows + 1), columns=labels)
    styles = pd.DataFrame(np.where(unsure.reshape(rows, cols), UNSURE_STYLE, ""), index=frame.index,
                          columns=labels)
    st.caption(f"Each digit where it sits in the grid (row, column): predicted class · confidence in %, "
               f"shaded when {quality.CONFIDENT:.0%} or less: the classifier is unsure, often because the "
               "strokes do not make a clear digit.")
    st.dataframe(frame.style.apply(lambda _: styles, axis=None), height=min(35 * (rows + 1) + 3, 600))
