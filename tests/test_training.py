import io
import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from gan import augment, data, images, runs, sampling, training
from tests.conftest import COLOUR, SHAPE_NAMES, coloured_shapes, copy_of, tiny_config, training_on


def train_tiny(root, **changes):
    cfg = tiny_config(**changes)
    run_dir = runs.create(root, cfg)
    state = training.train(cfg, run_dir)
    return cfg, run_dir, state


def test_a_finished_run_has_every_file(finished_run):
    status = runs.read_status(finished_run)
    assert status.state == "finished" and status.epoch == 1 and status.data_source == "bundled"
    assert 50 < status.peak_memory_mb < 24_000
    rows = runs.read_metrics(finished_run)
    assert [r["step"] for r in rows] == [4]  # 64 images / batch 16 = 4 steps, logged at the epoch's end
    row = rows[0]
    assert set(runs.METRICS_FIELDS) <= set(row)
    assert 0 <= row["d_real"] <= 1 and 0 <= row["d_fake"] <= 1 and row["images_per_s"] > 0
    assert 0 <= row["d_separation"] <= 1 and np.isfinite([row["d_real_score"], row["d_fake_score"]]).all()
    assert np.isfinite([row["d_loss"], row["g_loss"]]).all()
    grid = images.read_png(runs.sample_path(finished_run, 1).read_bytes())
    assert grid.shape == (2 * (8 * 30 + 2), 2 * (8 * 30 + 2))
    generator = sampling.load_generator(finished_run / "generator.keras")
    assert sampling.latent_dim(generator) == 8
    (scores,) = runs.read_quality(finished_run)
    assert scores["epoch"] == 1 and scores["fdd"] > 0 and 1 <= scores["score"] <= 10
    assert sum(scores[f"class_{d}"] for d in range(10)) == pytest.approx(1.0, abs=1e-4)


def test_same_seed_same_run_different_seed_different_run(runs_root, tmp_path, finished_run):
    first = finished_run  # tiny_config(), trained once for the whole session
    _, second, _ = train_tiny(tmp_path / "again")
    _, other, _ = train_tiny(runs_root, seed=2)
    draw = {d: sampling.sample(sampling.load_generator(d / "generator.keras"), 16, 0) for d in (first, second, other)}
    assert np.array_equal(draw[first], draw[second])
    assert not np.array_equal(draw[first], draw[other])
    assert [r["d_loss"] for r in runs.read_metrics(first)] == [r["d_loss"] for r in runs.read_metrics(second)]


def test_resume_continues_exactly_where_it_stopped(runs_root, tmp_path, finished_run):
    """Two epochs straight equal one epoch (the session's tiny run), then a resume to two."""
    _, straight, _ = train_tiny(runs_root, epochs=2)
    cfg = tiny_config(epochs=2)
    resumed = copy_of(finished_run, tmp_path / "resumed")  # same model, stopped after epoch 1
    runs.append_metrics(resumed, [{"step": 5, "epoch": 2, "d_loss": 9.9}])  # a row of a lost epoch 2
    runs.append_quality(resumed, {"epoch": 2, "fdd": 1.0})
    assert training.train(cfg, resumed) == "finished"
    steps = [r["step"] for r in runs.read_metrics(resumed)]
    assert steps == [4, 8] == [r["step"] for r in runs.read_metrics(straight)]
    a, b = (sampling.sample(sampling.load_generator(d / "generator.keras"), 16, 0) for d in (straight, resumed))
    assert np.array_equal(a, b)
    assert runs.read_status(resumed).resumed_from == 1
    assert [r["epoch"] for r in runs.read_quality(resumed)] == [1, 2]
    def scores(d):
        return [{k: v for k, v in row.items() if k != "seconds" and not np.isnan(v)} for row in runs.read_quality(d)]

    assert scores(resumed) == scores(straight)


