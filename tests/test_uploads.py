"""Uploads of your own images: containers, resizing, labels, the checks made before anything is
stored, the content hash and the store."""

import io
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from gan import archive, data, limits, uploads
from gan.limits import UploadLimits
from tests.conftest import tiny_config

SMALL = UploadLimits(min_images=64)


def png(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=fmt)
    return out.getvalue()


def greys(n: int, shape=(28, 28), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


def zipped(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as bundle:
        for name, blob in files.items():
            bundle.writestr(name, blob)
    return out.getvalue()


def npz(**arrays) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def test_a_zip_of_grey_pngs_is_kept_as_it_is_at_28_and_its_hash_ignores_names_and_order():
    pixels = greys(70)
    ingested = uploads.ingest(zipped({f"d/{i}.png": png(p) for i, p in enumerate(pixels)}), "mine.zip", SMALL)
    assert ingested.pixels.shape == (70, 28, 28) and ingested.pixels.dtype == np.uint8
    assert ingested.class_names == ("images",) and not ingested.labels.any() and ingested.skipped == ()
    assert sorted(map(bytes, ingested.pixels)) == sorted(map(bytes, pixels))  # not inverted, not changed
    shuffled = zipped({f"other-{i}.png": png(p) for i, p in reversed(list(enumerate(pixels)))})
    assert uploads.ingest(shuffled, "again.zip", SMALL).sha256 == ingested.sha256
    assert uploads.ingest(npz(x=pixels), "same.npz", SMALL).sha256 == ingested.sha256
    assert uploads.ingest(npz(x=pixels[:-1]), "fewer.npz", SMALL).sha256 != ingested.sha256


def test_one_colour_picture_makes_all_colour_32_and_larger_pictures_are_fitted_and_centre_cropped():
    pictures = {f"{i}.png": png(np.stack([p] * 3, axis=-1)) for i, p in enumerate(greys(69, (28, 28)))}
    wide = np.zeros((64, 128, 3), np.uint8)
    wide[:, 32:96] = (200, 30, 30)  # a red centre square between black side bands that the crop removes
    pictures["wide.jpg"] = png(wide, "JPEG")
    ingested = uploads.ingest(zipped(pictures), "colour.zip", SMALL)
    assert ingested.pixels.shape == (70, 32, 32, 3) and ingested.image_shape == (32, 32, 3)
    red = [p for p in ingested.pixels if p[..., 0].mean() > 150 and p[..., 1].mean() < 80]
    assert len(red) == 1 and red[0][2:-2, 2:-2, 0].min() > 150  # the crop kept the square only


def test_grey_pictures_larger_than_28_are_resized_and_transparency_is_paper():
    big = np.full((90, 60, 4), 0, np.uint8)  # fully transparent: white paper after laying on white
    ingested = uploads.ingest(zipped({f"{i}.png": png(big) for i in range(64)}), "t.zip", SMALL)
    assert ingested.pixels.shape == (64, 28, 28) and (ingested.pixels == 255).all()


def test_class_subfolders_of_a_folder_give_labels_and_the_same_images_zipped_give_the_same_hash(tmp_path):
    pixels = greys(80)
    files = {f"{'cat' if i < 30 else 'dog'}/{i}.png": png(p) for i, p in enumerate(pixels)}
    for name, blob in files.items():
        (tmp_path / "pets" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pets" / name).write_bytes(blob)
    from_folder = uploads.ingest(tmp_path / "pets", limits=SMALL)
    assert from_folder.class_names == ("cat", "dog") and np.bincount(from_folder.labels).tolist() == [30, 50]
    from_zip = uploads.ingest(zipped({f"export/{name}": blob for name, blob in files.items()}), "pets.zip", SMALL)
    assert from_zip.sha256 == from_folder.sha256 and from_zip.class_names == ("cat", "dog")


def test_npy_and_npz_of_floats_and_labels():
    pixels = greys(64, (32, 32, 3))
    floats = uploads.ingest(npz(images=pixels / 255.0, y=np.arange(64) % 3 * 10), "f.npz", SMALL)
    assert floats.pixels.shape == (64, 32, 32, 3) and floats.class_names == ("0", "10", "20")
    assert np.bincount(floats.labels).tolist() == [22, 21, 21]
    named = uploads.ingest(npz(pixels=pixels, labels=np.arange(64) % 2, class_names=np.array(["b", "a"])), "n.npz",
                           SMALL)
    assert named.class_names == ("a", "b") and np.bincount(named.labels).tolist() == [32, 32]
    out = io.BytesIO()
    np.save(out, greys(64, (40, 40)))
    assert uploads.ingest(out.getvalue(), "g.npy", SMALL).pixels.shape == (64, 28, 28)
    with pytest.raises(uploads.DatasetError) as raised:
        uploads.ingest(npz(x=pixels * 2.0), "bad.npz", SMALL)
    assert raised.value.kind == "dataset_array_range"
    with pytest.raises(uploads.DatasetError) as raised:
        uploads.ingest(npz(x=greys(64), y=np.arange(3)), "bad.npz", SMALL)
    assert raised.value.kind == "dataset_labels"
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}] * 64, dtype=object), allow_pickle=True)
    with pytest.raises(uploads.DatasetError) as raised:
        uploads.ingest(pickled.getvalue(), "objects.npy", SMALL)
    assert raised.value.kind == "dataset_array_dtype"


