"""The Train page: a form of every setting, presets that refill it, clear errors, cached runs
started in their own process, and a run list with progress, Cancel and Resume."""

import io
import json
import os
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gan import config, launcher, owners, quota, runs, speed
from gan.errors import UserError
from gan.limits import Limits
from tests.conftest import TINY, copy_of, tiny_config

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TRAIN_TIMEOUT_S = 120


def open_train() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py")
    return at.run()


def widget(at: AppTest, field: str):
    """The form widget of a RunConfig field (the dataset's is the data source above the form)."""
    key = "train_source" if field == "dataset" else f"train_{field}"
    return next(w for w in [*at.number_input, *at.selectbox, *at.toggle] if w.key == key)


def fill(at: AppTest, **values) -> None:
    for field, value in values.items():
        widget(at, field).set_value(value)


def submit(at: AppTest) -> AppTest:
    return at.button(key="train_submit").click().run()


def wait_until_finished(run_dir: Path) -> runs.Status:
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while (status := runs.read_status(run_dir)).state not in ("finished", "failed", "interrupted", "cancelled"):
        assert time.monotonic() < deadline, f"run still {status.state} after {TRAIN_TIMEOUT_S} s"
        time.sleep(0.5)
    return status


def test_form_has_every_setting_with_its_range(runs_root):
    at = open_train()
    assert not at.exception
    for field in config.FIELD_TYPES:
        element = widget(at, field)
        assert element.help, field
        if field in config.RANGES:  # stated in the help, not enforced by the widget (see the next test)
            low, high = config.bounds(field)
            assert f"From {low} to {high}" in element.help and element.min is None, field
        if field == "augment":  # worded: its values are operations' names, in the visitor's language
            assert element.options == ["off", "translation", "cutout", "colour", "translation + cutout",
                                       "colour + translation + cutout"]
        elif field in config.CHOICES:
            assert tuple(element.options) == config.CHOICES[field], field
    assert widget(at, "dataset").options == ["MNIST digits", "Fashion-MNIST clothes", "Your own images"]
    assert any("bundled" in block.value and "70,000" in block.value for block in at.info)


