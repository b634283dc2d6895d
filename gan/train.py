"""Command line: train (or resume) a run.

python -m gan.train --preset quick [--epochs N | --minutes M] [--set key=value ...] [--runs-dir DIR]
python -m gan.train --data PATH ...                     (train on your own images: a .zip, folder, .npz or .npy)
python -m gan.train --run RUN_ID [--runs-dir DIR]      (resume an existing run)
Either takes --devices N: N GPUs (or N parts of the CPU) share each batch, default $GAN_DEVICES or 1.
"""

import time

STARTED = time.time()  # the budget of --minutes counts from here: start-up is part of the wait

import contextlib  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

from gan import cli, config, devices, launcher, limits, runs, startup  # noqa: E402
from gan.errors import UserError  # noqa: E402

PROG = "gan.train"


def parse_args(argv: list[str] | None = None):
    parser = cli.Parser(prog=PROG, description="Train a GAN on MNIST digits, or resume a run.",
                        epilog=f"--set augment=POLICY ({', '.join(config.AUGMENTS)}): differentiable augmentation "
                               "of every image D sees, real and fake alike, so D cannot memorise a small dataset "
                               "(README: Small data: augmentation).")
    parser.add_argument("--preset", default="quick", choices=sorted(config.PRESETS),
                        help="starting hyperparameters (default: quick)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, help="number of epochs (overrides the preset)")
    budget.add_argument("--minutes", type=float, help="a time budget: as many epochs as fit in it on this machine, "
                                                      "start-up included (measured by a short probe, cached)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"override a setting; keys: {', '.join(config.FIELD_TYPES)}")
    parser.add_argument("--data", help="train on your own images: a .zip of PNG/JPEG pictures, a folder (one "
                                       "sub-folder per class, optional), or an .npz/.npy array; stored once in "
                                       "the runs root by its sha256")
    parser.add_argument("--run", help="resume the run with this id (or directory) instead")
    parser.add_argument("--runs-dir", help=f"runs root (default ${runs.ROOT_ENV} or ./runs)")
    parser.add_argument("--jit", action="store_true", help="compile the train step with XLA (one device only)")
    parser.add_argument("--devices", help=f"devices that share each batch through MirroredStrategy: GPUs, or "
                                          f"without any, parts of the CPU (no faster; what tests use); "
                                          f"default ${devices.ENV} or 1")
    parser.add_argument("--quiet", action="store_true", help="print only the run directory")
    return parser.parse_args(argv)


def config_from_args(args) -> config.RunConfig:
    """The run config the arguments describe; ConfigError names a bad field."""
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise config.ConfigError(item, "--set takes KEY=VALUE")
        overrides[key.strip()] = value.strip()
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    return config.preset(args.preset, **overrides)


def with_data(cfg: config.RunConfig, path: str, root, say=print) -> config.RunConfig:
    """cfg training on the images at `path` (gan.uploads: checked, resized, stored once under root):
    dataset set to their hash, n_images at most their count, unconditioned if they have no classes.
    `say` gets the ingest summary lines. DatasetError or ArchiveError if the upload is refused."""
    from gan import uploads

    ingested = uploads.ingest(path, limits=limits.from_settings().uploads)
    stored = uploads.store(root, ingested)
    height, width, channels = ingested.image_shape
    say(f"data {ingested.source_name}: {len(ingested.pixels):,} images kept, {len(ingested.skipped):,} skipped; "
        f"{height}x{width} {'colour' if channels == 3 else 'grey'}; classes: {', '.join(ingested.class_names)}; "
        f"sha256 {stored.sha256} ({'already stored' if stored.existed else 'stored'} in {stored.path})")
    for name, reason in ingested.skipped[:uploads.SKIPPED_KEPT]:
        say(f"  skipped {name}: {reason.replace('_', ' ')}")
    if len(ingested.class_names) == 1 and cfg.conditional:
        say("  one class only (no class sub-folders): the run is unconditioned")
    return uploads.configure(cfg, ingested.reference, len(ingested.pixels), len(ingested.class_names))


def budget_config(cfg: config.RunConfig, minutes: float, root, quiet: bool, device_count: int) -> config.RunConfig:
    """cfg with the epochs that fit in `minutes` of wall time here, from the speed cache (probed first
    when this machine has no fresh measurement for cfg's shape, on one device)."""
    from gan import speed

    if not 0 < minutes <= speed.MAX_MINUTES:
        raise config.ConfigError("minutes", f"must be between 0 and {speed.MAX_MINUTES}, not {minutes:g}", "range",
                                 {"low": "0", "high": str(speed.MAX_MINUTES), "value": f"{minutes:g}"})
    clock = time.time()
    cli.import_tensorflow_quietly()
    devices.prepare(device_count)  # before the probe's first operation, or the CPU cannot be split
    imported = time.time() - clock

    found = speed.lookup(root, cfg)
    if found is None and not quiet:
        print("measuring this machine's speed for this model (once, cached in the runs folder) ...", flush=True)
    found = found or speed.measure(root, cfg, STARTED)
    elapsed = time.time() - STARTED
    plan = speed.plan(minutes * 60, found, cfg.n_images, elapsed, max(found.startup_s - imported, 0.0))
    if not quiet:
        measured = time.strftime("%Y-%m-%d %H:%M", time.localtime(found.measured_at))
        print(f"budget {minutes:g} min: {plan.epochs} epochs, ≈ {cli.duration(plan.seconds)} in all on "
              f"{speed.machine()} (speed from a {found.source} of {measured})", flush=True)
    return cfg.replace(epochs=plan.epochs)


def print_epoch(progress) -> None:
    logs = progress.logs
    print(f"epoch {progress.epoch:>3}/{progress.epochs} {cli.progress_bar(progress.epoch, progress.epochs)} "
          f"d_loss {logs.get('d_loss', float('nan')):.3f}  g_loss {logs.get('g_loss', float('nan')):.3f}  "
          f"D(x) {logs.get('d_real', float('nan')):.2f}  D(G(z)) {logs.get('d_fake', float('nan')):.2f}  "
          f"{progress.images_per_s:,.0f} img/s  "
          f"elapsed {cli.duration(progress.seconds)}  "
          f"ETA {cli.duration(progress.eta_s)}{quality_text(progress.quality or {})}",
          flush=True)


def quality_text(row: dict) -> str:
    """The epoch's quality as the command line prints it: FDD, or the random-feature distance and
    the near-copy share for data without a classifier; '' when the epoch was not evaluated."""
    shown = {"fdd": "FDD {:.3g}", "rfd": "random-feature distance {:.3g}", "near_copies": "near-copies {:.1%}"}
    return "".join(f"  {text.format(row[key])}" for key, text in shown.items() if key in row)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = runs.resolve_root(args.runs_dir)
    try:
        args.devices = devices.requested(args.devices)
        if args.run:
            run_dir = runs.locate(args.run, root)
            cfg = runs.read_config(run_dir)
            if cfg is None:
                cli.fail(PROG, f"{run_dir / 'config.json'} is missing or not a valid config")
        else:
            cfg = config_from_args(args)
            if args.data:
                cfg = with_data(cfg, args.data, root, (lambda _: None) if args.quiet else print)
            # Before the run exists. An existing run is checked by training.train, which records
            # the refusal in its status for the dashboard that started it.
            devices.check(args.devices, cfg.batch_size, args.jit)
            if args.minutes is not None:
                cfg = budget_config(cfg, args.minutes, root, args.quiet, args.devices)
            run_dir = runs.create(root, cfg)
            if args.minutes is not None and runs.read_status(run_dir).budget_minutes is None:
                runs.write_status(run_dir, budget_minutes=args.minutes)  # the gallery ranks budget runs together
    except (config.ConfigError, runs.RunError, devices.DeviceError, UserError) as error:
        cli.fail(PROG, str(error))
    except OSError as error:
        cli.fail(PROG, f"cannot write the run under {root}: {error.strerror or error}", 1)

    status = runs.read_status(run_dir)
    if status.state == "finished":
        print(f"run {cfg.run_id} has already finished {cfg.epochs} epochs (same config, cached)")
        print(run_dir)
        return 0
    with runs.training_lock(run_dir) as mine:
        if not mine:
            print(f"run {cfg.run_id} is already training in process {status.pid or '?'}; "
                  f"follow it in {run_dir}")
            print(run_dir)
            return 0
        try:
            with cancel_on_signals(run_dir):
                return _train_locked(cfg, run_dir, args)
        finally:
            pass_slot_on(run_dir)


@contextlib.contextmanager
def cancel_on_signals(run_dir):
    """SIGTERM and Ctrl-C stop training at the next logged step, after a clean write, never
    mid-save; the previous handlers are back afterwards (main() may run inside another program)."""
    previous = {signum: signal.signal(signum, lambda *_: runs.request_cancel(run_dir))
                for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def pass_slot_on(run_dir) -> None:
    """A trainer the launcher started (it set the limit) starts the next waiting runs as it ends."""
    slots = os.environ.get(launcher.SLOTS_ENV)
    if slots:
        with contextlib.suppress(OSError, ValueError):
            launcher.pump(run_dir.parent, int(slots))


def _train_locked(cfg, run_dir, args) -> int:
    launched_at = float(os.environ.get(launcher.LAUNCHED_AT_ENV) or time.time())
    with contextlib.suppress(ValueError, OSError):  # a trainer the dashboard started yields to its pages
        wanted = int(os.environ.get(launcher.NICE_ENV) or 0)
        os.nice(max(wanted - os.nice(0), 0))  # to that niceness, not by it: one started by a trainer inherits its own

    def cancelled_while_starting() -> None:
        if not args.quiet:
            print(f"cancelled before training began; start it with: python -m gan.train --run {cfg.run_id} "
                  f"--runs-dir {run_dir.parent}", flush=True)
        pass_slot_on(run_dir)
        os._exit(0)

    try:
        with startup.StartUp(run_dir, launched_at, cancelled_while_starting) as start:
            start.phase("tensorflow")
            cli.import_tensorflow_quietly()  # only once the arguments are known good
            from gan import training

            if not args.quiet:
                print(f"run {cfg.run_id}: {cfg.architecture}, {cfg.loss} loss, {cfg.epochs} epochs -> {run_dir}",
                      flush=True)
            state = training.train(cfg, run_dir, on_epoch=None if args.quiet else print_epoch,
                                   jit_compile=args.jit, launched_at=launched_at, start=start,
                                   devices=args.devices)
    except UserError as error:  # a damaged checkpoint, missing data, …: said in the user's words
        runs.write_status(run_dir, state="failed", error=error, pid=os.getpid())
        cli.fail(PROG, str(error), 1)
    except Exception as error:
        crash = UserError("training_crashed", f"{type(error).__name__}: {error}", type=type(error).__name__)
        runs.write_status(run_dir, state="failed", error=crash, traceback=traceback.format_exc(), pid=os.getpid())
        cli.fail(PROG, f"training failed: {type(error).__name__}: {error} (details in status.json)", 1)
    if state == "cancelled" and not args.quiet:
        print(f"cancelled; resume with: python -m gan.train --run {cfg.run_id} --runs-dir {run_dir.parent}")
    print(run_dir)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Out at once: TensorFlow's teardown takes seconds more, and the next waiting run has already
    # started (pass_slot_on), so a lingering trainer would hold its memory beside two new ones.
    os._exit(code)
