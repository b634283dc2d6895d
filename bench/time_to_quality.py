"""Time to quality on this machine: the `tutorial` and `quick` presets trained one after the
other for the same wall-clock budget on the bundled digits, scored every few seconds of training.

Run from the repository root (CPU; about 2 × --seconds plus evaluation and a throughput check):
    python -m bench.time_to_quality [--seconds 300] [--every 30] [--conditional] [--jit]

It prints, in this order:
  1. quality at equal training time: FDD, classifier score, share of confident digits and the
     smallest / largest class share of 2,000 samples from each preset's sampler (EMA) generator,
     every --every seconds of training (evaluation time excluded), with the real-digit floor;
  2. the training time each preset needs to reach the tutorial preset's final FDD, and the ratio;
  3. images/s and seconds per epoch of each preset, and what one quality evaluation costs
     relative to an epoch;
  4. the tutorial preset's images/s through our engine (GAN.fit) against a plain tf.function
     loop of the same models, losses and batch size, measured alternately (medians of rounds).
It prints figures; it asserts nothing.
"""

import argparse
import statistics
import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from gan import config, data, losses, models, quality, training

THROUGHPUT_ROUNDS = 3
THROUGHPUT_STEPS = 12  # tutorial steps (batch 256) per timed round


class Stopwatch:
    """Training time: wall-clock time since start() minus the time spent paused (evaluating)."""

    def __init__(self):
        self.started = self.paused_at = None
        self.paused_total = 0.0

    def start(self):
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        now = self.paused_at if self.paused_at is not None else time.perf_counter()
        return now - self.started - self.paused_total

    def pause(self):
        self.paused_at = time.perf_counter()

    def resume(self):
        self.paused_total += time.perf_counter() - self.paused_at
        self.paused_at = None


@dataclass
class Curve:
    """One preset's training: quality at each checkpoint (training seconds, scores) and throughput."""

    name: str
    cfg: config.RunConfig
    points: list = field(default_factory=list)
    images_seen: int = 0
    train_seconds: float = 0.0
    eval_seconds: list = field(default_factory=list)

    @property
    def images_per_s(self) -> float:
        return self.images_seen / self.train_seconds

    def time_to_fdd(self, target: float) -> float | None:
        """Training seconds of the first checkpoint whose FDD is at most target, or None."""
        return next((seconds for seconds, scores in self.points if scores["fdd"] <= target), None)


class Checkpoints(keras.callbacks.Callback):
    """Evaluates the sampler every `every` training seconds and stops fit() at `budget`."""

    def __init__(self, curve: Curve, stopwatch: Stopwatch, budget: float, every: float):
        super().__init__()
        self.curve, self.stopwatch, self.budget = curve, stopwatch, budget
        self.due = every
        self.every = every

    def on_train_batch_end(self, batch, logs=None):
        self.curve.images_seen += self.curve.cfg.batch_size * self.curve.cfg.d_steps
        elapsed = self.stopwatch.elapsed()
        if elapsed < self.due:
            return
        self.stopwatch.pause()
        clock = time.perf_counter()
        scores = quality.evaluate_generator(self.model.sampler, n=quality.EVAL_SAMPLES, seed=0)
        self.curve.eval_seconds.append(time.perf_counter() - clock)
        self.curve.points.append((self.due, scores))
        self.stopwatch.resume()
        self.due += self.every
        if self.due > self.budget + 1e-9:
            self.curve.train_seconds = elapsed
            self.model.stop_training = True


def train_for(name: str, cfg: config.RunConfig, seconds: float, every: float, jit: bool) -> Curve:
    """Train cfg on the bundled digits for `seconds` of training time, scoring every `every` s.

    Compilation (tracing, XLA) counts as training time: a user waits for it too.
    """
    keras.utils.set_random_seed(cfg.seed)
    dataset = data.subset(data.load_bundled(), cfg.n_images, cfg.seed)
    images_tensor = tf.constant(data.to_images(dataset.pixels))
    labels_tensor = tf.constant(dataset.labels.astype(np.int32))
    gan = training.GAN(cfg)
    gan.compile(jit_compile=jit)
    curve = Curve(name, cfg)
    stopwatch = Stopwatch()
    checkpoints = Checkpoints(curve, stopwatch, seconds, every)
    stopwatch.start()
    epoch = 0
    while not curve.train_seconds:
        gan.fit(training.epoch_dataset(dataset, cfg, epoch, images_tensor, labels_tensor),
                initial_epoch=epoch, epochs=epoch + 1, verbose=0, shuffle=False, callbacks=[checkpoints])
        epoch += 1
    return curve


