"""The Sample page (AppTest): drawing a grid, walking between seeds, conditional digits, bad generators."""

import base64
import io
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from gan import quality, runs, sampling
from tests.conftest import copy_of, session_run, tiny_config

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def no_pretrained(tmp_path, monkeypatch):
    """Hide the bundled generator (it is listed first when present) so each test picks its own run."""
    monkeypatch.setattr(sampling, "PRETRAINED", tmp_path / "pretrained")


@pytest.fixture
def run_dir(runs_root, finished_run) -> Path:
    """A copy of the tiny finished run in this test's runs root, free to damage."""
    return copy_of(finished_run, runs_root)


@pytest.fixture(scope="session")
def conditional_run(tmp_path_factory) -> Path:
    return session_run(tmp_path_factory, "conditional", tiny_config(conditional=True))


def open_sample() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/sample.py")
    return at.run()


def texts(elements) -> str:
    return " ".join(str(element.value) for element in elements)


def test_draws_a_grid_and_a_walk_with_downloads(run_dir):
    at = open_sample()
    assert not at.exception
    assert at.image[0].captions == ["64 digits, seed 42"]
    assert len(at.image) == 3  # the grid, the interpolation strip and the latent map
    labels = [button.label for button in at.download_button]
    assert labels == ["Download PNG", "Download NumPy (.npy)", "Download as GIF", "Download the map (PNG)"]
    first_map = at.image[2].value
    at.number_input(key="map_c").set_value(9).run()
    assert not at.exception and at.image[2].value != first_map


def test_changing_count_and_seed_redraws(run_dir):
    at = open_sample()
    first = at.image[0].value
    at.number_input(key="sample_n").set_value(10)
    at.number_input(key="sample_seed").set_value(7)
    at.run()
    assert not at.exception
    assert at.image[0].captions == ["10 digits, seed 7"]
    assert at.image[0].value != first
    at.button[0].click()  # a new random seed
    at.run()
    assert not at.exception
    assert at.image[0].captions != ["10 digits, seed 7"]


def test_corrupt_generator_file_gives_a_clear_error(run_dir):
    (run_dir / "generator.keras").write_bytes(os.urandom(2048))
    at = open_sample()
    assert not at.exception
    assert "cannot be used" in texts(at.error)
    assert "not a Keras model file" in texts(at.error)
    assert len(at.image) == 0


def test_run_without_a_generator_yet_says_why(run_dir):
    (run_dir / "generator.keras").unlink()
    runs.write_status(run_dir, state="running", pid=os.getpid(), heartbeat=time.time(), epoch=0)
    at = open_sample()
    assert not at.exception
    assert "has not finished an epoch yet" in texts(at.error)
    assert "still training" in texts(at.info)


def test_conditional_generator_draws_the_chosen_digit(runs_root, conditional_run):
    copy_of(conditional_run, runs_root)
    at = open_sample()
    assert not at.exception
    digit = at.radio(key="sample_digit")
    assert digit.options[0] == "all digits" and len(digit.options) == 11
    before = at.image[0].value
    digit.set_value(3)
    at.run()
    assert not at.exception
    assert at.image[0].value != before


def test_bundled_generator_is_offered_first(runs_root, finished_run, tmp_path):
    shutil.copytree(finished_run, sampling.PRETRAINED)
    at = open_sample()
    assert not at.exception
    picker = at.selectbox(key="sample_run")
    assert picker.options == ["Bundled pretrained generator"]
    assert "bundled generator" in texts(at.caption)
    assert at.image[0].captions == ["64 digits, seed 42"]


def test_no_generator_at_all_points_to_the_train_page(runs_root):
    at = open_sample()
    assert not at.exception
    assert "No generator yet" in texts(at.info)


def class_counts(at: AppTest) -> dict[int, int]:
    summary = next(m.value for m in at.markdown if "What the digit classifier sees" in m.value)
    return {int(d): int(c) for d, c in re.findall(r"(\d)×(\d+)", summary)}


