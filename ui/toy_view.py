"""The Concepts page's toy GAN (gan/toy.py) made interactive, in the spirit of GAN Lab: the data to
learn, the knobs, Step / Play controls, the plane with D's verdicts, real and generated points and
G's push, both losses, and one-click guided experiments. NumPy only, no TensorFlow: the page opens at once.

The live charts are ECharts, not Plotly: Streamlit 1.67 gives a Plotly chart a new identity whenever
its figure changes, so the browser rebuilds it from scratch on every refresh (on the 2-core test
machine the plane was blank in about one screenshot in three while playing), whereas a keyed ECharts
chart is updated in place."""

import math
import time

import numpy as np
import streamlit as st

from gan import curves, toy
from gan.config import ConfigError
from ui import common, i18n
from ui.i18n import t

SOURCES = (*toy.TARGETS, "upload", "sketch")
KNOBS = ("loss", "g_lr", "d_lr", "d_steps", "hidden", "layers", "noise_dim", "seed")  # session keys toy_<knob>
LEARNING_RATES = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2)
HIDDEN_UNITS = (4, 8, 16, 32, 64)
# Play's pace in iterations per second: each refresh trains what is due since the last one
# (toy.iterations_due), so learning keeps its pace when a busy server refreshes less often.
# 150/s brings the ring to 7–8 of its 8 modes in about 8 s (iteration 750–1250).
SPEEDS, DEFAULT_SPEED = (25, 50, 100, 150, 200, 400), 150
REFRESH_SECONDS = 0.07  # bench/toy_browser.py: 12.7 refreshes/s in Chromium with a 40² heatmap (9.4 at 0.1 s and 60²)
PACE_TICKS = 16  # the refreshes of Play the shown pace is measured over
N_DATA, N_REAL_SHOWN, N_FAKE, N_ARROWS = 2000, 500, 300, 64
RESOLUTION, PLANE_PX = 40, 420  # heatmap cells per side; the plane's side in pixels
# An arrow's length is ARROW_MAX·|g| / (|g| + ARROW_HALF): G's push spans 0.005 to 20 over a run, so a
# linear scale would hide either the vanishing pushes or everything else. Shorter than MIN_ARROW: none.
ARROW_MAX, ARROW_HALF, MIN_ARROW = 0.4, 0.5, 0.02
REAL, FAKE, ARROW, BORDER = "#1b7837", "#762a83", "#111827", "#d1d5db"
D_COLOUR, G_COLOUR = "#b91c1c", "#1d4ed8"  # D red, G blue, as in the data-flow diagram
VERDICTS = ["#c2a5cf", "#f7f7f7", "#a6dba0"]  # D(x) = 0 purple "fake", 0.5 white, 1 green "real"
# How a step moved D(x), scaled to its largest change: darker purple towards "fake", darker green
# towards "real", clear where it did not move; translucent, so the verdicts still show through.
MOVED = ["rgba(118, 42, 131, 0.75)", "rgba(255, 255, 255, 0)", "rgba(27, 120, 55, 0.75)"]
LOSS_CHART_POINTS = 400
SKETCH_STEP, SKETCH_BLOB = 0.1, 25  # spacing of the sketch pad's clickable spots; points dropped per click
SKETCH_TICKS = np.round(np.arange(-1.9, 1.9 + 1e-9, SKETCH_STEP), 2)
SKETCH_AXIS = {"range": toy.EXTENT, "zeroline": False, "showticklabels": False, "fixedrange": True, "showgrid": True,
               "dtick": 0.5, "gridcolor": "#e5e7eb"}


def labels(prefix: str, options: tuple[str, ...]) -> dict[str, str]:
    """Option labels looked up now, in the session's language: Streamlit may format options later,
    outside this script run, where the session's language is unknown."""
    return {option: t(f"{prefix}.{option}") for option in options}


