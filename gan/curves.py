"""Training curves from a run's metrics.csv (an incremental pandas reader, smoothing and thinning)
and quality per epoch from its quality.csv, as Plotly figures and metric summaries (no Streamlit)."""

import io
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from gan import runs
from gan.data import N_CLASSES

MAX_POINTS = 2000  # per curve: a browser redrawing 100,000 points every refresh feels stuck
PALETTE = plotly.colors.qualitative.D3  # distinct hues: the theme's default blues look alike
FLOOR_LABEL = "real digits"
# quality.csv column: (name, how its value is written, lower is better)
@dataclass(frozen=True)
class Verdict:
    """How a loss's discriminator output reads: the metrics.csv columns that show it, and the value
    it settles at when D cannot tell real from fake (None: no fixed value, only the gap matters)."""

    columns: tuple[str, str]
    probability: bool
    reference: float | None


PROBABILITY, SCORES = ("d_real", "d_fake"), ("d_real_score", "d_fake_score")
# nonsat and minimax train sigmoid(D) as a probability: 0.5 when D cannot tell. LSGAN regresses D
# to 1 on reals and 0 on fakes, so its best answer is then 0.5 too. Hinge and WGAN scores are
# unbounded; at the balance point real and fake score alike, wherever that is.
VERDICTS = {"nonsat": Verdict(PROBABILITY, True, 0.5), "minimax": Verdict(PROBABILITY, True, 0.5),
            "lsgan": Verdict(SCORES, False, 0.5), "hinge": Verdict(SCORES, False, None),
            "wgan_gp": Verdict(SCORES, False, None)}
@dataclass(frozen=True)
class Balance:
    """D's loss at the balance point, where it cannot tell real from fake and gives everything the
    same score (0.5 as a probability; any score in [-1, 1] for hinge), as the loss charts draw it."""

    d_loss: float
    label: str


BALANCE = {"nonsat": Balance(math.log(4), "log 4 ≈ 1.39"), "minimax": Balance(math.log(4), "log 4 ≈ 1.39"),
           "lsgan": Balance(0.25, "0.25"), "hinge": Balance(2.0, "2"), "wgan_gp": Balance(0.0, "0")}
SEPARATION = "d_separation"  # the share of (real, fake) pairs D orders right: 0.5 when it cannot tell

# quality.csv columns shown per epoch: (name, format, lower is better; None: neither direction is)
QUALITY = {"fdd": ("FDD", "{:.3g}", True), "score": ("Classifier score", "{:.2f}", False),
           "confident": ("Confident", "{:.0%}", False), "entropy": ("Class entropy", "{:.2f}", False)}
# For data without a classifier (gan.scoring): further from the training images is not better or
# worse by itself, since noise is far and copies are near.
NOVELTY = {"rfd": ("Random-feature distance", "{:.3g}", True), "near_copies": ("Near-copies", "{:.1%}", True),
           "nearest_median": ("Distance to the nearest training image", "{:.3f}", None)}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"step": pd.Series(dtype="float64")})


def _parse(block: bytes, header: list[str]) -> pd.DataFrame:
    """Complete CSV lines -> float columns. A row with too many fields, or without a number in one of
    the columns every run has written since the first version, is dropped; the later columns may be
    empty (NaN): rows written before they existed."""
    frame = pd.read_csv(io.BytesIO(block), names=header, header=None, on_bad_lines="skip",
                        skip_blank_lines=True)
    required = [column for column in header if column in runs.LEGACY_METRICS_FIELDS]
    return frame.apply(pd.to_numeric, errors="coerce").dropna(subset=required).astype("float64")


class MetricsTail:
    """Follows one metrics.csv: each read() parses only the complete lines appended since the
    last one, so a 100,000-row file costs its full parse once, then a few new rows per refresh.

    A missing or empty file reads as an empty frame; a half-written last line waits for its
    newline. An atomic rewrite (a resumed run drops later rows) is seen as a new file and
    re-read. The returned frame is shared between callers: treat it as read-only.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._restart(None)

    def _restart(self, identity: tuple[int, int] | None) -> None:
        self._identity = identity
        self._offset = 0
        self._header: list[str] | None = None
        self._frame = _empty()

    def read(self) -> pd.DataFrame:
        """Every complete row so far: float columns named by the file's header (step, d_loss, ...)."""
        with self._lock:
            try:
                stat = self.path.stat()
            except OSError:
                self._restart(None)
                return self._frame
            identity = (stat.st_dev, stat.st_ino)
            if identity != self._identity or stat.st_size < self._offset:
                self._restart(identity)
            if stat.st_size == self._offset:
                return self._frame
            try:
                with open(self.path, "rb") as handle:
                    handle.seek(self._offset)
                    new = handle.read(stat.st_size - self._offset)
            except OSError:
                return self._frame
            complete = new[: new.rfind(b"\n") + 1]
            self._offset += len(complete)
            if self._header is None and complete:
                first, _, complete = complete.partition(b"\n")
                self._header = first.decode("utf-8", errors="replace").strip().split(",")
            if complete.strip():
                rows = _parse(complete, self._header)
                if len(rows):
                    self._frame = rows if self._frame.empty else pd.concat([self._frame, rows], ignore_index=True)
            return self._frame


