"""Training: a keras.Model whose train_step plays one round of the adversarial game, driven by a
plain loop over compiled steps (fit() added seconds of idle waiting per epoch on small CPUs), and
a recorder that writes everything through the run store."""

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gan import augment, data, images, losses, memory, models, optimizer, pace, quality, runs, scoring, speed
from gan import devices as gan_devices
from gan.config import RunConfig
from gan.errors import UserError
from gan.startup import StartUp

GP_WEIGHT = 10.0  # WGAN-GP's gradient penalty weight (Gulrajani 2017)
GRID_SIZE = 64
GRID_COLUMNS = 8
CANCEL_CHECK_SECONDS = 0.5


class NoSteps(UserError, ValueError):
    """A config whose batches need more images than the run has: an epoch would have no step."""


class GAN(keras.Model):
    """Generator and discriminator trained against each other, one train_step per (images, labels) batch."""

    def __init__(self, cfg: RunConfig, image_shape=data.IMAGE_SHAPE, n_classes: int = data.N_CLASSES, **kwargs):
        """Models for images of image_shape (one of data.IMAGE_SHAPES) and labels 0..n_classes-1."""
        super().__init__(**kwargs)
        self.cfg = cfg
        self.image_shape, self.n_classes = tuple(image_shape), n_classes
        # The strategy the model is built under (tf.distribute's default one outside any scope) runs
        # every step's passes on its replicas. Their batch norms share the global batch's statistics.
        self.strategy = tf.distribute.get_strategy()
        replicas = self.strategy.num_replicas_in_sync
        self.generator = models.build_generator(cfg.architecture, cfg.latent_dim, cfg.conditional,
                                                synchronized=replicas > 1, image_shape=image_shape,
                                                n_classes=n_classes)
        self.discriminator = models.build_discriminator(cfg.architecture, cfg.conditional, image_shape, n_classes)
        # Sampling uses an exponential moving average of G's weights when ema_decay > 0.
        self.generator_ema = keras.models.clone_model(self.generator) if cfg.ema_decay else None
        if self.generator_ema is not None:
            self.generator_ema.set_weights(self.generator.get_weights())
        self.d_loss_fn, self.g_loss_fn = losses.LOSSES[cfg.loss]
        self.noise_seed = keras.random.SeedGenerator(cfg.seed)
        self.augment = augment.parse(cfg.augment)  # () when off: the step is then exactly as before it existed
        self.ema_step = keras.Variable(0.0, trainable=False, name="ema_step")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")  # sigmoid(D): a probability for nonsat, minimax
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        # What D's verdict means for every loss: its raw scores, and the share of (real, fake) pairs
        # in which it scores the real digit higher (0.5: cannot tell them apart; 1: always can).
        self.d_real_score_tracker = keras.metrics.Mean(name="d_real_score")
        self.d_fake_score_tracker = keras.metrics.Mean(name="d_fake_score")
        self.d_separation_tracker = keras.metrics.Mean(name="d_separation")

    def compile(self, adam: type[keras.optimizers.Adam] = optimizer.FusedAdam):
        """An Adam of `adam`'s class for each network (bench.optimizer_speed passes Keras' own)."""
        super().compile()
        self.d_optimizer = adam(self.cfg.d_lr, beta_1=self.cfg.beta1)
        self.g_optimizer = adam(self.cfg.g_lr, beta_1=self.cfg.beta1)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def step_function(self, jit_compile: bool = False):
        """train_step compiled once, with XLA when jit_compile: call it on each (images, labels) batch."""
        return tf.function(self.train_step, jit_compile=jit_compile, autograph=False)

    @property
    def metrics(self):
        # The loss and score trackers; the training loop resets them at the start of every epoch.
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker,
                self.d_real_score_tracker, self.d_fake_score_tracker, self.d_separation_tracker]

    @property
    def sampler(self) -> keras.Model:
        """The generator used for samples and saving: the EMA copy when there is one."""
        return self.generator_ema or self.generator

    def named_state(self) -> dict:
        """Every variable a resume must restore, by a name that says what it holds and does not
        depend on Keras' per-process layer numbering: 'generator/03.Conv2DTranspose/kernel',
        'g_optimizer/007', 'noise_seed'. The order is the one format-1 checkpoints were saved in."""
        named = {}
        models = [("generator", self.generator), ("discriminator", self.discriminator)]
        if self.generator_ema is not None:
            models.append(("generator_ema", self.generator_ema))
        for prefix, model in models:
            owner = {id(w): (i, type(layer).__name__) for i, layer in enumerate(model.layers) for w in layer.weights}
            for weight in model.weights:
                index, kind = owner[id(weight)]
                named[f"{prefix}/{index:02d}.{kind}/{weight.name}"] = weight
        for prefix, adam in (("g_optimizer", self.g_optimizer), ("d_optimizer", self.d_optimizer)):
            named.update({f"{prefix}/{i:03d}": v for i, v in enumerate(adam.variables)})
        return {**named, "noise_seed": self.noise_seed.state, "ema_step": self.ema_step}

    def _draw(self, with_mix: bool, with_real: bool) -> dict:
        """One pass's random numbers for the global batch: z, the fakes' labels (conditional), the
        gradient penalty's mixing weights (with_mix), then the augmentation of the fakes and, if D
        sees real images in this pass (with_real), of those: drawn in that order."""
        size = self.cfg.batch_size
        draw = {"z": keras.random.normal((size, self.cfg.latent_dim), seed=self.noise_seed)}
        if self.cfg.conditional:
            draw["labels"] = keras.random.randint((size,), 0, self.n_classes, seed=self.noise_seed)
        if with_mix:
            draw["mix"] = keras.random.uniform((size, 1, 1, 1), seed=self.noise_seed)
        if self.augment:
            draw["augment_fake"] = augment.draw(self.augment, size, self.noise_seed)
            if with_real:
                draw["augment_real"] = augment.draw(self.augment, size, self.noise_seed)
        return draw

    def _draws(self) -> list[dict]:
        """A step's draws: each D step's, then G's (D's last one with `simultaneous`)."""
        penalty = self.cfg.loss == "wgan_gp"
        simultaneous = self.cfg.simultaneous
        d_draws = [self._draw(penalty, True) for _ in range(self.cfg.d_steps - simultaneous)]
        return d_draws + [self._draw(penalty and simultaneous, simultaneous)]

    def _seen(self, images_, draw: dict, side: str):
        """What D is shown of this replica's real (side "real") or fake images: them augmented by
        the draw's numbers, or unchanged when augmentation is off."""
        if not self.augment:
            return images_
        return augment.apply(images_, self.augment, share(draw[f"augment_{side}"]))

    def _noise(self, draw: dict):
        """G's input for this replica's share of a draw, and the fakes' labels (None if unconditional)."""
        z = share(draw["z"])
        if not self.cfg.conditional:
            return z, None
        labels = share(draw["labels"])
        return [z, labels], labels

    def _d_inputs(self, images_, labels):
        return [images_, labels] if self.cfg.conditional else images_

    def _gradient_penalty(self, real, fake, labels, mix):
        """WGAN-GP: (||grad_x D(x_hat)|| - 1)^2 on random mixes of real and fake images."""
        mixed = real + mix * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            scores = self.discriminator(self._d_inputs(mixed, labels), training=True)
        grads = tape.gradient(scores, mixed)
        norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean(tf.square(gathered(norms) - 1.0))

    def _slice(self, real_all, labels_all, i):
        """This replica's share of the i-th batch_size slice of the step's real images and labels
        (one slice per D step)."""
        size = self.cfg.batch_size
        return share(real_all[i * size:(i + 1) * size]), share(labels_all[i * size:(i + 1) * size])

    def _d_loss(self, real, real_labels, fake, fake_labels, draw):
        """D's logits on the global batch's real images and fakes (every replica's), and its loss.
        D sees both augmented alike (when cfg.augment is on), and so does the gradient penalty: it
        holds D's slope near 1 between the images D is trained on, which are the augmented ones."""
        real, fake = self._seen(real, draw, "real"), self._seen(fake, draw, "fake")
        real_logits = gathered(self.discriminator(self._d_inputs(real, real_labels), training=True))
        fake_logits = gathered(self.discriminator(self._d_inputs(fake, fake_labels), training=True))
        d_loss = self.d_loss_fn(real_logits, fake_logits, self.cfg.label_smoothing)
        if self.cfg.loss == "wgan_gp":
            # Fakes are paired with real labels here: the penalty is about D's slope.
            d_loss += GP_WEIGHT * self._gradient_penalty(real, fake, real_labels, share(draw["mix"]))
        return real_logits, fake_logits, d_loss

    def train_step(self, batch):
        """One round of the game on a step's batch_size * d_steps (images, labels); returns the trackers' results."""
        # The random numbers are drawn once for the global batch, outside the replicas: N replicas
        # then use exactly those one device would (each drawing its own would repeat one noise N times).
        draws = self._draws()
        values = self.strategy.run(self._replica_step, args=(batch, draws))

        # 3. Move the EMA copy towards G; the warm-up keeps early samples from averaging noise.
        if self.generator_ema is not None:
            self.ema_step.assign_add(1.0)
            decay = tf.minimum(self.cfg.ema_decay, (1.0 + self.ema_step) / (10.0 + self.ema_step))
            for average, current in zip(self.generator_ema.weights, self.generator.weights, strict=True):
                average.assign(decay * average + (1.0 - decay) * current)

        for tracker in self.metrics:
            tracker.update_state(self.strategy.reduce("MEAN", values[tracker.name], axis=None))
        return {m.name: m.result() for m in self.metrics}

    def _replica_step(self, batch, draws):
        """Steps 1 and 2 on this replica's share of the batch; returns the values the trackers follow.

        Every loss here is the global batch's, computed from all replicas' logits, and so the same on
        each replica. Each replica's gradients of it reach only its own share's passes, and the
        optimizers sum them over replicas: dividing the loss by the number of replicas makes that sum
        the global batch's gradient, as on one device.
        """
        real_all, labels_all = batch
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        # 1. Train D d_steps times, each on its own slice of real images and its own fakes:
        #    push D(x) up on real digits and D(G(z)) down on fakes. G is not updated here.
        #    With `simultaneous` (the TensorFlow tutorial's step) D's last step is taken together
        #    with G's below, from one pass of G and D.
        for i, draw in enumerate(draws[:-1]):
            real, real_labels = self._slice(real_all, labels_all, i)
            noise, fake_labels = self._noise(draw)
            fake = self.generator(noise, training=True)
            with tf.GradientTape() as tape:
                real_logits, d_fake_logits, d_loss = self._d_loss(real, real_labels, fake, fake_labels, draw)
                d_share = d_loss / replicas
            d_variables = self.discriminator.trainable_variables
            self.d_optimizer.apply(tape.gradient(d_share, d_variables), d_variables)

        # 2. Train G to make D call its fakes real. Gradients flow through D, but only G's
        #    weights are updated: this is the "freeze D" the combined-model recipe needs.
        #    Simultaneous: both gradients come from the same fakes and the same, not yet updated, D.
        draw = draws[-1]
        noise, fake_labels = self._noise(draw)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(noise, training=True)
            if self.cfg.simultaneous:
                real, real_labels = self._slice(real_all, labels_all, self.cfg.d_steps - 1)
                real_logits, fake_logits, d_loss = self._d_loss(real, real_labels, fake, fake_labels, draw)
                d_fake_logits = fake_logits
                d_share = d_loss / replicas
            else:
                seen = self._seen(fake, draw, "fake")  # augmented as in D's step: G learns through it
                fake_logits = gathered(self.discriminator(self._d_inputs(seen, fake_labels), training=True))
            # top_k picks from the global batch's fakes, so N replicas keep the fakes one device would.
            g_loss = self.g_loss_fn(losses.top_k(fake_logits, self.cfg.g_top_k))
            g_share = g_loss / replicas
        if self.cfg.simultaneous:
            d_variables = self.discriminator.trainable_variables
            self.d_optimizer.apply(d_tape.gradient(d_share, d_variables), d_variables)
        g_variables = self.generator.trainable_variables
        self.g_optimizer.apply(g_tape.gradient(g_share, g_variables), g_variables)

        d_fake_logits = tf.stop_gradient(d_fake_logits)  # D's scores in its own step: one D, one moment
        return {"d_loss": d_loss, "g_loss": g_loss,
                "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
                "d_real_score": tf.reduce_mean(real_logits), "d_fake_score": tf.reduce_mean(d_fake_logits),
                "d_separation": separation(real_logits, d_fake_logits)}