def defaults() -> None:
    st.session_state.setdefault("toy_source", "ring")
    for knob, value in toy.Settings().to_dict().items():
        if knob in KNOBS:
            st.session_state.setdefault(f"toy_{knob}", value)
    st.session_state.setdefault("toy_speed", DEFAULT_SPEED)
    st.session_state.setdefault("toy_playing", False)
    # Play's pace: (time.monotonic(), iteration reached) of its recent refreshes, the fraction of an
    # iteration owed, and the seconds an iteration costs lately (None: not measured yet).
    st.session_state.setdefault("toy_ticks", [])
    st.session_state.setdefault("toy_owed", 0.0)
    st.session_state.setdefault("toy_cost", None)
    st.session_state.setdefault("toy_moved", None)  # how the last manual step moved D (step)
    st.session_state.setdefault("toy_sketch", [])


def chosen_settings() -> toy.Settings:
    source = st.session_state.toy_source
    return toy.Settings(target=source if source in toy.TARGETS else "custom",
                        **{knob: st.session_state[f"toy_{knob}"] for knob in KNOBS})


def synced_state(settings: toy.Settings) -> toy.State:
    """The session's toy run, switched to settings: retuned in place when its networks keep their
    shape, rebuilt from iteration 0 otherwise."""
    state = st.session_state.get("toy_state")
    if state is None:
        state = st.session_state.toy_state = toy.init(settings)
    elif state.settings != settings:
        try:
            toy.retune(state, settings)
        except ConfigError:
            state = st.session_state.toy_state = toy.init(settings)
            st.toast(t("concepts.toy.reshaped"), icon=":material/restart_alt:")
    return state


def load_experiment(name: str) -> None:
    """Button callback, before the widgets exist: set them to the experiment, restart and play."""
    experiment = toy.EXPERIMENTS[name]
    settings = toy.Settings.from_dict(experiment.settings)
    st.session_state.toy_source = settings.target
    for knob in KNOBS:
        st.session_state[f"toy_{knob}"] = getattr(settings, knob)
    st.session_state.update(toy_state=toy.init(settings), toy_stop_at=experiment.iterations, toy_experiment=name)
    play(True)


def knobs() -> None:
    # Folded while a guided experiment plays, so the plane stays near its button.
    with st.expander(t("concepts.toy.knobs"), expanded=running_experiment() is None, icon=":material/tune:"):
        row = st.columns(4)
        row[0].selectbox(t("concepts.toy.loss"), toy.LOSSES, key="toy_loss",
                         format_func=labels("concepts.toy.losses", toy.LOSSES).get)
        row[1].select_slider(t("concepts.toy.g_lr"), LEARNING_RATES, key="toy_g_lr", format_func="{:g}".format)
        row[2].select_slider(t("concepts.toy.d_lr"), LEARNING_RATES, key="toy_d_lr", format_func="{:g}".format)
        row[3].slider(t("concepts.toy.d_steps"), *toy.RANGES["d_steps"], key="toy_d_steps")
        row = st.columns(4)
        row[0].select_slider(t("concepts.toy.hidden"), HIDDEN_UNITS, key="toy_hidden")
        row[1].slider(t("concepts.toy.layers"), *toy.RANGES["layers"], key="toy_layers")
        low, high = toy.RANGES["noise_dim"]
        row[2].segmented_control(t("concepts.toy.noise_dim"), range(low, high + 1), key="toy_noise_dim", required=True)
        row[3].number_input(t("concepts.toy.seed"), *toy.RANGES["seed"], key="toy_seed")
        speed, note = st.columns([1, 3], vertical_alignment="bottom")
        speed.select_slider(t("concepts.toy.speed"), SPEEDS, key="toy_speed", help=t("concepts.toy.speed_help"))
        note.caption(t("concepts.toy.knobs_note"))


def uploaded_points() -> np.ndarray | None:
    file = common.file_uploader(t("concepts.toy.upload"), ["csv", "txt"], key="toy_csv",
                                help=t("concepts.toy.upload_help"))
    if file is None:
        st.info(t("concepts.toy.need_upload"))
        return None
    try:
        return toy.points_from_csv(file.getvalue())
    except toy.PointsError as error:
        st.error(t("concepts.toy.csv_error", error=i18n.error_text(error)))
        return None


def add_blob() -> None:
    """Sketch pad callback: the clicked spot gets a small Gaussian blob of points, like the ring's."""
    points = st.session_state.toy_sketch_pad.selection.points
    for spot in (p for p in points if p.get("curve_number", 0) == 0):
        rng = np.random.default_rng(len(st.session_state.toy_sketch))
        blob = [spot["x"], spot["y"]] + toy.MODE_STD * rng.standard_normal((SKETCH_BLOB, 2))
        st.session_state.toy_sketch.append(np.clip(blob, *toy.EXTENT))