def metrics_frame(path: str | Path) -> pd.DataFrame:
    """A metrics.csv read once (see MetricsTail for what is tolerated)."""
    return MetricsTail(path).read()


def smooth(series: pd.Series, weight: float) -> pd.Series:
    """Exponential moving average, TensorBoard style: weight 0 keeps the series, 0.99 smooths hard.

    Debiased (pandas adjust=True), so the first points are not dragged towards zero.
    """
    if weight <= 0 or series.empty:
        return series
    return series.ewm(alpha=1.0 - min(weight, 0.999), adjust=True).mean()


def thin(frame: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most max_points rows: consecutive rows averaged in equal buckets (the last may be shorter).

    Averaging, not picking every k-th row, so noise is not aliased into spikes that were never there.
    """
    if len(frame) <= max_points:
        return frame
    every = math.ceil(len(frame) / max_points)
    return frame.groupby(np.arange(len(frame)) // every).mean()


def curves(frame: pd.DataFrame, columns: dict[str, str], weight: float = 0.0,
           max_points: int = MAX_POINTS) -> dict[str, pd.Series]:
    """{label: series indexed by step} for each present column {column: label}, smoothed then thinned."""
    if frame.empty or "step" not in frame:
        return {}
    present = [c for c in columns if c in frame]
    smoothed = thin(pd.DataFrame({"step": frame["step"], **{c: smooth(frame[c], weight) for c in present}}),
                    max_points).set_index("step")
    return {columns[c]: smoothed[c] for c in present}


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=height,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, hovermode="x unified",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0})
    return fig


def _epoch_ticks(fig: go.Figure, last_epoch: float) -> None:
    """Whole-number epoch ticks, about ten at most (plotly would otherwise label epoch 1.5)."""
    fig.update_xaxes(tickformat="d", tick0=0, dtick=max(1, math.ceil(last_epoch / 10)))


def figure(lines: dict[str, pd.Series], title: str, y_title: str, reference: float | None = None,
           height: int = 340, per_epoch: bool = False, log_y: bool = False) -> go.Figure:
    """A line chart of {label: series indexed by step, or by epoch with `per_epoch` (every point
    marked)}; `reference` draws a dotted horizontal guide."""
    fig = go.Figure()
    for i, (label, series) in enumerate(lines.items()):
        fig.add_trace(go.Scatter(x=series.index, y=series.to_numpy(), mode="lines+markers" if per_epoch else "lines",
                                 name=label, line={"color": PALETTE[i % len(PALETTE)], "width": 2}))
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", line_color="grey", opacity=0.6)
    if per_epoch:
        _epoch_ticks(fig, max((series.index.max() for series in lines.values() if len(series)), default=1))
    if log_y:
        fig.update_yaxes(type="log")
    return _layout(fig, title, "epoch" if per_epoch else "step", y_title, height)


# --- quality per epoch ------------------------------------------------------------------

def quality_rows(rows: list[dict[str, float]]) -> list[dict[str, float]]:
    """quality.csv rows (runs.read_quality) that name a finite epoch, in epoch order; a resumed
    run's repeated epoch keeps its last row."""
    by_epoch = {}
    for row in rows:
        epoch = row.get("epoch", math.nan)
        if math.isfinite(epoch):
            by_epoch[epoch] = row
    return [by_epoch[epoch] for epoch in sorted(by_epoch)]


def quality_series(rows: list[dict[str, float]], column: str) -> pd.Series:
    """One quality column indexed by epoch, rows where it is missing or not a number left out."""
    values = {row["epoch"]: row.get(column, math.nan) for row in quality_rows(rows)}
    series = pd.Series(values, dtype="float64")
    return series[np.isfinite(series)]


def class_shares(row: dict[str, float]) -> list[float]:
    """The share (0..1) of samples classified as each digit 0..9; a missing share reads as 0."""
    shares = [row.get(f"class_{d}", 0.0) for d in range(N_CLASSES)]
    return [share if math.isfinite(share) else 0.0 for share in shares]


def _guide(fig: go.Figure, y: float, text: str, log_y: bool = False, outside: bool = False,
           below: bool = False) -> None:
    """A dashed horizontal line at y, labelled at the plot's left edge (or just outside its right one)."""
    fig.add_hline(y=y, line_dash="dash", line_color="grey")
    # placed by hand: add_hline's own label lands at 10**y on a log axis
    fig.add_annotation(text=text, showarrow=False, font={"color": "grey"}, xref="x domain", yref="y",
                       x=1 if outside else 0, xanchor="left", y=math.log10(y) if log_y else y,
                       yanchor="middle" if outside else "top" if below else "bottom")


def epoch_figure(rows: list[dict[str, float]], column: str, y_title: str, floor: float | None = None,
                 log_y: bool = False, y_range: tuple[float, float] | None = None, percent: bool = False,
                 height: int = 300) -> go.Figure:
    """One quality column per epoch, markers joined by a line, with the real digits' value as a
    dashed guide labelled FLOOR_LABEL. `percent` shows shares 0..1 as percentages."""
    series = quality_series(rows, column)
    name, _, lower_is_better = {**QUALITY, **NOVELTY}[column]
    fig = go.Figure(go.Scatter(x=series.index, y=series.to_numpy(), mode="lines+markers", name=name,
                               line={"color": PALETTE[0], "width": 2}))
    if floor is not None:
        _guide(fig, floor, FLOOR_LABEL, log_y=log_y, below=not lower_is_better)
    _epoch_ticks(fig, series.index.max() if len(series) else 1)
    if log_y:
        values = [*series.to_numpy(), *([floor] if floor is not None else [])]
        wide = len(values) > 0 and min(values) > 0 and max(values) / min(values) >= 10
        fig.update_yaxes(type="log", dtick=1 if wide else None)  # one tick a decade: 1, 10, 100
    fig.update_yaxes(range=y_range, tickformat=".0%" if percent else None)
    return _layout(fig, name, "epoch", y_title, height).update_layout(showlegend=False)


def histogram_figure(shares: list[float], title: str, height: int = 300) -> go.Figure:
    """Ten bars, the share (0..1) of digits classified as 0..9, with a dashed line at an even 10%."""
    fig = go.Figure(go.Bar(x=[str(d) for d in range(N_CLASSES)], y=shares, name="share", marker_color=PALETTE[0],
                           hovertemplate="digit %{x}: %{y:.1%}<extra></extra>"))
    _guide(fig, 1 / N_CLASSES, "even", outside=True)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(type="category")
    fig = _layout(fig, title, "predicted digit", "share of samples", height)
    return fig.update_layout(showlegend=False, margin={"r": 45})


def quality_figures(rows: list[dict[str, float]], floor: dict | None = None) -> list[go.Figure]:
    """FDD (log scale), classifier score and confident share per epoch, each with the real digits'
    value from `floor` (quality.real_floor()) when given, then the last epoch's class histogram."""
    rows, floor = quality_rows(rows), floor or {}
    if not rows:
        return []
    return [epoch_figure(rows, "fdd", "FDD (log scale)", floor.get("fdd"), log_y=True),
            epoch_figure(rows, "score", "score (1 to 10)", floor.get("score"), y_range=(0, 10.5)),
            epoch_figure(rows, "confident", "share of digits", floor.get("confident"), y_range=(0, 1.05),
                         percent=True),
            histogram_figure(class_shares(rows[-1]), f"Digits drawn at epoch {int(rows[-1]['epoch'])}")]


def quality_metrics(rows: list[dict[str, float]], floor: dict | None = None,
                    columns: dict = QUALITY) -> list[dict]:
    """For the last epoch, one dict per column of `columns` (QUALITY or NOVELTY): label (naming the
    real digits' value when `floor` gives it), value (text), and delta (the change since the
    previous epoch, or None) with delta_description and delta_color ("inverse" when lower is better,
    "off" when neither is)."""
    rows = quality_rows(rows)
    if not rows:
        return []
    last, previous = rows[-1], rows[-2] if len(rows) > 1 else None
    summary = []
    for column, (name, written, lower_is_better) in columns.items():
        value = last.get(column, math.nan)
        before = math.nan if previous is None else previous.get(column, math.nan)
        reference = (floor or {}).get(column)
        change = value - before if math.isfinite(value) and math.isfinite(before) else None
        delta = None if change is None else written.format(change)
        if delta is not None and not any(c in "123456789" for c in delta.split("e")[0]):
            delta = 0  # a change that rounds to nothing: grey, with no arrow
        summary.append({
            "label": name if reference is None else f"{name} · {FLOOR_LABEL} {written.format(reference)}",
            "value": written.format(value) if math.isfinite(value) else "—",
            "delta": delta,
            "delta_description": None if change is None else f"since epoch {int(previous['epoch'])}",
            "delta_color": "off" if lower_is_better is None else "inverse" if lower_is_better else "normal",
        })
    return summary