def share(tensor):
    """This replica's rows of a global batch tensor (batch, …): an equal, contiguous share; all of
    it outside a multi-replica strategy."""
    context = tf.distribute.get_replica_context()
    size = tensor.shape[0] // context.num_replicas_in_sync
    start = context.replica_id_in_sync_group * size
    return tensor[start:start + size]


def gathered(values):
    """All replicas' values (batch share, …) joined in global batch order, (batch, …). The gradient
    of a loss computed from them reaches each replica's own share."""
    context = tf.distribute.get_replica_context()
    joined = context.all_gather(values, axis=0)
    # MirroredStrategy's gather forgets the batch size, which top_k needs to count its k.
    return tf.ensure_shape(joined, (values.shape[0] * context.num_replicas_in_sync, *values.shape[1:]))


def separation(real_logits, fake_logits):
    """The share of (real, fake) pairs D scores in the right order, ties counting half: the area
    under its ROC curve on this batch. It means the same for every loss."""
    real, fake = tf.reshape(real_logits, (-1, 1)), tf.reshape(fake_logits, (1, -1))
    above = tf.cast(real > fake, tf.float32) + 0.5 * tf.cast(real == fake, tf.float32)
    return tf.reduce_mean(above)


def grid_columns(n_classes: int) -> int:
    """Columns of the sample grid: 8, or for a conditional run the multiple of its class count
    nearest 8 (as fixed_noise cycles through the classes, each column then shows one class): 10
    for digits, 9 for 3 classes."""
    if n_classes <= 1 or n_classes > 2 * GRID_COLUMNS:
        return GRID_COLUMNS
    return images.class_columns(n_classes, GRID_COLUMNS)