def keep_strokes(n: int) -> None:
    """Undo and Clear: keep the first n blobs (a count, not "one fewer", so a repeated click is harmless)."""
    del st.session_state.toy_sketch[n:]


def sketch_figure(strokes: list[np.ndarray]) -> dict:
    """A Plotly figure, for its click selections (it changes only when the user draws). Invisible
    candidate points catch the clicks; hoverinfo "none" keeps their events."""
    xs, ys = np.meshgrid(SKETCH_TICKS, SKETCH_TICKS)
    drawn = np.concatenate(strokes) if strokes else np.zeros((0, 2))
    return {"data": [
        {"type": "scatter", "x": xs.ravel(), "y": ys.ravel(), "mode": "markers", "hoverinfo": "none",
         "marker": {"size": 12, "color": "rgba(0,0,0,0)"}, "showlegend": False},
        {"type": "scatter", "x": drawn[:, 0], "y": drawn[:, 1], "mode": "markers", "hoverinfo": "skip",
         "marker": {"size": 5, "color": REAL}, "showlegend": False},
    ], "layout": {"height": PLANE_PX, "margin": {"l": 2, "r": 2, "t": 2, "b": 2}, "plot_bgcolor": "white",
                  "xaxis": {**SKETCH_AXIS, "constrain": "domain"}, "yaxis": {**SKETCH_AXIS, "scaleanchor": "x"},
                  "shapes": [{"type": "rect", "x0": toy.EXTENT[0], "x1": toy.EXTENT[1], "y0": toy.EXTENT[0],
                              "y1": toy.EXTENT[1], "line": {"color": BORDER}}]}}


def sketched_points() -> np.ndarray | None:
    strokes = st.session_state.toy_sketch
    pad, side = st.columns([3, 2])
    pad.plotly_chart(sketch_figure(strokes), key="toy_sketch_pad", on_select=add_blob, selection_mode="points",
                     config={"displayModeBar": False})
    side.markdown(t("concepts.toy.sketch_help"))
    buttons = side.container(horizontal=True)
    buttons.button(t("concepts.toy.undo"), key="toy_sketch_undo", icon=":material/undo:", disabled=not strokes,
                   on_click=keep_strokes, args=(len(strokes) - 1,))
    buttons.button(t("concepts.toy.clear"), key="toy_sketch_clear", icon=":material/delete:", disabled=not strokes,
                   on_click=keep_strokes, args=(0,))
    if not strokes:
        side.info(t("concepts.toy.sketch_empty"))
        return None
    try:
        return toy.points_from_sketch(np.concatenate(strokes))
    except toy.PointsError as error:
        side.warning(t("concepts.toy.sketch_error", error=i18n.error_text(error)))
        return None


def real_points(source: str) -> np.ndarray | None:
    """The points to learn (n, 2), or None (with a message shown) while the user has given none."""
    if source == "upload":
        return uploaded_points()
    if source == "sketch":
        return sketched_points()
    return toy.sample_target(source, N_DATA, np.random.default_rng(0))


