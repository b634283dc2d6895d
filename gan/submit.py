"""Command line: submit a run through the dashboard's launcher, and print what happened as one
JSON line.

python -m gan.submit --preset quick [--epochs N] [--set key=value ...] [--data PATH] [--runs-dir DIR]

The outcome is started, resumed, queued (with its position: 1 starts next), attached (it is
training), finished (the same config already trained), unresumable, or refused with a reason:
bad_config, bad_data (--data refused), over_cap (a demo cap) or full (the server holds as many runs as it may). The
concurrency limit and demo caps are the server's: GAN_MAX_CONCURRENT, GAN_DEMO and its settings.
A queued run starts by itself when a slot frees, with no page open.
"""

import json
import sys

from gan import cli, config, launcher, limits, runs, train, waitlist
from gan.errors import UserError

PROG = "gan.submit"
REFUSALS = ("over_cap", "full")  # the launcher's outcomes this command reports as refused, with the reason


def parse_args(argv: list[str] | None = None):
    parser = cli.Parser(prog=PROG, description="Submit a training run (started, or queued for a free slot).")
    parser.add_argument("--preset", default="quick", choices=sorted(config.PRESETS))
    parser.add_argument("--epochs", type=int, help="number of epochs (overrides the preset)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"override a setting; keys: {', '.join(config.FIELD_TYPES)}")
    parser.add_argument("--data", help="your own images (a .zip, folder, .npz or .npy), as gan.train takes them")
    parser.add_argument("--runs-dir", help=f"runs root (default ${runs.ROOT_ENV} or ./runs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = runs.resolve_root(args.runs_dir)
    server = limits.from_settings()
    try:
        cfg = train.config_from_args(args)
    except config.ConfigError as error:
        print(json.dumps({"outcome": "refused", "reason": "bad_config", "error": str(error)}))
        return 2
    if args.data:
        try:
            cfg = train.with_data(cfg, args.data, root, say=lambda _: None)
        except UserError as error:
            print(json.dumps({"outcome": "refused", "reason": "bad_data", "error": str(error)}))
            return 2
    try:
        sub = launcher.submit(root, cfg, server)
    except OSError as error:
        cli.fail(PROG, f"cannot write the run under {root}: {error.strerror or error}", 1)
    if sub.outcome in REFUSALS:
        print(json.dumps({"outcome": "refused", "reason": sub.outcome, "error": str(sub.error)}))
        return 2
    report = {"outcome": sub.outcome, "run": sub.run_dir.name, "run_dir": str(sub.run_dir), "epoch": sub.epoch,
              "dataset": cfg.dataset}
    if sub.outcome == "queued":
        estimate = waitlist.start_estimates(root, server.max_concurrent).get(sub.run_dir.name)
        report.update(position=sub.position, training=sub.busy,
                      starts_in_s=None if estimate is None else round(estimate))
    if sub.error is not None:
        report["error"] = str(sub.error)
    print(json.dumps(report))
    return 0 if sub.outcome != "unresumable" else 1


if __name__ == "__main__":
    sys.exit(main())
