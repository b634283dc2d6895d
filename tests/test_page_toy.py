"""The toy GAN on the Concepts page (ui/toy_view.py): it renders, Step / Step D / Step G / Reset
do what they say and shade where D moved, Play keeps its pace, knobs retune or rebuild, experiments
load and stop, a bad CSV is an error, not a crash, and everything reads in Chinese."""

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan import toy
from ui import i18n

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EN, ZH = i18n.catalogue("en"), i18n.catalogue("zh")


def open_toy(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.session_state["concepts_section"] = "toy"  # the Concepts page's tab that holds the toy
    at.switch_page("pages/concepts.py")
    at.run()
    assert not at.exception
    return at


def state(at: AppTest) -> toy.State:
    return at.session_state["toy_state"]


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception
    return at


def iteration_shown(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == EN["concepts.toy.iteration"])


def test_the_toy_renders_its_plane_losses_and_experiments():
    at = open_toy()
    assert EN["concepts.toy.title"] in [h.value for h in at.header]
    plane, losses = (json.loads(chart.proto.spec) for chart in at.get("echarts_chart"))
    assert [series["type"] for series in plane["series"]] == ["heatmap", "scatter", "scatter", "lines"]
    assert len(plane["series"][0]["data"]) == 40 * 40 and len(plane["series"][2]["data"]) == 300
    assert losses["series"][0]["markLine"]["data"] == [{"yAxis": pytest.approx(np.log(4))}]
    assert iteration_shown(at) == "0"
    assert {m.label: m.value for m in at.metric}[EN["concepts.toy.modes"]] == "0 of 8"  # the ring's 8 blobs
    assert [b.key for b in at.button if b.key.startswith("toy_experiment_")] == [
        f"toy_experiment_{name}" for name in toy.EXPERIMENTS]
    assert at.button(key="toy_play").label == EN["concepts.toy.play"]


def test_step_advances_one_iteration_and_reset_returns_to_zero():
    at = open_toy()
    click(at, "toy_step_both")
    assert state(at).iteration == 1 and iteration_shown(at) == "1"
    click(at, "toy_step_both")
    click(at, "toy_step_g")
    assert state(at).iteration == 3 and len(state(at).history) == 3
    click(at, "toy_reset")
    assert state(at).iteration == 0 and iteration_shown(at) == "0" and state(at).history == []


def test_step_d_only_moves_d_and_not_g():
    at = open_toy()
    before = toy.generated(state(at), 64)
    g_theta, d_theta = state(at).g_theta.copy(), state(at).d_theta.copy()
    click(at, "toy_step_d")
    assert np.array_equal(state(at).g_theta, g_theta)
    assert np.array_equal(toy.generated(state(at), 64), before)
    assert not np.array_equal(state(at).d_theta, d_theta)
    click(at, "toy_step_g")
    assert not np.array_equal(toy.generated(state(at), 64), before)


def test_play_trains_a_few_iterations_per_refresh_and_pause_stops():
    at = open_toy()
    click(at, "toy_play")
    assert at.session_state["toy_playing"] and at.button(key="toy_play").label == EN["concepts.toy.pause"]
    assert at.button(key="toy_step_both").disabled
    assert state(at).iteration == 10  # the first refresh: 150 iterations/s over one 0.07 s interval
    click(at, "toy_play")
    assert not at.session_state["toy_playing"]
    at.run()
    assert state(at).iteration == 10


def test_play_trains_what_is_due_since_the_last_refresh_and_shows_its_pace():
    at = open_toy()
    at.select_slider(key="toy_speed").set_value(100).run()
    click(at, "toy_play")
    assert state(at).iteration == 7  # 100/s over one 0.07 s interval
    (seconds, iteration), = at.session_state["toy_ticks"]
    at.session_state["toy_ticks"] = [(seconds - 60, iteration)]  # the last refresh a minute ago (a hidden tab)
    at.session_state["toy_cost"] = 1e-4  # a fast machine: the share of time left to draw is no limit here
    at.run()
    assert state(at).iteration == 7 + 100 * toy.MAX_LAG  # caught up for MAX_LAG seconds at most
    pace = EN["concepts.toy.pace"].split("{")[0]
    assert any(caption.value.startswith(pace) and "(pace set: 100/s)" in caption.value for caption in at.caption)


def test_a_manual_step_shades_where_d_moved_until_play():
    at = open_toy()
    click(at, "toy_step_d")
    plane = json.loads(at.get("echarts_chart")[0].proto.spec)
    assert [series["type"] for series in plane["series"]] == ["heatmap", "scatter", "scatter", "scatter", "lines"]
    moved = np.array(plane["series"][1]["data"])[:, 2]
    assert np.abs(moved).max() == 1.0 and plane["visualMap"][1]["seriesIndex"] == 1
    shaded = EN["concepts.toy.moved"].split("{")[0]
    assert any(caption.value.startswith(shaded) for caption in at.caption)
    click(at, "toy_step_g")  # G alone leaves D, and says so
    assert EN["concepts.toy.not_moved"] in [caption.value for caption in at.caption]
    assert not np.array(json.loads(at.get("echarts_chart")[0].proto.spec)["series"][1]["data"])[:, 2].any()
    click(at, "toy_play")
    plane = json.loads(at.get("echarts_chart")[0].proto.spec)
    assert [series["type"] for series in plane["series"]] == ["heatmap", "scatter", "scatter", "lines"]


def test_live_knobs_keep_the_progress_and_shape_knobs_rebuild():
    at = open_toy()
    for _ in range(3):
        click(at, "toy_step_both")
    at.select_slider(key="toy_d_lr").set_value(1e-2).run()
    at.selectbox(key="toy_loss").set_value("lsgan").run()
    assert state(at).iteration == 3
    assert (state(at).settings.d_lr, state(at).settings.loss) == (1e-2, "lsgan")
    at.segmented_control(key="toy_source").set_value("grid").run()
    assert state(at).iteration == 3 and state(at).settings.target == "grid"
    at.select_slider(key="toy_hidden").set_value(8).run()
    assert state(at).iteration == 0 and state(at).settings.hidden == 8
    assert [toast.value for toast in at.toast] == [EN["concepts.toy.reshaped"]]


@pytest.mark.parametrize("name", list(toy.EXPERIMENTS))
def test_an_experiment_button_loads_its_settings_restarts_and_plays(name):
    at = open_toy()
    click(at, "toy_step_both")
    click(at, f"toy_experiment_{name}")
    expected = toy.Settings.from_dict(toy.EXPERIMENTS[name].settings)
    assert state(at).settings == expected
    assert at.segmented_control(key="toy_source").value == expected.target
    assert at.select_slider(key="toy_d_lr").value == expected.d_lr
    assert at.slider(key="toy_d_steps").value == expected.d_steps
    assert at.session_state["toy_playing"] and at.session_state["toy_stop_at"] == toy.EXPERIMENTS[name].iterations
    assert state(at).iteration == 10  # restarted from 0, then one refresh of play
    assert any(EN[f"concepts.toy.experiments.{name}.title"] in box.value for box in at.info)


def test_an_experiment_pauses_when_it_reaches_its_last_iteration():
    at = open_toy()
    click(at, "toy_experiment_strong_d")
    at.session_state["toy_stop_at"] = 15
    at.run()
    assert state(at).iteration == 15 and not at.session_state["toy_playing"]
    assert at.button(key="toy_play").label == EN["concepts.toy.play"]


def test_every_experiment_is_worded_in_both_languages():
    for name in toy.EXPERIMENTS:
        for catalogue in (EN, ZH):
            assert catalogue[f"concepts.toy.experiments.{name}.title"]
            assert catalogue[f"concepts.toy.experiments.{name}.look_for"]


def test_a_bad_csv_shows_its_error_and_a_good_one_trains():
    at = open_toy()
    at.segmented_control(key="toy_source").set_value("upload").run()
    assert not at.get("echarts_chart")  # nothing to learn yet
    assert [box.value for box in at.info][0] == EN["concepts.toy.need_upload"]
    at.file_uploader(key="toy_csv").upload("bad.csv", b"x;y\n1;2\nfoo;bar\n", "text/csv").run()
    assert not at.exception
    assert [error.value for error in at.error] == [
        EN["concepts.toy.csv_error"].format(error="Line 3: 'foo;bar' is not two numbers.")]
    rows = "\n".join(f"{x},{x * x}" for x in range(-10, 11))
    at.file_uploader(key="toy_csv").clear().upload("parabola.csv", f"x,y\n{rows}\n".encode(), "text/csv").run()
    assert not at.exception and not at.error
    assert state(at).settings.target == "custom"
    click(at, "toy_step_both")
    assert state(at).iteration == 1
    assert {m.label: m.value for m in at.metric}[EN["concepts.toy.modes"]] == "—"


def test_sketch_starts_empty_with_a_hint():
    at = open_toy()
    at.segmented_control(key="toy_source").set_value("sketch").run()
    assert not at.exception
    assert EN["concepts.toy.sketch_empty"] in [box.value for box in at.info]
    assert at.button(key="toy_sketch_undo").disabled
    assert not at.get("echarts_chart")


def test_the_toy_reads_in_chinese():
    at = open_toy("zh")
    assert "动手试试：一个看得见的 GAN" in [h.value for h in at.header]
    assert [at.button(key=key).label for key in ("toy_play", "toy_step_both", "toy_step_d", "toy_step_g",
                                                 "toy_reset")] == ["播放", "走一步", "只走 D", "只走 G", "重置"]
    assert {m.label: m.value for m in at.metric} == {"迭代次数": "0", "覆盖的模式": "0 / 8"}
    assert "引导实验" in [s.value for s in at.subheader]
    assert "观察 3×3 网格上的模式崩溃" in "\n".join(m.value for m in at.markdown)
    losses = json.loads(at.get("echarts_chart")[1].proto.spec)
    assert losses["legend"]["data"] == ["D 的损失", "G 的损失"]
    assert losses["series"][0]["markLine"]["label"]["formatter"] == "log 4 ≈ 1.39：D 只能靠猜"
    assert "播放时每秒训练 150 次迭代。" in [caption.value for caption in at.caption]
    click(at, "toy_step_d")
    assert any(caption.value.startswith("**阴影**：这一步里 D 的裁决变动的地方") for caption in at.caption)
    click(at, "toy_experiment_mode_collapse")
    assert any(box.value.startswith("**观察 3×3 网格上的模式崩溃。**") for box in at.info)