# Each loss trains once, each with another augmentation policy and way of stepping: a tiny run's
# cost is mostly tracing its step, so one run per loss covers the policies too.
@pytest.mark.parametrize(("loss", "policy", "changes"), [
    ("nonsat", "translation", {}),
    ("minimax", "cutout", {"simultaneous": True}),
    ("lsgan", "color", {}),
    ("hinge", "translation,cutout", {"conditional": True}),
    ("wgan_gp", "color,translation,cutout", {"simultaneous": True}),  # the penalty sees augmented images too
])
def test_every_loss_and_augmentation_trains_with_finite_numbers(runs_root, loss, policy, changes):
    _, run_dir, state = train_tiny(runs_root, loss=loss, augment=policy, d_steps=2, label_smoothing=0.1, g_top_k=0.5,
                                   **changes)
    assert state == "finished"
    row = runs.read_metrics(run_dir)[-1]
    assert row["step"] == 2
    assert np.isfinite([row[key] for key in ("d_loss", "g_loss", "d_real_score", "d_fake_score")]).all()


@pytest.mark.parametrize("d_steps", [1, 2])
def test_simultaneous_updates_train_and_differ_from_alternating(runs_root, d_steps, finished_run):
    _, together, state = train_tiny(runs_root, simultaneous=True, d_steps=d_steps)
    if d_steps == 1:
        alternating = finished_run  # tiny_config(): alternating, one D step
    else:
        _, alternating, _ = train_tiny(runs_root, simultaneous=False, d_steps=d_steps)
    assert state == "finished"
    a, b = (runs.read_metrics(d)[-1] for d in (together, alternating))
    assert a["step"] == b["step"] and np.isfinite([a["d_loss"], a["g_loss"]]).all() and a["g_loss"] != b["g_loss"]


@pytest.mark.parametrize("architecture", ["dcgan_tutorial", "mlp"])
def test_conditional_ema_variants_train_and_sample_each_digit(runs_root, architecture):
    _, run_dir, _ = train_tiny(runs_root, architecture=architecture, conditional=True, ema_decay=0.99)
    generator = sampling.load_generator(run_dir / "generator.keras")
    assert sampling.is_conditional(generator)
    assert sampling.sample(generator, 10, 0, digit=3).shape == (10, 28, 28)


def test_augmentation_follows_the_seed_and_changes_the_game(runs_root, tmp_path, finished_run):
    _, first, _ = train_tiny(runs_root, augment="color,translation,cutout")
    _, again, _ = train_tiny(tmp_path / "again", augment="color,translation,cutout")
    off = finished_run  # the same tiny config, trained without augmentation
    losses = {d: [(r["d_loss"], r["g_loss"]) for r in runs.read_metrics(d)] for d in (first, again, off)}
    assert losses[first] == losses[again] and losses[first] != losses[off]


def test_augmentation_off_draws_and_applies_nothing(runs_root, monkeypatch):
    """Off, the step is the one before augmentation existed: no extra random numbers drawn from
    the run's seed, no operation added. (Measured against main's code: the same metrics, to the bit.)"""
    def refuse(*args):
        raise AssertionError("augmentation used while off")

    monkeypatch.setattr(augment, "draw", refuse)
    monkeypatch.setattr(augment, "apply", refuse)
    _, run_dir, state = train_tiny(runs_root, loss="wgan_gp", d_steps=2)
    assert state == "finished" and runs.read_metrics(run_dir)


@pytest.mark.parametrize("simultaneous", [False, True])
def test_d_sees_real_and_fake_augmented_in_its_steps_and_g_learns_through_it(simultaneous):
    gan = training.GAN(tiny_config(augment="color,translation,cutout", d_steps=2, simultaneous=simultaneous))
    gan.compile()
    *d_draws, g_draw = gan._draws()
    assert all({"augment_real", "augment_fake"} <= set(draw) for draw in d_draws)
    assert ("augment_real" in g_draw) == simultaneous and "augment_fake" in g_draw
    noise, _ = gan._noise(g_draw)
    with tf.GradientTape() as tape:
        fake = gan.generator(noise, training=True)
        seen = gan._seen(fake, g_draw, "fake")
        score = tf.reduce_mean(gan.discriminator(seen, training=True))
    assert seen.shape == fake.shape and not np.allclose(seen, fake)
    gradients = tape.gradient(score, gan.generator.trainable_variables)
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in gradients)
    assert max(float(tf.reduce_max(tf.abs(g))) for g in gradients) > 0


