"""The Sample page's "find your digit in the generator's imagination": an uploaded photo of a digit,
read by the classifier, found by GAN inversion (gan.inversion), and walked to another sample."""

import hashlib

import numpy as np
import streamlit as st

from gan import images, inversion, quality, sampling
from ui import common, i18n
from ui.i18n import t

WIDTH = 224  # pixels of each of the two digits side by side
WALK_FRAMES = 10


@st.cache_data(max_entries=64, show_spinner=False)
def classify_one(pixels: bytes) -> tuple[int, float]:
    """An uploaded digit (uint8 28 x 28, as bytes) through the shipped classifier: (digit, probability)."""
    read, sure = quality.classify(np.frombuffer(pixels, np.uint8).reshape(1, 28, 28))
    return int(read[0]), float(sure[0])


def find(generator, source: tuple[str, float], target: np.ndarray, digit: int | None) -> inversion.Inversion:
    """The generator's closest digit to target (gan.inversion), with a progress bar while it searches;
    remembered for the session, so reruns of the page do not search again."""
    key = (source, hashlib.sha256(target.tobytes()).hexdigest(), digit)
    if st.session_state.get("find_key") != key:
        bar = st.progress(0.0)

        def follow(step: int, steps: int, best: float) -> None:
            if step % 10 == 0 or step == steps:
                bar.progress(step / steps, text=t("sample.find_progress", step=step, steps=steps, distance=best))

        st.session_state.find_result = inversion.invert(generator, target, digit, on_step=follow)
        st.session_state.find_key = key
        bar.empty()
    return st.session_state.find_result


def show(generator, source: tuple[str, float], conditional: bool, digit: int | None, seed_b: int) -> None:
    """Upload, the classifier's reading, the search, the two digits and their distance, and the walk
    from the found latent point to seed B's. source: (the generator's path, its mtime)."""
    st.subheader(t("sample.find"))
    st.caption(t("sample.find_caption"))
    upload = common.file_uploader(t("sample.find_upload"), ["png", "jpg", "jpeg"], key="find_upload")
    if upload is None:
        return
    try:
        yours = images.digit_from_upload(upload.getvalue())
    except images.UploadError as error:
        st.error(i18n.error_text(error))
        return
    try:
        read, sure = classify_one(yours.tobytes())
        said = t("sample.find_reads", digit=read, confidence=sure)
    except quality.QualityUnavailable:  # the search does not need the classifier
        read, said = None, ""
    asked = (digit if digit is not None else read if read is not None else 0) if conditional else None
    st.markdown(said + (t("sample.find_asks", digit=asked) if conditional else ""))
    found = find(generator, source, yours, asked)
    left, right, number = st.columns([2, 2, 1])
    left.image(images.png_near_width(yours, WIDTH), caption=t("sample.find_yours"), width="content")
    right.image(images.png_near_width(found.pixels, WIDTH), caption=t("sample.find_closest"), width="content")
    number.metric(t("sample.find_distance"), f"{found.distance:.3f}", help=t("sample.find_distance_help"))
    st.caption(t("sample.find_walk", seed=seed_b))
    frames = sampling.walk(generator, found.z, sampling.latents(generator, 1, seed_b)[0], WALK_FRAMES, asked)
    st.image(images.png_near_width(images.grid(frames, cols=WALK_FRAMES), 1000), width="content")
    st.download_button(t("sample.gif"), lambda: images.gif_bytes(list(frames), 0.15, scale=6), "your-walk.gif",
                       "image/gif", key="find_gif", on_click="ignore", icon="🎞️")
