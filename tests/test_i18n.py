"""English and 中文: the two catalogues agree (keys, {placeholders}, LaTeX), every key the code looks up
exists, and the app renders every page in Chinese from ?lang=zh or the sidebar switch, and keeps it."""

import ast
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gan import config, curves, data, quality, runs, sampling
from tests.conftest import copy_of
from ui import common, i18n, quality_view

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
SOURCES = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "ui").glob("*.py"))]
EN, ZH = i18n.catalogue("en"), i18n.catalogue("zh")
MATH = re.compile(r"\$[^$]+\$")
PLOTLY = re.compile(r"%\{[^}]*\}")  # Plotly's hover-template fields, not ours
PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)(?:[:!][^{}]*)?\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(PLOTLY.sub("", MATH.sub("", text))))


def lookups() -> list[tuple[str, ast.Call]]:
    """Every t(...), names(...) and words(...) call (ui.classes_view.Drawn's key for digits or other images)
    in app.py, pages/ and ui/, with the called function's name."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("t", "names", "words"):
                    found.append((name, node))
    return found


def key_pattern(node: ast.expr) -> re.Pattern | None:
    """A regex for an f-string key ('train.field.{field}.label' -> 'train\\.field\\..+\\.label')."""
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = [re.escape(part.value) if isinstance(part, ast.Constant) else ".+" for part in node.values]
    return re.compile("".join(parts))


def test_both_languages_have_the_same_keys_in_the_same_order():
    assert list(EN) == list(ZH), (set(EN) ^ set(ZH)) or "same keys, different order"
    assert all(isinstance(text, str) and text.strip() for text in [*EN.values(), *ZH.values()])


def test_placeholders_and_latex_are_the_same_in_both_languages():
    for key in EN:
        assert placeholders(EN[key]) == placeholders(ZH[key]), key
        assert Counter(MATH.findall(EN[key])) == Counter(MATH.findall(ZH[key])), key
        assert EN[key].count("$") % 2 == 0 and ZH[key].count("$") % 2 == 0, key


def strong_that_stays_literal(text: str) -> list[str]:
    """Each ** that CommonMark will not read as bold: an opener must not be followed by punctuation
    unless it follows a space or punctuation, a closer the mirror image. Chinese trips on this:
    in **人工智能（AI）**是 the closer sits between a full-width bracket and a letter."""
    def punctuation(c: str) -> bool:
        return c == "" or c.isspace() or unicodedata.category(c)[0] in "PS"
    spots = [match.start() for match in re.finditer(r"(?<!\*)\*\*(?!\*)", text)]
    literal = []
    for n, i in enumerate(spots):
        before, after = text[i - 1:i], text[i + 2:i + 3]
        inner, outer = (after, before) if n % 2 == 0 else (before, after)
        if inner.isspace() or inner == "" or (punctuation(inner) and not punctuation(outer)):
            literal.append(text[max(0, i - 10):i + 12])
    return literal


def test_bold_text_renders_as_bold():
    for lang in i18n.LANGUAGES:
        for key, text in i18n.catalogue(lang).items():
            assert strong_that_stays_literal(text) == [], (lang, key)
    assert strong_that_stays_literal("**人工智能（AI）**是") and not strong_that_stays_literal("**人工智能**（AI）是")


def test_every_key_the_code_uses_exists():
    constant, patterns = 0, 0
    for function, call in lookups():
        key = call.args[0]
        if isinstance(key, ast.Constant):
            constant += 1
            if function == "names":
                assert any(k.startswith(f"{key.value}.") for k in EN), key.value
            elif function == "words":
                assert {f"sample.{key.value}", f"sample.images.{key.value}"} <= set(EN), key.value
            else:
                assert key.value in EN, f"t({key.value!r}) has no text"
        elif (pattern := key_pattern(key)) is not None:
            patterns += 1
            assert any(pattern.fullmatch(k) for k in EN), f"no key matches {pattern.pattern}"
    assert constant > 100 and patterns > 10  # the scan really sees the pages


def test_texts_are_formatted_with_exactly_the_parameters_they_name():
    for function, call in lookups():
        key = call.args[0]
        if function != "t" or not isinstance(key, ast.Constant) or any(k.arg is None for k in call.keywords):
            continue
        given = {k.arg for k in call.keywords}
        for catalogue in (EN, ZH):
            assert placeholders(catalogue[key.value]) == given, key.value
            if given:
                catalogue[key.value].format(**dict.fromkeys(given, 1.0))


def test_every_dynamic_family_is_complete():
    for field in config.FIELD_TYPES:
        assert f"train.field.{field}.label" in EN and f"train.field.{field}.help" in EN
    assert set(i18n.names("state")) >= set(common.STATE_ICONS)
    assert set(i18n.names("data.source")) >= set(data.SOURCE_LABELS)
    assert set(i18n.names("quality.metric")) == set(curves.QUALITY)
    assert set(i18n.names("live.verdict")) == {*curves.VERDICTS, "separation"}
    assert set(i18n.names("live.balance")) == set(curves.BALANCE) == set(config.LOSSES)
    assert set(i18n.names("live.metric")) >= {column for v in curves.VERDICTS.values() for column in v.columns}
    assert set(i18n.names("train.presets")) == set(config.PRESETS)  # the form offers every preset
    assert set(i18n.names("train.outcome")) >= {"started", "resumed", "attached", "finished", "queued"}


BAD_CONFIGS = [{"batch_size": 4}, {"epochs": 1.5}, {"seed": "x"}, {"g_lr": True}, {"loss": "l1"},
               {"conditional": "maybe"}, {"bogus": 1}, {"n_images": 64, "batch_size": 128},
               {"n_images": 64, "batch_size": 32, "d_steps": 3}]


@pytest.mark.parametrize("values", BAD_CONFIGS)
def test_every_config_error_can_be_worded_in_both_languages(values):
    with pytest.raises(config.ConfigError) as caught:
        config.RunConfig.from_dict(values)
    error = caught.value
    assert ZH[f"config.error.{error.kind}"].format(**error.params)
    # the English template says exactly what config.py says, so the two cannot drift apart
    assert EN[f"config.error.{error.kind}"].format(**error.params) == str(error).removeprefix(f"{error.field}: ")


def test_collapse_warnings_are_reworded_in_chinese(monkeypatch):
    monkeypatch.setattr(i18n, "language", lambda: "zh")
    missing = quality.collapse_warning([0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0])
    dominant = quality.collapse_warning([0.4, *[0.6 / 9] * 9])
    entropy = quality.collapse_warning([0.03, 0.25, 0.25, 0.25, 0.03, 0.03, 0.04, 0.04, 0.04, 0.04], 2.3)
    assert quality_view.warning_text(missing).startswith("可能出现了模式崩溃：数字 2, 3, 4, 5, 6, 7, 8, 9 几乎从未")
    assert "数字 0 占了样本的 40%" in quality_view.warning_text(dominant)
    assert "从 2.30 降到了 1.87 奈特" in quality_view.warning_text(entropy)


# --- the app in Chinese ---------------------------------------------------------------------------

@pytest.fixture
def run_dir(runs_root, finished_run, tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(sampling, "PRETRAINED", tmp_path / "pretrained")
    return copy_of(finished_run, runs_root)


def open_page(page: str, lang: str | None = "zh", section: str | None = None) -> AppTest:
    """The page in lang; for Concepts, with its tab `section` open (pages/concepts.py SECTIONS)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    if section:
        at.session_state["concepts_section"] = section
    at.switch_page(page)
    return at.run()