def test_training_moves_d_towards_telling_real_from_fake(runs_root):
    """After a few dozen steps D(x) > D(G(z)) on average: the game is being played. (32 steps: by
    0.09-0.12 for seeds 1-3 here; 128 steps gave 0.05-0.06, as G catches up.)"""
    _, run_dir, _ = train_tiny(runs_root, n_images=1024, batch_size=32)
    rows = runs.read_metrics(run_dir)
    assert np.mean([r["d_real"] for r in rows]) > np.mean([r["d_fake"] for r in rows])


def test_cancel_stops_at_once_and_keeps_no_partial_epoch(runs_root):
    cfg = tiny_config(n_images=1024, epochs=3)
    run_dir = runs.create(runs_root, cfg)
    runs.request_cancel(run_dir)
    assert training.train(cfg, run_dir, launched_at=0.0) == "cancelled"
    assert runs.read_status(run_dir).state == "cancelled"
    assert runs.read_metrics(run_dir) == []  # stopped after its first step, before any logged one
    assert not (run_dir / "generator.keras").exists() and runs.load_checkpoint(run_dir) is None


def _history(run_dir):
    """Every byte of the run's history and the names of its files (quality rows hold NaN, which equals nothing)."""
    files = [run_dir / name for name in ("metrics.csv", "quality.csv")]
    return [file.read_bytes() if file.exists() else None for file in files], sorted(p.name for p in run_dir.rglob("*"))


def test_another_runs_checkpoint_is_refused_and_nothing_is_lost(runs_root, finished_run, other_run):
    cfg, run_dir = tiny_config(), copy_of(finished_run, runs_root)
    before = _history(run_dir)
    (run_dir / "checkpoint.npz").write_bytes((other_run / "checkpoint.npz").read_bytes())
    with pytest.raises(runs.CheckpointError, match="belongs to another run") as caught:
        training.train(cfg, run_dir)
    assert caught.value.kind == "checkpoint_foreign" and _history(run_dir) == before


def test_a_checkpoint_from_another_version_of_the_model_is_refused_by_name_and_nothing_is_lost(runs_root,
                                                                                                 finished_run):
    cfg, run_dir = tiny_config(), copy_of(finished_run, runs_root)
    arrays, meta = runs.load_checkpoint(run_dir)
    renamed = {name.replace("/01.", "/01.Renamed"): value for name, value in arrays.items()}
    runs.save_checkpoint(run_dir, renamed, meta)  # same config, a layer the model no longer has
    before = _history(run_dir)
    with pytest.raises(runs.CheckpointError, match="does not fit this run's model") as caught:
        training.train(cfg, run_dir)
    assert caught.value.kind == "checkpoint_mismatch" and caught.value.params["first"].startswith("generator/01.")
    assert _history(run_dir) == before


def test_a_damaged_checkpoint_is_refused_and_nothing_is_lost(runs_root, finished_run):
    cfg, run_dir = tiny_config(), copy_of(finished_run, runs_root)
    (run_dir / "checkpoint.npz").write_bytes(b"PK\x03\x04 damaged")
    before = _history(run_dir)
    with pytest.raises(runs.CheckpointError, match="damaged"):
        training.train(cfg, run_dir)
    assert _history(run_dir) == before


