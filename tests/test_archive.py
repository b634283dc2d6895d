import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

from gan import archive, launcher, owners, runs, sampling
from gan.archive import ArchiveError, ImportLimits
from gan.config import RunConfig
from tests.conftest import copy_of


@pytest.fixture(scope="module")
def exported(finished_run) -> bytes:
    return archive.export_run(finished_run)


def members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def rezip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def altered(blob: bytes, **changes: bytes | None) -> bytes:
    """The archive with files of its run folder replaced, added or (None) removed; '__' stands for '/'."""
    entries = members(blob)
    run_id = next(iter(entries)).split("/")[0]
    for key, data in changes.items():
        name = f"{run_id}/{key.replace('__', '/')}"
        entries.pop(name, None)
        if data is not None:
            entries[name] = data
    return rezip(entries)


def refused(blob: bytes, root, says: str, limits: ImportLimits = archive.LIMITS) -> str:
    """Import must fail with a message containing `says`, and leave root as empty as it was."""
    with pytest.raises(ArchiveError) as raised:
        archive.import_run(blob, root, limits)
    assert says in str(raised.value)
    assert list(root.iterdir()) == []
    return str(raised.value)


def keras_file(tmp_path, model) -> bytes:
    path = tmp_path / "model.keras"
    model.save(path)
    return path.read_bytes()


# --- export and round trip ----------------------------------------------------------------

def test_export_holds_the_run_files_under_its_id_and_nothing_else(finished_run, exported):
    cfg = runs.read_config(finished_run)
    names = set(members(exported))
    assert {f"{cfg.run_id}/{n}" for n in ("config.json", "status.json", "metrics.csv", "generator.keras")} <= names
    assert f"{cfg.run_id}/samples/epoch_0001.png" in names
    assert f"{cfg.run_id}/checkpoint.npz" not in names  # a finished run never resumes
    assert all(name.startswith(f"{cfg.run_id}/") for name in names)


def test_export_leaves_out_locks_logs_cancel_requests_and_temporary_files(finished_run, tmp_path):
    import shutil

    run_dir = tmp_path / finished_run.name
    shutil.copytree(finished_run, run_dir)
    for junk in ("train.lock", "train.log", "cancel.request", ".status.json.1.2.tmp", "notes.txt",
                 "samples/.epoch_0002.png.1.2.tmp"):
        (run_dir / junk).write_text("x")
    (run_dir / "quality.csv").unlink(missing_ok=True)
    (run_dir / "quality.csv").symlink_to("/etc/passwd")
    names = {name.split("/", 1)[1] for name in members(archive.export_run(run_dir, checkpoint=True))}
    assert names == {"config.json", "status.json", "metrics.csv", "generator.keras", "checkpoint.npz",
                     "samples/epoch_0001.png"}


def test_export_refuses_a_folder_without_config(tmp_path):
    with pytest.raises(ArchiveError, match="config.json"):
        archive.export_run(tmp_path)


def test_round_trip_installs_the_same_run(finished_run, runs_root):
    blob = archive.export_run(finished_run, checkpoint=True)
    imported = archive.import_run(blob, runs_root)
    cfg = runs.read_config(finished_run)
    assert not imported.existed and imported.run_id == cfg.run_id
    assert imported.path == runs_root / f"imported-local-{cfg.run_id}"
    assert [p.name for p in runs_root.iterdir()] == [imported.path.name]  # no staging folder left
    assert runs.read_config(imported.path) == cfg
    for name in ("config.json", "metrics.csv", "generator.keras", "checkpoint.npz", "samples/epoch_0001.png"):
        assert (imported.path / name).read_bytes() == (finished_run / name).read_bytes(), name
    if (finished_run / "quality.csv").exists():
        assert (imported.path / "quality.csv").read_bytes() == (finished_run / "quality.csv").read_bytes()
    generator = sampling.load_generator(imported.path / "generator.keras")
    assert sampling.sample(generator, 2, seed=0).shape == (2, 28, 28)
    status = runs.read_status(imported.path)
    assert status.state == "finished" and status.pid is None and status.heartbeat is None
    assert status.epoch == status.epochs == cfg.epochs
    assert runs.read_metrics(imported.path) == runs.read_metrics(finished_run)
    assert runs.list_runs(runs_root) == [imported.path]


