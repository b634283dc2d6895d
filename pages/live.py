"""Live training: a run's curves and sample grids, refreshing while it trains, and a comparison of runs."""

from pathlib import Path

import streamlit as st

from gan import curves, images, runs, sampling
from ui import common, i18n, novelty_view, quality_view
from ui.i18n import names, t

common.use_the_router()

REFRESH_SECONDS = 2.0
LOSSES = ("d_loss", "g_loss")  # metrics.csv columns drawn together

st.title(t("live.title"))
st.markdown(t("live.intro"))


def labels(columns) -> dict[str, str]:
    """{metrics.csv column: its name on the charts}."""
    return {column: t(f"live.metric.{column}") for column in columns}


def figure(lines: dict, title: str, y_title: str, **options):
    """curves.figure with its x axis named in the session's language."""
    per_epoch = options.get("per_epoch", False)
    fig = curves.figure(lines, title, y_title, **options)
    return fig.update_xaxes(title_text=t("live.epoch_axis" if per_epoch else "live.step_axis"))


@st.cache_resource(max_entries=64, show_spinner=False)
def metrics_tail(path: str) -> curves.MetricsTail:
    """One incremental reader per metrics.csv, shared by every session watching that run."""
    return curves.MetricsTail(path)


def show_status(status: runs.Status) -> None:
    state, active = status.state or "unknown", status.active
    epochs = status.epochs or "?"
    eta = status.eta_s if active else None
    cols = st.columns(4)
    cols[0].metric(t("live.state"), common.state_label(status))
    cols[1].metric(t("live.epoch"), f"{status.epoch} / {epochs}")
    cols[2].metric(t("live.speed"), t("live.speed_value", speed=status.images_per_s or 0))
    cols[3].metric(t("live.time_left"), "—" if eta is None else i18n.duration(eta) if eta >= 1 else t("live.finishing"))
    if starting := common.starting_up(status):
        st.info(starting, icon=":material/hourglass_top:")
    elif status.state == "waiting" and (line := common.in_line(run_dir)):
        st.info(line, icon=":material/schedule:")
    elif active and status.steps_total:
        st.progress(min(status.step / status.steps_total, 1.0))
    st.caption(t("data.caption", description=common.data_label(status, run_dir)))
    if status.device and status.executor == "ray":
        st.caption(t("live.device_cluster", device=i18n.plain(status.device), host=i18n.plain(status.host or "?")))
    elif status.device:
        st.caption(t("live.device", device=i18n.plain(status.device)))
    if state == "failed":
        why = i18n.plain(i18n.error_text(status.error)) if status.error else t("live.no_error")
        st.error(t("live.failed", error=why))
    elif state == "interrupted":
        st.warning(t("live.interrupted"))
    elif status.damaged:
        st.warning(t("live.status_damaged"))


def is_active(run: Path) -> bool:
    """Whether the run may change while watched: training, starting, or waiting in the queue."""
    return runs.read_status(run).alive


def short_label(run_dir: Path) -> str:
    cfg = runs.read_config(run_dir)
    name = t("run.pretrained") if run_dir == sampling.PRETRAINED else run_dir.name
    return f"{name} · {cfg.architecture} · {cfg.loss}" if cfg else name


def read_grid(png: Path):
    """The grid's PNG bytes, or None after saying why it cannot be shown."""
    try:
        data = png.read_bytes()
        images.read_png(data)
    except OSError as error:
        st.warning(t("live.unreadable_grid", name=png.name, error=i18n.error_text(error)))
        return None
    except ValueError:
        st.warning(t("live.damaged_grid", name=png.name))
        return None
    return data


def all_grids_gif(samples: list[tuple[int, Path]]):
    """A callable for the download button: the GIF is only built when someone asks for it."""
    return lambda: images.grids_gif([png for _, png in samples])


def show_samples(run_dir: Path) -> None:
    samples = runs.list_samples(run_dir)
    if not samples:
        st.info(t("live.no_samples"))
        return
    by_epoch = dict(samples)
    newest = samples[-1][0]
    slider, button = st.columns([3, 1], vertical_alignment="bottom")
    with slider:
        chosen = (st.select_slider(t("live.browse"), list(by_epoch), value=newest, key="live_epoch")
                  if len(samples) > 1 else newest)
    button.download_button(t("live.gif"), all_grids_gif(samples), f"{run_dir.name}.gif", "image/gif",
                           key="live_gif", on_click="ignore", icon="🎞️", width="stretch")
    for column, epoch, title in zip(st.columns(2), (chosen, newest), ("grid_epoch", "grid_newest"), strict=True):
        with column:
            st.markdown(f"**{t(f'live.{title}', epoch=epoch)}**")
            if (data := read_grid(by_epoch[epoch])) is not None:
                st.image(data, width="content")