def test_an_out_of_range_entry_is_named_with_its_range_and_nothing_is_sent(runs_root):
    at = open_train()
    at.number_input(key="train_epochs").set_value(99999)
    at.button(key="train_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["**Epochs** — epochs: must be between 1 and 1000, not 99999"]
    assert runs.list_runs(runs_root) == [] and [toast.value for toast in at.toast] == [at.error[0].value]


def test_preset_refills_the_form(runs_root):
    at = open_train()
    assert widget(at, "architecture").value == config.preset("quick").architecture == "dcgan_lean"
    at.selectbox(key="train_preset").set_value("tutorial").run()
    tutorial = config.preset("tutorial")
    assert widget(at, "architecture").value == "dcgan_tutorial"
    assert widget(at, "latent_dim").value == tutorial.latent_dim == 100
    assert widget(at, "batch_size").value == tutorial.batch_size
    fill(at, latent_dim=8)
    at.selectbox(key="train_preset").set_value("mlp").run()
    assert widget(at, "architecture").value == "mlp"
    assert widget(at, "latent_dim").value == config.preset("mlp").latent_dim


def test_the_form_keeps_its_values_across_pages(runs_root):
    at = open_train()
    at.selectbox(key="train_preset").set_value("mlp").run()
    fill(at, latent_dim=8, n_images=64, batch_size=128)
    submit(at)  # form values reach the script only on submit; this one is refused, so nothing trains
    at.switch_page("pages/concepts.py").run()
    at.switch_page("pages/train.py").run()
    assert at.selectbox(key="train_preset").value == "mlp"
    assert (widget(at, "architecture").value, widget(at, "latent_dim").value) == ("mlp", 8)


def test_a_cross_field_error_names_the_field_and_starts_nothing(runs_root):
    at = open_train()
    fill(at, n_images=64, batch_size=128)
    submit(at)
    assert not at.exception
    (error,) = at.error
    assert "Batch size" in error.value and "batch_size" in error.value and "64" in error.value
    assert runs.list_runs(runs_root) == []


@pytest.mark.slow
def test_submitting_trains_once_in_another_process_and_a_time_budget_sets_the_epochs(runs_root):
    cfg = tiny_config()
    at = open_train()
    fill(at, **TINY)
    submit(at)
    assert not at.exception
    assert [s.value for s in at.success] == [f"Started run {cfg.run_id}."]
    run_dir = runs_root / cfg.run_id
    assert runs.read_config(run_dir) == cfg
    first = runs.read_status(run_dir)
    assert first.pid != os.getpid()  # never trained in the Streamlit process
    assert at.page_link[0].proto.query_string == f"run={cfg.run_id}"

    submit(at)  # the same settings again: attach to the run, do not launch a second trainer
    (info,) = at.info[1:]  # the first info box is the data note
    assert cfg.run_id in info.value and ("already training" in info.value or "already been trained" in info.value)
    assert runs.read_status(run_dir).launched_at == first.launched_at
    assert runs.list_runs(runs_root) == [run_dir]

    status = wait_until_finished(run_dir)
    assert status.state == "finished", status
    assert "bundled" in status.data_description
    at.run()
    assert not at.exception
    assert any(cfg.run_id in block.value and "finished 1/1" in block.value for block in at.markdown)
    assert not [b for b in at.button if b.key.startswith(("cancel_", "start_"))]

    # The same form with a time budget: the epochs follow this machine's measured speed.
    found = speed.Speed(seconds_per_image=0.01, startup_s=5.0, measured_at=time.time(), source="run")
    speed.record(runs_root, cfg, found)  # 64 images: 0.64 s an epoch here
    at.selectbox(key="train_budget").set_value(1).run()
    assert "≈ **86 epochs**" in estimate_text(at)  # (60 s - 5 s start-up) / 0.64 s, rounded
    submit(at)
    budgeted = runs_root / cfg.replace(epochs=86).run_id
    assert runs.read_config(budgeted).epochs == 86
    launcher.cancel(budgeted)
    wait_until_finished(budgeted)


@pytest.mark.slow
def test_running_run_shows_progress_and_can_be_cancelled(runs_root):
    run_dir = runs.create(runs_root, tiny_config(epochs=4))
    now = time.time()
    runs.write_status(run_dir, state="running", pid=os.getpid(), heartbeat=now, launched_at=now - 60,
                      epoch=1, epochs=4, step=4, steps_total=16, images_per_s=512.0, eta_s=125,
                      peak_memory_mb=612.4)
    at = open_train()
    (bar,) = at.get("progress")
    assert bar.value == 25 and bar.text == "epoch 1/4 · 512 images/s · ETA 2m05s · 612 MB"
    at.button(key=f"cancel_{run_dir.name}").click().run()
    assert runs.cancel_requested(run_dir, now - 60)
    assert at.button(key=f"cancel_{run_dir.name}").disabled


def test_a_ray_run_the_cluster_has_not_started_says_so_and_cancels_at_once(runs_root):
    run_dir = runs.create(runs_root, tiny_config(epochs=4))
    runs.write_status(run_dir, state="queued", executor="ray", heartbeat=time.time(), launched_at=time.time())
    at = open_train()
    (bar,) = at.get("progress")
    assert bar.text == "Waiting for a machine of the cluster to start it."
    at.button(key=f"cancel_{run_dir.name}").click().run()  # no process of this machine's to end
    assert runs.read_status(run_dir).state == "cancelled"
    assert at.button(key=f"start_{run_dir.name}")  # and it can be started again, as a local run can


@pytest.mark.slow
def test_stopped_runs_can_resume_and_failed_runs_show_their_error(runs_root, finished_run):
    failed = copy_of(finished_run, runs_root, epochs=2)  # one complete epoch of two, then a crash
    crash = UserError("training_crashed", "MemoryError: out of memory", type="MemoryError")
    runs.write_status(failed, state="failed", error=crash)
    at = open_train()
    assert any("unexpected MemoryError" in e.value for e in at.error)
    at.button(key=f"start_{failed.name}").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"Resuming run {failed.name} from epoch 1."]
    assert wait_until_finished(failed).state == "finished"