def test_a_format_1_checkpoint_still_resumes(runs_root, finished_run):
    cfg, run_dir = tiny_config(), copy_of(finished_run, runs_root)
    arrays, meta = runs.load_checkpoint(run_dir)
    gan = training.GAN(cfg)
    gan.compile()
    positional = {f"v{i:04d}": arrays[name] for i, name in enumerate(gan.named_state())}
    legacy = io.BytesIO()  # what the code wrote before checkpoints named their arrays
    np.savez(legacy, meta=np.frombuffer(json.dumps({k: meta[k] for k in ("epoch", "step", "seconds")}).encode(),
                                        np.uint8), **positional)
    (run_dir / "checkpoint.npz").write_bytes(legacy.getvalue())
    assert training.restore(gan, run_dir)[0] == 1
    assert np.array_equal(gan.generator.weights[0].numpy(), arrays[next(iter(arrays))])


def test_a_run_whose_batches_exceed_its_images_is_refused_before_training(runs_root):
    cfg = tiny_config(n_images=512, batch_size=512)
    run_dir = runs.create(runs_root, cfg)
    with pytest.raises(training.NoSteps, match="an epoch would have no step"):
        training.train(cfg.replace(n_images=70000, batch_size=1024, d_steps=10), run_dir)


def test_separation_is_the_share_of_pairs_d_orders_right():
    real, fake = np.array([[3.0], [1.0]], np.float32), np.array([[2.0], [0.0], [1.0]], np.float32)
    # pairs (3,2) (3,0) (3,1) right; (1,2) wrong; (1,0) right; (1,1) a tie, half
    assert float(training.separation(real, fake)) == pytest.approx(4.5 / 6)


def test_a_colour_run_trains_on_its_data_shape_and_classes(colour_run):
    status = runs.read_status(colour_run)
    assert status.state == "finished" and status.data_source == "test_shapes" and status.n_train == 96
    assert status.image_shape == (32, 32, 3) and status.class_names == SHAPE_NAMES
    row = runs.read_metrics(colour_run)[-1]
    assert row["step"] == 6 and np.isfinite([row["d_loss"], row["g_loss"]]).all()
    with Image.open(runs.sample_path(colour_run, 1)) as grid:  # 9 columns (3 classes) by 8 rows of 32 + 2 pixels,
        assert grid.mode == "RGB" and grid.size == (2 * (9 * 34 + 2), 2 * (8 * 34 + 2))  # drawn twice as big
    generator = sampling.load_generator(colour_run / "generator.keras")
    assert sampling.image_shape(generator) == (32, 32, 3) and sampling.n_classes(generator) == 3
    drawn = sampling.sample(generator, 7, seed=0)
    assert drawn.shape == (7, 32, 32, 3) and drawn.dtype == np.uint8 and drawn.std() > 0
    # The digit classifier means nothing for shapes: no classifier numbers, the likeness and copying measures instead.
    (row,) = runs.read_quality(colour_run)
    assert "fdd" not in row and row["rfd"] > 0 and 0 <= row["near_copies"] <= 1 and status.quality_error is None
    _, meta = runs.load_checkpoint(colour_run)
    assert meta["image_shape"] == [32, 32, 3] and meta["n_classes"] == 3


def test_the_fixed_grid_cycles_through_the_datas_classes():
    z, labels = training.fixed_noise(tiny_config(conditional=True), 8, n_classes=3)
    assert z.shape == (8, 8) and list(labels) == [0, 1, 2, 0, 1, 2, 0, 1]
    assert list(training.fixed_noise(tiny_config(conditional=True), 12)[1]) == [*range(10), 0, 1]


@pytest.mark.parametrize("n_classes", [1, 2, 3, 5, 10, 16, 17, 40])
def test_each_column_of_a_conditional_grid_shows_one_class(n_classes):
    columns = training.grid_columns(n_classes)
    assert 6 <= columns <= 16 and (n_classes > 16 or columns % n_classes == 0)
    if 1 < n_classes <= 16:
        labels = training.fixed_noise(tiny_config(conditional=True), training.GRID_SIZE, n_classes)[1]
        assert all(len(set(labels[c::columns])) == 1 for c in range(columns)), columns
    assert training.grid_columns(10) == 10 and training.grid_columns(3) == 9 and training.grid_columns(2) == 8


