"""Sample: draw digits from a run's generator (or the bundled one) and walk between two latent points."""

import io
import math
import random
from pathlib import Path

import numpy as np
import streamlit as st

from gan import images, quality, runs, sampling
from pages import common, quality_view

common.use_the_router()

ALL_DIGITS = "all digits"
TARGET_WIDTH = 560  # pixels: big enough to see strokes, small enough to fit beside the controls

st.title("Sample digits")
st.markdown("A trained generator turns any point **z** of its latent space into a digit. The same seed "
            "always gives the same points, so everyone in the room sees the same digits for seed 42. "
            "Walking from one point to another shows how smoothly the generator has organised its space.")


@st.cache_resource(max_entries=8, show_spinner="Loading the generator…")
def load(path: str, mtime: float):
    """The generator in path; mtime is in the key so a newer epoch's file is loaded afresh."""
    return sampling.load_generator(path)


@st.cache_data(max_entries=64, show_spinner=False)
def draw(path: str, mtime: float, n: int, seed: int, digit: int | None) -> np.ndarray:
    """uint8 (n, 28, 28), cached: a workshop asking for the same seed costs one forward pass."""
    return sampling.sample(load(path, mtime), n, seed, digit)


@st.cache_data(max_entries=64, show_spinner="Classifying the digits…")
def classify(path: str, mtime: float, n: int, seed: int, digit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """draw()'s digits through the shipped classifier: (predicted int (n,), confidence float (n,))."""
    return quality.classify(draw(path, mtime, n, seed, digit))


@st.cache_data(max_entries=64, show_spinner=False)
def walk(path: str, mtime: float, seed_a: int, seed_b: int, steps: int, digit: int | None) -> np.ndarray:
    return sampling.interpolate(load(path, mtime), seed_a, seed_b, steps, digit)


def scaled_png(picture: np.ndarray, width: int = TARGET_WIDTH) -> bytes:
    """PNG of a uint8 image enlarged by the whole factor that brings it closest to `width` pixels."""
    return images.png_bytes(picture, scale=max(1, min(8, round(width / picture.shape[1]))))


def new_seed(key: str) -> None:
    st.session_state[key] = random.randrange(100_000)


def describe(run_dir: Path) -> None:
    if run_dir == common.PRETRAINED:
        st.caption("The bundled generator, trained ahead of time on MNIST.")
        return
    status = runs.read_status(run_dir)
    if not runs.is_active(status):
        return
    if status.get("epoch"):
        st.info(f"This run is still training: you are sampling its generator from epoch {status['epoch']} "
                f"of {status.get('epochs', '?')}. Come back later for better digits.")
    else:
        st.info("This run is still training its first epoch; its generator is saved when the epoch ends.")


run_dir = common.pick_run("sample_run", "Generator", include_pretrained=True)
if run_dir is None:
    st.info("No generator yet: train a run first (the bundled pretrained generator is not installed).")
    st.page_link("pages/train.py", label="Start a run on the Train page", icon="🏋️")
    st.stop()
st.query_params["run"] = run_dir.name  # keeps this run picked when its label changes (running -> finished)
describe(run_dir)

path = run_dir / "generator.keras"
mtime = path.stat().st_mtime if path.exists() else 0.0
try:
    generator = load(str(path), mtime)
except sampling.GeneratorError as error:
    advice = " Pick another run, or train this one again." if path.exists() else ""
    st.error(f"This generator cannot be used: {error}.{advice}")
    st.stop()

conditional = sampling.is_conditional(generator)
digit = None
if conditional:
    choice = st.radio("Digit to draw", [ALL_DIGITS, *range(10)], horizontal=True, key="sample_digit",
                      help="This generator is conditional: it is told which digit to draw.")
    digit = None if choice == ALL_DIGITS else int(choice)

st.subheader("Draw digits")
controls, picture = st.columns([1, 2])
with controls:
    n = st.number_input("How many digits", 1, 256, 64, key="sample_n")
    seed = st.number_input("Seed", 0, 2**31 - 1, 42, key="sample_seed")
    st.button("New random seed", on_click=new_seed, args=("sample_seed",), icon="🎲")
pixels = draw(str(path), mtime, int(n), int(seed), digit)
cols = 10 if conditional and digit is None else math.ceil(math.sqrt(len(pixels)))
grid_png = scaled_png(images.grid(pixels, cols=cols))
with picture:
    st.image(grid_png, caption=f"{len(pixels)} digits, seed {seed}", width="content")
with controls:
    st.download_button("Download PNG", grid_png, "digits.png", "image/png", key="sample_png", on_click="ignore")
    npy = io.BytesIO()
    np.save(npy, pixels)
    st.download_button("Download NumPy (.npy)", npy.getvalue(), "digits.npy", "application/octet-stream",
                       key="sample_npy", on_click="ignore", help="uint8 array of shape (n, 28, 28), values 0..255.")
try:
    quality_view.show_verdict(*classify(str(path), mtime, int(n), int(seed), digit), cols, controls)
except quality.QualityUnavailable as error:
    st.caption(f"The digit classifier is not available, so these digits are not classified: {error}")

st.subheader("Walk between two seeds")
st.caption("Each frame decodes a point on the arc from seed A's latent point to seed B's."
           + (" With all digits chosen, the walk draws 0s." if conditional and digit is None else ""))
a, b, s = st.columns(3)
seed_a = a.number_input("Seed A", 0, 2**31 - 1, 1, key="walk_a")
seed_b = b.number_input("Seed B", 0, 2**31 - 1, 2, key="walk_b")
steps = s.slider("Frames", 3, 16, 10, key="walk_steps")
frames = walk(str(path), mtime, int(seed_a), int(seed_b), steps, digit)
st.image(scaled_png(images.grid(frames, cols=steps), width=1000), width="content")
st.download_button("Download as GIF", lambda: images.gif_bytes(list(frames), 0.15, scale=6), "walk.gif",
                   "image/gif", key="walk_gif", on_click="ignore", icon="🎞️")