def test_resuming_from_a_foreign_checkpoint_is_refused_on_the_page_and_nothing_is_lost(runs_root, finished_run,
                                                                                       other_run):
    run_dir = copy_of(finished_run, runs_root, epochs=2)
    runs.write_status(run_dir, state="interrupted")
    (run_dir / "checkpoint.npz").write_bytes((other_run / "checkpoint.npz").read_bytes())
    rows = runs.read_metrics(run_dir), runs.read_quality(run_dir)
    at = open_train()
    at.button(key=f"start_{run_dir.name}").click().run()
    assert not at.exception
    assert any("cannot be resumed" in e.value and "belongs to another run" in e.value for e in at.error)
    assert (runs.read_metrics(run_dir), runs.read_quality(run_dir)) == rows
    assert not runs.read_status(run_dir).active


def test_demo_mode_hides_server_settings_and_caps_the_form(runs_root, monkeypatch):
    monkeypatch.setenv("GAN_DEMO", "1")
    monkeypatch.setenv("GAN_DEMO_MAX_EPOCHS", "3")
    at = open_train()
    assert not [w for w in at.sidebar.text_input if w.key == "runs_root"]
    assert any("Shared demo" in box.value for box in at.sidebar.info)
    assert at.number_input(key="train_epochs").value == 3  # the preset's 30, lowered to the cap
    fill(at, **{**TINY, "epochs": 4})
    submit(at)
    assert not at.exception
    assert any("Epochs" in e.value and "at most 3" in e.value for e in at.error)
    assert runs.list_runs(runs_root) == []


def test_a_run_goes_out_as_a_zip_and_comes_back_in(runs_root, finished_run, tmp_path):
    import io
    import zipfile

    copy_of(finished_run, runs_root)
    at = open_train()
    export = at.download_button(key="share_export")
    assert export.label.startswith("Download run")
    from gan import archive

    blob = archive.export_run(runs_root / finished_run.name)
    at.file_uploader(key="share_import").upload("run.zip", blob, "application/zip").run()
    assert not at.exception
    folder = archive.imported_name(owners.digest(at.session_state["me"]), finished_run.name)
    assert [s.value for s in at.success] == [
        f"Imported run {folder}: it is now in the run lists, as yours and marked imported."]
    assert runs.read_config(runs_root / folder) == runs.read_config(finished_run)
    at.run()
    assert any(name.startswith(f"{finished_run.name} (imported) · ") for name in at.selectbox(key="share_run").options)

    doctored = io.BytesIO()
    with zipfile.ZipFile(doctored, "w") as zf:
        zf.writestr("../evil.py", "print('hi')")
    at.file_uploader(key="share_import").clear().upload("evil.zip", doctored.getvalue(), "application/zip").run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("This archive was refused:")


def estimate_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)


def test_without_a_measurement_a_budget_starts_nothing_yet(runs_root):
    at = open_train()
    at.selectbox(key="train_budget").set_value(2).run()
    assert "Measuring this machine's speed" in estimate_text(at)
    submit(at)
    assert "still being measured" in " ".join(i.value for i in at.info)
    assert runs.list_runs(runs_root) == []


@pytest.mark.slow
def test_the_page_measures_this_machine_by_itself(runs_root, monkeypatch):
    monkeypatch.delenv(launcher.NO_PROBE_ENV)
    at = open_train()  # the Quick preset's settings: a probe starts in its own process
    quick = config.preset("quick")
    assert "Measuring this machine's speed" in estimate_text(at)
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while speed.lookup(runs_root, quick) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert speed.lookup(runs_root, quick).source == "probe"
    at.run()
    assert f"≈ **{quick.epochs} epochs**" in estimate_text(at)


