"""Your own images as a training dataset: a zip of PNG/JPEG pictures, a folder or a NumPy array,
checked before anything is stored, resized to what the models take, named by the sha256 of its
content and stored once under the runs root (datasets/<sha256>/)."""

import hashlib
import io
import json
import os
import re
import stat
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from gan import archive, runs
from gan.config import UPLOADED, RunConfig
from gan.data import Dataset, DataUnavailable
from gan.errors import UserError
from gan.limits import UPLOADS, UploadLimits

GREY_SIDE, COLOUR_SIDE = 28, 32  # the two image shapes the models take: (28, 28, 1) and (32, 32, 3)
# How every picture becomes a training image; the Train page and the README state it in these terms.
RESIZE_RULE = ("Each picture is scaled so that its shorter side is {grey} pixels (grey) or {colour} pixels "
               "(colour), then its centre square is kept: grey {grey}×{grey} if every picture is grey, colour "
               "{colour}×{colour} for all if any is in colour. Pixels keep their shades (dark ink on light paper "
               "stays so, nothing is inverted); transparency becomes white.")
GREY_TOLERANCE = 8  # levels a pixel's red, green and blue may differ by in a grey picture (JPEG rounding)
FORMATS = ("PNG", "JPEG")
DATASETS_DIR = "datasets"  # under the runs root
PREFIX = "sha256:"  # RunConfig.dataset of an upload: PREFIX + its content hash
HASH_FORMAT = 1  # in the hashed header: a change of serialisation must change every hash
PIXEL_KEYS, LABEL_KEYS, NAME_KEYS = ("pixels", "images", "x"), ("labels", "y"), ("class_names",)
UNLABELLED = "images"  # the one class of an upload without class sub-folders
CLASS_NAME_CHARS = 40
SKIPPED_KEPT = 20  # names of skipped files recorded in meta.json
IGNORED = re.compile(r"(^|/)(__MACOSX/|\.)")  # macOS resource forks and hidden files: not pictures, not reported
SKIP_REASONS = ("unreadable", "format", "too_large", "outside_classes")


class DatasetError(UserError, ValueError):
    """An upload of your own images refused before anything is stored; its kind says why (catalogue
    texts error.dataset_*). The zip's own checks (count, sizes, ratio, paths, links) raise
    archive.ArchiveError, shared with run archives."""


@dataclass(frozen=True)
class Ingested:
    """An upload made a dataset. pixels: uint8 (n, 28, 28) grey or (n, 32, 32, 3) colour, in
    canonical order (by class, then by each image's own hash), so the same images give the same
    sha256 whatever their container, names or order; labels: uint8 (n,) indices into class_names
    (sorted). skipped: (name, reason) of the files that were not used, reason in SKIP_REASONS."""

    pixels: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    source_name: str
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def sha256(self) -> str:
        return content_hash(self.pixels, self.labels, self.class_names)

    @property
    def reference(self) -> str:
        """RunConfig.dataset for it."""
        return PREFIX + self.sha256

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return Dataset(self.pixels, self.labels, "upload", self.class_names).image_shape


@dataclass(frozen=True)
class Stored:
    path: Path
    sha256: str
    existed: bool