def test_the_near_copy_strip_travels_with_the_run_and_a_damaged_one_is_refused(finished_run, tmp_path, runs_root):
    import shutil

    from tests.test_runs import copies_record

    run_dir = copy_of(finished_run, tmp_path)
    runs.save_copies(run_dir, copies_record())
    blob = archive.export_run(run_dir)
    imported = archive.import_run(blob, runs_root)
    np.testing.assert_array_equal(runs.read_copies(imported.path).nearest, copies_record().nearest)
    shutil.rmtree(imported.path)
    bomb = io.BytesIO()
    np.savez_compressed(bomb, samples=np.zeros((65, 512, 512, 3), np.uint8))  # 51 MB in about 50 KB
    refused(altered(blob, **{runs.COPIES: bomb.getvalue()}), runs_root, "copies.npz (the near-copy strip)")


def test_import_reads_a_file_object_too(exported, runs_root):
    assert archive.import_run(io.BytesIO(exported), runs_root).path.is_dir()


def test_importing_a_run_that_is_already_here_keeps_it(exported, runs_root):
    first = archive.import_run(exported, runs_root)
    (first.path / "metrics.csv").write_text("step,epoch\n")  # an edit the second import must not undo
    again = archive.import_run(exported, runs_root)
    assert again.existed and again.path == first.path
    assert (first.path / "metrics.csv").read_text() == "step,epoch\n"
    assert sorted(p.name for p in runs_root.iterdir()) == [first.path.name]


def test_an_import_lives_in_its_importers_folder_and_never_answers_for_its_config(exported, runs_root):
    alice, bob = owners.digest("alice-token-1"), owners.digest("bob-token-22")
    hers = archive.import_run(exported, runs_root, owner=alice)
    his = archive.import_run(exported, runs_root, owner=bob)
    assert hers.path != his.path and archive.is_imported(hers.path) and archive.is_imported(his.path)
    assert (runs.read_status(hers.path).owner, runs.read_status(his.path).owner) == (alice, bob)
    assert runs.read_status(hers.path).state == "finished"
    cfg = runs.read_config(hers.path)
    assert not runs.run_path(runs_root, cfg.run_id).exists()
    # The next visitor who trains these settings gets a run of their own, not the importer's "finished" one.
    started = launcher.submit(runs_root, cfg, owner=owners.digest("carol-token-3"))
    try:
        assert started.outcome == "started" and started.run_dir == runs_root / cfg.run_id
    finally:
        launcher.cancel(started.run_dir)


def test_csvs_longer_than_the_run_can_have_written_are_refused(exported, runs_root, tmp_path):
    cfg = RunConfig.from_dict(json.loads(next(v for k, v in members(exported).items() if k.endswith("config.json"))))
    most = archive.max_rows("metrics.csv", cfg)
    row = "1,1,0.5,1.3,0.7,0.5,0.5,100,0.1,-0.1,0.6\n"
    header = ",".join(runs.METRICS_FIELDS) + "\n"
    archive.import_run(altered(exported, **{"metrics.csv": (header + row * most).encode()}), tmp_path / "accepted")
    refused(altered(exported, **{"metrics.csv": (header + row * (most + 1)).encode()}), runs_root,
            f"metrics.csv is longer than its run can have written (at most {most} rows)")
    quality = ",".join(runs.QUALITY_FIELDS) + "\n" + ",".join(["1"] * len(runs.QUALITY_FIELDS)) + "\n"
    refused(altered(exported, **{"quality.csv": (quality * 3).encode()}), runs_root, "quality.csv is longer")


def test_a_foreign_folder_with_the_imports_name_is_not_overwritten(exported, runs_root):
    folder = archive.imported_name(None, next(iter(members(exported))).split("/")[0])
    (runs_root / folder).mkdir()
    (runs_root / folder / "config.json").write_text("{}")
    with pytest.raises(ArchiveError, match="already exists"):
        archive.import_run(exported, runs_root)
    assert (runs_root / folder / "config.json").read_text() == "{}"


# --- the imported status never claims a process --------------------------------------------