def test_each_digit_is_classified(run_dir):
    at = open_sample()
    at.number_input(key="sample_n").set_value(10)
    at.run()
    assert not at.exception
    pixels = sampling.sample(sampling.load_generator(run_dir / "generator.keras"), 10, 42, None)
    predicted, confidence = quality.classify(pixels)
    assert class_counts(at) == {d: int(np.sum(predicted == d)) for d in range(10)}
    sure = float(np.mean(confidence > quality.CONFIDENT))
    assert f"{sure:.0%} of the 10 digits are recognised with confidence over 90%" in texts(at.markdown)
    table = at.dataframe[0].value  # laid out like the grid: 4 columns, 3 rows, two cells empty
    assert table.shape == (3, 4)
    cells = [cell for cell in table.to_numpy().ravel() if cell]
    assert cells == [f"{d} · {round(100 * p)}" for d, p in zip(predicted, confidence, strict=True)]
    (histogram,) = [chart for chart in at.get("plotly_chart") if chart.key == "sample_classes"]
    assert histogram


def test_classification_follows_the_drawn_digits(run_dir):
    at = open_sample()
    assert not at.exception
    assert sum(class_counts(at).values()) == 64
    assert at.dataframe[0].value.shape == (8, 8)
    at.number_input(key="sample_n").set_value(256)
    at.run()
    assert not at.exception
    assert sum(class_counts(at).values()) == 256
    assert at.dataframe[0].value.shape == (16, 16)


def test_missing_classifier_still_draws_digits(run_dir, monkeypatch):
    def unavailable(pixels):
        raise quality.QualityUnavailable("quality_asset_unreadable", path="classifier.keras")
    monkeypatch.setattr(quality, "classify", unavailable)
    at = open_sample()
    assert not at.exception
    assert at.image[0].captions == ["64 digits, seed 42"]
    assert "not classified: The digit classifier's file classifier.keras cannot be read." in texts(at.caption)
    assert not at.dataframe


def test_verdict_table_is_laid_out_like_the_grid(run_dir, monkeypatch):
    def fake(pixels):  # a classifier whose verdicts say where they belong: digit i % 10, sure only for i < 5
        n = len(pixels)
        return np.arange(n) % 10, np.where(np.arange(n) < 5, 0.99, 0.5)
    monkeypatch.setattr(quality, "classify", fake)
    at = open_sample()
    at.number_input(key="sample_n").set_value(12)
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.shape == (3, 4)
    assert table.iloc[0].tolist() == ["0 · 99", "1 · 99", "2 · 99", "3 · 99"]
    assert table.iloc[2].tolist() == ["8 · 50", "9 · 50", "0 · 50", "1 · 50"]
    assert class_counts(at) == {0: 2, 1: 2, **{d: 1 for d in range(2, 10)}}
    assert "42% of the 12 digits are recognised" in texts(at.markdown)


def test_a_run_whose_generator_went_missing_says_so_not_that_it_never_trained(run_dir):
    (run_dir / "generator.keras").unlink()  # the run has finished epochs: the file was removed
    at = open_sample()
    assert not at.exception
    assert "There is no generator at" in texts(at.error) and "has not finished an epoch" not in texts(at.error)


def test_the_run_picked_on_live_follows_to_sample_and_the_bundled_generator_is_one_choice_away(
        run_dir, runs_root, finished_run):
    shutil.copytree(finished_run, sampling.PRETRAINED)  # this module's stand-in for the bundled generator
    shutil.copytree(run_dir, runs_root / "aaaaaaaaaaaa")  # a second, newer run: the pickers' default
    os.utime(runs_root / "aaaaaaaaaaaa" / "config.json")
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/live.py").run()
    assert at.selectbox(key="live_run").value.name == "aaaaaaaaaaaa"
    at.selectbox(key="live_run").select(run_dir).run()
    at.query_params.pop("run", None)  # what the sidebar's link does
    at.switch_page("pages/sample.py").run()
    assert not at.exception
    picker = at.selectbox(key="sample_run")
    assert picker.value == run_dir and len(picker.options) == 3  # the bundled generator and the two runs