run_dir = common.pick_run("live_run", pretrained="last")
if run_dir is None:
    st.info(t("live.no_runs"))
    st.page_link("pages/train.py", label=t("live.start_one"), icon="🏋️")
    st.stop()
if run_dir == sampling.PRETRAINED:  # a visitor without a run of their own yet learns the charts on it
    example = runs.read_status(run_dir)
    st.info(t("live.pretrained_note", epochs=example.epoch, images=example.n_train or 0), icon=":material/school:")
    st.page_link("pages/train.py", label=t("live.start_one"), icon="🏋️")
st.query_params["run"] = run_dir.name  # keeps this run picked when its label changes (running -> finished)

weight = st.slider(t("live.smoothing"), 0.0, 0.99, 0.6, 0.01, key="live_smoothing", help=t("live.smoothing_help"))


# A fragment's refresh interval is fixed when the page runs: when a run starts or ends, the
# fragment reruns the whole page to switch its auto-refresh on or off.
active = is_active(run_dir)


def show_curves(frame, cfg) -> None:
    """The losses, D's verdict in its loss's own terms, and how often D tells real from fake."""
    loss = cfg.loss if cfg else "nonsat"
    verdict = curves.VERDICTS[loss]
    losses, outputs, separation = st.columns(3)
    losses.plotly_chart(figure(curves.curves(frame, labels(LOSSES), weight), t("live.losses"), t("live.loss_axis"),
                               reference=curves.BALANCE[loss].d_loss), width="stretch", key="live_losses")
    axis = t("live.probability_axis" if verdict.probability else "live.score_axis")
    real, fake = verdict.columns
    legend = {real: t("live.legend.real"), fake: t("live.legend.fake")}  # short: the title says whose output
    outputs.plotly_chart(figure(curves.curves(frame, legend, weight), t("live.outputs"), axis,
                                reference=verdict.reference), width="stretch", key="live_outputs")
    lines = curves.curves(frame, labels([curves.SEPARATION]), weight)
    if any(series.notna().any() for series in lines.values()):
        separation.plotly_chart(figure(lines, t("live.separation"), t("live.separation_axis"), reference=0.5)
                                .update_yaxes(tickformat=".0%", range=[0.3, 1.02]), width="stretch",
                                key="live_separation")
    else:  # a run logged before D's separation was recorded
        separation.info(t("live.no_separation"))
    st.caption(" ".join((t(f"live.balance.{loss}", level=curves.BALANCE[loss].label), t(f"live.verdict.{loss}"),
                         t("live.verdict.separation"))))


@st.fragment(run_every=REFRESH_SECONDS if active else None)
def live_view() -> None:
    status = runs.read_status(run_dir)
    if is_active(run_dir) != active:
        st.rerun()
    show_status(status)
    frame = metrics_tail(str(run_dir / "metrics.csv")).read()
    if frame.empty:
        st.info(t("live.no_metrics"))
    else:
        show_curves(frame, runs.read_config(run_dir))
    quality_view.show_run_quality(run_dir, status)
    novelty_view.show_run_novelty(run_dir)
    st.subheader(t("live.samples"))
    show_samples(run_dir)


live_view()

st.subheader(t("live.compare"))
comparing_active = any(is_active(run) for run in st.session_state.get("compare_runs", [run_dir]))


@st.fragment(run_every=REFRESH_SECONDS if comparing_active else None)
def compare() -> None:
    everything = runs.list_runs(common.runs_root())
    if (sampling.PRETRAINED / "metrics.csv").exists():
        everything.append(sampling.PRETRAINED)  # a yardstick: the bundled example run
    left, right = st.columns([3, 1])
    titles = {run: short_label(run) for run in everything}  # worded now, in the session's language
    chosen = left.multiselect(t("live.compare_runs"), everything, default=[run_dir] if run_dir in everything else [],
                              format_func=titles.get, key="compare_runs")
    metrics = labels(names("live.metric"))
    metric = right.selectbox(t("live.compare_curve"), list(metrics), index=1, format_func=metrics.get,
                             key="compare_metric")
    if any(is_active(run) for run in chosen) != comparing_active:
        st.rerun()
    per_epoch, lines = metric == "fdd", {}
    for other in chosen:
        series = (curves.quality_series(runs.read_quality(other), metric) if per_epoch else
                  curves.curves(metrics_tail(str(other / "metrics.csv")).read(), {metric: metric}, weight).get(metric))
        if series is not None and len(series):
            lines[titles.get(other) or short_label(other)] = series
    if lines:
        st.plotly_chart(figure(lines, metrics[metric], t("live.fdd_axis") if per_epoch else metrics[metric],
                               height=420, per_epoch=per_epoch, log_y=per_epoch), width="stretch", key="compare_chart")
    elif chosen:
        st.info(t("live.no_compared_metrics"))


compare()