def test_a_resume_on_data_of_another_shape_is_refused_and_nothing_is_lost(colour_run, tmp_path):
    cfg = tiny_config(**COLOUR, epochs=2)
    run_dir = runs.create(tmp_path / "runs", cfg)
    for name in ("checkpoint.npz", "metrics.csv", "generator.keras", "status.json"):
        (run_dir / name).write_bytes((colour_run / name).read_bytes())
    before = _history(run_dir)
    grey = coloured_shapes(96, colour=False)
    with training_on(grey), pytest.raises(runs.CheckpointError, match="32×32×3 images and 3 classes") as caught:
        training.train(cfg, run_dir)
    assert caught.value.kind == "checkpoint_other_data" and caught.value.params["expected"] == "32×32×1"
    assert _history(run_dir) == before


def test_a_checkpoint_from_before_shapes_were_recorded_reads_as_digits(runs_root, finished_run):
    cfg, run_dir = tiny_config(), copy_of(finished_run, runs_root)
    arrays, meta = runs.load_checkpoint(run_dir)
    assert (meta["image_shape"], meta["n_classes"]) == ([28, 28, 1], 10)
    runs.save_checkpoint(run_dir, arrays, {k: v for k, v in meta.items() if k not in ("image_shape", "n_classes")})
    assert runs.check_checkpoint(run_dir, cfg) == 1
    assert training.train(cfg.replace(epochs=2), run_dir) == "finished"  # resumes on the same digits


def test_a_conditional_run_on_unlabelled_images_is_refused_before_it_starts(runs_root):
    cfg = tiny_config(**COLOUR)
    run_dir = runs.create(runs_root, cfg)
    unlabelled = data.Dataset(coloured_shapes(96).pixels, np.zeros(96, np.uint8), "test_shapes", ("images",))
    with training_on(unlabelled), pytest.raises(data.DataUnfit, match="needs labelled images"):
        training.train(cfg, run_dir)
    assert runs.read_status(run_dir).state != "running" and not (run_dir / "metrics.csv").exists()
    with training_on(unlabelled):
        assert training.train(cfg.replace(conditional=False), runs.create(runs_root, cfg.replace(conditional=False))) \
            == "finished"


def test_a_run_on_data_without_a_classifier_records_the_novelty_measures(runs_root, monkeypatch):
    from gan import quality

    monkeypatch.setattr(quality, "DIGIT_SOURCES", ())  # the bundled digits, judged as any other data
    cfg = tiny_config(epochs=2)
    run_dir = runs.create(runs_root, cfg)
    told = []
    assert training.train(cfg, run_dir, on_epoch=lambda progress: told.append(progress.quality)) == "finished"
    rows = runs.read_quality(run_dir)
    assert [row["epoch"] for row in rows] == [1, 2]
    assert [row["near_copies"] for row in rows] == pytest.approx([row["near_copies"] for row in told])
    for row in rows:
        assert "fdd" not in row and row["rfd"] > 0 and row["rfd_real"] > 0
        assert 0 <= row["near_copies"] <= 1 and 0 < row["copy_threshold"] <= row["real_gap"]
    copies = runs.read_copies(run_dir)
    assert copies.epoch == 2 and copies.samples.shape == copies.nearest.shape == (8, 28, 28)
    training_images = training.prepare_data(cfg).pixels
    np.testing.assert_array_equal(copies.nearest, training_images[copies.index])


def test_a_digit_run_keeps_to_the_classifier(finished_run):
    (row,) = runs.read_quality(finished_run)
    assert row["fdd"] > 0 and "rfd" not in row and "near_copies" not in row
    assert runs.read_copies(finished_run) is None
