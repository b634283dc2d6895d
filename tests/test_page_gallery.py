"""The Class gallery page (AppTest): finished runs as cards and a table, in comparable groups,
ranked by the chosen measure, names shown as plain text, in English and in Chinese."""

import json
import re
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from gan import gallery, runs, uploads
from tests.conftest import coloured_shapes, fake_finished_run, tiny_config
from tests.test_gallery import upload_run
from ui import i18n

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CJK = re.compile(r"[\u4e00-\u9fff]")
NAME = "**Ada** [win](http://x.example)"  # visitor input: shown as typed, never as markup
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{3,}(?: [A-Za-z]{2,}){3,}\b")  # four English words in a row


def open_gallery(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.switch_page("pages/gallery.py")
    return at.run()


def class_of_thirty(root: Path) -> None:
    """30 finished runs with FDD = seed: 20 on a 2-minute budget (seeds 10 and 20 not measured, 1 named
    with Markdown, 2 imported, 5 without a grid), 10 of 1 epoch without a budget."""
    for seed in range(30):
        quality = [] if seed in (10, 20) else [(float(seed), 10 - seed / 10, 1 - seed / 30)]
        status = {"budget_minutes": 2.0} if seed % 3 else {}
        if seed == 1:
            status["display_name"] = NAME
        if seed == 2:
            status["imported"] = time.time()
        fake_finished_run(root, seed, quality=quality, grids=0 if seed == 5 else 1, **status)


def cards(at: AppTest) -> list[str]:
    """Each card's heading, in the page's order."""
    return [block.value for block in at.markdown if block.value.startswith("**") and " · " in block.value]


def test_the_largest_comparable_group_is_ranked_by_fdd_with_medals(runs_root):
    class_of_thirty(runs_root)
    at = open_gallery()
    assert not at.exception
    assert at.title[0].value == "Class gallery"
    assert any("Only comparable runs are ranked together" in box.value for box in at.info)
    group = at.selectbox(key="gallery_group")
    assert group.value == gallery.Group("bundled", 64, 2.0, None)
    assert group.options == ["MNIST (bundled 10,000) · 64 images · 2-minute budget",
                             "MNIST (bundled 10,000) · 64 images · 1 epoch(s)"]
    headings = cards(at)
    assert len(headings) == 12 and len(at.image) == 11  # seed 5 kept no grid
    assert headings[:4] == [f"**🥇 #1 · {i18n.plain(NAME)}**", "**🥈 #2 · imported run**", "**🥉 #3 · anonymous**",
                            "**#4 · anonymous**"]
    assert "This run kept no sample grid." in [c.value for c in at.caption]
    assert "FDD **1.00** · score **9.9** · **97%** confident" in [block.value for block in at.markdown]
    captions = " ".join(c.value for c in at.caption)
    assert "20 run(s) in this group" in captions and "the first 12 in this order" in captions
    table = at.dataframe[0].value
    assert len(table) == 20 and list(table["fdd"][:3]) == [1.0, 2.0, 4.0]
    assert table["name"][0] == NAME  # a table cell is text, never markup
    assert list(table["rank"][-2:].isna()) == [True, True]  # seeds 10 and 20: not measured, last


def test_sorting_and_another_group_change_the_ranking(runs_root):
    class_of_thirty(runs_root)
    at = open_gallery()
    at.selectbox(key="gallery_sort").select("newest").run()
    assert not at.exception
    assert cards(at)[0] == "**#1 · anonymous**"  # seed 29, the newest: no medals by age
    assert at.dataframe[0].value["fdd"][0] == 29.0
    at.selectbox(key="gallery_sort").select("fdd").run()
    at.selectbox(key="gallery_group").select(gallery.Group("bundled", 64, None, 1)).run()
    table = at.dataframe[0].value
    assert len(table) == 10 and list(table["fdd"][:2]) == [0.0, 3.0]
    assert "quality not measured yet" not in [block.value for block in at.markdown]


def test_a_run_without_quality_says_it_is_not_measured_yet(runs_root):
    fake_finished_run(runs_root, 1, quality=[(3.0, 8.0, 0.9)])
    fake_finished_run(runs_root, 2)
    at = open_gallery()
    assert not at.exception
    assert cards(at) == ["**🥇 #1 · anonymous**", "**— · anonymous**"]
    assert "quality not measured yet" in [block.value for block in at.markdown]


def test_an_empty_gallery_points_to_the_train_page_and_counts_runs_in_training(runs_root):
    waiting = runs.create(runs_root, tiny_config(seed=1))
    runs.write_status(waiting, state="waiting", waiting_since=time.time())
    at = open_gallery()
    assert not at.exception
    assert "No finished runs yet" in at.info[-1].value
    assert "1 more run(s) still training or waiting" in at.caption[0].value
    assert not at.dataframe and not at.image


def test_the_chinese_page_has_no_english_sentences(runs_root):
    class_of_thirty(runs_root)
    at = open_gallery("zh")
    assert not at.exception
    assert at.title[0].value == "班级画廊"
    shown = [*(b.value for b in [*at.markdown, *at.caption, *at.info]),
             *(w.label for w in at.selectbox), *at.selectbox(key="gallery_group").options,
             *at.selectbox(key="gallery_sort").options]
    assert shown and not [text for text in shown if ENGLISH_SENTENCE.search(text)]
    assert at.selectbox(key="gallery_group").options[0] == "MNIST（附带的 10,000 个数字） · 64 张图像 · 限时 2 分钟"
    assert "**🥈 #2 · 导入的任务**" in cards(at) and "**🥉 #3 · 匿名**" in cards(at)
    assert "dcgan_lean · hinge · 1 轮 · 64 张图像 · 限时 2 分钟" in [c.value for c in at.caption]
    headers = [column["label"] for column in json.loads(at.dataframe[0].proto.columns).values() if "label" in column]
    assert len(headers) == 10 and [label for label in headers if not CJK.search(label)] == ["FDD"]  # FDD in both
    untranslated = [text for text in shown if not CJK.search(text)]
    assert untranslated == [f"**🥇 #1 · {i18n.plain(NAME)}**"]  # a visitor's name is shown as they typed it


def test_runs_on_your_own_images_are_grouped_by_upload_named_and_ranked_by_random_feature_distance(runs_root):
    shapes = coloured_shapes(64)
    stored = uploads.store(runs_root, uploads.from_arrays(shapes.pixels, shapes.labels, "shapes.zip"))
    for seed, rfd in ((1, 300.0), (2, 120.0)):
        upload_run(runs_root, seed, stored, rfd, 0.02)
    at = open_gallery()
    assert not at.exception
    assert at.selectbox(key="gallery_group").options == [f'your images "shapes.zip" ({stored.sha256[:8]}) · 64 '
                                                         'images · 1 epoch(s)']
    assert at.selectbox(key="gallery_sort").options == ["best random-feature distance (lowest)", "newest first"]
    assert at.selectbox(key="gallery_sort").value == "rfd"
    assert cards(at)[0] == "**🥇 #1 · anonymous**"
    assert "random-feature distance **120** · **2%** near-copies" in [block.value for block in at.markdown]
    table = at.dataframe[0].value
    assert list(table["rfd"]) == [120.0, 300.0] and list(table["near_copies"]) == [2.0, 2.0]
    assert "fdd" not in table and "quality not measured yet" not in [block.value for block in at.markdown]
    zh = open_gallery("zh")
    assert zh.selectbox(key="gallery_group").options[0].startswith("你的图像“shapes.zip”")
    assert "随机特征距离 **120** · 近似副本 **2%**" in [block.value for block in zh.markdown]
