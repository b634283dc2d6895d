import json
import os
import time

import numpy as np
import pytest

from gan import runs
from tests.conftest import tiny_config


def test_create_writes_config_then_queued_status(runs_root):
    cfg = tiny_config()
    run_dir = runs.create(runs_root, cfg)
    assert run_dir == runs_root / cfg.run_id
    assert runs.read_config(run_dir) == cfg
    assert runs.read_status(run_dir).state == "queued"
    assert runs.create(runs_root, cfg) == run_dir  # same config, same run
    assert runs.list_runs(runs_root) == [run_dir]


@pytest.mark.parametrize("bad", ["../x", "/etc", "a/b", "..", ".", "", "x" * 65, "a\x00b", "-rf"])
def test_run_ids_that_are_not_plain_are_refused(runs_root, bad):
    with pytest.raises(runs.RunError):
        runs.run_path(runs_root, bad)


def test_locate_accepts_a_directory_or_an_id(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    assert runs.locate(run_dir) == run_dir
    assert runs.locate(run_dir.name, runs_root) == run_dir
    with pytest.raises(runs.RunError, match="no run"):
        runs.locate("abc", runs_root)


def test_root_comes_from_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(runs.ROOT_ENV, str(tmp_path / "env"))
    assert runs.resolve_root() == tmp_path / "env"
    assert runs.resolve_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv(runs.ROOT_ENV)
    assert runs.resolve_root() == (runs.Path.cwd() / "runs").resolve()


def test_readers_tolerate_missing_empty_and_damaged_files(runs_root):
    run_dir = runs_root / "abc"
    run_dir.mkdir()
    assert runs.read_config(run_dir) is None and runs.read_status(run_dir) == runs.Status()
    assert runs.read_metrics(run_dir) == [] and runs.load_checkpoint(run_dir) is None
    for name in ("config.json", "status.json", "metrics.csv"):
        (run_dir / name).write_text("")
    assert runs.read_config(run_dir) is None and runs.read_status(run_dir) == runs.Status(damaged=True)
    assert runs.read_metrics(run_dir) == []
    (run_dir / "config.json").write_text('{"batch_size": 0}')
    (run_dir / "status.json").write_text('["not", "a", "dict"]')
    assert runs.read_config(run_dir) is None and runs.read_status(run_dir) == runs.Status(damaged=True)


def test_status_fields_are_typed_and_garbage_reads_as_damaged_not_as_values(runs_root):
    run_dir = runs_root / "abc"
    run_dir.mkdir()
    (run_dir / "status.json").write_text(json.dumps({
        "state": "finished", "epoch": 3.0, "epochs": 5, "images_per_s": 812, "from_the_future": [1],
        "error": "ValueError: an old free-text error"}))
    status = runs.read_status(run_dir)
    assert (status.state, status.epoch, status.epochs, status.images_per_s) == ("finished", 3, 5, 812.0)
    assert isinstance(status.epoch, int) and not status.damaged  # unknown fields from newer files are ignored
    assert status.error.kind == "recorded" and "old free-text" in str(status.error)
    (run_dir / "status.json").write_text(json.dumps({"state": "exploded", "epoch": "three", "pid": 1.5,
                                                     "eta_s": True, "error": {"no": "kind"}}))
    status = runs.read_status(run_dir)
    assert status.damaged and status == runs.Status(damaged=True)


def test_status_records_errors_by_kind_and_refuses_unknown_fields(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    error = runs.CheckpointError("checkpoint_foreign", path="x/checkpoint.npz", run_id="abc")
    runs.write_status(run_dir, state="failed", error=error)
    recorded = runs.read_status(run_dir).error
    assert (recorded.kind, recorded.params) == ("checkpoint_foreign", {"path": "x/checkpoint.npz", "run_id": "abc"})
    assert str(recorded) == str(error)
    with pytest.raises(TypeError, match="not a status field: colour"):
        runs.write_status(run_dir, colour="red")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", b"not a zip at all"])
def test_a_checkpoint_that_is_there_but_unreadable_is_an_error_not_a_fresh_start(runs_root, content):
    run_dir = runs.create(runs_root, tiny_config())
    (run_dir / "checkpoint.npz").write_bytes(content)
    with pytest.raises(runs.CheckpointError, match="damaged; nothing was changed") as caught:
        runs.load_checkpoint(run_dir)
    assert caught.value.kind == "checkpoint_damaged"
    with pytest.raises(runs.CheckpointError):
        runs.check_checkpoint(run_dir, tiny_config())


def test_half_written_last_metrics_line_is_ignored(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    runs.append_metrics(run_dir, [{"step": 10, "epoch": 1, "d_loss": 1.0}, {"step": 20, "epoch": 1, "d_loss": 0.5}])
    with open(run_dir / "metrics.csv", "a") as handle:
        handle.write("30,1,2.5,0.")
    rows = runs.read_metrics(run_dir)
    assert [r["step"] for r in rows] == [10, 20] and rows[1]["d_loss"] == 0.5


def test_the_last_quality_row_is_read_from_the_files_end_skipping_a_half_written_line(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    assert runs.last_quality(run_dir) is None  # no file yet
    (run_dir / "quality.csv").write_text(",".join(runs.QUALITY_FIELDS) + "\n")
    assert runs.last_quality(run_dir) is None  # a header only
    for epoch in range(1, 301):  # far more than the tail it reads
        runs.append_quality(run_dir, {"epoch": epoch, "fdd": 100 / epoch, "score": 1 + epoch / 20, "confident": 0.5})
    assert (run_dir / "quality.csv").stat().st_size > 2 * runs.QUALITY_TAIL_BYTES
    with open(run_dir / "quality.csv", "a") as handle:
        handle.write("101,9,0.")
    last = runs.last_quality(run_dir)
    assert (last["epoch"], last["fdd"], last["score"], last["confident"]) == (300, 1 / 3, 16.0, 0.5)


def test_keep_metrics_through_drops_later_epochs_and_partial_lines(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    runs.append_metrics(run_dir, [{"step": s, "epoch": 1 + s // 20, "d_loss": 0.1} for s in (10, 20, 30, 40)])
    with open(run_dir / "metrics.csv", "a") as handle:
        handle.write("50,3,")
    runs.keep_metrics_through(run_dir, 2)
    assert [r["step"] for r in runs.read_metrics(run_dir)] == [10, 20, 30]
    assert (run_dir / "metrics.csv").read_text().endswith("\n")


def test_status_merges_and_dead_processes_show_as_interrupted(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    runs.write_status(run_dir, state="running", pid=os.getpid(), heartbeat=time.time())
    runs.write_status(run_dir, epoch=3)
    status = runs.read_status(run_dir)
    assert status.state == "running" and status.epoch == 3
    runs.write_status(run_dir, heartbeat=time.time() - 10 * runs.STALE_AFTER_SECONDS)
    assert runs.read_status(run_dir).state == "interrupted"
    runs.write_status(run_dir, heartbeat=time.time(), pid=2**22 + 12345)  # no such process
    assert runs.read_status(run_dir).state == "interrupted"
    assert json.loads((run_dir / "status.json").read_text())["state"] == "running"  # reading never writes


def test_a_launched_run_is_active_before_its_process_has_a_pid_and_interrupted_if_none_comes(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    assert not runs.read_status(run_dir).active  # created, not launched: the launcher decides next
    runs.write_status(run_dir, state="queued", pid=None, launched_at=time.time(), heartbeat=time.time())
    assert runs.read_status(run_dir).active and runs.read_status(run_dir).alive
    runs.write_status(run_dir, heartbeat=time.time() - 10 * runs.STALE_AFTER_SECONDS)  # the launcher died
    assert (runs.read_status(run_dir).state, runs.read_status(run_dir).active) == ("interrupted", False)


def test_a_pid_on_another_host_is_judged_by_its_heartbeat_alone(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    runs.write_status(run_dir, state="running", pid=2**22 + 12345, host="another-node", heartbeat=time.time())
    assert runs.read_status(run_dir).state == "running"  # no such process here, but it is not here
    runs.write_status(run_dir, host=runs.HOST)
    assert runs.read_status(run_dir).state == "interrupted"


def test_a_ray_run_waits_for_the_cluster_while_the_cluster_holds_it_and_is_interrupted_once_it_does_not(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    long_ago = time.time() - 10 * runs.STALE_AFTER_SECONDS
    runs.write_status(run_dir, state="queued", executor="ray", heartbeat=time.time())
    submitted = runs.read_status(run_dir)
    assert submitted.active and submitted.waiting_for_cluster  # not held yet: the dispatcher writes next
    runs.write_status(run_dir, state="running", pid=2**22 + 12345, host=runs.HOST, heartbeat=long_ago)
    runs.write_cluster_holds(runs_root, [run_dir.name, "other"])
    retried = runs.read_status(run_dir)  # its trainer died; Ray will run it again
    assert (retried.state, retried.pid, retried.active, retried.waiting_for_cluster) == ("queued", None, True, True)
    runs.write_status(run_dir, heartbeat=time.time())
    assert runs.read_status(run_dir).state == "running"  # a dead pid is not Ray's word: the heartbeat is
    runs.write_status(run_dir, heartbeat=long_ago)
    runs.write_cluster_holds(runs_root, ["other"])
    assert runs.read_status(run_dir).state == "interrupted"
    runs.write_cluster_holds(runs_root, [run_dir.name])
    record = json.loads((runs_root / runs.CLUSTER_FILE).read_text())
    (runs_root / runs.CLUSTER_FILE).write_text(json.dumps({**record, "beat": long_ago}))  # the cluster is gone
    assert runs.read_status(run_dir).state == "interrupted"


def test_training_lock_is_exclusive(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    import subprocess
    import sys

    with runs.training_lock(run_dir) as mine:
        assert mine
        other = subprocess.run([sys.executable, "-c", (
            "import sys; from pathlib import Path; from gan import runs\n"
            f"with runs.training_lock(Path({str(run_dir)!r})) as ok: sys.exit(0 if ok else 3)")],
            cwd=runs.Path(__file__).parents[1])
        assert other.returncode == 3
    with runs.training_lock(run_dir) as again:
        assert again


def test_status_merges_from_two_processes_at_once_never_undo_each_other(runs_root):
    """A launcher and its warm trainer write status.json milliseconds apart: each merge must start
    from the other's last one. Each writer checks before every write that its own field still holds
    its previous value (a merge from a stale read would have put an older one back)."""
    import subprocess
    import sys

    run_dir = runs.create(runs_root, tiny_config())
    writer = ("import sys; from pathlib import Path; from gan import runs\n"
              "run_dir, field, undone = Path(sys.argv[1]), sys.argv[2], 0\n"
              "for i in range(1, 301):\n"
              "    undone += getattr(runs.read_status(run_dir), field) not in (None, i - 1)\n"
              "    runs.write_status(run_dir, **{field: i})\n"
              "sys.exit(min(undone, 100))")
    writers = [subprocess.Popen([sys.executable, "-c", writer, str(run_dir), field], cwd=runs.Path(__file__).parents[1])
               for field in ("epoch", "step")]
    assert [process.wait() for process in writers] == [0, 0]  # times a merge undid the other's
    assert (runs.read_status(run_dir).epoch, runs.read_status(run_dir).step) == (300, 300)


def test_cancel_requests_older_than_the_launch_are_ignored(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    runs.request_cancel(run_dir)
    assert runs.cancel_requested(run_dir, since=time.time() - 5)
    assert not runs.cancel_requested(run_dir, since=time.time() + 5)


def test_checkpoint_round_trip(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    arrays = {"generator/01.Dense/kernel": np.arange(3.0), "g_optimizer/000": np.ones((2, 2), np.float32),
              "ema_step": np.array(7, np.int64)}
    meta = {"epoch": 2, "step": 8, "seconds": 1.5, "config": tiny_config().to_dict()}
    runs.save_checkpoint(run_dir, arrays, meta)
    loaded, loaded_meta = runs.load_checkpoint(run_dir)
    assert loaded_meta == {**meta, "format": runs.CHECKPOINT_FORMAT}
    assert loaded.keys() == arrays.keys() and all(np.array_equal(arrays[k], loaded[k]) for k in arrays)
    assert runs.check_checkpoint(run_dir, tiny_config()) == 2
    with pytest.raises(runs.CheckpointError, match="belongs to another run"):
        runs.check_checkpoint(run_dir, tiny_config(seed=99))


def test_failed_generator_save_keeps_the_previous_file(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    (run_dir / "generator.keras").write_bytes(b"previous")

    class FullDisk:
        def save(self, path):
            with open(path, "wb") as handle:
                handle.write(b"half")
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        runs.save_generator(run_dir, FullDisk())
    assert (run_dir / "generator.keras").read_bytes() == b"previous"
    assert [p.name for p in run_dir.iterdir() if "partial" in p.name or p.name.endswith(".tmp")] == []


def test_samples_are_listed_in_epoch_order(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    for epoch in (2, 10, 1):
        runs.save_sample_grid(run_dir, epoch, b"png")
    (run_dir / "samples" / "epoch_xx.png").write_bytes(b"")
    assert [e for e, _ in runs.list_samples(run_dir)] == [1, 2, 10]


def test_a_resume_rewrites_an_older_metrics_csv_with_the_current_columns(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    (run_dir / "metrics.csv").write_text(",".join(runs.LEGACY_METRICS_FIELDS) + "\n4,1,0.5,1.2,0.9,0.6,0.4,800\n")
    runs.keep_metrics_through(run_dir, 1)
    runs.append_metrics(run_dir, [{"step": 8, "epoch": 2, "d_loss": 1.0, "d_separation": 0.75}])
    assert (run_dir / "metrics.csv").read_text().splitlines()[0] == ",".join(runs.METRICS_FIELDS)
    rows = runs.read_metrics(run_dir)
    assert [row["d_loss"] for row in rows] == [1.2, 1.0] and rows[1]["d_separation"] == 0.75
    assert np.isnan(rows[0]["d_separation"])


def test_a_resume_rewrites_an_older_quality_csv_with_the_current_columns(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    old = ",".join(runs.LEGACY_QUALITY_FIELDS) + "\n1,5,40,3,0.5,2.2" + ",0.1" * 10 + "\n"
    (run_dir / "quality.csv").write_text(old)
    assert runs.read_quality(run_dir)[0]["fdd"] == 40  # an older file reads as it is
    runs.keep_quality_through(run_dir, 1)
    runs.append_quality(run_dir, {"epoch": 2, "fdd": 30, "rfd": 12.5, "near_copies": 0.25})
    assert (run_dir / "quality.csv").read_text().splitlines()[0] == ",".join(runs.QUALITY_FIELDS)
    first, second = runs.read_quality(run_dir)
    assert first["fdd"] == 40 and "rfd" not in first and (second["rfd"], second["near_copies"]) == (12.5, 0.25)
    assert runs.last_quality(run_dir)["near_copies"] == 0.25


def copies_record(epoch: int = 3, shape=(8, 32, 32, 3)) -> runs.Copies:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, shape).astype(np.uint8)
    return runs.Copies(epoch, pixels, pixels[::-1].copy(), np.arange(shape[0]) * 7,
                       np.linspace(0.01, 0.2, shape[0]), 0.05)


def test_copies_round_trip_and_only_the_latest_is_kept(runs_root):
    run_dir = runs.create(runs_root, tiny_config())
    assert runs.read_copies(run_dir) is None
    runs.save_copies(run_dir, copies_record(epoch=2, shape=(8, 28, 28)))
    written = copies_record()
    runs.save_copies(run_dir, written)
    read = runs.read_copies(run_dir)
    assert read.epoch == 3 and read.threshold == 0.05
    for name in ("samples", "nearest", "index", "distance"):
        np.testing.assert_array_equal(getattr(read, name), getattr(written, name))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing_key", "wrong_shape", "wrong_dtype", "nan"])
def test_a_damaged_copies_file_reads_as_none(runs_root, damage):
    run_dir = runs.create(runs_root, tiny_config())
    runs.save_copies(run_dir, copies_record())
    target = run_dir / runs.COPIES
    good = dict(np.load(target))
    if damage == "garbage":
        target.write_bytes(b"\x00not a zip")
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:100])
    else:
        changed = {"missing_key": lambda: good.pop("nearest"),
                   "wrong_shape": lambda: good.update(nearest=good["nearest"][:3]),
                   "wrong_dtype": lambda: good.update(samples=good["samples"].astype(np.float32)),
                   "nan": lambda: good.update(distance=np.full(8, np.nan))}
        changed[damage]()
        np.savez(target, **good)
    assert runs.read_copies(run_dir) is None


def test_a_copies_bomb_is_refused_before_anything_is_decompressed(runs_root, monkeypatch):
    run_dir = runs.create(runs_root, tiny_config())
    np.savez_compressed(run_dir / runs.COPIES, samples=np.zeros((65, 512, 512, 3), np.uint8))  # 51 MB in 50 KB

    def unread(*_):
        raise AssertionError("an array was decompressed")

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", unread)
    assert runs.read_copies(run_dir) is None