def fixed_noise(cfg: RunConfig, n: int = GRID_SIZE, n_classes: int = data.N_CLASSES):
    """The generator input every epoch's sample grid is drawn from; conditional grids cycle through
    the classes 0..n_classes-1."""
    z = np.random.default_rng([cfg.seed, n]).standard_normal((n, cfg.latent_dim)).astype(np.float32)
    if not cfg.conditional:
        return z
    return [z, (np.arange(n) % n_classes).astype(np.int32)]


@dataclass
class Progress:
    """What the training loop tells its observer after each epoch."""

    epoch: int
    epochs: int
    step: int
    steps_total: int
    seconds: float
    images_per_s: float
    logs: dict
    eta_s: float | None = None
    quality: dict | None = None  # the quality.csv row of this epoch, if it was evaluated


class Recorder:
    """Follows the training loop: writes a metrics row every runs.LOG_EVERY_STEPS steps and at each
    epoch's end, keeps status.json's progress, heartbeat and ETA fresh, and notices a cancel within
    CANCEL_CHECK_SECONDS of its request."""

    def __init__(self, run_dir: Path, gan: "GAN", steps_per_epoch: int, step: int, seconds: float,
                 launched_at: float, on_first_step: Callable[[], None] = lambda: None):
        self.run_dir, self.gan, self.launched_at = run_dir, gan, launched_at
        self.on_first_step = on_first_step  # the start-up is over: cancels are checked here from now on
        self.images_per_step = gan.cfg.batch_size * gan.cfg.d_steps
        self.steps_per_epoch = steps_per_epoch
        self.step = step
        self.seconds_before = seconds  # training time (steps only) of the whole run so far
        self.pace = pace.Pace()
        self.last_rate = 0.0
        self.last_eval_seconds = 0.0
        self.cancelled = False
        self.cancel_checked = -CANCEL_CHECK_SECONDS  # the first step checks at once
        self.startup_s: float | None = None  # from the launch to the first step's end

    def start_epoch(self, epoch: int) -> None:
        """Before 1-based `epoch`'s first step: the trackers restart, so rows are this epoch's."""
        self.epoch = epoch
        for tracker in self.gan.metrics:
            tracker.reset_state()
        self.batches_done = 0
        self.window_start: tuple[int, dict] = (0, {})
        self.epoch_clock = self.window_clock = time.perf_counter()
        self.epoch_train_seconds = 0.0

    def after_step(self) -> bool:
        """Record the step just taken; False when training must stop (a cancel was requested)."""
        self.batches_done += 1
        self.step += 1
        now = time.perf_counter()
        if self.startup_s is None:
            self.startup_s = time.time() - self.launched_at
            self.on_first_step()
        if not self.step % runs.LOG_EVERY_STEPS or self.batches_done == self.steps_per_epoch:
            self._log(now)
        if now - self.cancel_checked >= CANCEL_CHECK_SECONDS:
            self.cancel_checked = now
            self.cancelled = runs.cancel_requested(self.run_dir, self.launched_at)
        return not self.cancelled

    def _log(self, now: float) -> None:
        logs = {tracker.name: float(tracker.result()) for tracker in self.gan.metrics}
        start_batches, start_logs = self.window_start
        window = self.batches_done - start_batches
        # The trackers hold running means over the epoch; recover the mean over this window.
        row = {key: (logs[key] * self.batches_done - start_logs.get(key, 0.0) * start_batches) / window
               for key in logs}
        elapsed = now - self.window_clock
        self.seconds_before += elapsed
        self.epoch_train_seconds += elapsed
        self.last_rate = round(window * self.images_per_step / max(elapsed, 1e-9), 1)
        row.update(step=self.step, epoch=self.epoch, seconds=round(self.seconds_before, 3),
                   images_per_s=self.last_rate)
        runs.append_metrics(self.run_dir, [row])
        self.window_start, self.window_clock = (self.batches_done, logs), now
        runs.write_status(self.run_dir, step=self.step, steps_total=self.steps_per_epoch * self.gan.cfg.epochs,
                          images_per_s=self.last_rate, peak_memory_mb=memory.peak_mb(),
                          eta_s=self.eta(), heartbeat=time.time())
        self.logs = logs

    def eta(self) -> float | None:
        """Seconds until the last epoch ends, from this process's epoch pace (saves included)."""
        done = (self.epoch - 1) + self.batches_done / self.steps_per_epoch
        step_seconds = self.epoch_train_seconds / self.batches_done if self.batches_done else None
        return self.pace.eta(self.gan.cfg.epochs - done, step_seconds, self.steps_per_epoch, self.last_eval_seconds)

    def end_epoch(self, n_train: int) -> None:
        """After an epoch's saves. Once an epoch past the first has been timed, its pace becomes this
        machine's measured speed for runs of this shape (what time budgets are planned with), if it
        trained on one device as the speed probe does."""
        self.pace.add(time.perf_counter() - self.epoch_clock)
        one_device = self.gan.strategy.num_replicas_in_sync == 1
        if len(self.pace.epoch_seconds) >= 2 and self.startup_s is not None and one_device:
            found = speed.from_run(self.pace.seconds_per_epoch(), n_train, self.startup_s)
            speed.record(self.run_dir.parent, self.gan.cfg, found)


