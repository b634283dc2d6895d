"""Training curves from a run's metrics.csv: an incremental pandas reader, smoothing and thinning
for plotting, and the Plotly figure of a few named curves (no Streamlit)."""

import io
import math
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

MAX_POINTS = 2000  # per curve: a browser redrawing 100,000 points every refresh feels stuck


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"step": pd.Series(dtype="float64")})


def _parse(block: bytes, header: list[str]) -> pd.DataFrame:
    """Complete CSV lines -> float columns; rows with a wrong field count or a non-number are dropped."""
    frame = pd.read_csv(io.BytesIO(block), names=header, header=None, on_bad_lines="skip",
                        skip_blank_lines=True)
    return frame.apply(pd.to_numeric, errors="coerce").dropna().astype("float64")


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


def read_metrics(path: str | Path) -> pd.DataFrame:
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


def figure(lines: dict[str, pd.Series], title: str, y_title: str, reference: float | None = None,
           height: int = 340) -> go.Figure:
    """A line chart of {label: series indexed by step}; `reference` draws a dotted horizontal guide."""
    fig = go.Figure()
    palette = plotly.colors.qualitative.D3  # distinct hues: the theme's default blues look alike
    for i, (label, series) in enumerate(lines.items()):
        fig.add_trace(go.Scatter(x=series.index, y=series.to_numpy(), mode="lines", name=label,
                                 line={"color": palette[i % len(palette)], "width": 2}))
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", line_color="grey", opacity=0.6)
    fig.update_layout(title=title, xaxis_title="step", yaxis_title=y_title, height=height,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, hovermode="x unified",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0})
    return fig
