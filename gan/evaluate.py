"""Command line: score a run's generator and print JSON: with the shipped classifier for a run on
MNIST digits; for a run on other images (your own), with the random-feature distance and the
near-copy check against its training images, as the Live page does.

python -m gan.evaluate --run RUN_DIR [--n 2000] [--seed 0]
"""

import json
import sys

from gan import cli, config, runs

PROG = "gan.evaluate"
MIN_N, MAX_N = 10, 100_000


def parse_args(argv: list[str] | None = None):
    parser = cli.Parser(prog=PROG, description="Score a trained generator's images against its real ones.")
    cli.add_run_arguments(parser)
    parser.add_argument("--n", type=int, default=2000,
                        help=f"how many images to score ({MIN_N}..{MAX_N:,}); FDD is biased upwards at "
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
        print(json.dumps(novelty_report(run_dir, generator, args), indent=2, ensure_ascii=False))
        return 0
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


def novelty_report(run_dir, generator, args) -> dict:
    """What the Live page shows for a run on other images than digits: the random-feature distance
    of n samples against the training images (and of n training images themselves), and the
    near-copy check. One clear line and exit if the run's images are not here."""
    from gan import data, scoring

    cfg = runs.read_config(run_dir)
    if cfg is None:
        cli.fail(PROG, f"{run_dir} has no readable config.json", 1)
    try:
        dataset = data.load(cfg.dataset, run_dir.parent)
    except data.DataUnavailable as error:
        cli.fail(PROG, str(error), 1)
    row, _ = scoring.Scorer(dataset, args.n, args.seed, novelty=True).evaluate(generator, 0, 0.0)
    return {
        "run": str(run_dir),
        "epoch": runs.read_status(run_dir).epoch,
        "n": args.n,
        "seed": args.seed,
        "generated": {name: row[name] for name in scoring.NOVELTY_FIELDS},
        "units": {"rfd": "Fréchet distance of a fixed random network's features to the training images', "
                         "lower is better; only comparable on the same data and n",
                  "rfd_real": "the same distance for n training images: what copying the data would score",
                  "near_copies": "fraction of samples closer to a training image than copy_threshold",
                  "copy_threshold": "RMS pixel distance (0..1) under which a sample counts as a near-copy",
                  "nearest_median": "median RMS distance of a sample to its nearest training image",
                  "real_gap": "median RMS distance of a training image to its nearest other one"},
    }


if __name__ == "__main__":
    sys.exit(main())
