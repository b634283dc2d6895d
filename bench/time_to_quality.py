"""Time to quality on this machine: the `tutorial` and `quick` presets trained one after the
other for the same wall-clock budget on the bundled digits, scored every few seconds of training.

Run from the repository root (CPU; about 2 × --seconds plus evaluation and a throughput check):
    python -m bench.time_to_quality [--seconds 300] [--every 30] [--conditional] [--jit]

It prints, in this order:
  1. quality at equal training time: FDD, classifier score, share of confident digits and the
     smallest / largest class share of 2,000 samples from each preset's sampler (EMA) generator,
     every --every seconds of training (evaluation time excluded), with the real-digit floor, and
     for the presets other than tutorial also at the --early checkpoints (5, 10, ... 25 s);
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

THROUGHPUT_ROUNDS = 5
THROUGHPUT_STEPS = 39  # tutorial steps (batch 256) per timed round: one epoch of 10,000 digits, one fit() call


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

    def __init__(self, curve: Curve, stopwatch: Stopwatch, budget: float, every: float, early: list[float]):
        super().__init__()
        self.curve, self.stopwatch, self.budget = curve, stopwatch, budget
        self.early = sorted(t for t in early if t < every)  # extra checkpoints, for the speed-up only
        self.due = self.early.pop(0) if self.early else every
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
        if self.early:
            self.due = self.early.pop(0)
        elif self.due < self.every:
            self.due = self.every
        else:
            self.due += self.every
        if self.due > self.budget + 1e-9:
            self.curve.train_seconds = elapsed
            self.model.stop_training = True


def train_for(name: str, cfg: config.RunConfig, seconds: float, every: float, jit: bool,
              early: list[float] = ()) -> Curve:
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
    checkpoints = Checkpoints(curve, stopwatch, seconds, every, list(early))
    stopwatch.start()
    epoch = 0
    while not curve.train_seconds:
        gan.fit(training.epoch_dataset(dataset, cfg, epoch, images_tensor, labels_tensor),
                initial_epoch=epoch, epochs=epoch + 1, verbose=0, shuffle=False, callbacks=[checkpoints])
        epoch += 1
    return curve


def plain_loops_vs_engine(cfg: config.RunConfig, steps: int, rounds: int) -> dict[str, list[float]]:
    """images/s of cfg (the tutorial preset: unconditional, d_steps 1, simultaneous) in two loops,
    timed alternately `rounds` times: "plain tf.function loop", the TensorFlow DCGAN tutorial's
    train_step (one pass of G and D, then both updates), and "engine GAN.fit", our engine, with its
    metrics and the per-step bookkeeping fit() does. Both use the same builders from gan.models, losses
    from gan.losses, Adam settings and batches, and are traced once before they are timed.
    """
    dataset = data.subset(data.load_bundled(), cfg.n_images, cfg.seed)
    batches = training.epoch_dataset(dataset, cfg, 0, tf.constant(data.to_images(dataset.pixels)),
                                     tf.constant(dataset.labels.astype(np.int32))).take(steps)
    reals, labels = (tf.stack(part) for part in zip(*batches, strict=True))
    d_loss_fn, g_loss_fn = losses.LOSSES[cfg.loss]

    def build():
        generator = models.build_generator(cfg.architecture, cfg.latent_dim)
        discriminator = models.build_discriminator(cfg.architecture)
        return (generator, discriminator, keras.optimizers.Adam(cfg.g_lr, beta_1=cfg.beta1),
                keras.optimizers.Adam(cfg.d_lr, beta_1=cfg.beta1))

    t_generator, t_discriminator, t_g_optimizer, t_d_optimizer = build()

    @tf.function
    def tutorial_step(real):
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = t_generator(tf.random.normal((cfg.batch_size, cfg.latent_dim)), training=True)
            fake_logits = t_discriminator(fake, training=True)
            g_loss = g_loss_fn(fake_logits)
            d_loss = d_loss_fn(t_discriminator(real, training=True), fake_logits)
        t_g_optimizer.apply(g_tape.gradient(g_loss, t_generator.trainable_variables),
                            t_generator.trainable_variables)
        t_d_optimizer.apply(d_tape.gradient(d_loss, t_discriminator.trainable_variables),
                            t_discriminator.trainable_variables)

    gan = training.GAN(cfg)
    gan.compile()
    engine_batches = tf.data.Dataset.from_tensor_slices((reals, labels))

    def plain(step, variable):
        def run():
            for real in reals:
                step(real)
            variable.numpy()  # waits for the last step
        return run

    loops = {
        "plain tf.function loop": plain(tutorial_step, t_generator.weights[0]),
        "engine GAN.fit": lambda: gan.fit(engine_batches, epochs=1, verbose=0, shuffle=False),
    }
    rates = {name: [] for name in loops}
    for round_ in range(rounds + 1):
        for name, run in loops.items():
            clock = time.perf_counter()
            run()
            if round_:  # round 0 traces
                rates[name].append(steps * cfg.batch_size / (time.perf_counter() - clock))
    return rates


def print_quality_table(curves: list[Curve], every: float) -> None:
    floor = quality.real_floor()
    print("Quality at equal training time (2,000 samples; FDD lower is better, score max 10;")
    print("conf = share with top probability > 0.9; classes = smallest–largest class share)")
    header = f"{'train s':>7}"
    for curve in curves:
        header += f" | {curve.name:^33}"
    print(header)
    print(f"{'':>7}" + f" | {'FDD':>7} {'score':>5} {'conf':>5} {'classes':>13}" * len(curves))
    times = sorted({seconds for curve in curves for seconds, _ in curve.points})
    for seconds in times:
        line = f"{seconds:>7.0f}"
        for curve in curves:
            at = dict(curve.points)
            if seconds in at:
                s = at[seconds]
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
    parser.add_argument("--early", default="5,10,15,20,25",
                        help="extra checkpoints (training s, comma-separated) before the first --every for the "
                             "presets other than tutorial, to time how soon they reach tutorial's final FDD")
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
        early = [float(t) for t in args.early.split(",") if t] if name != "tutorial" else []
        curves.append(train_for(name, cfg, args.seconds, args.every, args.jit, early))
    print()
    print_quality_table(curves, args.every)

    target = curves[0].points[-1][1]["fdd"]
    print(f"\nTraining time to reach the tutorial preset's final FDD ({target:.2f}), at the checkpoints above:")
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
    rates = plain_loops_vs_engine(tutorial, THROUGHPUT_STEPS, THROUGHPUT_ROUNDS)
    print(f"\nTutorial preset's models and batch ({tutorial.batch_size}), {THROUGHPUT_ROUNDS} alternating rounds "
          f"of {THROUGHPUT_STEPS} steps, median images/s (rounds):")
    for name, values in rates.items():
        print(f"  {name:<26} {statistics.median(values):>7,.0f}   ({', '.join(f'{v:,.0f}' for v in values)})")


if __name__ == "__main__":
    main()