def save_epoch(run_dir: Path, gan: "GAN", epoch: int, recorder: Recorder, noise, schedule: pace.EvalSchedule,
               scorer: scoring.Scorer, n_train: int) -> dict | None:
    """After a complete epoch: the sample grid, generator.keras, the quality when it is due, then
    the resume checkpoint, which is what declares the epoch complete. Returns the quality row, if any."""
    row = None
    pixels = data.to_pixels(gan.sampler(noise, training=False))
    columns = grid_columns(gan.n_classes if gan.cfg.conditional else 1)
    runs.save_sample_grid(run_dir, epoch, images.png_bytes(images.grid(pixels, columns), 2))
    runs.save_generator(run_dir, gan.sampler)
    if schedule.due(time.perf_counter() - recorder.epoch_clock, epoch == gan.cfg.epochs):
        scorer.prepare()  # once per run, and not what an evaluation costs from then on
        clock = time.perf_counter()
        try:
            row, copies = scorer.evaluate(gan.sampler, epoch, recorder.seconds_before)
            runs.append_quality(run_dir, row)
            if copies is not None:
                runs.save_copies(run_dir, copies)
        except quality.QualityUnavailable as error:  # damaged classifier assets: train on, say why
            runs.write_status(run_dir, quality_error=str(error))
        recorder.last_eval_seconds = time.perf_counter() - clock
        schedule.done(recorder.last_eval_seconds)
    meta = {"epoch": epoch, "step": recorder.step, "seconds": recorder.seconds_before, "config": gan.cfg.to_dict(),
            **runs.data_shape(gan.image_shape, gan.n_classes)}
    runs.save_checkpoint(run_dir, {name: v.numpy() for name, v in gan.named_state().items()}, meta)
    recorder.end_epoch(n_train)
    runs.write_status(run_dir, epoch=epoch, heartbeat=time.time(), eta_s=recorder.eta())
    return row