def test_a_running_status_is_imported_as_interrupted_without_pid(finished_run, runs_root):
    status = {"state": "running", "pid": os.getpid(), "heartbeat": 9e12, "epoch": 1, "step": 4, "eta_s": 3}
    blob = altered(archive.export_run(finished_run, checkpoint=True), **{"status.json": json.dumps(status).encode()})
    path = archive.import_run(blob, runs_root).path
    status = runs.read_status(path)
    assert status.state == "interrupted" and status.epoch == 1 and status.step == 4
    assert status.pid is None and status.heartbeat is None and status.eta_s is None
    assert not status.active


def test_status_fields_of_the_wrong_type_are_dropped(exported, runs_root):
    status = {"state": "finished", "epoch": "all of them", "error": ["x"], "data_description": "bundled"}
    path = archive.import_run(altered(exported, **{"status.json": json.dumps(status).encode()}), runs_root).path
    status = runs.read_status(path)
    assert status.state == "interrupted" and status.epoch == 0  # no checkpoint: restarts from 0
    assert status.error is None and status.data_description == "bundled"


def test_a_finished_run_without_generator_is_interrupted(exported, runs_root):
    path = archive.import_run(altered(exported, **{"generator.keras": None}), runs_root).path
    assert runs.read_status(path).state == "interrupted"


# --- rejections ----------------------------------------------------------------------------

def test_not_a_zip(runs_root):
    refused(b"definitely not a zip file", runs_root, "not a zip file")
    refused(b"", runs_root, "not a zip file")


@pytest.mark.parametrize("name", ["../evil.txt", "RUN/../../evil.txt", "/etc/cron.d/evil", "RUN\\..\\evil.txt",
                                  "C:/evil.txt", "RUN/samples/../../evil", "RUN//config.json", "RUN/./x"])
def test_zip_slip_paths_are_refused(exported, runs_root, name):
    entries = members(exported)
    run_id = next(iter(entries)).split("/")[0]
    entries[name.replace("RUN", run_id)] = b"pwned"
    refused(rezip(entries), runs_root, "could point outside its folder")
    assert not (runs_root.parent / "evil.txt").exists()


