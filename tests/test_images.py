import io

import numpy as np
import pytest
from PIL import Image

from gan import images


def test_grid_places_digits_in_rows():
    pixels = np.stack([np.full((28, 28), i, np.uint8) for i in range(10)])
    canvas = images.grid(pixels, cols=4, pad=2)
    assert canvas.shape == (3 * 30 + 2, 4 * 30 + 2) and canvas.dtype == np.uint8
    assert canvas[2, 2] == 0 and canvas[2 + 30, 2 + 30] == 5 and canvas[0, 0] == 0


def test_png_and_gif_round_trip():
    frame = (np.arange(28 * 28) % 256).astype(np.uint8).reshape(28, 28)
    assert np.array_equal(images.read_png(images.png_bytes(frame)), frame)
    assert images.read_png(images.png_bytes(frame, scale=3)).shape == (84, 84)
    gif = images.gif_bytes([frame, 255 - frame])
    assert gif[:6] == b"GIF89a"


def test_unreadable_png_is_a_value_error():
    with pytest.raises(ValueError, match="not a readable image"):
        images.read_png(b"\x89PNG\r\n\x1a\n truncated")


def test_a_runs_grids_make_a_gif_of_bounded_frames_and_size_with_the_last_grid_in(tmp_path):
    pngs = []
    for n in range(30):
        path = tmp_path / f"epoch_{n:04d}.png"
        path.write_bytes(images.png_bytes(np.full((40, 60), n * 8, np.uint8)))
        pngs.append(path)
    (tmp_path / "epoch_0007.png").write_bytes(b"not a png")  # a damaged one is skipped
    gif = Image.open(io.BytesIO(images.grids_gif(pngs, max_frames=7, max_side=16)))
    assert gif.n_frames <= 7 and max(gif.size) <= 16
    gif.seek(gif.n_frames - 1)
    assert np.asarray(gif.convert("L")).mean() == pytest.approx(29 * 8, abs=2)
    assert images.grids_gif([tmp_path / "epoch_0007.png"]) == b""


def test_an_uploaded_digit_becomes_an_mnist_digit_whatever_its_size_and_paper():
    paper = np.full((300, 200), 240, np.uint8)
    paper[100:220, 90:110] = 20  # a dark "1" on light paper, off centre
    digit = images.digit_from_upload(images.png_bytes(paper))
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    assert digit[14, 14] > 200 and digit[0, 0] == 0 and digit[14, 3] == 0  # white ink, centred, on black
    rows = np.flatnonzero(digit.max(axis=1) > 100)
    assert 18 <= rows[-1] - rows[0] + 1 <= 20  # the stroke's height scaled to the 20-pixel box
    with pytest.raises(ValueError, match="no ink"):
        images.digit_from_upload(images.png_bytes(np.full((28, 28), 200, np.uint8)))
    with pytest.raises(ValueError, match="not a readable picture"):
        images.digit_from_upload(b"not a picture")


def test_a_colour_grid_keeps_its_channels_and_saves_as_rgb_png():
    pixels = np.zeros((5, 4, 4, 3), np.uint8)
    pixels[..., 0] = 200
    canvas = images.grid(pixels, cols=3, pad=1)
    assert canvas.shape == (2 * 5 + 1, 3 * 5 + 1, 3) and canvas[1, 1].tolist() == [200, 0, 0]
    assert images.read_png(images.png_bytes(canvas, scale=2)).shape == (22, 32)  # read back as grey


def colour_frames(n: int, side: int = 32) -> np.ndarray:
    """uint8 (n, side, side, 3): frame i is a red square on blue, the square's green growing with i."""
    frames = np.zeros((n, side, side, 3), np.uint8)
    frames[..., 2] = 200
    frames[:, 8:24, 8:24, 0] = 255
    frames[:, 8:24, 8:24, 2] = 0
    frames[:, 8:24, 8:24, 1] = (np.arange(n) * 20 % 256)[:, None, None]
    return frames


def test_colour_grids_png_and_gif_keep_their_colours(tmp_path):
    frames = colour_frames(5)
    canvas = images.grid(frames, cols=3, pad=2)
    assert canvas.shape == (2 * 34 + 2, 3 * 34 + 2, 3) and canvas.dtype == np.uint8
    assert list(canvas[2 + 34 + 10, 2 + 10]) == [255, 60, 0] and list(canvas[0, 0]) == [0, 0, 0]
    picture = Image.open(io.BytesIO(images.png_bytes(canvas, scale=2)))
    assert picture.mode == "RGB" and picture.size == (2 * canvas.shape[1], 2 * canvas.shape[0])
    assert np.array_equal(np.asarray(picture)[::2, ::2], canvas)
    gif = Image.open(io.BytesIO(images.gif_bytes(list(frames), scale=2)))
    assert gif.n_frames == 5
    gif.seek(3)
    shown = np.asarray(gif.convert("RGB")).astype(int)
    assert np.abs(shown[20, 20] - [255, 60, 0]).max() <= 8 and np.abs(shown[2, 2] - [0, 0, 200]).max() <= 8
    pngs = []
    for epoch, frame in enumerate(frames, start=1):
        pngs.append(tmp_path / f"epoch_{epoch:04d}.png")
        pngs[-1].write_bytes(images.png_bytes(images.grid(frame[None], cols=1)))
    animation = Image.open(io.BytesIO(images.grids_gif(pngs)))
    animation.seek(animation.n_frames - 1)
    assert np.abs(np.asarray(animation.convert("RGB")).astype(int)[20, 20] - [255, 80, 0]).max() <= 8


def test_a_canvas_drawing_becomes_an_mnist_digit_and_an_empty_canvas_none():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255  # the black page the canvas paints under the strokes
    assert images.digit_from_drawing(canvas) is None
    canvas[40:240, 30:56, :3] = 255  # a white "1", left of centre, 200 pixels tall
    digit = images.digit_from_drawing(canvas)
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    rows, cols = np.flatnonzero(digit.max(axis=1) > 100), np.flatnonzero(digit.max(axis=0) > 100)
    assert rows[0] == 4 and rows[-1] == 23  # 20 pixels tall, centred
    assert cols[0] >= 12 and cols[-1] <= 15 and cols[-1] - cols[0] + 1 <= 3  # centred, as thin as MNIST strokes
    transparent = canvas.copy()
    transparent[..., 3] = 0  # strokes on a transparent canvas are not ink
    assert images.digit_from_drawing(transparent) is None


@pytest.mark.parametrize(("n_classes", "near", "columns"), [(10, 8, 10), (3, 8, 9), (2, 8, 8), (5, 8, 10),
                                                            (7, 8, 7), (3, 5, 6), (40, 8, 40)])
def test_class_columns_are_the_multiple_of_the_classes_nearest_the_wanted_width(n_classes, near, columns):
    assert images.class_columns(n_classes, near) == columns