def plain_loop_images_per_s(cfg: config.RunConfig, steps: int, rounds: int) -> tuple[list, list]:
    """(plain tf.function loop, engine GAN.fit) images/s of cfg, timed alternately for `rounds`.

    The plain loop is the TensorFlow DCGAN tutorial's train_step: the same generator and
    discriminator builders, the same losses from gan.losses and Adam settings, one D and one G
    update per batch. Each side is warmed up (traced) before it is timed.
    """
    dataset = data.subset(data.load_bundled(), cfg.n_images, cfg.seed)
    images_tensor = tf.constant(data.to_images(dataset.pixels))
    labels_tensor = tf.constant(dataset.labels.astype(np.int32))
    batches = list(training.epoch_dataset(dataset, cfg, 0, images_tensor, labels_tensor).take(steps))

    generator = models.build_generator(cfg.architecture, cfg.latent_dim)
    discriminator = models.build_discriminator(cfg.architecture)
    d_loss_fn, g_loss_fn = losses.LOSSES[cfg.loss]
    g_optimizer = keras.optimizers.Adam(cfg.g_lr, beta_1=cfg.beta1)
    d_optimizer = keras.optimizers.Adam(cfg.d_lr, beta_1=cfg.beta1)

    @tf.function
    def plain_step(real):
        z = tf.random.normal((cfg.batch_size, cfg.latent_dim))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(z, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            g_loss = g_loss_fn(fake_logits)
            d_loss = d_loss_fn(real_logits, fake_logits)
        g_optimizer.apply(g_tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
        d_optimizer.apply(d_tape.gradient(d_loss, discriminator.trainable_variables),
                          discriminator.trainable_variables)

    gan = training.GAN(cfg)
    gan.compile()
    engine_data = tf.data.Dataset.from_tensor_slices(
        (tf.stack([b[0] for b in batches]), tf.stack([b[1] for b in batches])))

    def run_plain():
        for real, _ in batches:
            plain_step(real)
        generator.weights[0].numpy()  # wait for the last step

    def run_engine():
        gan.fit(engine_data, epochs=1, verbose=0, shuffle=False)

    run_plain()
    run_engine()
    plain, engine = [], []
    for _ in range(rounds):
        for runner, rates in ((run_plain, plain), (run_engine, engine)):
            clock = time.perf_counter()
            runner()
            rates.append(steps * cfg.batch_size / (time.perf_counter() - clock))
    return plain, engine


def print_quality_table(curves: list[Curve], every: float) -> None:
    floor = quality.real_floor()
    print("Quality at equal training time (2,000 samples; FDD lower is better, score max 10;")
    print("conf = share with top probability > 0.9; classes = smallest–largest class share)")
    header = f"{'train s':>7}"
    for curve in curves:
        header += f" | {curve.name:^33}"
    print(header)
    print(f"{'':>7}" + f" | {'FDD':>7} {'score':>5} {'conf':>5} {'classes':>13}" * len(curves))
    for i in range(max(len(c.points) for c in curves)):
        line = f"{(i + 1) * every:>7.0f}"
        for curve in curves:
            if i < len(curve.points):
                _, s = curve.points[i]
                classes = f"{min(s['histogram']):.1%}–{max(s['histogram']):.1%}"
                line += f" | {s['fdd']:>7.2f} {s['score']:>5.2f} {s['confident']:>5.0%} {classes:>13}"
            else:
                line += f" | {'':>33}"
        print(line)
    classes = f"{min(floor['histogram']):.1%}–{max(floor['histogram']):.1%}"
    print(f"{'real':>7} | {floor['fdd']:>7.2f} {floor['score']:>5.2f} {floor['confident']:>5.0%} {classes:>13}"
          "   (2,000 held-out real digits)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="training budget per preset (300)")
    parser.add_argument("--every", type=float, default=30.0, help="evaluate every this many training s (30)")
    parser.add_argument("--conditional", action="store_true", help="also train quick with conditional=true")
    parser.add_argument("--jit", action="store_true", help="compile the train steps with XLA")
    args = parser.parse_args(argv)

    contenders = [("tutorial", config.preset("tutorial")), ("quick", config.preset("quick"))]
    if args.conditional:
        contenders.append(("quick conditional", config.preset("quick", conditional=True)))
    print(f"Training each preset for {args.seconds:.0f} s on the bundled digits "
          f"(jit_compile={args.jit}, {tf.config.threading.get_intra_op_parallelism_threads() or 'all'} "
          f"intra-op threads):", flush=True)
    curves = []
    for name, cfg in contenders:
        print(f"  {name}: {cfg.to_dict()}", flush=True)
        curves.append(train_for(name, cfg, args.seconds, args.every, args.jit))
    print()
    print_quality_table(curves, args.every)

    target = curves[0].points[-1][1]["fdd"]
    print(f"\nTraining time to reach the tutorial preset's final FDD ({target:.2f}), "
          f"at {args.every:.0f}-s resolution:")
    tutorial_time = curves[0].time_to_fdd(target)
    for curve in curves[1:]:
        reached = curve.time_to_fdd(target)
        if reached is None:
            print(f"  {curve.name}: not reached in {args.seconds:.0f} s")
            continue
        bound = "≤ " if reached == curve.points[0][0] else ""
        ratio = tutorial_time / reached
        print(f"  {curve.name}: {bound}{reached:.0f} s vs tutorial {tutorial_time:.0f} s "
              f"-> {'≥ ' if bound else ''}{ratio:.1f}× faster")

    print("\nThroughput (training time includes tracing/compilation):")
    for curve in curves:
        epoch_s = curve.cfg.n_images / curve.images_per_s
        evaluation = statistics.median(curve.eval_seconds)
        print(f"  {curve.name:<18} {curve.images_per_s:>7,.0f} images/s  {epoch_s:>5.1f} s/epoch  "
              f"one quality evaluation {evaluation:.2f} s = {evaluation / epoch_s:.0%} of an epoch")

    tutorial = config.preset("tutorial")
    plain, engine = plain_loop_images_per_s(tutorial, THROUGHPUT_STEPS, THROUGHPUT_ROUNDS)
    print(f"\nTutorial preset, {THROUGHPUT_ROUNDS} alternating rounds of {THROUGHPUT_STEPS} steps "
          f"(batch {tutorial.batch_size}), median images/s:")
    print(f"  plain tf.function loop {statistics.median(plain):>7,.0f}   (rounds: "
          f"{', '.join(f'{r:,.0f}' for r in plain)})")
    print(f"  engine GAN.fit         {statistics.median(engine):>7,.0f}   (rounds: "
          f"{', '.join(f'{r:,.0f}' for r in engine)})")


if __name__ == "__main__":
    main()