def test_broken_pictures_are_named_and_skipped_and_under_64_usable_is_refused():
    files = {f"{i}.png": png(p) for i, p in enumerate(greys(64))}
    files |= {"broken.png": png(greys(1)[0])[:40], "notes.txt": b"hello", "__MACOSX/._0.png": b"x"}
    ingested = uploads.ingest(zipped(files), "z.zip", SMALL)
    assert len(ingested.pixels) == 64
    assert dict(ingested.skipped) == {"broken.png": "unreadable", "notes.txt": "unreadable"}
    del files["0.png"]
    with pytest.raises(uploads.DatasetError, match=r"Only 63 usable pictures \(2 skipped\); at least 64"):
        uploads.ingest(zipped(files), "z.zip", SMALL)


def test_other_formats_and_oversized_pictures_are_skipped_by_name():
    files = {f"{i}.png": png(p) for i, p in enumerate(greys(64))}
    files |= {"a.gif": png(greys(1)[0], "GIF"), "huge.png": png(np.zeros((300, 300), np.uint8))}
    skipped = dict(uploads.ingest(zipped(files), "z.zip", UploadLimits(image_pixels=200 * 200)).skipped)
    assert skipped == {"a.gif": "format", "huge.png": "too_large"}


def test_a_zip_bomb_is_refused_before_decoding():
    files = {f"{i}.png": png(p) for i, p in enumerate(greys(64))}
    bomb = zipped({**files, "zeros.png": bytes(8 * 2**20)})
    with pytest.raises(archive.ArchiveError) as raised:
        uploads.ingest(bomb, "bomb.zip", SMALL)
    assert raised.value.kind == "archive_zip_bomb" and "zeros.png" in str(raised.value)
    many = zipped({**files, **{f"z{i}.png": bytes(2**19) for i in range(8)}})  # each under the 1 MB per-file bar
    with pytest.raises(uploads.DatasetError) as raised:
        uploads.ingest(many, "many.zip", SMALL)
    assert raised.value.kind == "dataset_zip_bomb"


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "a/../../evil.png", "C:\\evil.png"])
def test_paths_outside_the_zip_are_refused(name):
    files = {f"{i}.png": png(p) for i, p in enumerate(greys(64))}
    info = zipfile.ZipInfo("placeholder")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        for member, blob in files.items():
            bundle.writestr(member, blob)
        info.filename = info.orig_filename = name  # zipfile would clean the name given to writestr
        bundle.writestr(info, png(greys(1)[0]))
    with pytest.raises(archive.ArchiveError) as raised:
        uploads.ingest(out.getvalue(), "paths.zip", SMALL)
    assert raised.value.kind == "archive_unsafe_path"