def texts(at: AppTest) -> list[str]:
    """What a reader sees: headings, prose, notices, metric and widget labels."""
    blocks = [*at.title, *at.header, *at.subheader, *at.markdown, *at.caption, *at.info, *at.warning, *at.error,
              *at.success, *at.expander, *at.tabs]
    widgets = [*at.selectbox, *at.number_input, *at.slider, *at.toggle, *at.button, *at.multiselect, *at.metric]
    return [str(getattr(block, "value", None) or block.label) for block in blocks] + [w.label for w in widgets]


@pytest.mark.parametrize(("page", "heading"), [("pages/concepts.py", "GAN 是怎样学习的"),
                                               ("pages/train.py", "训练一个 GAN"),
                                               ("pages/live.py", "实时训练"),
                                               ("pages/sample.py", "从生成器采样"),
                                               ("pages/gallery.py", "班级画廊")])
def test_lang_zh_in_the_address_renders_every_page_in_chinese(run_dir, page, heading):
    at = open_page(page)
    assert not at.exception
    assert at.title[0].value == heading
    untranslated = [text for text in texts(at) if not CJK.search(text) and text not in ("Adam β₁", "—")]
    assert untranslated == []
    assert at.query_params["lang"] == "zh"


@pytest.mark.parametrize("section", ["toy", "maths", "uses", "article"])
def test_every_tab_of_the_concepts_page_reads_in_chinese(section):
    at = open_page("pages/concepts.py", section=section)
    assert not at.exception and at.session_state["concepts_section"] == section
    untranslated = [text for text in texts(at) if not CJK.search(text) and text not in ("—",)]
    assert untranslated == []


def test_chinese_pages_show_known_texts(run_dir):
    at = open_page("pages/concepts.py")
    assert "判别器 D" in at.get("graphviz_chart")[0].proto.spec
    assert [tab.label for tab in at.tabs] == ["基本思想", "▶ 玩具 GAN", "训练步骤与数学", "优缺点、应用与未来",
                                              "文章代码 · 常见问题"]
    at.session_state["concepts_tabs_zh"] = "优缺点、应用与未来"  # a click on that tab
    at.run()
    assert [tab.label for tab in at.tabs][4:9] == ["艺术", "图像", "视频", "音乐与音频", "文本"]
    at = open_page("pages/concepts.py", section="article")
    assert any("未定义的 `Reshape`" in block.value for block in at.markdown)
    at.switch_page("pages/live.py").run()
    assert {metric.label for metric in at.metric} >= {"状态", "轮次", "FDD · 真实数字 1.03"}
    assert "✅ 已完成" in " ".join(str(metric.value) for metric in at.metric)
    at.switch_page("pages/sample.py").run()
    assert not at.exception
    assert at.image[0].captions == ["64 个数字，种子 42"]