def plane_spec(state: toy.State, data: np.ndarray, fakes: np.ndarray, moved: np.ndarray | None = None) -> dict:
    """D's verdicts as a heatmap behind the real points, the fakes and G's push on N_ARROWS of them,
    in one square: category axes place the heatmap's cells, value axes (±2) place the points.
    `moved` (RESOLUTION², in [-1, 1], toy.verdict_change) tints where the last step moved D's verdicts."""
    ticks, _, scores = toy.discriminator_grid(state, resolution=RESOLUTION)
    cells = np.arange(len(ticks))
    heat = np.stack([np.tile(cells, len(cells)), np.repeat(cells, len(cells)), scores.ravel().round(3)], axis=1)
    on_points = {"xAxisIndex": 1, "yAxisIndex": 1, "silent": True, "clip": True}
    layers = [{"type": "heatmap", "data": heat.tolist(), "silent": True, "progressive": 0}]
    scales = [{"show": False, "min": 0, "max": 1, "seriesIndex": 0, "inRange": {"color": VERDICTS}}]
    if moved is not None:
        # Square markers over the heatmap's cells, not a second heatmap: ECharts paints a heatmap a
        # slice per frame, and on a busy machine a translucent one was left half painted.
        centres = toy.EXTENT[0] + (cells + 0.5) * (toy.EXTENT[1] - toy.EXTENT[0]) / len(cells)
        shade = np.stack([np.tile(centres, len(cells)), np.repeat(centres, len(cells)), moved.ravel()], axis=1)
        layers.append({"type": "scatter", **on_points, "data": shade.round(3).tolist(), "symbol": "rect",
                       "symbolSize": PLANE_PX / len(cells), "itemStyle": {"opacity": 1}, "progressive": 0})
        scales.append({"show": False, "min": -1, "max": 1, "dimension": 2, "seriesIndex": 1,
                       "inRange": {"color": MOVED}})
    tails = fakes[:N_ARROWS]
    push = toy.generator_gradients(state, tails)
    size = np.linalg.norm(push, axis=1, keepdims=True)
    length = ARROW_MAX * size / (size + ARROW_HALF)
    tips = tails + push / np.maximum(size, 1e-12) * length
    shown = length[:, 0] > MIN_ARROW  # a head on a zero-length arrow would point anywhere
    arrows = [{"coords": [tail, tip]} for tail, tip in zip(tails[shown].round(3).tolist(),
                                                           tips[shown].round(3).tolist(), strict=True)]
    axes = [{"type": "category", "data": cells.tolist(), "show": False},
            {"type": "value", "min": toy.EXTENT[0], "max": toy.EXTENT[1], "show": False}]
    return {
        "animation": False,
        "grid": {"left": "center", "top": "middle", "width": PLANE_PX, "height": PLANE_PX,
                 "show": True, "borderColor": BORDER},
        "xAxis": axes, "yAxis": axes,
        "visualMap": scales,
        "series": [
            *layers,
            {"type": "scatter", **on_points, "data": data[:N_REAL_SHOWN].round(3).tolist(), "symbolSize": 4,
             "itemStyle": {"color": REAL, "opacity": 0.7}},
            {"type": "scatter", **on_points, "data": fakes.round(3).tolist(), "symbolSize": 5,
             "itemStyle": {"color": FAKE, "borderColor": "white", "borderWidth": 0.5}},
            {"type": "lines", "coordinateSystem": "cartesian2d", **on_points, "data": arrows,
             "symbol": ["none", "arrow"], "symbolSize": 7, "lineStyle": {"color": ARROW, "width": 1.2, "opacity": 1}},
        ],
    }


def loss_spec(state: toy.State) -> dict:
    """Both losses against the iteration, with the dashed level of a D reduced to guessing."""
    iterations, d_loss, g_loss = toy.losses(state)
    keep = np.unique(np.linspace(0, len(iterations) - 1, LOSS_CHART_POINTS).astype(int)) if len(iterations) else []
    balance = curves.BALANCE[state.settings.loss]  # D's loss when it says 0.5 everywhere
    label, level = balance.label, balance.d_loss
    plotted = [0.0, level, *d_loss[keep], *g_loss[keep]]  # from 0: how far each loss is from it matters
    name_d, name_g = t("concepts.toy.d_loss"), t("concepts.toy.g_loss")

    def line(name: str, values: np.ndarray, colour: str) -> dict:
        return {"type": "line", "name": name, "showSymbol": False, "color": colour, "lineStyle": {"width": 1.5},
                "data": np.stack([iterations[keep], values[keep].round(4)], axis=1).tolist()}

    guide = {"silent": True, "symbol": "none", "lineStyle": {"type": "dashed", "color": "gray"},
             "label": {"formatter": t("concepts.toy.guessing", value=label), "position": "insideEndTop",
                       "color": "gray", "backgroundColor": "rgba(255, 255, 255, 0.85)", "padding": 2},
             "data": [{"yAxis": level}]}
    return {
        "animation": False,
        "grid": {"left": 50, "right": 16, "top": 40, "bottom": 44},
        "legend": {"top": 0, "data": [name_d, name_g]},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "name": t("concepts.toy.iteration_axis"), "nameLocation": "middle",
                  "nameGap": 26, "min": 0, "max": max(int(state.iteration), 1)},
        "yAxis": {"type": "value", "name": t("concepts.toy.loss_axis"), "nameLocation": "middle", "nameGap": 36,
                  "min": math.floor(min(plotted) * 10) / 10, "max": math.ceil(max(plotted) * 10) / 10 + 0.2},
        "series": [{**line(name_d, d_loss, D_COLOUR), "markLine": guide}, line(name_g, g_loss, G_COLOUR)],
    }