def test_a_link_in_a_folder_is_refused_and_nothing_outside_is_read(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    for i, pixels in enumerate(greys(64)):
        (folder / f"{i}.png").write_bytes(png(pixels))
    (tmp_path / "secret.png").write_bytes(png(greys(1)[0]))
    os.symlink(tmp_path / "secret.png", folder / "link.png")
    with pytest.raises(archive.ArchiveError) as raised:
        uploads.ingest(folder, limits=SMALL)
    assert raised.value.kind == "archive_link"


def test_counts_and_sizes_are_checked_first():
    files = {f"{i}.png": png(p) for i, p in enumerate(greys(70))}
    with pytest.raises(archive.ArchiveError, match="at most 65"):
        uploads.ingest(zipped(files), "z.zip", UploadLimits(members=65))
    with pytest.raises(uploads.DatasetError) as raised:
        uploads.ingest(zipped(files), "z.zip", UploadLimits(max_images=65))
    assert raised.value.kind == "dataset_too_many_images"
    with pytest.raises(uploads.DatasetError) as raised:
        uploads.ingest(zipped(files), "z.zip", UploadLimits(upload_bytes=1000))
    assert raised.value.kind == "dataset_too_large"
    with pytest.raises(uploads.DatasetError) as raised:
        uploads.ingest(b"GIF89a not a container", "x.gif", SMALL)
    assert raised.value.kind == "dataset_format"
    assert limits.from_settings({"GAN_DEMO": "1"}).uploads.max_images < limits.UPLOADS.max_images


def test_the_page_states_the_resize_rule_in_the_modules_own_words():
    from tests.test_i18n import EN

    assert EN["uploads.rule"] == uploads.RESIZE_RULE
    assert uploads.RESIZE_RULE.format(grey=28, colour=32).startswith("Each picture is scaled so that its shorter")


def test_stored_once_loaded_with_its_hash_checked_and_a_missing_one_is_named(runs_root):
    ingested = uploads.ingest(npz(x=greys(64), y=np.arange(64) % 2), "s.npz", SMALL)
    first = uploads.store(runs_root, ingested, owner="visitor1")
    second = uploads.store(runs_root, ingested, owner="visitor2")
    assert not first.existed and second.existed and first.path == second.path
    assert [p.name for p in (runs_root / "datasets").iterdir()] == [ingested.sha256]
    meta = uploads.read_meta(runs_root, ingested.reference)
    assert meta["count"] == 64 and meta["image_shape"] == [28, 28, 1] and meta["class_names"] == ["0", "1"]
    loaded = data.load(ingested.reference, runs_root)
    assert loaded.source == "upload" and loaded.class_names == ("0", "1")
    assert np.array_equal(loaded.pixels, ingested.pixels) and np.array_equal(loaded.labels, ingested.labels)
    np.savez_compressed(first.path / "data.npz", pixels=ingested.pixels[::-1], labels=ingested.labels,
                        class_names=np.array(ingested.class_names))
    with pytest.raises(data.DataUnavailable) as raised:
        data.load(ingested.reference, runs_root)
    assert raised.value.kind == "data_upload_damaged"
    with pytest.raises(data.DataUnavailable) as raised:
        data.load("sha256:" + "0" * 64, runs_root)
    assert raised.value.kind == "data_upload_missing"


def test_a_run_config_takes_an_uploads_hash_and_keeps_old_run_ids():
    reference = "sha256:" + "ab" * 32
    assert tiny_config(dataset=reference).dataset == reference
    assert tiny_config(dataset=reference).run_id != tiny_config().run_id
    for bad in ("sha256:" + "AB" * 32, "sha256:abc", "cifar10"):
        with pytest.raises(Exception, match="dataset: must be one of mnist, fashion_mnist, or sha256:"):
            tiny_config(dataset=bad)