class Heartbeat:
    """A daemon thread refreshing status.json's heartbeat, so slow steps do not look like death."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self.stopped.wait(runs.HEARTBEAT_SECONDS):
            runs.write_status(self.run_dir, heartbeat=time.time())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


def prepare_data(cfg: RunConfig, root: Path | None = None) -> data.Dataset:
    """The run's training images: the configured dataset (an upload is looked for under the runs
    root `root`), cut to n_images by the run's seed."""
    return data.subset(data.load(cfg.dataset, root), cfg.n_images, cfg.seed)


def epoch_batches(dataset: data.Dataset, cfg: RunConfig, epoch: int, images_tensor, labels_tensor) -> Iterator:
    """The epoch's steps' (images, labels): batch_size * d_steps of each, in an order fixed by
    (seed, epoch); the last incomplete batch is dropped.

    Plain gathers, not a tf.data pipeline: handing batches over from tf.data's threads cost about
    35 ms a step on one core, a quarter of the step itself (measured on dcgan_lean).
    """
    order = np.random.default_rng([cfg.seed, epoch]).permutation(len(dataset.pixels)).astype(np.int32)
    per_step = cfg.batch_size * cfg.d_steps
    for start in range(0, len(order) - per_step + 1, per_step):
        indices = order[start:start + per_step]
        yield tf.gather(images_tensor, indices), tf.gather(labels_tensor, indices)