def test_the_upload_widgets_button_and_size_note_are_worded_in_chinese(runs_root):
    at = open_page("pages/train.py")
    styles = " ".join(element.proto.body for element in at.get("html"))
    assert ".st-key-share_import" in styles  # scoped to that widget
    assert '"上传文件"' in styles and '"每个文件最大 50 MB · ZIP"' in styles


def test_augmentation_choices_are_worded_in_chinese(runs_root):
    at = open_page("pages/train.py")
    options = at.selectbox(key="train_augment").options
    assert options[0] == "关闭" and "颜色 + 平移 + 遮挡" in options
    assert not [option for option in options if re.search("[A-Za-z]", option)]


def test_validation_errors_name_the_field_and_range_in_chinese(runs_root):
    at = open_page("pages/train.py")
    for key, value in (("train_n_images", 64), ("train_batch_size", 128)):
        at.number_input(key=key).set_value(value)
    at.button(key="train_submit").click().run()
    assert not at.exception
    (error,) = at.error
    assert error.value == "**批大小**（batch_size）不能超过训练图像数 n_images（64），当前为 128"
    assert runs.list_runs(runs_root) == []


def test_the_sidebar_switch_changes_the_language_and_the_address(runs_root):
    at = open_page("pages/concepts.py", lang=None)
    assert at.title[0].value == "How a GAN learns"
    assert "lang" not in at.query_params
    at.sidebar.segmented_control(key="lang").set_value("zh").run()
    assert at.title[0].value == "GAN 是怎样学习的"
    assert at.query_params["lang"] == "zh"
    at.sidebar.segmented_control(key="lang").set_value("en").run()
    assert at.title[0].value == "How a GAN learns"
    assert "lang" not in at.query_params


def test_the_language_persists_across_a_page_switch(runs_root):
    at = open_page("pages/concepts.py", lang=None)
    at.sidebar.segmented_control(key="lang").set_value("zh").run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.title[0].value == "训练一个 GAN"
    assert at.sidebar.segmented_control(key="lang").value == "zh"
    assert at.query_params["lang"] == "zh"


def test_demo_limits_are_stated_in_chinese(runs_root, monkeypatch):
    monkeypatch.setenv("GAN_DEMO", "1")
    monkeypatch.setenv("GAN_DEMO_MAX_EPOCHS", "3")
    at = open_page("pages/train.py")
    assert any(box.value.startswith("共享演示：最多 3 个轮次") for box in at.sidebar.info)
    at.number_input(key="train_epochs").set_value(4)
    at.button(key="train_submit").click().run()
    assert not at.exception
    said = "没有开始：**训练轮数**（epochs）在这个共享演示服务器上不能超过 3，当前为 4"
    assert [error.value for error in at.error] == [said]
    assert runs.list_runs(runs_root) == []


ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{3,}(?: [A-Za-z]{2,}){3,}\b")  # four English words in a row


def test_provoked_errors_read_in_chinese_on_the_pages(run_dir, runs_root):
    (run_dir / "generator.keras").unlink()  # a finished run whose generator went missing
    runs.write_status(run_dir, state="failed", error=runs.CheckpointError(
        "checkpoint_mismatch", path=run_dir / "checkpoint.npz", saved=3, expected=4, first="generator/01.Dense/kernel"))
    (runs_root / "garbled").mkdir()
    (runs_root / "garbled" / "config.json").write_text((run_dir / "config.json").read_text())
    (runs_root / "garbled" / "status.json").write_text('{"state": "exploded", "epoch": "many"}')
    for page in ("pages/sample.py", "pages/live.py", "pages/train.py"):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(lang="zh", run=run_dir.name)
        at.switch_page(page).run()
        assert not at.exception
        shown = " ".join(e.value for e in at.error)
        assert CJK.search(shown), (page, shown)
        assert not ENGLISH_SENTENCE.search(MATH.sub("", shown)), (page, shown)
    at = open_page("pages/live.py")
    at.selectbox(key="live_run").select(runs_root / "garbled").run()
    assert "状态无法读取" in " ".join(str(m.value) for m in at.metric)
    assert any("status.json 已损坏" in w.value for w in at.warning)


def test_switching_language_keeps_every_choice_and_sets_it_again_for_the_browser(runs_root):
    at = open_page("pages/train.py", lang=None)
    at.selectbox(key="train_preset").select("tutorial").run()
    at.sidebar.segmented_control(key="lang").set_value("zh").run()
    assert not at.exception
    assert at.selectbox(key="train_preset").value == "tutorial"
    assert at.selectbox(key="train_budget").value == "none"  # set again, still a choice (None would read as none)
    shown = at.selectbox(key="train_preset").options
    assert shown[list(config.PRESETS).index("tutorial")] == ZH["train.presets.tutorial"]
    assert set(i18n.WORDED_CHOICES) >= {"train_preset", "toy_loss"}