def step(data: np.ndarray, what: str, iteration: int) -> None:
    """Step button callback; `iteration` is the one shown when clicked, so a click counts once.
    Keeps how the step moved D's verdicts, for the plane to show until the next action."""
    state = st.session_state.toy_state
    if state.iteration == iteration:
        before = toy.discriminator_grid(state, resolution=RESOLUTION)[2]
        toy.step(state, data, what)
        change, largest = toy.verdict_change(before, toy.discriminator_grid(state, resolution=RESOLUTION)[2])
        st.session_state.toy_moved = (state.iteration, state.settings, change, largest)


def stepped_change(state: toy.State) -> tuple[np.ndarray, float] | None:
    """(change in [-1, 1], largest change) of the manual step that led to the plane shown, or None."""
    moved = st.session_state.toy_moved
    if st.session_state.toy_playing or moved is None or moved[:2] != (state.iteration, state.settings):
        return None
    return moved[2], moved[3]


def reset() -> None:
    st.session_state.update(toy_state=toy.init(st.session_state.toy_state.settings), toy_stop_at=None,
                            toy_moved=None)


def play(playing: bool) -> None:
    """Play (True) or pause: the pace is measured afresh from the next refresh on."""
    st.session_state.update(toy_playing=playing, toy_ticks=[], toy_owed=0.0, toy_moved=None)


def controls(data: np.ndarray) -> None:
    """Play, the steps and Reset. They sit outside the fragment: a click reruns the page, which
    recreates the fragment with its refresh timer on or off (fixed when a fragment is created).
    Their callbacks say what the click meant (pause, step from iteration k), never "toggle": a click
    that lands while the fragment refreshes must not undo itself if Streamlit delivers it twice."""
    playing, iteration = st.session_state.toy_playing, st.session_state.toy_state.iteration
    row = st.container(horizontal=True)
    row.button(t("concepts.toy.pause" if playing else "concepts.toy.play"), key="toy_play", type="primary",
               icon=":material/pause:" if playing else ":material/play_arrow:", on_click=play, args=(not playing,))
    for what in ("both", "d", "g"):
        row.button(t(f"concepts.toy.step_{what}"), key=f"toy_step_{what}", disabled=playing,
                   help=t(f"concepts.toy.step_{what}_help"), on_click=step, args=(data, what, iteration))
    row.button(t("concepts.toy.reset"), key="toy_reset", icon=":material/restart_alt:",
               help=t("concepts.toy.reset_help"), on_click=reset)


def advance(state: toy.State, data: np.ndarray) -> None:
    """One refresh of play: the iterations due at the chosen pace since the last refresh, and a stop
    at the end of a guided experiment."""
    now, session = time.monotonic(), st.session_state
    ticks = session.toy_ticks
    elapsed = now - ticks[-1][0] if ticks else REFRESH_SECONDS  # the first refresh: as if one interval passed
    n, session.toy_owed = toy.iterations_due(session.toy_speed, elapsed, session.toy_cost, session.toy_owed)
    stop_at = session.get("toy_stop_at")
    if stop_at is not None:
        n = min(n, stop_at - state.iteration)
    if n > 0:
        started = time.perf_counter()
        toy.step(state, data, n=n)
        cost = (time.perf_counter() - started) / n
        # Averaged with the previous figure: on a busy host one refresh's cost swings 1–7 ms.
        session.toy_cost = cost if session.toy_cost is None else (session.toy_cost + cost) / 2
    ticks.append((now, state.iteration))
    del ticks[:-PACE_TICKS]
    if stop_at is not None and state.iteration >= stop_at:
        play(False)
        st.session_state.toy_stop_at = None
        st.rerun()  # the whole page, so the fragment is recreated without its refresh timer