def test_an_uploaded_digit_is_read_and_found_in_the_generators_imagination(runs_root):
    from gan import images

    bundled = Path(__file__).resolve().parents[1] / "gan" / "assets" / "pretrained"
    run = Path(shutil.copytree(bundled, runs_root / "bundled-copy"))  # a conditional run that draws real digits
    generator = sampling.load_generator(run / "generator.keras")
    drawn = sampling.sample(generator, 1, seed=5, digit=7)[0]
    paper = np.full((120, 100), 235, np.uint8)  # as a photo of paper: dark ink on a light page, larger
    paper[10:110, 10:90] = 255 - np.asarray(Image.fromarray(drawn).resize((80, 100)))
    at = open_sample()
    at.file_uploader(key="find_upload").upload("seven.png", images.png_bytes(paper), "image/png").run()
    assert not at.exception
    said = texts(at.markdown)
    assert "The classifier reads your digit as a **7**" in said and "The generator is asked for a 7." in said
    distance = float(at.metric[0].value)
    assert at.metric[0].label == "Distance" and 0 <= distance < 0.2
    assert [image.captions for image in at.image[-3:-1]] == [["Your digit, as the generator sees it"],
                                                          ["The closest the generator can draw"]]
    assert "From your digit to seed B (2, set in the walk above)" in texts(at.caption)
    assert [b.label for b in at.download_button][-1] == "Download as GIF"  # the walk from your digit
    at.file_uploader(key="find_upload").clear().upload("blank.png", images.png_bytes(np.full((9, 9), 90, np.uint8)),
                                                       "image/png").run()
    assert [e.value for e in at.error] == ["The picture is a single colour: there is no digit on it (no ink) to find."]


def test_a_colour_run_draws_its_own_classes_and_nothing_reads_them_as_digits(runs_root, colour_run):
    copy_of(colour_run, runs_root)
    at = open_sample()
    assert not at.exception
    assert "32×32 colour images" in texts(at.caption) and "Its classes: square, disc, bar." in texts(at.caption)
    chosen = at.radio(key="sample_digit")
    assert chosen.options == ["all classes", "square", "disc", "bar"]
    assert at.image[0].captions == ["64 images, seed 42"]
    assert "Column by column, the generator was asked for: square, disc, bar, square, disc, bar" in texts(at.caption)
    assert not at.dataframe and not at.get("plotly_chart")  # no classifier verdict, no class histogram
    assert "Find your digit" not in texts(at.subheader) and not at.get("file_uploader")
    assert [button.label for button in at.download_button] == [
        "Download PNG", "Download NumPy (.npy)", "Download as GIF", "Download the map (PNG)"]
    assert at.download_button(key="sample_npy").proto.help == "uint8 array of shape (n, 32, 32, 3), values 0..255."
    assert "With all classes chosen, the walk draws square." in texts(at.caption)
    before = at.image[0].value
    chosen.set_value(1).run()
    assert not at.exception and at.image[0].value != before
    assert "Every image here was asked to be a **disc**." in texts(at.markdown)


def test_a_colour_run_reads_in_chinese(runs_root, colour_run):
    copy_of(colour_run, runs_root)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.switch_page("pages/sample.py").run()
    assert not at.exception
    assert at.image[0].captions == ["64 张图像，种子 42"]
    assert at.radio(key="sample_digit").options[0] == "所有类别"
    assert "32×32 彩色 图像" in texts(at.caption)


REAL_PRETRAINED = Path(__file__).resolve().parents[1] / "gan" / "assets" / "pretrained"


