"""The Sample page's "draw and ask": a digit drawn on the canvas or an uploaded photo of one, read by
the classifier, judged by the run's discriminator, found by GAN inversion (gan.inversion) and walked
to another sample; a drawing can join the class dataset."""

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from gan import images, inversion, quality, sampling
from ui import canvas_view, classdata_view, common, i18n, verdict_view
from ui.i18n import t

WIDTH = 224  # pixels of each of the two digits side by side
WALK_FRAMES = 10
ASKED = "draw_find_asked"  # session key: the drawing whose search was asked for (sha256 of its pixels)


@st.cache_data(max_entries=64, show_spinner=False)
def classify_one(pixels: bytes) -> tuple[int, float]:
    """A digit (uint8 28 x 28, as bytes) through the shipped classifier: (digit, probability)."""
    read, sure = quality.classify(np.frombuffer(pixels, np.uint8).reshape(1, 28, 28))
    return int(read[0]), float(sure[0])


def find(generator, source: tuple[str, float], target: np.ndarray, digit: int | None, way: str):
    """The generator's closest digit to target (gan.inversion), with a progress bar while it searches;
    remembered for the session (one per way in: "draw", "upload"), so reruns do not search again."""
    key = find_key(source, target, digit)
    if st.session_state.get(f"{way}_find_key") != key:
        bar = st.progress(0.0)

        def follow(step: int, steps: int, best: float) -> None:
            if step % 10 == 0 or step == steps:
                bar.progress(step / steps, text=t("sample.find_progress", step=step, steps=steps, distance=best))

        st.session_state[f"{way}_find_result"] = inversion.invert(generator, target, digit, on_step=follow)
        st.session_state[f"{way}_find_key"] = key
        bar.empty()
    return st.session_state[f"{way}_find_result"]


def find_key(source: tuple[str, float], target: np.ndarray, digit: int | None) -> tuple:
    """What a search's result depends on: the generator (path, mtime), the target's pixels, the digit asked."""
    return source, hashlib.sha256(target.tobytes()).hexdigest(), digit


def found_before(source: tuple[str, float], target: np.ndarray, digit: int | None, way: str) -> bool:
    return st.session_state.get(f"{way}_find_key") == find_key(source, target, digit)


def show(generator, source: tuple[str, float], conditional: bool, digit: int | None, seed_b: int,
         run_dir: Path) -> None:
    """Two ways in (tabs: draw, upload a photo), each followed by the same steps (ask). source: (the
    generator's path, its mtime); run_dir: the run whose discriminator judges the digit."""
    st.subheader(t("sample.find"))
    st.caption(t("sample.find_caption"))
    draw_tab, upload_tab = st.tabs([t("sample.tab_draw"), t("sample.tab_upload")])
    with draw_tab:
        canvas, reading = st.columns([3, 4])
        with canvas:
            yours = canvas_view.drawing()
        if yours is None:
            reading.info(t("sample.canvas_empty"))
        else:
            ask(yours, "draw", reading, generator, source, conditional, digit, seed_b, run_dir)
    with upload_tab:
        st.caption(t("sample.upload_caption"))
        upload = common.file_uploader(t("sample.find_upload"), ["png", "jpg", "jpeg"], key="find_upload")
        if upload is not None:
            try:
                yours = images.digit_from_upload(upload.getvalue())
            except images.UploadError as error:
                st.error(i18n.error_text(error))
            else:
                ask(yours, "upload", st.container(), generator, source, conditional, digit, seed_b, run_dir)


def ask(yours: np.ndarray, way: str, beside, generator, source: tuple[str, float], conditional: bool,
        digit: int | None, seed_b: int, run_dir: Path) -> None:
    """What the classifier reads in uint8 (28, 28) yours, the discriminator's verdict (in `beside`, a
    container), a drawing's place in the class dataset, then the search and the walk. A drawing is
    searched for on request (the canvas reruns the page at every stroke), a photo at once."""
    with beside:
        if way == "draw":
            st.image(images.png_near_width(yours, 112), caption=t("sample.find_yours"), width="content")
        try:
            read, sure = classify_one(yours.tobytes())
            said = t("sample.find_reads", digit=read, confidence=sure)
        except quality.QualityUnavailable:  # the search does not need the classifier
            read, said = None, ""
        asked = (digit if digit is not None else read if read is not None else 0) if conditional else None
        st.markdown(said + (t("sample.find_asks", digit=asked) if conditional else ""))
        verdict_view.show(run_dir, yours, read, way)
    if way == "draw":
        classdata_view.add_form(yours, read)
        drawn = hashlib.sha256(yours.tobytes()).hexdigest()
        if st.session_state.get(ASKED) != drawn and not found_before(source, yours, asked, way):
            st.button(t("sample.find_go"), icon="🔎", type="primary", key="draw_find", on_click=st.session_state.update,
                      kwargs={ASKED: drawn})
            return
    found = find(generator, source, yours, asked, way)
    left, right, number = st.columns([2, 2, 1])
    left.image(images.png_near_width(yours, WIDTH), caption=t("sample.find_yours"), width="content")
    right.image(images.png_near_width(found.pixels, WIDTH), caption=t("sample.find_closest"), width="content")
    number.metric(t("sample.find_distance"), f"{found.distance:.3f}", help=t("sample.find_distance_help"))
    st.caption(t("sample.find_walk", seed=seed_b))
    frames = sampling.walk(generator, found.z, sampling.latents(generator, 1, seed_b)[0], WALK_FRAMES, asked)
    st.image(images.png_near_width(images.grid(frames, cols=WALK_FRAMES), 1000), width="content")
    st.download_button(t("sample.gif"), lambda: images.gif_bytes(list(frames), 0.15, scale=6), "your-walk.gif",
                       "image/gif", key=f"{way}_find_gif", on_click="ignore", icon="🎞️")
