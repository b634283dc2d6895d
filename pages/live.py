"""Live training: a run's curves and sample grids, refreshing while it trains, and a comparison of runs."""

from pathlib import Path

import streamlit as st

from gan import cli, curves, images, runs
from pages import common, quality_view

common.use_the_router()

REFRESH_SECONDS = 2.0
LOSSES = {"d_loss": "D loss", "g_loss": "G loss"}
OUTPUTS = {"d_real": "D(x) on real digits", "d_fake": "D(G(z)) on generated digits"}
METRICS = {**LOSSES, **OUTPUTS, "images_per_s": "images / s", "fdd": "FDD per epoch (quality)"}

st.title("Live training")
st.markdown("Watch the two networks play. **D loss** and **G loss** pull against each other; "
            "**D(x)** is how sure the discriminator is that real digits are real, **D(G(z))** how much "
            "it is fooled by fakes. Neither loss should win outright: when D(x) → 1 and D(G(z)) → 0 "
            "the discriminator has won and the generator stops learning.")


@st.cache_resource(max_entries=64, show_spinner=False)
def metrics_tail(path: str) -> curves.MetricsTail:
    """One incremental reader per metrics.csv, shared by every session watching that run."""
    return curves.MetricsTail(path)


def show_status(status: dict) -> None:
    state, active = status.get("state", "unknown"), runs.is_active(status)
    epochs = status.get("epochs") or "?"
    eta = status.get("eta_s") if active else None
    cols = st.columns(4)
    cols[0].metric("State", f"{common.STATE_ICONS.get(state, '❔')} {state}")
    cols[1].metric("Epoch", f"{status.get('epoch', 0)} / {epochs}")
    cols[2].metric("Speed", f"{status.get('images_per_s') or 0:,.0f} img/s")
    cols[3].metric("Time left", "—" if eta is None else cli.duration(eta) if eta >= 1 else "finishing…")
    if active and status.get("steps_total"):
        st.progress(min(status.get("step", 0) / status["steps_total"], 1.0))
    st.caption(f"Data: {status.get('data_description') or 'not loaded yet'}")
    if state == "failed":
        st.error(f"Training failed: {status.get('error') or 'no error recorded'}")
    elif state == "interrupted":
        st.warning("This run stopped unexpectedly (its process is gone). Submit the same settings on the "
                   "Train page to resume it from its last complete epoch.")


def is_active(run: Path) -> bool:
    return runs.is_active(runs.read_status(run))


def short_label(run_dir: Path) -> str:
    cfg = runs.read_config(run_dir)
    return f"{run_dir.name} · {cfg.architecture} · {cfg.loss}" if cfg else run_dir.name


def read_grid(png: Path):
    """The grid's PNG bytes, or None after saying why it cannot be shown."""
    try:
        data = png.read_bytes()
        images.read_png(data)
    except OSError as error:
        st.warning(f"The sample grid {png.name} cannot be read: {error.strerror or error}.")
        return None
    except ValueError:
        st.warning(f"The sample grid {png.name} cannot be shown: it is not a readable PNG image "
                   "(the file is damaged). The other epochs' grids are unaffected.")
        return None
    return data


def all_grids_gif(samples: list[tuple[int, Path]]):
    """A callable for the download button: the GIF is only built when someone asks for it."""
    def build() -> bytes:
        frames = []
        for _, png in samples:
            try:
                frames.append(images.read_png(png.read_bytes()))
            except (OSError, ValueError):
                continue  # a damaged grid is skipped rather than spoiling the whole animation
        return images.gif_bytes(frames, seconds_per_frame=0.4) if frames else b""
    return build


def show_samples(run_dir: Path) -> None:
    samples = runs.list_samples(run_dir)
    if not samples:
        st.info("No sample grid yet: one is drawn from the same fixed noise at the end of every epoch.")
        return
    by_epoch = dict(samples)
    newest = samples[-1][0]
    slider, button = st.columns([3, 1], vertical_alignment="bottom")
    with slider:
        chosen = (st.select_slider("Browse every epoch's grid", list(by_epoch), value=newest, key="live_epoch")
                  if len(samples) > 1 else newest)
    button.download_button("All grids as a GIF", all_grids_gif(samples), f"{run_dir.name}.gif", "image/gif",
                           key="live_gif", on_click="ignore", icon="🎞️", width="stretch")
    for column, epoch, title in zip(st.columns(2), (chosen, newest), ("Epoch", "Newest grid: epoch"), strict=True):
        with column:
            st.markdown(f"**{title} {epoch}**")
            if (data := read_grid(by_epoch[epoch])) is not None:
                st.image(data, width="content")


run_dir = common.pick_run("live_run")
if run_dir is None:
    st.info("No training runs yet.")
    st.page_link("pages/train.py", label="Start one on the Train page", icon="🏋️")
    st.stop()
st.query_params["run"] = run_dir.name  # keeps this run picked when its label changes (running -> finished)

weight = st.slider("Smoothing", 0.0, 0.99, 0.6, 0.01, key="live_smoothing",
                   help="Exponential moving average of each curve (0 shows the raw values).")


# A fragment's refresh interval is fixed when the page runs: when a run starts or ends, the
# fragment reruns the whole page to switch its auto-refresh on or off.
active = is_active(run_dir)


@st.fragment(run_every=REFRESH_SECONDS if active else None)
def live_view() -> None:
    status = runs.read_status(run_dir)
    if runs.is_active(status) != active:
        st.rerun()
    show_status(status)
    frame = metrics_tail(str(run_dir / "metrics.csv")).read()
    if frame.empty:
        st.info("No metrics yet: the first row is written after a few training steps.")
    else:
        left, right = st.columns(2)
        left.plotly_chart(curves.figure(curves.curves(frame, LOSSES, weight), "Losses", "loss"),
                          width="stretch", key="live_losses")
        right.plotly_chart(curves.figure(curves.curves(frame, OUTPUTS, weight), "Discriminator outputs",
                                         "probability", reference=0.5), width="stretch", key="live_outputs")
    quality_view.show_run_quality(run_dir, status)
    st.subheader("Samples from fixed noise")
    show_samples(run_dir)


live_view()

st.subheader("Compare runs")
comparing_active = any(is_active(run) for run in st.session_state.get("compare_runs", [run_dir]))


@st.fragment(run_every=REFRESH_SECONDS if comparing_active else None)
def compare() -> None:
    everything = runs.list_runs(common.runs_root())
    left, right = st.columns([3, 1])
    chosen = left.multiselect("Runs", everything, default=[run_dir] if run_dir in everything else [],
                              format_func=short_label, key="compare_runs")
    metric = right.selectbox("Curve", list(METRICS), index=1, format_func=METRICS.get, key="compare_metric")
    if any(is_active(run) for run in chosen) != comparing_active:
        st.rerun()
    per_epoch, lines = metric == "fdd", {}
    for other in chosen:
        series = (curves.quality_series(runs.read_quality(other), metric) if per_epoch else
                  curves.curves(metrics_tail(str(other / "metrics.csv")).read(), {metric: metric}, weight).get(metric))
        if series is not None and len(series):
            lines[short_label(other)] = series
    if lines:
        st.plotly_chart(curves.figure(lines, METRICS[metric], "FDD (log scale)" if per_epoch else METRICS[metric],
                                      height=420, per_epoch=per_epoch, log_y=per_epoch),
                        width="stretch", key="compare_chart")
    elif chosen:
        st.info("None of the chosen runs has written metrics yet.")


compare()