def train(cfg: RunConfig, run_dir: Path, on_epoch: Callable[[Progress], None] | None = None,
          jit_compile: bool = False, launched_at: float | None = None,
          eval_samples: int | None = None, start: StartUp | None = None, devices: int = 1) -> str:
    """Train (or resume) the run in run_dir to cfg.epochs; return the final state.

    The caller holds the run's training lock. Resuming restores every variable from the last
    complete epoch's checkpoint and drops metrics rows written after it. A cancel requested at or
    after `launched_at` (default: now) stops training within CANCEL_CHECK_SECONDS. Quality is scored
    (gan.scoring) on `eval_samples` samples (default quality.eval_samples()) after the epochs
    pace.EvalSchedule picks, and always after the last. `start`, if given, hears each start-up phase and the first
    step's end (see gan.startup). `devices`: how many devices (GPUs, else logical CPUs) share each
    batch through tf.distribute.MirroredStrategy (see gan.devices); the losses are the same as on one.
    """
    launched_at = time.time() if launched_at is None else launched_at
    eval_samples = quality.eval_samples() if eval_samples is None else eval_samples
    phase = start.phase if start is not None else lambda *_, **__: None
    gan_devices.check(devices, cfg.batch_size, jit_compile)
    strategy, device = gan_devices.strategy(devices)  # first: splitting the CPU must precede any operation
    keras.utils.set_random_seed(cfg.seed)
    phase("data")
    dataset = prepare_data(cfg, run_dir.parent)
    steps_per_epoch = len(dataset.pixels) // (cfg.batch_size * cfg.d_steps)
    if not steps_per_epoch:
        raise NoSteps("training_no_steps", per_step=cfg.batch_size * cfg.d_steps, images=len(dataset.pixels))
    data.check_trainable(dataset, cfg.conditional)
    images_tensor = tf.constant(data.to_images(dataset.pixels))
    labels_tensor = tf.constant(dataset.labels.astype(np.int32))
    phase("model")
    with strategy.scope():  # the model's and optimizers' variables are mirrored on every replica
        gan = GAN(cfg, dataset.image_shape, len(dataset.class_names))
        gan.compile()
    if (run_dir / runs.CHECKPOINT).exists():
        phase("restoring", resumed_from=runs.read_status(run_dir).epoch or None)
    epoch, step, seconds = restore(gan, run_dir)
    runs.keep_metrics_through(run_dir, epoch)
    runs.keep_quality_through(run_dir, epoch)

    runs.write_status(run_dir, state="running", pid=os.getpid(), host=runs.HOST, heartbeat=time.time(),
                      epoch=epoch, epochs=cfg.epochs, step=step,
                      steps_total=steps_per_epoch * cfg.epochs, error=None,
                      data_source=dataset.source, data_description=dataset.description,
                      n_train=len(dataset.pixels), resumed_from=epoch or None, device=device,
                      image_shape=dataset.image_shape, class_names=dataset.class_names)
    phase("compiling")  # the first step traces the training step's graph: seconds on a slow CPU
    recorder = Recorder(run_dir, gan, steps_per_epoch, step, seconds, launched_at,
                        on_first_step=start.done if start is not None else lambda: None)
    schedule = pace.EvalSchedule()
    scorer = scoring.Scorer(dataset, eval_samples, cfg.seed)
    noise = fixed_noise(cfg, n_classes=gan.n_classes)
    train_step = gan.step_function(jit_compile)
    with Heartbeat(run_dir):
        while epoch < cfg.epochs and not recorder.cancelled:
            recorder.start_epoch(epoch + 1)
            for batch in epoch_batches(dataset, cfg, epoch, images_tensor, labels_tensor):
                train_step(batch)
                if not recorder.after_step():
                    break
            if recorder.cancelled:
                break  # this epoch is not complete and must not be saved
            epoch += 1
            row = save_epoch(run_dir, gan, epoch, recorder, noise, schedule, scorer, len(dataset.pixels))
            if on_epoch is not None:
                on_epoch(Progress(epoch, cfg.epochs, recorder.step, steps_per_epoch * cfg.epochs,
                                  recorder.seconds_before, recorder.last_rate, recorder.logs, recorder.eta(), row))
    state = "cancelled" if recorder.cancelled else "finished"
    runs.write_status(run_dir, state=state, heartbeat=time.time(), eta_s=0 if state == "finished" else None)
    return state


