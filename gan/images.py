"""Digit grids as PNG and animated GIF bytes (Pillow only, no TensorFlow)."""

import io
import math

import numpy as np
from PIL import Image


def grid(pixels: np.ndarray, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """uint8 (n, h, w) -> one uint8 image of the digits in rows of `cols`, on a black background."""
    n, h, w = pixels.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    canvas = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), np.uint8)
    for i, digit in enumerate(pixels):
        r, c = divmod(i, cols)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = digit
    return canvas


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """A uint8 (h, w) image as PNG, enlarged `scale` times with crisp pixels."""
    picture = Image.fromarray(image, mode="L")
    if scale > 1:
        picture = picture.resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def gif_bytes(frames: list[np.ndarray], seconds_per_frame: float = 0.2, scale: int = 1) -> bytes:
    """uint8 (h, w) frames as a looping animated GIF."""
    pictures = [Image.fromarray(f, mode="L") for f in frames]
    if scale > 1:
        pictures = [p.resize((p.width * scale, p.height * scale), Image.NEAREST) for p in pictures]
    out = io.BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=int(seconds_per_frame * 1000), loop=0)
    return out.getvalue()


def read_png(data: bytes) -> np.ndarray:
    """PNG bytes -> uint8 grey image; ValueError if the bytes are not a readable image."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return np.asarray(picture.convert("L"))
    except (OSError, SyntaxError) as error:  # PIL's message names its in-memory buffer: not useful
        raise ValueError("not a readable image (damaged or truncated)") from error