def test_symlink_entries_are_refused(exported, runs_root):
    entries = members(exported)
    run_id = next(iter(entries)).split("/")[0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            if name != f"{run_id}/metrics.csv":
                zf.writestr(name, data)
        link = zipfile.ZipInfo(f"{run_id}/metrics.csv")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    refused(buffer.getvalue(), runs_root, "link or special file")


def test_duplicate_members_are_refused(exported, runs_root):
    entries = members(exported)
    config_name = next(name for name in entries if name.endswith("/config.json"))
    buffer = io.BytesIO()
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        zf.writestr(config_name, b'{"seed": 2}')
    refused(buffer.getvalue(), runs_root, "twice")


def test_an_oversized_upload_is_refused_before_it_is_opened(exported, runs_root):
    refused(exported, runs_root, "larger than the 1,000 bytes", ImportLimits(archive_bytes=1000))
    refused(io.BytesIO(exported), runs_root, "larger than", ImportLimits(archive_bytes=1000))


def test_a_zip_bomb_is_refused_by_its_compression_ratio(exported, runs_root):
    bomb = altered(exported, **{"metrics.csv": b"0" * (20 * archive.MB)})
    assert len(bomb) < archive.MB
    refused(bomb, runs_root, "zip bomb")


def test_total_and_per_member_sizes_are_limited(exported, runs_root):
    biggest = max(len(data) for data in members(exported).values())
    total = sum(len(data) for data in members(exported).values())
    refused(exported, runs_root, "per file", ImportLimits(member_bytes=biggest - 1))
    refused(exported, runs_root, "unpacks to more than", ImportLimits(total_bytes=total - 1))


def test_too_many_members_are_refused(exported, runs_root):
    many = altered(exported, **{f"samples__epoch_{e:04d}.png": b"x" for e in range(2, 40)})
    refused(many, runs_root, "at most 20 are accepted", ImportLimits(members=20))


def test_a_zip_bomb_inside_the_generator_is_refused(exported, runs_root):
    inner = rezip({"config.json": b"{}", "model.weights.h5": b"\0" * (20 * archive.MB)})
    refused(altered(exported, **{"generator.keras": inner}), runs_root,
            "generator.keras is refused: It holds 'model.weights.h5'")


@pytest.mark.parametrize("name", ["evil.py", "train.log", "samples__epoch_1.png", "samples__x.png", ".config.json.tmp",
                                  "train.lock", "cancel.request", "samples__sub__epoch_0001.png"])
def test_unexpected_files_are_refused(exported, runs_root, name):
    refused(altered(exported, **{name: b"print('hi')"}), runs_root, "not part of a run")


def test_files_outside_a_single_run_folder_are_refused(exported, runs_root):
    entries = members(exported)
    flat = {name.split("/", 1)[1]: data for name, data in entries.items()}
    refused(rezip(flat), runs_root, "exactly one folder")
    refused(rezip({**entries, "other/config.json": b"{}"}), runs_root, "exactly one folder")


def test_the_folder_must_be_named_by_the_config_run_id(exported, runs_root):
    renamed = {"0123456789ab/" + name.split("/", 1)[1]: data for name, data in members(exported).items()}
    refused(rezip(renamed), runs_root, "config was edited")
    edited = json.loads(members(exported)[next(n for n in members(exported) if n.endswith("config.json"))])
    refused(altered(exported, **{"config.json": json.dumps({**edited, "seed": 2}).encode()}), runs_root,
            "config was edited")


def test_missing_or_invalid_config_is_refused(exported, runs_root):
    refused(altered(exported, **{"config.json": None}), runs_root, "no config.json")
    refused(altered(exported, **{"config.json": b"{not json"}), runs_root, "config.json is damaged")
    refused(altered(exported, **{"config.json": b"[1, 2]"}), runs_root, "not a JSON object")
    refused(altered(exported, **{"config.json": b'{"epochs": 0}'}), runs_root, "epochs: must be between 1 and 1000")
    refused(altered(exported, **{"config.json": b'{"code": "rm -rf"}'}), runs_root, "unknown setting")


def test_a_damaged_status_is_refused(exported, runs_root):
    refused(altered(exported, **{"status.json": b"\xff\xfe"}), runs_root, "status.json is damaged")


def test_a_generator_with_a_lambda_layer_is_refused_by_safe_mode(exported, runs_root, tmp_path, finished_run):
    import keras

    cfg = runs.read_config(finished_run)
    model = keras.Sequential([keras.Input((cfg.latent_dim,)), keras.layers.Dense(784),
                              keras.layers.Reshape((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2)])
    message = refused(altered(exported, **{"generator.keras": keras_file(tmp_path, model)}), runs_root,
                      "generator.keras is refused")
    assert "Lambda" in message and str(tmp_path) not in message and ".import-" not in message


def test_a_model_that_is_not_a_digit_generator_is_refused(exported, runs_root, tmp_path, finished_run):
    import keras

    cfg = runs.read_config(finished_run)
    classifier = keras.Sequential([keras.Input((cfg.latent_dim,)), keras.layers.Dense(10)])
    refused(altered(exported, **{"generator.keras": keras_file(tmp_path, classifier)}), runs_root,
            "is not a generator this app can use")
    wider = keras.Sequential([keras.Input((cfg.latent_dim + 1,)), keras.layers.Dense(784),
                              keras.layers.Reshape((28, 28, 1))])
    refused(altered(exported, **{"generator.keras": keras_file(tmp_path, wider)}), runs_root,
            "does not match its config")


def test_corrupt_generator_bytes_are_refused(exported, runs_root, finished_run):
    good = (finished_run / "generator.keras").read_bytes()
    refused(altered(exported, **{"generator.keras": b"garbage" * 100}), runs_root, "generator.keras is damaged")
    refused(altered(exported, **{"generator.keras": good[: len(good) // 2]}), runs_root, "generator.keras is damaged")
    inner = members(good)
    inner["model.weights.h5"] = b"not hdf5"
    refused(altered(exported, **{"generator.keras": rezip(inner, zipfile.ZIP_STORED)}), runs_root,
            "generator.keras is refused")


def test_corrupt_or_impostor_pngs_are_refused(exported, runs_root, finished_run):
    from PIL import Image

    png = (finished_run / "samples" / "epoch_0001.png").read_bytes()
    refused(altered(exported, **{"samples__epoch_0001.png": png[: len(png) // 2]}), runs_root,
            "samples/epoch_0001.png is not a readable sample grid")
    jpeg = io.BytesIO()
    Image.new("L", (8, 8)).save(jpeg, format="JPEG")
    refused(altered(exported, **{"samples__epoch_0001.png": jpeg.getvalue()}), runs_root, "not a readable")
    huge = io.BytesIO()
    Image.new("1", (5000, 5000)).save(huge, format="PNG")  # a few kB that decode to 25 megapixels
    refused(altered(exported, **{"samples__epoch_0001.png": huge.getvalue()}), runs_root, "not a readable")
    refused(altered(exported, **{"samples__epoch_0007.png": png}), runs_root, "epoch 7 of a 1-epoch run")


@pytest.mark.parametrize(("name", "text", "says"), [
    ("metrics.csv", "a,b\n1,2\n", "expected columns"),
    ("metrics.csv", ",".join(runs.METRICS_FIELDS) + "\n1,2\n", "Line 2"),
    ("metrics.csv", ",".join(runs.METRICS_FIELDS) + "\n" + ",".join(["x"] * 11) + "\n", "not a row of 11 numbers"),
    ("metrics.csv", ",".join(runs.LEGACY_METRICS_FIELDS) + "\n" + ",".join(["x"] * 8) + "\n", "not a row of 8 numbers"),
    ("quality.csv", ",".join(runs.METRICS_FIELDS) + "\n", "expected columns"),
])
def test_csvs_without_the_expected_columns_are_refused(exported, runs_root, name, text, says):
    refused(altered(exported, **{name: text.encode()}), runs_root, says)


def test_a_metrics_csv_from_before_the_separation_columns_is_accepted(exported, runs_root, finished_run):
    legacy = ",".join(runs.LEGACY_METRICS_FIELDS) + "\n4,1,0.5,1.2,0.9,0.6,0.4,800\n"
    path = archive.import_run(altered(exported, **{"metrics.csv": legacy.encode()}), runs_root).path
    assert runs.read_metrics(path)[0]["d_loss"] == 1.2


def test_a_half_written_last_csv_line_is_accepted(exported, runs_root, finished_run):
    text = (finished_run / "metrics.csv").read_text() + "99,1,0.5,0."
    path = archive.import_run(altered(exported, **{"metrics.csv": text.encode()}), runs_root).path
    assert runs.read_metrics(path) == runs.read_metrics(finished_run)


def test_a_checkpoint_that_is_not_this_runs_is_refused(finished_run, runs_root):
    blob = archive.export_run(finished_run, checkpoint=True)
    refused(altered(blob, **{"checkpoint.npz": b"garbage"}), runs_root, "checkpoint.npz is damaged")

    def npz(meta, **arrays) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
        return buffer.getvalue()

    good_meta = {"epoch": 1, "step": 4, "seconds": 1.0}
    refused(altered(blob, **{"checkpoint.npz": npz({**good_meta, "epoch": 5}, v0000=np.zeros(3))}), runs_root,
            "does not belong")
    refused(altered(blob, **{"checkpoint.npz": npz(good_meta, v0000=np.array(["a"]))}), runs_root, "does not belong")
    refused(altered(blob, **{"checkpoint.npz": npz(good_meta, v0000=np.array([{}], dtype=object))}), runs_root,
            "checkpoint.npz is damaged")


def test_a_run_that_has_not_finished_an_epoch_imports_as_interrupted(runs_root):
    cfg = RunConfig(n_images=64, batch_size=16, latent_dim=8, epochs=2, seed=1)
    entries = {f"{cfg.run_id}/config.json": json.dumps(cfg.to_dict()).encode(),
               f"{cfg.run_id}/status.json": b'{"state": "queued", "pid": 1}'}
    imported = archive.import_run(rezip(entries), runs_root)
    assert imported.path.name == f"imported-local-{cfg.run_id}"
    assert runs.read_status(imported.path).state == "interrupted"


def test_hostile_json_and_csv_are_refused_with_a_message_not_a_crash(exported, runs_root):
    nested = b"[" * 50_000 + b"]" * 50_000  # json.loads recurses past Python's limit
    refused(altered(exported, **{"config.json": nested}), runs_root, "config.json is damaged")
    refused(altered(exported, **{"status.json": b'{"a":' * 30_000 + b"1" + b"}" * 30_000}), runs_root,
            "status.json is damaged")
    digits = np.random.default_rng(0).integers(0, 10, 300_000).astype(np.uint8) + ord("0")
    long_line = ",".join(runs.METRICS_FIELDS).encode() + b"\n" + digits.tobytes() + b"\n"  # past csv's field limit
    refused(altered(exported, **{"metrics.csv": long_line}), runs_root, "metrics.csv is longer than its run")


def test_a_huge_config_value_is_not_echoed_whole(exported, runs_root):
    config_name = next(n for n in members(exported) if n.endswith("config.json"))
    edited = {**json.loads(members(exported)[config_name]), "architecture": "x" * 900_000}
    message = refused(altered(exported, **{"config.json": json.dumps(edited).encode()}), runs_root,
                      "config.json is not a valid configuration")
    assert len(message) < 1000


def test_a_run_on_your_own_images_carries_them_and_trains_where_it_is_imported(tmp_path):
    from gan import data, training, uploads
    from tests.conftest import fake_finished_run

    pixels = np.random.default_rng(3).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    home, away = tmp_path / "home", tmp_path / "away"
    ingested = uploads.ingest(npz_bytes(x=pixels, y=np.arange(64) % 2), "mine.npz")
    uploads.store(home, ingested)
    run_dir = fake_finished_run(home, seed=4, grids=0, config={"dataset": ingested.reference}, state="interrupted",
                                epoch=0)
    blob = archive.export_run(run_dir)
    assert f"{run_dir.name}/dataset.npz" in zipfile.ZipFile(io.BytesIO(blob)).namelist()
    done = archive.import_run(blob, away, owner="someone")
    assert (away / "datasets" / ingested.sha256 / "owners" / "someone").exists()
    assert np.array_equal(data.load(ingested.reference, away).pixels, ingested.pixels)
    cfg = runs.read_config(done.path)
    assert training.train(cfg, done.path) == "finished" and runs.read_status(done.path).data_source == "upload"

    other = uploads.ingest(npz_bytes(x=pixels[::-1] // 2, y=np.arange(64) % 2), "other.npz")
    uploads.store(tmp_path / "elsewhere", other)
    swapped = altered(blob, **{"dataset.npz": (uploads.dataset_path(tmp_path / "elsewhere", other.reference)
                                               / "data.npz").read_bytes()})
    with pytest.raises(ArchiveError) as raised:
        archive.import_run(swapped, tmp_path / "third")
    assert raised.value.kind == "archive_inner_refused"
    assert raised.value.params["reason"].kind == "dataset_hash_mismatch"
    assert not (tmp_path / "third" / "datasets").exists()


def test_a_shared_server_makes_room_for_the_images_an_import_carries_or_refuses_it(tmp_path):
    from gan import quota, uploads
    from gan.limits import Limits
    from tests.conftest import fake_finished_run

    pixels = np.random.default_rng(5).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    ingested = uploads.ingest(npz_bytes(x=pixels), "mine.npz")
    uploads.store(tmp_path / "home", ingested)
    blob = archive.export_run(fake_finished_run(tmp_path / "home", seed=6, grids=0,
                                                config={"dataset": ingested.reference}))
    away, asked = tmp_path / "away", []
    demo = Limits(demo=True, keep_datasets=1)
    theirs = uploads.ingest(npz_bytes(x=255 - pixels), "theirs.npz")
    uploads.store(away, theirs, "visitor")
    held = fake_finished_run(away, seed=7, grids=0, config={"dataset": theirs.reference})

    def room(size):
        asked.append(size)
        return quota.make_dataset_room(away, demo, "visitor", size)

    with pytest.raises(quota.QuotaError) as raised:  # the one dataset they may keep is used by a run of theirs
        archive.import_run(blob, away, owner="visitor", make_room=room)
    assert raised.value.kind == "quota_datasets" and asked == [pixels.nbytes]
    assert runs.list_runs(away) == [held] and len(uploads.list_stored(away)) == 1  # nothing installed
    done = archive.import_run(blob, away, owner="visitor", make_room=lambda size: asked.append(size))
    assert not done.existed and asked == [pixels.nbytes] * 2
    archive.import_run(blob, away, owner="other", make_room=lambda size: asked.append(size))
    assert len(asked) == 2  # already stored: no new bytes, no room to make


def npz_bytes(**arrays) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()