def content_hash(pixels: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> str:
    """sha256 of a header (format, array shape, class names) and the pixel and label bytes."""
    header = json.dumps({"format": HASH_FORMAT, "shape": list(pixels.shape), "classes": list(class_names)},
                        sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(header.encode() + b"\n")
    digest.update(np.ascontiguousarray(pixels, np.uint8).tobytes())
    digest.update(np.ascontiguousarray(labels, np.uint8).tobytes())
    return digest.hexdigest()


# --- ingest ----------------------------------------------------------------------------

def ingest(source: bytes | str | os.PathLike, name: str | None = None, limits: UploadLimits = UPLOADS) -> Ingested:
    """A dataset from a folder, or from a .zip, .npz or .npy file (a path or its bytes; `name` is
    the file's name for bytes). Every limit is checked before a picture is decoded; members are
    read in memory, never extracted by their names. DatasetError or archive.ArchiveError if refused."""
    if not isinstance(source, (bytes, bytearray, memoryview)):
        path = Path(source)
        if path.is_dir():
            return _from_files(_folder_files(path, limits), path.name, limits)
        try:
            size = path.stat().st_size
            _check_upload_size(size, limits)
            source, name = path.read_bytes(), name or path.name
        except OSError as error:
            raise DatasetError("dataset_unreadable_file", error.strerror or error, name=path) from error
    blob, name = bytes(source), name or "upload"
    _check_upload_size(len(blob), limits)
    if blob.startswith(b"\x93NUMPY"):
        pixels = _read_npy(io.BytesIO(blob), name, limits)
        return _from_array(pixels, None, None, name, limits)
    if not blob.startswith(b"PK"):
        raise DatasetError("dataset_format", name=name)
    try:
        bundle = zipfile.ZipFile(io.BytesIO(blob))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise DatasetError("dataset_format", name=name) from error
    with bundle:
        members = archive.check_members(bundle.infolist(), limits, limits.total_bytes)
        _check_total_ratio(members.values(), limits)
        files = {member: info for member, info in members.items() if not info.is_dir()}
        if name.lower().endswith(".npz") or files and all(member.endswith(".npy") for member in files):
            return _from_npz(bundle, files, name, limits)
        return _from_files({member: _reader(bundle, info) for member, info in files.items()}, name, limits)


def _check_upload_size(size: int, limits: UploadLimits) -> None:
    if size > limits.upload_bytes:
        raise DatasetError("dataset_too_large", limit=archive.size_text(limits.upload_bytes))


def _check_total_ratio(infos, limits: UploadLimits) -> None:
    """The whole zip's compression ratio: many members each just under the per-member ratio still
    make a bomb."""
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if unpacked > archive.RATIO_FROM and unpacked > limits.total_ratio * max(packed, 1):
        raise DatasetError("dataset_zip_bomb", ratio=f"{limits.total_ratio:g}")


def _reader(bundle: zipfile.ZipFile, info: zipfile.ZipInfo):
    def read() -> bytes:
        return bundle.read(info)  # zipfile stops at the declared size and checks the CRC
    return read


def _folder_files(folder: Path, limits: UploadLimits) -> dict:
    """{relative name: reader} of a folder's files, held to the zip checks (count, sizes, links:
    a link anywhere is refused, so nothing outside the folder is read)."""
    infos, paths = [], {}
    for top, dirs, files in os.walk(folder, followlinks=False):
        for entry in sorted(dirs) + sorted(files):
            path = Path(top, entry)
            relative = path.relative_to(folder).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                continue
            info = zipfile.ZipInfo(relative)
            info.file_size = info.compress_size = path.lstat().st_size
            info.external_attr = mode << 16
            infos.append(info)
            paths[relative] = path
    archive.check_members(infos, limits, limits.total_bytes)
    return {relative: _file_reader(path, limits.member_bytes) for relative, path in paths.items()}


def _file_reader(path: Path, most: int):
    def read() -> bytes:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))  # a link swapped in meanwhile
        with os.fdopen(descriptor, "rb") as handle:
            return handle.read(most)  # a file that grew since it was measured is cut, and then fails to decode
    return read


def _from_files(readers: dict, source_name: str, limits: UploadLimits) -> Ingested:
    """Pictures by relative name; a class per first-level sub-folder (after any folders every file
    shares), or one class if the pictures are all at the top."""
    names = sorted(name for name in readers if not IGNORED.search(name))
    prefix = _shared_folders(names)
    inner = {name: name[len(prefix):] for name in names}
    labelled = any("/" in path for path in inner.values())
    classes = sorted({path.split("/")[0] for path in inner.values() if "/" in path}, key=_natural)
    if len(classes) > limits.max_classes:
        raise DatasetError("dataset_too_many_classes", count=len(classes), limit=limits.max_classes)
    candidates = [name for name in names if not labelled or "/" in inner[name]]
    skipped = [(name, "outside_classes") for name in names if labelled and "/" not in inner[name]]
    if len(candidates) > limits.max_images:
        raise DatasetError("dataset_too_many_images", count=f"{len(candidates):,}", limit=f"{limits.max_images:,}")
    greys, colours, labels = [], [], []
    for name in candidates:
        try:
            fitted = _decode(readers[name](), limits)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError):  # a damaged member: its bytes are not there
            fitted = "unreadable"
        if isinstance(fitted, str):
            skipped.append((name, fitted))
            continue
        greys.append(fitted[0])
        colours.append(fitted[1])
        labels.append(classes.index(inner[name].split("/")[0]) if labelled else 0)
    class_names = tuple(_class_name(c) for c in classes) if labelled else (UNLABELLED,)
    return _finish(greys, colours, labels, class_names, source_name, skipped, limits)


