"""How long gan.uploads takes to check, decode, resize and hash an upload, and store it: a zip of
2,000 colour pictures (random shapes, 48 to 96 pixels a side, PNG and JPEG) and an .npz of 60,000
grey 28×28 images. Prints seconds and images per second.

python -m bench.upload_speed
"""

import io
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from gan import uploads


def shapes_zip(n: int, seed: int = 0) -> bytes:
    """n pictures of a random colour shape on a random light background, in class folders."""
    rng = np.random.default_rng(seed)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for i in range(n):
            kind = ("circles", "squares")[i % 2]
            width, height = (int(side) for side in rng.integers(48, 97, 2))
            picture = Image.new("RGB", (width, height), tuple(int(v) for v in rng.integers(180, 256, 3)))
            radius = int(rng.integers(6, min(width, height) // 2))
            x, y = (int(v) for v in rng.integers(radius, (width - radius + 1, height - radius + 1)))
            draw = ImageDraw.Draw(picture)
            shape = draw.ellipse if kind == "circles" else draw.rectangle
            shape((x - radius, y - radius, x + radius, y + radius), fill=tuple(int(v) for v in rng.integers(0, 180, 3)))
            blob = io.BytesIO()
            picture.save(blob, format="PNG" if i % 3 else "JPEG")
            bundle.writestr(f"shapes/{kind}/{i:05d}.{'png' if i % 3 else 'jpg'}", blob.getvalue())
    return out.getvalue()


def timed(label: str, blob: bytes, name: str, root: Path) -> None:
    start = time.perf_counter()
    ingested = uploads.ingest(blob, name)
    checked = time.perf_counter() - start
    uploads.store(root, ingested)
    stored = time.perf_counter() - start - checked
    n = len(ingested.pixels)
    print(f"{label}: {len(blob) / 2**20:.1f} MB, {n:,} images {ingested.image_shape}: ingest {checked:.2f} s "
          f"({n / checked:,.0f} images/s), store {stored:.2f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        timed("zip of colour pictures", shapes_zip(2000), "shapes.zip", Path(root))
        grey = io.BytesIO()
        np.savez(grey, x=np.random.default_rng(1).integers(0, 256, (60000, 28, 28), dtype=np.uint8))
        timed("npz of grey 28x28", grey.getvalue(), "grey.npz", Path(root))


if __name__ == "__main__":
    main()