def restore(gan: GAN, run_dir: Path) -> tuple[int, int, float]:
    """(epoch, step, training seconds) of run_dir's checkpoint, loaded into gan; zeros without one.

    A checkpoint that is damaged, belongs to another config, was saved for data of another image
    shape or class count, or does not fit the model raises
    runs.CheckpointError before anything is changed: training from epoch 0 instead would drop the
    run's whole history.
    """
    checkpoint = runs.load_checkpoint(run_dir)
    if checkpoint is None:
        return 0, 0, 0.0
    arrays, meta = checkpoint
    shape = runs.data_shape(gan.image_shape, gan.n_classes)
    epoch = runs.checkpoint_epoch(meta, gan.cfg, run_dir, shape)  # damaged, another run's or other data's
    variables, saved = gan.named_state(), len(arrays)
    if "format" not in meta:  # format 1: arrays v0000, v0001, … in named_state's order
        ordered = [arrays[name] for name in sorted(arrays)]
        arrays = dict(zip(variables, ordered, strict=True)) if len(ordered) == len(variables) else {}
    missing = [name for name in variables if name not in arrays]
    wrong = [name for name in variables if name in arrays and arrays[name].shape != tuple(variables[name].shape)]
    if missing or wrong or len(arrays) != len(variables):
        first = (missing + wrong + sorted(set(arrays) - set(variables)) or ["?"])[0]
        raise runs.CheckpointError("checkpoint_mismatch", path=run_dir / runs.CHECKPOINT, saved=saved,
                                   expected=len(variables), first=first)
    for name, variable in variables.items():
        variable.assign(arrays[name])
    return epoch, meta["step"], meta["seconds"]