def _shared_folders(names: list[str]) -> str:
    """The leading folders every name shares ('photos/' for a zip of one folder), '' if none."""
    prefix = ""
    while names and all(name.startswith(prefix) and name[len(prefix):].count("/") for name in names):
        first = {name[len(prefix):].split("/")[0] for name in names}
        if len(first) != 1:
            break
        prefix += first.pop() + "/"
    return prefix


def _natural(name: str) -> list:
    """Sort key: '2' before '10', then by text."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part]


def _class_name(name: str) -> str:
    return "".join(c for c in name if c.isprintable())[:CLASS_NAME_CHARS] or "?"


def _decode(blob: bytes, limits: UploadLimits) -> tuple[np.ndarray, np.ndarray] | str:
    """(grey 28×28, colour 32×32) of one picture, or the reason it is skipped."""
    try:
        with Image.open(io.BytesIO(blob)) as picture:
            if picture.format not in FORMATS:
                return "format"
            if picture.width * picture.height > limits.image_pixels:
                return "too_large"
            return _fit_both(_on_white(ImageOps.exif_transpose(picture)))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "unreadable"


def _on_white(picture: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white paper."""
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return picture.convert("RGB")


def _fit(picture: Image.Image, side: int) -> np.ndarray:
    """Scale so the shorter side is `side`, keep the centre square: uint8 (side, side[, 3])."""
    width, height = picture.size
    if (width, height) == (side, side):
        return np.asarray(picture, np.uint8)
    scale = side / min(width, height)
    size = (max(side, round(width * scale)), max(side, round(height * scale)))
    picture = picture.resize(size, Image.LANCZOS, reducing_gap=3.0)
    left, top = (size[0] - side) // 2, (size[1] - side) // 2
    return np.asarray(picture.crop((left, top, left + side, top + side)), np.uint8)


