"""Image grids as PNG and animated GIF bytes, grey or colour (Pillow only, no TensorFlow)."""

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image

from gan.errors import UserError

UPLOAD_SIDE = 4096  # a photo of a digit needs far fewer pixels; more only costs the server memory
GIF_FRAMES = 100  # a 1,000-epoch run animates every tenth grid
GIF_SIDE = 512  # a run's grid is about 500 pixels a side


def grid(pixels: np.ndarray, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """uint8 (n, h, w) grey or (n, h, w, 3) colour -> one uint8 image (grey (H, W) or colour (H, W, 3))
    of the images in rows of `cols`, on a black background."""
    n, h, w = pixels.shape[:3]
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    canvas = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, *pixels.shape[3:]), np.uint8)
    for i, image in enumerate(pixels):
        r, c = divmod(i, cols)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = image
    return canvas


def class_columns(n_classes: int, near: int) -> int:
    """The multiple of n_classes nearest `near` (at least n_classes): the columns of a grid whose
    images cycle through the classes, so each column shows one class."""
    return n_classes * max(1, round(near / n_classes))


def to_picture(image: np.ndarray) -> Image.Image:
    """A uint8 (h, w) grey or (h, w, 3) colour array as a Pillow image of the same mode."""
    return Image.fromarray(np.ascontiguousarray(image, np.uint8))


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """A uint8 (h, w) grey or (h, w, 3) colour image as PNG, enlarged `scale` times with crisp pixels."""
    picture = to_picture(image)
    if scale > 1:
        picture = picture.resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def png_near_width(image: np.ndarray, width: int) -> bytes:
    """PNG of a uint8 (h, w[, 3]) image enlarged by the whole factor (1 to 8) that brings it closest to
    `width` pixels: big enough to see strokes, crisp pixels."""
    return png_bytes(image, scale=max(1, min(8, round(width / image.shape[1]))))


def gif_bytes(frames: list[np.ndarray], seconds_per_frame: float = 0.2, scale: int = 1) -> bytes:
    """uint8 (h, w) grey or (h, w, 3) colour frames as a looping animated GIF (colour frames get
    their own 256-colour palettes)."""
    pictures = [to_picture(f) for f in frames]
    if scale > 1:
        pictures = [p.resize((p.width * scale, p.height * scale), Image.NEAREST) for p in pictures]
    out = io.BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=int(seconds_per_frame * 1000), loop=0)
    return out.getvalue()


def grids_gif(pngs: list[Path], seconds_per_frame: float = 0.4, max_frames: int = GIF_FRAMES,
              max_side: int = GIF_SIDE) -> bytes:
    """One run's epoch grids (PNG files, in order) as an animated GIF, b"" if none is readable.

    Its memory is bounded whatever the files: at most max_frames of them, evenly spaced with the
    last always in, each shrunk to max_side pixels a side; a file too large to decode within
    Pillow's bomb limit, or damaged, is skipped rather than spoiling the animation.
    """
    stride = max(1, math.ceil(len(pngs) / max_frames))
    chosen = pngs[::-1][::stride][::-1]
    frames = []
    for png in chosen:
        try:
            with Image.open(png) as opened:
                opened.thumbnail((max_side, max_side), Image.NEAREST)
                frames.append(opened.convert("L" if opened.mode == "L" else "RGB"))
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            continue
    if any(frame.mode == "RGB" for frame in frames):  # one run's grids share a mode; a stray grey one is shown grey
        frames = [frame.convert("RGB") for frame in frames]
    return gif_bytes([np.asarray(frame) for frame in frames], seconds_per_frame) if frames else b""


def read_png(data: bytes) -> np.ndarray:
    """PNG bytes -> uint8 grey image; ValueError if the bytes are not a readable image."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return np.asarray(picture.convert("L"))
    except (OSError, SyntaxError) as error:  # PIL's message names its in-memory buffer: not useful
        raise ValueError("not a readable image (damaged or truncated)") from error


class UploadError(UserError, ValueError):
    """A picture that cannot be read as a digit; its kind says why (catalogue texts error.upload_*)."""


def digit_from_upload(data: bytes) -> np.ndarray:
    """A picture of one digit (PNG or JPEG bytes) as MNIST draws them: uint8 (28, 28), white ink on
    black, the ink's bounding box scaled to fit 20 x 20 and centred. A light background (dark ink
    on paper) is inverted first. UploadError if the bytes are not a picture this accepts, or hold
    no ink."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if max(picture.size) > UPLOAD_SIDE:
                raise UploadError("upload_too_large", side=UPLOAD_SIDE)
            grey = np.asarray(picture.convert("L"), np.float32)
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise UploadError("upload_unreadable") from error
    if np.median(grey) > 127:
        grey = 255 - grey
    grey = grey - grey.min()  # the paper's own shade is not ink
    if grey.max() < 32:
        raise UploadError("upload_no_ink")
    return _centred(grey)


def digit_from_drawing(rgba: np.ndarray) -> np.ndarray | None:
    """A canvas drawing, uint8 (h, w, 4) RGBA (or (h, w, 3) RGB) of light strokes on a dark or
    transparent background, as MNIST draws digits (see digit_from_upload): uint8 (28, 28). None while
    nothing is drawn."""
    colour = rgba[..., :3].astype(np.float32)
    alpha = rgba[..., 3:].astype(np.float32) / 255 if rgba.shape[-1] == 4 else 1.0
    grey = (colour * alpha).mean(axis=-1)  # transparent pixels are the black page
    if grey.max() < 32:
        return None
    return _centred(grey)


def _centred(grey: np.ndarray) -> np.ndarray:
    """Light ink on black, float (h, w) in 0..255 -> uint8 (28, 28): the ink's bounding box scaled to
    fit 20 x 20 and centred, as MNIST's digits are."""
    ink = grey > 0.25 * grey.max()
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    box = grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = 20 / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    small = np.asarray(Image.fromarray(box.astype(np.uint8)).resize(size, Image.LANCZOS))
    canvas = np.zeros((28, 28), np.uint8)
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
    return canvas