def live(data: np.ndarray) -> None:
    """While playing, Streamlit reruns only this every REFRESH_SECONDS: train a little, redraw."""
    state = st.session_state.toy_state
    if st.session_state.toy_playing:
        advance(state, data)
    fakes = toy.generated(state, N_FAKE)
    reached, centres = toy.modes_covered(fakes, state.settings.target), toy.mode_centres(state.settings.target)
    stepped = stepped_change(state)
    plane, side = st.columns([3, 2])
    plane.echarts_chart(plane_spec(state, data, fakes, None if stepped is None else stepped[0]), key="toy_plane",
                        height=PLANE_PX + 10, theme=None)
    plane.caption(t("concepts.toy.explain"))
    if (name := running_experiment()) is not None:  # what to look for, beside the plane it happens in
        side.info(t("concepts.toy.watching", title=t(f"concepts.toy.experiments.{name}.title"),
                    look_for=t(f"concepts.toy.experiments.{name}.look_for")), icon=":material/visibility:")
    iteration, modes = side.columns(2)
    iteration.metric(t("concepts.toy.iteration"), f"{state.iteration:,}")
    modes.metric(t("concepts.toy.modes"), "—" if reached is None else
                 t("concepts.toy.modes_value", reached=reached, total=len(centres)), help=t("concepts.toy.modes_help"))
    side.caption(status_line(stepped))
    side.echarts_chart(loss_spec(state), key="toy_losses", height=300)
    side.caption(t("concepts.toy.losses_note"))


def status_line(stepped: tuple[np.ndarray, float] | None) -> str:
    """Under the Iteration figure: how the last manual step moved D, or Play's measured pace."""
    if stepped is not None:
        return t("concepts.toy.moved", largest=f"{stepped[1]:.2g}") if stepped[1] else t("concepts.toy.not_moved")
    pace = toy.measured_pace(st.session_state.toy_ticks) if st.session_state.toy_playing else None
    if pace is None:
        return t("concepts.toy.pace_target", target=st.session_state.toy_speed)
    return t("concepts.toy.pace", iterations=f"{pace[1]:.0f}", refreshes=f"{pace[0]:.1f}",
             target=st.session_state.toy_speed)


def running_experiment() -> str | None:
    """The guided experiment the toy is playing out (its settings still loaded), or None."""
    name, state = st.session_state.get("toy_experiment"), st.session_state.get("toy_state")
    if name in toy.EXPERIMENTS and state is not None and state.settings == toy.Settings.from_dict(
            toy.EXPERIMENTS[name].settings):
        return name
    return None


def experiments() -> None:
    """The guided experiments, just above the plane: a click plays one where the eye already is,
    and what to look for appears beside the plane."""
    st.subheader(t("concepts.toy.experiments_title"))
    for column, (name, experiment) in zip(st.columns(len(toy.EXPERIMENTS)), toy.EXPERIMENTS.items(), strict=True):
        settings = toy.Settings.from_dict(experiment.settings)
        box = column.container(border=True, height="stretch")
        box.markdown(f"**{t(f'concepts.toy.experiments.{name}.title')}**")
        box.caption(t("concepts.toy.experiment_settings", target=t(f"concepts.toy.sources.{settings.target}"),
                      loss=t(f"concepts.toy.losses.{settings.loss}"), g_lr=f"{settings.g_lr:g}",
                      d_lr=f"{settings.d_lr:g}", d_steps=settings.d_steps, iterations=experiment.iterations))
        box.button(t("concepts.toy.run_experiment"), key=f"toy_experiment_{name}", icon=":material/play_circle:",
                   on_click=load_experiment, args=(name,))


def show() -> None:
    """The whole toy GAN section."""
    defaults()
    st.header(t("concepts.toy.title"))
    st.markdown(t("concepts.toy.intro"))
    source = st.segmented_control(t("concepts.toy.source"), SOURCES, key="toy_source", required=True,
                                  format_func=labels("concepts.toy.sources", SOURCES).get)
    knobs()
    synced_state(chosen_settings())
    experiments()
    data = real_points(source)
    if data is not None:
        controls(data)
        st.fragment(run_every=REFRESH_SECONDS if st.session_state.toy_playing else None)(live)(data)