def draw(at: AppTest, digit: np.ndarray) -> AppTest:
    """Run the page with this drawing on the canvas (AppTest cannot move a mouse): uint8 (28, 28) drawn
    280 pixels a side, white on the black page, as the component's PNG data URL in its widget state.
    A browser's canvas sends its drawing with every rerun; AppTest forgets it, so every run draws."""
    from ui import canvas_view

    strokes = np.asarray(Image.fromarray(digit).resize((280, 280), Image.BILINEAR))
    rgba = np.dstack([strokes, strokes, strokes, np.full_like(strokes, 255)])
    png = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(png, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    try:
        cleared = at.session_state[canvas_view.ROUND]
    except KeyError:  # never cleared
        cleared = 0
    at.session_state[canvas_view.key(cleared)] = {"drawing": {"raw": {"objects": []}, "data": url},
                                                  "backgroundFit": None}
    return at.run()


@pytest.fixture
def seven() -> np.ndarray:
    return sampling.sample(sampling.load_generator(REAL_PRETRAINED / "generator.keras"), 1, seed=5, digit=7)[0]


def test_a_drawing_is_read_found_on_request_and_walked_and_the_bundled_generator_has_no_judge(
        runs_root, seven, monkeypatch):
    monkeypatch.setattr(sampling, "PRETRAINED", REAL_PRETRAINED)
    at = open_sample()
    assert "Draw one digit on the black square" in texts(at.info)
    draw(at, seven)
    assert not at.exception
    said = texts(at.markdown)
    assert "The classifier reads your digit as a **7**" in said and "The generator is asked for a 7." in said
    assert "The bundled generator ships without its discriminator" in texts(at.info)
    assert not at.metric  # nothing is searched for until asked: the canvas reruns the page at every stroke
    at.button(key="draw_find").click()
    draw(at, seven)
    assert not at.exception
    distance = float(at.metric[0].value)
    assert at.metric[0].label == "Distance" and 0 <= distance < 0.2
    assert "From your digit to seed B (2, set in the walk above)" in texts(at.caption)
    at.number_input(key="sample_n").set_value(9)
    draw(at, seven)  # another rerun keeps the result without searching again
    assert float(at.metric[0].value) == distance and "draw_find" not in [b.key for b in at.button]
    at.button(key="canvas_clear").click().run()
    assert "Draw one digit on the black square" in texts(at.info) and not at.metric


def test_the_runs_discriminator_gives_its_verdict_on_the_scale_of_its_loss(runs_root, conditional_run, seven):
    copy_of(conditional_run, runs_root)
    at = draw(open_sample(), seven)
    assert not at.exception
    (score,) = [m for m in at.metric if m.label == "D's raw score"]
    assert np.isfinite(float(score.value))
    said = texts(at.markdown)
    assert "D, after epoch 1, says: **real**" in said or "D, after epoch 1, says: **fake**" in said
    notes = texts(at.caption)
    assert "This run's loss (hinge) trains D to score real digits at +1 or more" in notes
    assert "in its last epoch D scored real digits" in notes  # the run's own reference points
    assert "This discriminator is conditional: it judges whether the drawing is a real 7" in notes


def test_a_run_without_a_discriminator_offers_one_that_has(runs_root, conditional_run, seven, monkeypatch):
    monkeypatch.setattr(sampling, "PRETRAINED", REAL_PRETRAINED)
    copy_of(conditional_run, runs_root)
    at = draw(open_sample(), seven)
    assert not at.exception
    assert at.selectbox(key="sample_run").value == REAL_PRETRAINED
    assert at.selectbox(key="draw_verdict_run").value.name == conditional_run.name
    assert [m.label for m in at.metric] == ["D's raw score"]


def test_a_drawing_joins_the_class_dataset_with_its_corrected_label(runs_root, seven, monkeypatch):
    from gan import classdata

    monkeypatch.setenv("GAN_DEMO", "1")
    monkeypatch.setenv("GAN_DEMO_DRAWINGS", "2")
    shutil.copytree(REAL_PRETRAINED, runs_root / "bundled-copy")
    at = draw(open_sample(), seven)
    assert "No drawings yet" in texts(at.info)
    label_box = next(box for box in at.selectbox if box.key.startswith("classdata_label_"))
    assert label_box.value == 7  # the classifier's reading to start with
    for step in ("add", 1, "add", "add"):  # the visitor says the second is a 1; a third is over the cap of 2
        if step == "add":
            at.button(key="classdata_add").click()
        else:
            next(box for box in at.selectbox if box.key.startswith("classdata_label_")).set_value(step)
        draw(at, seven)
    assert not at.exception
    assert [e.label for e in classdata.entries(runs_root)] == [7, 1]
    assert "You have added 2 drawings, the most this server takes from one visitor." in texts(at.warning)
    assert "You have added 2 of your 2 drawings." in texts(at.caption)
    assert "**2 drawings** — per digit: 0: 0 · 1: 1 · 2: 0" in texts(at.markdown)
    assert not [b for b in at.button if b.key == "classdata_train"]  # the host's tools only for the host


def test_the_host_removes_drawings_and_sees_the_train_button_wait_for_64(runs_root, seven, monkeypatch):
    from gan import classdata, owners

    for label in (1, 2, 3):
        classdata.add(runs_root, seven, label, owners.digest("someone-else"))
    monkeypatch.setenv("GAN_HOST_KEY", "open-sesame")
    shutil.copytree(REAL_PRETRAINED, runs_root / "bundled-copy")
    at = open_sample()
    at.text_input(key="host_key").set_value("open-sesame").run()
    assert not at.exception
    assert at.button(key="classdata_train").disabled
    assert "Training needs at least 64 drawings: there are 3 so far." in texts(at.caption)
    picker = at.multiselect(key="classdata_remove_pick")
    assert picker.options == ["#1: a 1", "#2: a 2", "#3: a 3"]
    picker.select(classdata.entries(runs_root)[1].id).run()
    at.button(key="classdata_remove").click().run()
    assert not at.exception
    assert [e.label for e in classdata.entries(runs_root)] == [1, 3]
    assert "**2 drawings**" in texts(at.markdown) and at.multiselect(key="classdata_remove_pick").value == []


@pytest.mark.slow
def test_the_hosts_click_trains_on_the_class_drawings(runs_root, monkeypatch):
    from gan import classdata, data, owners, uploads

    bundled = data.subset(data.load_bundled(), 70, seed=0)  # every digit, as a class draws them
    labels = bundled.labels
    for i, (pixels, label) in enumerate(zip(bundled.pixels, labels, strict=True)):
        classdata.add(runs_root, pixels, int(label), owners.digest(f"visitor-{i % 7}"))
    monkeypatch.setenv("GAN_HOST_KEY", "open-sesame")
    monkeypatch.setenv("GAN_DEMO", "1")
    monkeypatch.setenv("GAN_DEMO_MAX_EPOCHS", "1")
    shutil.copytree(REAL_PRETRAINED, runs_root / "bundled-copy")
    at = open_sample()
    at.text_input(key="host_key").set_value("open-sesame").run()
    assert not at.button(key="classdata_train").disabled
    at.button(key="classdata_train").click().run()
    assert not at.exception
    (run_dir,) = [path for path in runs.list_runs(runs_root) if path.name != "bundled-copy"]
    cfg = runs.read_config(run_dir)
    stored = uploads.load(runs_root, cfg.dataset)
    assert cfg.n_images == len(stored.pixels) == 70 and cfg.epochs == 1 and cfg.conditional
    assert stored.class_names == tuple(str(d) for d in sorted(set(labels.tolist())))
    assert any(run_dir.name in box.value for box in at.success)
    at.switch_page("pages/train.py").run()  # the answer belongs to the class's section, not to the Train form
    assert not any(run_dir.name in box.value for box in at.success)
    deadline = time.time() + 300
    while runs.read_status(run_dir).state not in ("finished", "failed") and time.time() < deadline:
        time.sleep(1)
    assert runs.read_status(run_dir).state == "finished", (run_dir / "train.log").read_text()[-2000:]