def _fit_both(rgb: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    return _fit(rgb.convert("L"), GREY_SIDE), _fit(rgb, COLOUR_SIDE)


def _is_colour(colour: np.ndarray) -> bool:
    spread = colour.max(axis=-1).astype(np.int16) - colour.min(axis=-1)
    return int(spread.max()) > GREY_TOLERANCE


def _finish(greys: list, colours: list, labels: list, class_names: tuple[str, ...], source_name: str,
            skipped: list, limits: UploadLimits) -> Ingested:
    """The canonical dataset: colour 32×32 if any picture is colour, else grey 28×28; refused under
    limits.min_images."""
    if len(labels) < limits.min_images:
        raise DatasetError("dataset_too_few", count=len(labels), minimum=limits.min_images, skipped=len(skipped))
    colour = any(_is_colour(image) for image in colours)
    pixels = np.stack(colours if colour else greys).astype(np.uint8)
    labels = np.asarray(labels, np.uint8)
    keys = [hashlib.sha256(image.tobytes()).digest() for image in pixels]
    order = sorted(range(len(labels)), key=lambda i: (labels[i], keys[i]))
    return Ingested(pixels[order], labels[order], class_names, source_name, tuple(skipped))


def _read_npy(handle: io.BytesIO, name: str, limits: UploadLimits) -> np.ndarray:
    """An array from .npy bytes, its header checked first (dtype, shape, size): no objects, no pickles."""
    try:
        version = np.lib.format.read_magic(handle)
        header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        shape, _, dtype = header[version](handle)
    except (ValueError, OSError, SyntaxError, KeyError) as error:
        raise DatasetError("dataset_array_unreadable", name=name) from error
    if dtype.kind not in "biufU":  # numbers and text: never objects (pickles) or records
        raise DatasetError("dataset_array_dtype", name=name, dtype=str(dtype))
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count * dtype.itemsize > limits.total_bytes:
        raise DatasetError("dataset_unpacks_too_large", limit=archive.size_text(limits.total_bytes))
    handle.seek(0)
    try:
        return np.load(handle, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise DatasetError("dataset_array_unreadable", name=name) from error


def _from_npz(bundle: zipfile.ZipFile, files: dict, name: str, limits: UploadLimits) -> Ingested:
    """Arrays 'pixels' (or 'images', 'x'), optional 'labels' (or 'y') and 'class_names'."""
    def array(keys: tuple[str, ...]) -> np.ndarray | None:
        member = next((f"{key}.npy" for key in keys if f"{key}.npy" in files), None)
        if member is None:
            return None
        return _read_npy(io.BytesIO(bundle.read(files[member])), f"{name}:{member}", limits)

    pixels = array(PIXEL_KEYS)
    if pixels is None:
        raise DatasetError("dataset_npz_keys", name=name, keys=", ".join(PIXEL_KEYS))
    return _from_array(pixels, array(LABEL_KEYS), array(NAME_KEYS), name, limits)


def from_arrays(pixels: np.ndarray, labels: np.ndarray | None, source_name: str,
                limits: UploadLimits = UPLOADS) -> Ingested:
    """Arrays made here (the class's drawings) held to the same rules as an uploaded .npz: pixels
    uint8 0..255 or float 0..1, (n, H, W) or (n, H, W, 3); labels: n whole numbers, or None."""
    return _from_array(pixels, labels, None, source_name, limits)


def _from_array(pixels: np.ndarray, labels: np.ndarray | None, names: np.ndarray | None, source_name: str,
                limits: UploadLimits) -> Ingested:
    """uint8 0..255 or float 0..1, (n, H, W), (n, H, W, 1) or (n, H, W, 3); labels: n whole numbers
    (indices into names if given)."""
    if pixels.dtype.kind not in "uif":
        raise DatasetError("dataset_array_dtype", name=source_name, dtype=str(pixels.dtype))
    if pixels.ndim == 4 and pixels.shape[3] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (3, 4) or pixels.ndim == 4 and pixels.shape[3] != 3 or 0 in pixels.shape:
        raise DatasetError("dataset_array_shape", shape=str(pixels.shape))
    if pixels.shape[1] * pixels.shape[2] > limits.image_pixels:
        raise DatasetError("dataset_array_too_large", limit=f"{limits.image_pixels:,}")
    if len(pixels) > limits.max_images:
        raise DatasetError("dataset_too_many_images", count=f"{len(pixels):,}", limit=f"{limits.max_images:,}")
    if pixels.dtype.kind == "f":
        if not (np.isfinite(pixels).all() and pixels.min() >= 0 and pixels.max() <= 1):
            raise DatasetError("dataset_array_range")
        pixels = np.round(pixels * 255)
    elif pixels.min() < 0 or pixels.max() > 255:
        raise DatasetError("dataset_array_range")
    pixels = pixels.astype(np.uint8)
    labels, class_names = _array_labels(labels, names, len(pixels), limits)
    # As _decode treats each picture, without its work where the shape says the answer: a grey array
    # has no colour picture, and an image already of the models' size is kept as it is.
    colours = [] if pixels.ndim == 3 else [_fit(Image.fromarray(image), COLOUR_SIDE) for image in pixels]
    greys = []
    if not any(_is_colour(image) for image in colours):
        colours = []
        greys = [_fit(Image.fromarray(image).convert("L"), GREY_SIDE) for image in pixels]
    return _finish(greys, colours, list(labels), class_names, source_name, [], limits)


def _array_labels(labels: np.ndarray | None, names: np.ndarray | None, n: int,
                  limits: UploadLimits) -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels as indices into sorted class names: given names, or the label values as text."""
    if labels is None:
        return np.zeros(n, np.uint8), (UNLABELLED,)
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise DatasetError("dataset_labels", count=n)
    values = np.unique(labels)
    if names is not None:
        if names.ndim != 1 or names.dtype.kind != "U" or values.min() < 0 or values.max() >= len(names):
            raise DatasetError("dataset_labels", count=n)
        text = [_class_name(str(names[v])) for v in values]
    else:
        text = [str(int(v)) for v in values]
    if len(set(text)) != len(text):
        raise DatasetError("dataset_labels", count=n)
    if len(text) > limits.max_classes:
        raise DatasetError("dataset_too_many_classes", count=len(text), limit=limits.max_classes)
    ordered = sorted(text, key=_natural)
    index = {value: ordered.index(t) for value, t in zip(values.tolist(), text, strict=True)}
    return np.array([index[v] for v in labels.tolist()], np.uint8), tuple(ordered)


def from_archived(blob: bytes, reference: str, limits: UploadLimits = UPLOADS) -> Ingested:
    """A stored dataset's data.npz as a run archive carries it: held to the upload limits, its arrays
    as store() writes them (uint8 pixels 28×28 grey or 32×32×3 colour, labels into class_names), and
    its content to `reference`'s hash. DatasetError or archive.ArchiveError if refused."""
    _check_upload_size(len(blob), limits)
    try:
        bundle = zipfile.ZipFile(io.BytesIO(blob))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise DatasetError("dataset_format", name="dataset.npz") from error
    with bundle:
        files = archive.check_members(bundle.infolist(), limits, limits.total_bytes)
        _check_total_ratio(files.values(), limits)
        arrays = {}
        for key in ("pixels", "labels", "class_names"):
            if f"{key}.npy" not in files:
                raise DatasetError("dataset_npz_keys", name="dataset.npz", keys="pixels, labels, class_names")
            arrays[key] = _read_npy(io.BytesIO(bundle.read(files[f"{key}.npy"])), f"dataset.npz:{key}", limits)
    pixels, labels, names = arrays["pixels"], arrays["labels"], arrays["class_names"]
    shapes = ((GREY_SIDE, GREY_SIDE), (COLOUR_SIDE, COLOUR_SIDE, 3))
    if pixels.dtype != np.uint8 or pixels.shape[1:] not in shapes:
        raise DatasetError("dataset_array_shape", shape=str(pixels.shape))
    if len(pixels) > limits.max_images:
        raise DatasetError("dataset_too_many_images", count=f"{len(pixels):,}", limit=f"{limits.max_images:,}")
    if len(pixels) < limits.min_images:
        raise DatasetError("dataset_too_few", count=len(pixels), minimum=limits.min_images, skipped=0)
    if (labels.dtype != np.uint8 or labels.shape != (len(pixels),) or names.ndim != 1 or names.dtype.kind != "U"
            or not 0 < len(names) <= limits.max_classes or labels.max(initial=0) >= len(names)):
        raise DatasetError("dataset_labels", count=len(pixels))
    ingested = Ingested(pixels, labels, tuple(str(name) for name in names), "dataset.npz")
    if ingested.sha256 != sha_of(reference):
        raise DatasetError("dataset_hash_mismatch", sha=sha_of(reference)[:12])
    return ingested


def configure(cfg: RunConfig, reference: str, count: int, n_classes: int) -> RunConfig:
    """cfg training on a stored upload: dataset set to its reference, n_images at most its count, and
    unconditioned if it has one class only (no class sub-folders: nothing to condition on)."""
    changes = {"dataset": reference, "n_images": min(cfg.n_images, count)}
    if n_classes == 1:
        changes["conditional"] = False
    return cfg.replace(**changes)


# --- the store -------------------------------------------------------------------------

def datasets_root(root: Path) -> Path:
    return Path(root) / DATASETS_DIR


def sha_of(reference: str) -> str:
    """The hash of a RunConfig.dataset 'sha256:<hex>'; DataUnavailable if it is not one."""
    if not isinstance(reference, str) or not UPLOADED.fullmatch(reference):
        raise DataUnavailable("data_unknown", name=repr(reference))
    return reference.removeprefix(PREFIX)


def dataset_path(root: Path, reference: str) -> Path:
    return datasets_root(root) / sha_of(reference)


def store(root: Path, ingested: Ingested, owner: str | None = None) -> Stored:
    """Keep the dataset at <root>/datasets/<sha256>/ (data.npz and meta.json), staged in a hidden
    folder and renamed into place whole: readers see no dataset or all of it. Storing the same
    dataset again changes nothing (existed=True). `owner` (gan.owners.digest) is noted for quotas."""
    sha = ingested.sha256
    target = datasets_root(root) / sha
    if not (target / "data.npz").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".upload-", dir=target.parent, ignore_cleanup_errors=True) as tmp:
            staged = Path(tmp) / sha
            staged.mkdir()
            np.savez_compressed(staged / "data.npz", pixels=ingested.pixels, labels=ingested.labels,
                                class_names=np.array(ingested.class_names, dtype=str))
            (staged / "meta.json").write_text(json.dumps(_meta(ingested), indent=2, ensure_ascii=False))
            try:
                runs.install(target.parent, staged, sha)
                existed = False
            except runs.RunError:  # stored by someone else meanwhile: the same content
                existed = True
    else:
        existed = True
    if owner:
        (target / "owners").mkdir(exist_ok=True)
        (target / "owners" / owner).touch()
    return Stored(target, sha, existed)


def _meta(ingested: Ingested) -> dict:
    counts = np.bincount(ingested.labels, minlength=len(ingested.class_names))
    return {"sha256": ingested.sha256, "count": len(ingested.pixels), "image_shape": list(ingested.image_shape),
            "class_names": list(ingested.class_names), "class_counts": counts.tolist(),
            "source_name": ingested.source_name, "skipped_count": len(ingested.skipped),
            "skipped": [list(entry) for entry in ingested.skipped[:SKIPPED_KEPT]], "created": time.time()}


def read_meta(root: Path, reference: str) -> dict | None:
    """The stored dataset's meta.json, or None if it is missing or damaged."""
    try:
        value = json.loads((dataset_path(root, reference) / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def source_name(root: Path, reference: str) -> str | None:
    """The name a stored dataset was uploaded under (its file or folder), None if unknown or if
    reference is not an upload's ("sha256:<hex>")."""
    if not UPLOADED.fullmatch(reference):
        return None
    name = (read_meta(root, reference) or {}).get("source_name")
    return name if isinstance(name, str) else None


def load(root: Path, reference: str) -> Dataset:
    """The stored dataset, its hash checked; DataUnavailable if it is missing or damaged."""
    sha = sha_of(reference)
    path = dataset_path(root, reference) / "data.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            pixels, labels = stored["pixels"], stored["labels"]
            class_names = tuple(str(name) for name in stored["class_names"])
    except FileNotFoundError as error:
        raise DataUnavailable("data_upload_missing", sha=sha[:12], root=Path(root)) from error
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DataUnavailable("data_upload_damaged", sha=sha[:12], path=path) from error
    if pixels.dtype != np.uint8 or labels.dtype != np.uint8 or content_hash(pixels, labels, class_names) != sha:
        raise DataUnavailable("data_upload_damaged", sha=sha[:12], path=path)
    return Dataset(pixels, labels, "upload", class_names)


@dataclass(frozen=True)
class Held:
    """A stored dataset as quotas see it: its folder, bytes on disk, when it was stored and the
    visitors (gan.owners.digest) who uploaded it."""

    path: Path
    size: int
    created: float
    owners: frozenset[str]


def list_stored(root: Path) -> list[Held]:
    """The stored datasets under root, oldest first."""
    found = []
    for path in datasets_root(root).glob("*"):
        if UPLOADED.fullmatch(PREFIX + path.name) and (path / "data.npz").is_file():
            owners = frozenset(p.name for p in (path / "owners").glob("*"))
            found.append(Held(path, sum(f.stat().st_size for f in path.glob("*.*")), path.stat().st_mtime, owners))
    return sorted(found, key=lambda held: held.created)


def in_use(root: Path) -> set[str]:
    """The hashes of the datasets some run under root is configured with."""
    configs = (runs.read_config(path) for path in runs.list_runs(root))
    return {cfg.dataset.removeprefix(PREFIX) for cfg in configs if cfg and cfg.dataset.startswith(PREFIX)}


def disown(held: Held, owner: str) -> bool:
    """Forget that `owner` uploaded it; the dataset itself is deleted (renamed aside first) once
    nobody holds it. Whether it was deleted."""
    (held.path / "owners" / owner).unlink(missing_ok=True)
    if held.owners - {owner}:
        return False
    runs.delete(held.path)
    return True
