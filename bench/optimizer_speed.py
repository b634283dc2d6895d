"""Keras' Adam against gan.optimizer.FusedAdam in the product's compiled training step: the time
to trace the step and take its first one (what a new run waits for before its first batch, and
what each of the test suite's tiny runs mostly costs), and images per second once warm, for a
preset's model on the bundled digits' shape. Rounds alternate between the two so that a machine
shared with other jobs slows both alike; each round builds both models afresh.

python -m bench.optimizer_speed [--preset quick] [--seconds 6] [--rounds 3]
Imitate a slower host: ONEDNN_MAX_CPU_ISA=AVX2 taskset -c 0 python -m bench.optimizer_speed
It prints figures; it asserts nothing.
"""

import argparse
import statistics
import time

import numpy as np

from bench.shape_speed import endless_batches, timed_steps

ADAMS = ("keras", "fused")


def built(cfg, dataset, adam: str):
    """(compiled step, its batches, the GAN) with `adam`'s optimizers; nothing traced yet."""
    import keras
    import tensorflow as tf

    from gan import data, optimizer, training

    gan = training.GAN(cfg, dataset.image_shape, data.N_CLASSES)
    gan.compile(keras.optimizers.Adam if adam == "keras" else optimizer.FusedAdam)
    images, labels = tf.constant(data.to_images(dataset.pixels)), tf.constant(dataset.labels.astype(np.int32))
    return gan.step_function(), endless_batches(dataset, cfg, images, labels), gan


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.optimizer_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--seconds", type=float, default=6.0, help="timed seconds of steps per optimizer and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from gan import config, data, speed

    cfg = config.preset(args.preset, n_images=2048)
    rng = np.random.default_rng(0)
    dataset = data.Dataset(rng.integers(0, 256, (cfg.n_images, *data.IMAGE_SHAPE[:2]), dtype=np.uint8),
                           rng.integers(0, data.N_CLASSES, cfg.n_images).astype(np.uint8), "bundled")
    first, rates = {adam: [] for adam in ADAMS}, {adam: [] for adam in ADAMS}
    for round_ in range(1, args.rounds + 1):
        for adam in ADAMS:
            step, batches, gan = built(cfg, dataset, adam)
            cpu, clock = time.process_time(), time.perf_counter()
            step(next(batches))
            float(gan.d_loss_tracker.result())
            first[adam].append((time.perf_counter() - clock, time.process_time() - cpu))
            step(next(batches))  # the second step's allocations
            steps, seconds = timed_steps(step, batches, args.seconds, gan)
            rates[adam].append(steps * cfg.batch_size * cfg.d_steps / seconds)
            print(f"round {round_} {adam}: trace and first step {first[adam][-1][0]:.2f} s "
                  f"({first[adam][-1][1]:.2f} s CPU), then {rates[adam][-1]:,.0f} images/s", flush=True)

    print(f"\n{args.preset} preset ({cfg.architecture}, batch {cfg.batch_size}), {args.rounds} rounds of "
          f"{args.seconds:g} s on {speed.machine()}")
    for adam in ADAMS:
        print(f"  {adam:>5}: trace and first step median {statistics.median(w for w, _ in first[adam]):.2f} s "
              f"({statistics.median(c for _, c in first[adam]):.2f} s CPU); "
              f"median {statistics.median(rates[adam]):,.0f} images/s")
    # Each round's two figures share that moment's load: their ratios vary less than either figure.
    for name, ratios in (("first step", [f[0] / k[0] for k, f in zip(first["keras"], first["fused"], strict=True)]),
                         ("images/s", [f / k for k, f in zip(rates["keras"], rates["fused"], strict=True)])):
        print(f"  fused / keras, {name}, same round: median {statistics.median(ratios):.2f} "
              f"(rounds: {', '.join(f'{ratio:.2f}' for ratio in ratios)})")


if __name__ == "__main__":
    main()
