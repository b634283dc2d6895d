"""The Sample page's drawing canvas (streamlit-drawable-canvas, served with the app: no network):
white strokes on black, as MNIST's digits are, read back as an MNIST digit."""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from gan import images
from ui.i18n import t

SIDE = 280  # pixels: ten canvas pixels to one of the digit's 28
# A digit drawn across most of the canvas is scaled down about tenfold into MNIST's 20-pixel box: a
# 26-pixel brush then leaves strokes about 2.5 pixels wide, like MNIST's (3 pixels above half ink).
BRUSH = 26
ROUND = "canvas_round"  # session key: bumped by Clear, so a new, empty canvas is mounted


def key(cleared: int) -> str:
    """The canvas's widget key after `cleared` clears (tests put a drawing in session state under it)."""
    return f"draw_canvas_{cleared}"


def clear() -> None:
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1


def drawing() -> np.ndarray | None:
    """The canvas, its Clear button, and what is drawn on it as uint8 (28, 28) (images.digit_from_drawing),
    None while it is empty."""
    result = st_canvas(stroke_width=BRUSH, stroke_color="#FFFFFF", background_color="#000000", height=SIDE,
                       width=SIDE, drawing_mode="freedraw", return_image_data=True,
                       key=key(st.session_state.get(ROUND, 0)))
    st.button(t("sample.canvas_clear"), on_click=clear, icon="🧽", key="canvas_clear")
    rgba = result.image_data
    return None if rgba is None or rgba.ndim != 3 else images.digit_from_drawing(rgba)
