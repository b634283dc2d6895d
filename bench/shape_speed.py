"""Training speed by image shape: images per second of the product's compiled training step for
the quick preset's model (dcgan_lean, conditional, batch 64) on grey 28 x 28 digits' shape and on
colour 32 x 32 images, in alternating rounds so that a machine shared with other jobs slows both
alike. The pixels are random: a step's cost does not depend on what the images show.

python -m bench.shape_speed [--seconds 8] [--rounds 3] [--architecture dcgan_lean]
"""

import argparse
import itertools
import statistics
import time

import numpy as np

SHAPES = ((28, 28, 1), (32, 32, 3))
CLASSES = 10


def endless_batches(dataset, cfg, images, labels):
    """The training loop's batches, epoch after epoch, for as long as they are asked for."""
    from gan import training

    for epoch in itertools.count():
        yield from training.epoch_batches(dataset, cfg, epoch, images, labels)


def timed_steps(step, batches, seconds: float, gan) -> tuple[int, float]:
    """(steps, wall seconds) of steps taken for about `seconds`, waiting for the last to finish."""
    steps, clock = 0, time.perf_counter()
    while time.perf_counter() - clock < seconds:
        step(next(batches))
        steps += 1
    float(gan.d_loss_tracker.result())
    return steps, time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.shape_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="timed seconds per shape and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--architecture", default="dcgan_lean")
    args = parser.parse_args()

    import tensorflow as tf

    from gan import config, data, speed, training

    cfg = config.preset("quick", architecture=args.architecture, n_images=2048)
    setups = {}
    for shape in SHAPES:
        rng = np.random.default_rng(0)
        pixels = rng.integers(0, 256, (cfg.n_images, *shape[:2], *shape[2:] * (shape[2] == 3)), dtype=np.uint8)
        dataset = data.Dataset(pixels, rng.integers(0, CLASSES, cfg.n_images).astype(np.uint8), "bundled")
        gan = training.GAN(cfg, dataset.image_shape, CLASSES)
        gan.compile()
        step = gan.step_function()
        images, labels = tf.constant(data.to_images(dataset.pixels)), tf.constant(dataset.labels.astype(np.int32))
        batches = endless_batches(dataset, cfg, images, labels)
        clock = time.perf_counter()
        for _ in range(3):  # tracing, then the first steps' allocations
            step(next(batches))
        float(gan.d_loss_tracker.result())
        print(f"{'x'.join(map(str, shape))}: traced and warmed up in {time.perf_counter() - clock:.1f} s", flush=True)
        setups[shape] = (step, batches, gan)

    rates = {shape: [] for shape in SHAPES}
    for round_ in range(1, args.rounds + 1):
        for shape, (step, batches, gan) in setups.items():
            steps, seconds = timed_steps(step, batches, args.seconds, gan)
            rates[shape].append(steps * cfg.batch_size * cfg.d_steps / seconds)
            print(f"round {round_} {'x'.join(map(str, shape))}: {rates[shape][-1]:,.0f} images/s", flush=True)

    print(f"\n{args.architecture}, conditional, batch {cfg.batch_size}, {args.rounds} rounds of {args.seconds:g} s "
          f"on {speed.machine()}")
    for shape in SHAPES:
        print(f"  {'x'.join(map(str, shape)):>8}: median {statistics.median(rates[shape]):,.0f} images/s "
              f"(min {min(rates[shape]):,.0f}, max {max(rates[shape]):,.0f})")
    # Each round's two rates share that moment's load: their ratio varies far less than either rate.
    ratios = [colour / grey for grey, colour in zip(rates[SHAPES[0]], rates[SHAPES[1]], strict=True)]
    print(f"  32x32x3 / 28x28x1 in the same round: median {statistics.median(ratios):.2f} "
          f"(rounds: {', '.join(f'{ratio:.2f}' for ratio in ratios)})")


if __name__ == "__main__":
    main()
