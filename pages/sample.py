"""Sample: draw digits (or a run's own kind of images) from a run's generator (or the bundled one), walk
between two latent points, map the plane around them, draw (or upload) a digit for the classifier, the
discriminator and GAN inversion to answer, and the class's dataset of drawings."""

import io
import random
from pathlib import Path

import numpy as np
import streamlit as st

from gan import config, images, quality, runs, sampling
from ui import classdata_view, classes_view, common, find_view, i18n, quality_view
from ui.i18n import t

common.use_the_router()

TARGET_WIDTH = 560  # pixels: big enough to see strokes, small enough to fit beside the controls

st.title(t("sample.title"))
st.markdown(t("sample.intro"))


@st.cache_resource(max_entries=8, show_spinner=t("sample.loading"))
def load(path: str, mtime: float):
    """The generator in path; mtime is in the key so a newer epoch's file is loaded afresh."""
    return sampling.load_generator(path)


@st.cache_data(max_entries=64, show_spinner=False)
def draw(path: str, mtime: float, n: int, seed: int, digit: int | None) -> np.ndarray:
    """uint8 (n, height, width[, 3]), cached: a workshop asking for the same seed costs one forward pass."""
    return sampling.sample(load(path, mtime), n, seed, digit)


@st.cache_data(max_entries=64, show_spinner=t("sample.classifying"))
def classify(path: str, mtime: float, n: int, seed: int, digit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """draw()'s digits through the shipped classifier: (predicted int (n,), confidence float (n,))."""
    return quality.classify(draw(path, mtime, n, seed, digit))


@st.cache_data(max_entries=64, show_spinner=False)
def latent_map(path: str, mtime: float, seeds: tuple[int, int, int], side: int, digit: int | None) -> np.ndarray:
    return sampling.latent_map(load(path, mtime), *seeds, side, digit)


@st.cache_data(max_entries=64, show_spinner=False)
def walk(path: str, mtime: float, seed_a: int, seed_b: int, steps: int, digit: int | None) -> np.ndarray:
    return sampling.interpolate(load(path, mtime), seed_a, seed_b, steps, digit)


def new_seed(key: str) -> None:
    st.session_state[key] = random.randrange(100_000)


def describe(run_dir: Path) -> None:
    if run_dir == sampling.PRETRAINED:
        st.caption(t("sample.pretrained"))
        return
    status = runs.read_status(run_dir)
    if not status.active:
        return
    if status.epoch:
        st.info(t("sample.still_training", epoch=status.epoch, epochs=status.epochs or "?"))
    else:
        st.info(t("sample.first_epoch"))


run_dir = common.pick_run("sample_run", t("sample.generator"), pretrained="first")
if run_dir is None:
    st.info(t("sample.none"))
    st.page_link("pages/train.py", label=t("sample.start_one"), icon="🏋️")
    st.stop()
st.query_params["run"] = run_dir.name  # keeps this run picked when its label changes (running -> finished)
describe(run_dir)

path = run_dir / "generator.keras"
mtime = path.stat().st_mtime if path.exists() else 0.0
try:
    generator = load(str(path), mtime)
except sampling.GeneratorError as error:
    never_saved = not path.exists() and run_dir != sampling.PRETRAINED and not runs.read_status(run_dir).epoch
    st.error(t("sample.not_saved") if never_saved else t("sample.unusable", error=i18n.error_text(error))
             + t("sample.other_run"))
    st.stop()

conditional = sampling.is_conditional(generator)
what = classes_view.drawn(run_dir, generator)  # digits, or the run's own images and classes
classes_view.describe(what)
digit = classes_view.pick(what)

st.subheader(what.words("draw"))
controls, picture = st.columns([1, 2])
with controls:
    n = st.number_input(what.words("how_many"), 1, 256, 64, key="sample_n")
    seed = st.number_input(t("sample.seed"), 0, config.SEED_MAX, 42, key="sample_seed")
    st.button(t("sample.new_seed"), on_click=new_seed, args=("sample_seed",), icon="🎲")
pixels = draw(str(path), mtime, int(n), int(seed), digit)
cols = classes_view.columns(what, len(pixels), digit)
grid_png = images.png_near_width(images.grid(pixels, cols=cols), TARGET_WIDTH)
name = "digits" if what.digits else "images"
with picture:
    st.image(grid_png, caption=what.words("caption", n=len(pixels), seed=seed), width="content")
with controls:
    st.download_button(t("sample.png"), grid_png, f"{name}.png", "image/png", key="sample_png", on_click="ignore")
    npy = io.BytesIO()
    np.save(npy, pixels)
    shape = ", ".join(map(str, pixels.shape[1:]))
    st.download_button(t("sample.npy"), npy.getvalue(), f"{name}.npy", "application/octet-stream",
                       key="sample_npy", on_click="ignore", help=t("sample.npy_help", shape=shape))
if what.digits:
    try:
        quality_view.show_verdict(*classify(str(path), mtime, int(n), int(seed), digit), cols, controls)
    except quality.QualityUnavailable as error:
        st.caption(t("sample.no_classifier", error=i18n.error_text(error)))
classes_view.show_asked(what, digit, cols)

st.subheader(t("sample.walk"))
st.caption(t("sample.walk_caption") + classes_view.zeros_note(what, digit, "walk_zeros"))
a, b, s = st.columns(3)
seed_a = a.number_input(t("sample.seed_a"), 0, config.SEED_MAX, 1, key="walk_a")
seed_b = b.number_input(t("sample.seed_b"), 0, config.SEED_MAX, 2, key="walk_b")
steps = s.slider(t("sample.frames"), 3, 16, 10, key="walk_steps")
frames = walk(str(path), mtime, int(seed_a), int(seed_b), steps, digit)
st.image(images.png_near_width(images.grid(frames, cols=steps), width=1000), width="content")
st.download_button(t("sample.gif"), lambda: images.gif_bytes(list(frames), 0.15, scale=6), "walk.gif",
                   "image/gif", key="walk_gif", on_click="ignore", icon="🎞️")

st.subheader(t("sample.map"))
st.caption(t("sample.map_caption") + classes_view.zeros_note(what, digit, "map_zeros"))
c, size = st.columns(2)
seed_c = c.number_input(t("sample.seed_c"), 0, config.SEED_MAX, 3, key="map_c")
side = size.slider(t("sample.side"), 5, 11, 7, step=2, key="map_side")  # odd: a middle row holds the walk
plane = latent_map(str(path), mtime, (int(seed_a), int(seed_b), int(seed_c)), side, digit)
map_png = images.png_near_width(images.grid(plane, cols=side), width=TARGET_WIDTH)
st.image(map_png, width="content")
st.download_button(t("sample.map_png"), map_png, "latent-map.png", "image/png", key="map_png_download",
                   on_click="ignore")

if what.digits:  # a drawing or a photo becomes an MNIST digit: only a digit generator can draw it
    find_view.show(generator, (str(path), mtime), conditional, digit, int(seed_b), run_dir)
classdata_view.show()