def test_beyond_the_limit_a_submission_is_queued_with_its_place_and_can_be_withdrawn(runs_root):
    holder = runs.create(runs_root, tiny_config(seed=90))  # the one slot, held by a live process
    runs.write_status(holder, state="running", pid=os.getpid(), heartbeat=time.time(), eta_s=90.0)
    cfg = tiny_config()
    at = open_train()
    fill(at, **TINY)
    submit(at)
    assert not at.exception
    notice = next(block.value for block in at.info if cfg.run_id in block.value)
    assert "is queued, number 1 in line, while 1 train" in notice and "in about 1m30s" in notice
    assert any("Number 1 in line for a training slot, in about 1m30s" in block.value for block in at.info)
    assert runs.read_status(runs_root / cfg.run_id).state == "waiting"
    at.button(key=f"withdraw_{cfg.run_id}").click().run()
    assert runs.read_status(runs_root / cfg.run_id).state == "cancelled"
    assert not any(b.key == f"withdraw_{cfg.run_id}" for b in at.button)


def open_as(visitor: str | None, **query) -> AppTest:
    """The Train page for one visitor (their token in the address, as the pages keep it)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/train.py")
    if visitor:
        at.query_params["me"] = visitor
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_only_the_submitter_or_the_host_gets_a_runs_buttons(runs_root, monkeypatch):
    monkeypatch.setenv("GAN_HOST_KEY", "open-sesame")
    holder = runs.create(runs_root, tiny_config(seed=90))
    runs.write_status(holder, state="running", pid=os.getpid(), heartbeat=time.time())
    queued = launcher.submit(runs_root, tiny_config(seed=91), Limits(max_concurrent=1), owners.digest("alice-token-1"))
    key = f"withdraw_{queued.run_dir.name}"
    alice = open_as("alice-token-1")
    assert not alice.exception and any(b.key == key for b in alice.button)
    assert alice.query_params["me"] == "alice-token-1"  # kept in the address: a reload keeps it
    newcomer = open_as(None)
    assert len(newcomer.query_params["me"]) >= 16 and newcomer.query_params["me"] != "alice-token-1"
    bob = open_as("bob-token-22")
    assert not any(b.key == key for b in bob.button)
    assert "Another visitor's run: you can watch it." in " ".join(c.value for c in bob.caption)
    bob.text_input(key="host_key").set_value("wrong-key").run()
    assert not any(b.key == key for b in bob.button)
    bob.text_input(key="host_key").set_value("open-sesame").run()
    assert any(b.key == key for b in bob.button)
    assert runs.read_status(queued.run_dir).owner == owners.digest("alice-token-1") != "alice-token-1"


def test_on_a_demo_a_visitor_trains_one_run_at_a_time(runs_root, monkeypatch):
    monkeypatch.setenv("GAN_DEMO", "1")
    holder = runs.create(runs_root, tiny_config(seed=90))
    runs.write_status(holder, state="running", pid=os.getpid(), heartbeat=time.time())
    first = launcher.submit(runs_root, tiny_config(seed=92), Limits(demo=True), owners.digest("carol-token-3"))
    second = launcher.submit(runs_root, tiny_config(seed=93), Limits(demo=True), owners.digest("carol-token-3"))
    other = launcher.submit(runs_root, tiny_config(seed=94), Limits(demo=True), owners.digest("dave-token-44"))
    assert (first.outcome, second.outcome, other.outcome) == ("queued", "refused", "queued")
    assert second.other == first.run_dir and not second.run_dir.exists()
    at = open_as("carol-token-3")
    assert not any(b.key == f"withdraw_{other.run_dir.name}" for b in at.button)  # dave's
    assert not any(b.key == f"cancel_{holder.name}" for b in at.button)  # from the command line: host only on a demo


def test_only_the_host_changes_where_runs_live_and_how_many_train(runs_root, tmp_path, monkeypatch):
    settings = f"Runs are kept in {runs_root}; 1 train at a time. The host sets these."
    visitor = open_as("erin-token-55")
    assert not any(w.key in ("runs_root", "max_concurrent") for w in [*visitor.text_input, *visitor.number_input])
    assert settings in [c.value for c in visitor.caption]
    monkeypatch.setenv("GAN_HOST_KEY", "open-sesame")
    host = open_as("host-token-66")
    assert not any(w.key == "runs_root" for w in host.text_input)
    host.text_input(key="host_key").set_value("open-sesame").run()
    host.text_input(key="runs_root").set_value(str(tmp_path / "elsewhere")).run()
    host.number_input(key="max_concurrent").set_value(3).run()
    assert not host.exception and settings not in [c.value for c in host.caption]
    assert settings in [c.value for c in open_as("erin-token-55").caption]  # the server's own, for everyone else


def test_every_start_path_passes_the_demo_caps_an_imported_run_included(runs_root, finished_run, monkeypatch):
    from gan import archive

    monkeypatch.setenv("GAN_DEMO", "1")
    monkeypatch.setenv("GAN_DEMO_MAX_EPOCHS", "3")
    cfg = runs.read_config(finished_run).replace(epochs=1000, n_images=70000)
    entries = {f"{cfg.run_id}/config.json": json.dumps(cfg.to_dict()).encode()}
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    owner = owners.digest("frank-token-77")
    imported = archive.import_run(blob.getvalue(), runs_root, owner=owner)
    at = open_as("frank-token-77")
    at.button(key=f"start_{imported.path.name}").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Not started: **Epochs** — epochs: must be at most 3 on this shared demo "
                                           "server, not 1000"]
    assert runs.read_status(imported.path).state == "interrupted" and not runs.read_status(imported.path).pid


def test_resuming_an_imported_run_trains_it_in_its_own_folder(runs_root, finished_run):
    from gan import archive

    cfg = runs.read_config(finished_run).replace(epochs=2)
    blob = archive.export_run(finished_run, checkpoint=True)
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        entries = {name.replace(finished_run.name, cfg.run_id): zf.read(name) for name in zf.namelist()}
    entries[f"{cfg.run_id}/config.json"] = json.dumps(cfg.to_dict()).encode()
    del entries[f"{cfg.run_id}/generator.keras"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    imported = archive.import_run(out.getvalue(), runs_root, owner=owners.digest("gina-token-88"))
    assert runs.read_status(imported.path).epoch == 1
    resumed = launcher.submit(runs_root, cfg, owner=owners.digest("gina-token-88"), run_dir=imported.path)
    try:
        assert resumed.outcome == "resumed" and resumed.epoch == 1 and resumed.run_dir == imported.path
        assert not (runs_root / cfg.run_id).exists()
    finally:
        launcher.cancel(imported.path)


def test_a_submission_records_the_visitors_display_name_and_budget_and_the_name_comes_back(runs_root):
    holder = runs.create(runs_root, tiny_config(seed=90))  # "training": the submission waits, nothing starts
    runs.write_status(holder, state="running", pid=os.getpid(), heartbeat=time.time())
    cfg = tiny_config(seed=95)
    speed.record(runs_root, cfg, speed.Speed(seconds_per_image=0.01, startup_s=5.0, measured_at=time.time(),
                                             source="run"))  # 1 minute buys 86 epochs (as above)
    at = open_as("erin-token-55")
    assert at.text_input(key="train_display_name").value == ""
    at.selectbox(key="train_budget").set_value(1).run()  # outside the form: before filling it
    form = {field: value for field, value in TINY.items() if field != "epochs"}  # the budget sets epochs
    fill(at, **{**form, "seed": 95})
    at.text_input(key="train_display_name").input("  Erin\n & Table 3  ")
    assert not submit(at).exception
    status = runs.read_status(runs_root / cfg.replace(epochs=86).run_id)
    assert (status.state, status.display_name, status.budget_minutes) == ("waiting", "Erin & Table 3", 1)
    assert status.owner == owners.digest("erin-token-55")
    assert open_as("erin-token-55").text_input(key="train_display_name").value == "Erin & Table 3"  # a reload
    assert open_as("frank-token-66").text_input(key="train_display_name").value == ""


def test_an_upload_is_imported_once_however_often_the_page_reruns(runs_root, finished_run, monkeypatch):
    from gan import archive

    monkeypatch.setenv("GAN_DEMO", "1")
    monkeypatch.setenv("GAN_DEMO_IMPORTS_PER_HOUR", "1")
    at = open_as("hana-token-99")
    at.file_uploader(key="share_import").upload("run.zip", archive.export_run(finished_run), "application/zip").run()
    imported = [s.value for s in at.success]
    assert len(imported) == 1 and imported[0].startswith("Imported run imported-")
    for _ in range(3):  # the file stays in the uploader while the visitor goes on: one import, one count
        at.run()
        assert [s.value for s in at.success] == imported and not at.error
    assert (runs_root / quota.IMPORTS_LOG).read_text().count("\n") == 1


def upload_zip(count: int, colour: bool = False, extra: dict | None = None) -> bytes:
    import numpy as np
    from PIL import Image

    shape = (40, 48, 3) if colour else (28, 28)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for i, pixels in enumerate(np.random.default_rng(count).integers(0, 256, (count, *shape), dtype=np.uint8)):
            png = io.BytesIO()
            Image.fromarray(pixels).save(png, format="PNG")
            bundle.writestr(f"{'ab'[i % 2]}/{i}.png", png.getvalue())
        for name, blob in (extra or {}).items():
            bundle.writestr(name, blob)
    return out.getvalue()


@pytest.mark.slow
def test_your_own_images_are_checked_previewed_and_trained_on(runs_root):
    at = open_train()
    at.selectbox(key="train_source").set_value("upload").run()
    assert any("shorter side is 28 pixels (grey) or 32 pixels (colour)" in c.value for c in at.caption)
    at.button(key="train_submit").click().run()  # nothing accepted yet: said, nothing started
    assert "upload a file above the form first" in at.error[0].value and runs.list_runs(runs_root) == []
    blob = upload_zip(70, colour=True, extra={"a/broken.png": b"not a picture"})
    at.file_uploader(key="upload_file").upload("mine.zip", blob, "application/zip").run()
    assert not at.exception and len(at.error) == 1  # the earlier notice only
    assert "**70** pictures kept, **1** skipped · 32×32 colour" in at.success[0].value
    assert any("a/broken.png — not a readable picture" in c.value.replace("\\", "") for c in at.caption)
    assert any("2 classes" in c.value and "a (35), b (35)" in c.value for c in at.caption)
    assert at.image[0].captions == ["What will be trained on, after resizing: 64 of 70 pictures"]
    stored = list((runs_root / "datasets").iterdir())
    assert len(stored) == 1 and (stored[0] / "data.npz").exists()
    fill(at, **{**TINY, "n_images": 1000})
    submit(at)
    [run_dir] = runs.list_runs(runs_root)
    cfg = runs.read_config(run_dir)
    assert cfg.dataset == f"sha256:{stored[0].name}" and cfg.n_images == 70
    status = wait_until_finished(run_dir)  # trained in its own process on the colour pictures
    assert status.state == "finished" and status.image_shape == (32, 32, 3) and status.class_names == ("a", "b")


def test_a_refused_upload_is_worded_in_the_visitors_language(runs_root):
    at = open_train()
    at.selectbox(key="train_source").set_value("upload").run()
    at.file_uploader(key="upload_file").upload("few.zip", upload_zip(10), "application/zip").run()
    assert at.error[0].value == "Only 10 usable pictures (0 skipped); at least 64 are needed to train."
    bomb = upload_zip(64, extra={"zeros.png": bytes(4 * 2**20)})
    at.file_uploader(key="upload_file").clear().upload("bomb.zip", bomb, "application/zip").run()
    assert "refused as a zip bomb" in at.error[0].value
    at.sidebar.segmented_control(key="lang").set_value("zh").run()
    assert "压缩炸弹" in at.error[0].value and not (runs_root / "datasets").exists()
