"""Quality for data without a classifier, as Live training shows it: the random-feature distance
and the near-copy share per epoch, and the latest epoch's most copy-like samples beside their
nearest training images. No TensorFlow imported here."""

import math
from pathlib import Path

import streamlit as st

from gan import curves, images, memorisation, quality, runs
from ui.i18n import t
from ui.quality_view import relabel

STRIP_PIXELS = 96  # each image of the copy strip, enlarged to about this width with crisp pixels


def measured(rows: list[dict]) -> bool:
    """Whether any quality.csv row holds the novelty measures."""
    return any(math.isfinite(row.get("rfd", math.nan)) for row in rows)


def floors(row: dict) -> dict:
    """What each measure reads for the training images themselves, from the latest row (None: unknown)."""
    found = {"rfd": row.get("rfd_real"), "near_copies": memorisation.COPY_QUANTILE,
             "nearest_median": row.get("real_gap")}
    return {name: value if value is not None and math.isfinite(value) else None for name, value in found.items()}


def show_strip(run_dir: Path) -> None:
    """The latest evaluated epoch's most copy-like samples (top), each above its nearest training
    image, with their distance; near-copies marked."""
    copies = runs.read_copies(run_dir)
    if copies is None:
        st.info(t("novelty.no_strip"))
        return
    st.markdown(t("novelty.strip", n=len(copies.samples), epoch=copies.epoch))
    for i, column in enumerate(st.columns(len(copies.samples))):
        close = copies.distance[i] <= copies.threshold
        column.image(images.png_near_width(copies.samples[i], STRIP_PIXELS), width="content")
        column.image(images.png_near_width(copies.nearest[i], STRIP_PIXELS), width="content")
        column.caption(t("novelty.pair_copy" if close else "novelty.pair", distance=copies.distance[i],
                         index=int(copies.index[i])))


def show_run_novelty(run_dir: Path) -> None:
    """Cards, curves and the copy strip of a run whose quality.csv holds the novelty measures;
    nothing for other runs."""
    rows = curves.quality_rows(runs.read_quality(run_dir))
    if not measured(rows):
        return
    last = rows[-1]
    st.subheader(t("novelty.title"))
    st.caption(t("novelty.explained", samples=quality.EVAL_SAMPLES))
    st.caption(t("novelty.copies_explained", quantile=1 - memorisation.COPY_QUANTILE, side=memorisation.SIDE,
                 expected=memorisation.COPY_QUANTILE, threshold=last.get("copy_threshold", math.nan)))
    floor = floors(last)
    metrics = curves.quality_metrics(rows, floor, curves.NOVELTY)
    for column, name, metric in zip(st.columns(3), curves.NOVELTY, metrics, strict=True):
        reference = floor.get(name)
        label = t(f"novelty.metric.{name}")
        if reference is not None:
            label = t(f"novelty.floor.{name}", name=label, value=curves.NOVELTY[name][1].format(reference))
        if metric["delta_description"]:
            metric["delta_description"] = t("quality.since_epoch", epoch=int(rows[-2]["epoch"]))
        column.metric(**{**metric, "label": label})
    share = last.get("near_copies", math.nan)
    if math.isfinite(share) and share >= memorisation.MANY_COPIES:
        st.warning(t("novelty.many_copies", share=share, expected=memorisation.COPY_QUANTILE), icon="⚠️")
    epoch_axis = t("quality.epoch_axis")
    shares = curves.quality_series(rows, "near_copies")
    top = min(1.05, max(0.05, 1.2 * float(shares.max()) if len(shares) else 0.0))  # the fresh images' 1% stays visible
    figures = [(curves.epoch_figure(rows, "rfd", "", floor["rfd"], log_y=True),
                (t("novelty.metric.rfd"), epoch_axis, t("novelty.rfd_axis"), t("novelty.training_images"))),
               (curves.epoch_figure(rows, "near_copies", "", floor["near_copies"], y_range=(0, top), percent=True),
                (t("novelty.metric.near_copies"), epoch_axis, t("novelty.share_axis"), t("novelty.fresh_images")))]
    for i, (column, (fig, labels)) in enumerate(zip(st.columns(2), figures, strict=True)):
        column.plotly_chart(relabel(fig, *labels), width="stretch", key=f"novelty_chart_{i}")
    show_strip(run_dir)
