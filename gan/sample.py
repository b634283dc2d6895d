"""Command line: draw images (digits, or the run's own kind) from a run's generator.

python -m gan.sample --run RUN_DIR --n 10000 --seed 0 --out samples.npy [--png grid.png] [--digit D]
"""

import sys
from pathlib import Path

import numpy as np

from gan import cli, config

PROG = "gan.sample"
MAX_N = 1_000_000


def parse_args(argv: list[str] | None = None):
    parser = cli.Parser(prog=PROG, description="Draw images from a trained generator.")
    cli.add_run_arguments(parser)
    parser.add_argument("--n", type=int, default=64, help=f"how many images (1..{MAX_N:,})")
    parser.add_argument("--seed", type=int, default=0, help=f"noise seed (0..{config.SEED_MAX})")
    parser.add_argument("--digit", type=int, help="for a conditional generator: the digit (class number) to draw")
    parser.add_argument("--out", help="write uint8 (n, height, width) grey or (n, height, width, 3) colour "
                                      "images to this .npy file")
    parser.add_argument("--png", help="write a grid of the images to this .png file")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= MAX_N:
        parser.error(f"--n must be between 1 and {MAX_N:,}, not {args.n}")
    if not 0 <= args.seed <= config.SEED_MAX:
        parser.error(f"--seed must be between 0 and {config.SEED_MAX}, not {args.seed}")
    if not args.out and not args.png:
        parser.error("say where to write: --out FILE.npy and/or --png FILE.png")
    if args.out and not args.out.endswith(".npy"):
        parser.error(f"--out must end in .npy, not {args.out!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _, generator = cli.load_run_generator(PROG, args)
    from gan import images, sampling

    if args.digit is not None and not sampling.is_conditional(generator):
        cli.fail(PROG, "--digit needs a conditional generator; this one is not")
    classes = sampling.n_classes(generator)
    if args.digit is not None and not 0 <= args.digit < classes:
        cli.fail(PROG, f"--digit must be between 0 and {classes - 1} (this generator's classes), not {args.digit}")
    pixels = sampling.sample(generator, args.n, args.seed, args.digit)
    try:
        if args.out:
            np.save(args.out, pixels)
            print(f"wrote {pixels.shape} uint8 to {args.out}")
        if args.png:
            shown = pixels[:1024]
            Path(args.png).write_bytes(images.png_bytes(images.grid(shown), 2))
            print(f"wrote a grid of {len(shown)} images to {args.png}")
    except OSError as error:
        cli.fail(PROG, f"cannot write output: {error}", 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
