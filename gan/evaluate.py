"""Command line: score a run's generator with the shipped classifier and print JSON.

python -m gan.evaluate --run RUN_DIR [--n 2000] [--seed 0]
"""

import json
import sys

from gan import cli, config, runs

PROG = "gan.evaluate"
MIN_N, MAX_N = 10, 100_000


def parse_args(argv: list[str] | None = None):
    parser = cli.Parser(prog=PROG, description="Score a trained generator's digits against real digits.")
    cli.add_run_arguments(parser)
    parser.add_argument("--n", type=int, default=2000,
                        help=f"how many digits to score ({MIN_N}..{MAX_N:,}); FDD is biased upwards at "
                             "small n, and the real floor uses 2,000")
    parser.add_argument("--seed", type=int, default=0, help=f"noise seed (0..{config.SEED_MAX})")
    args = parser.parse_args(argv)
    if not MIN_N <= args.n <= MAX_N:
        parser.error(f"--n must be between {MIN_N} and {MAX_N:,}, not {args.n}")
    if not 0 <= args.seed <= config.SEED_MAX:
        parser.error(f"--seed must be between 0 and {config.SEED_MAX}, not {args.seed}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_dir, generator = cli.load_run_generator(PROG, args)
    from gan import quality, sampling

    shape = sampling.image_shape(generator)
    if not quality.reads(runs.read_status(run_dir).data_source, shape):
        cli.fail(PROG, f"the shipped classifier scores MNIST digits only; this run's generator draws other images "
                       f"({'×'.join(map(str, shape))})", 1)

    try:
        result = quality.evaluate_generator(generator, args.n, args.seed)
        floor = quality.real_floor()
    except quality.QualityUnavailable as error:
        cli.fail(PROG, str(error), 1)
    report = {
        "run": str(run_dir),
        "epoch": runs.read_status(run_dir).epoch,
        "n": args.n,
        "seed": args.seed,
        "generated": result,
        "real_floor": floor,
        "collapse_warning": quality.collapse_warning(result["histogram"], confident=result["confident"]),
        "units": {"fdd": "Fréchet distance of classifier features, lower is better (real floor above)",
                  "score": "classifier score, 1..10, higher is better",
                  "confident": "fraction of digits classified with probability > 0.9",
                  "entropy": "of the predicted-class histogram, nats, max ln 10 = 2.303"},
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
