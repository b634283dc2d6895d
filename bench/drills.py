"""Fault, load and bad-input drills: prints how the app holds up, as figures.

Run from the repository root (needs Debian's chromium for the load drill):

    python -m bench.drills [--kills 20] [--sessions 30] [--skip-load]

1. Kill drill: a real `python -m gan.train` run killed with SIGKILL at random moments (start-up,
   mid-epoch, mid-save), then started again with the same command, until it finishes. After every
   kill the run directory must still be consistent; at the end its metrics must have no duplicated
   and no missing step. Prints kills survived / tried.
2. Load drill: a real `streamlit run app.py` server, N headless Chromium sessions opening the
   Train page at once and submitting the same tiny config, then visiting Live and Sample while it
   trains. Prints training processes started / identical submissions and the server's peak RSS.
3. Bad-input drill: corrupted and truncated run files rendered by every page (AppTest), damaged
   archives imported, and bad command-line arguments. Prints bad inputs tried / handled cleanly.
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["GAN_BUNDLED_DATA"] = "1"

from bench import app_server  # noqa: E402
from gan import memory, runs, train  # noqa: E402

DRILL_ARGS = ["--preset", "quick", "--epochs", "6", "--set", "n_images=1024", "--set", "batch_size=32",
              "--set", "latent_dim=16", "--set", "seed=7"]


def expected_steps(steps_per_epoch: int, epochs: int) -> list[int]:
    """The metrics rows a run writes: every 10th step and each epoch's last step."""
    last = steps_per_epoch * epochs
    return sorted(set(range(10, last + 1, 10)) | {steps_per_epoch * e for e in range(1, epochs + 1)})


def consistent(run_dir: Path) -> str | None:
    """None if the run directory is fit to resume from, else what is wrong with it."""
    from gan import sampling

    status = runs.read_status(run_dir)
    if runs.read_config(run_dir) is None:
        return "config.json unreadable"
    epoch = (runs.load_checkpoint(run_dir) or ({}, {"epoch": 0}))[1]["epoch"]
    steps = [int(r["step"]) for r in runs.read_metrics(run_dir) if r["epoch"] <= epoch]
    if steps != sorted(set(steps)):
        return "duplicated metrics steps"
    if epoch and not (run_dir / "generator.keras").exists():
        return "checkpoint without generator"
    if (run_dir / "generator.keras").exists():
        try:
            sampling.load_generator(run_dir / "generator.keras")
        except sampling.GeneratorError as error:
            return f"generator unloadable: {error}"
    if status.state == "running":
        return "a killed run still reads as running"
    return None


def kill_drill(kills: int, root: Path) -> tuple[int, int]:
    """(survived, tried): each kill is survived if the directory stays consistent and a rerun resumes."""
    args = [*DRILL_ARGS, "--runs-dir", str(root)]
    run_dir = root / train.config_from_args(train.parse_args(args)).run_id
    rng = random.Random(0)
    survived = tried = 0
    while tried < kills:
        process = subprocess.Popen([sys.executable, "-m", "gan.train", *args, "--quiet"], cwd=REPO,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 12.0))  # TensorFlow's start-up takes ~4 s; an epoch ~2 s
        if process.poll() is not None:  # finished before the kill: start the run over
            shutil.rmtree(run_dir)
            continue
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        tried += 1
        problem = consistent(run_dir)
        survived += problem is None
        epoch = runs.read_status(run_dir).epoch
        print(f"  kill {tried:>2}: epoch {epoch} complete, {'ok' if problem is None else problem}", flush=True)
    subprocess.run([sys.executable, "-m", "gan.train", *args, "--quiet"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    steps = [int(r["step"]) for r in runs.read_metrics(run_dir)]
    final_ok = steps == expected_steps(1024 // 32, 6) and runs.read_status(run_dir).state == "finished"
    print(f"  final run: {len(steps)} metrics rows, {'no duplicated or missing step' if final_ok else 'BROKEN'}")
    return survived if final_ok else 0, tried


def _trainer_pids() -> set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if b"gan.train" in (proc / "cmdline").read_bytes():
                    found.add(int(proc.name))
            except OSError:
                continue
    return found


def load_drill(sessions: int, root: Path) -> None:
    from playwright.sync_api import sync_playwright

    server, url = app_server.start({"GAN_RUNS_DIR": str(root), "GAN_MAX_CONCURRENT": "1"})
    seen: set[int] = set()
    watching = threading.Event()

    def watch():
        while not watching.is_set():
            seen.update(_trainer_pids())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=app_server.CHROMIUM_FLAGS)
        pages = [browser.new_context().new_page() for _ in range(sessions)]
        for page in pages:
            page.set_default_timeout(180_000)
            page.goto(f"{url}/train")
        for page in pages:
            page.get_by_role("button", name="Start training").wait_for()
            for label, value in {"Training images": 512, "Batch size": 16, "Latent size": 8, "Epochs": 3}.items():
                box = page.get_by_label(label, exact=True)
                box.fill(str(value))
                box.press("Tab")
        for page in pages:  # as close to simultaneous as one driver gets
            page.get_by_role("button", name="Start training").click()
        words = {"started": "Started run", "attached": "already training", "finished": "already been trained",
                 "queued": "is queued"}
        answers = dict.fromkeys(words, 0)
        for page in pages:
            notice = page.locator("[data-testid='stAlert']").filter(has_text=re.compile("|".join(words.values())))
            text = notice.first.inner_text()
            for key, word in words.items():
                answers[key] += word in text
        print(f"  answers to {sessions} simultaneous submissions: {answers}", flush=True)
        for page in pages:  # a Train page refreshing every 2 s in each tab would starve this 2-core machine
            page.context.close()
        pages = [browser.new_context().new_page() for _ in range(sessions)]
        for i, page in enumerate(pages):  # half watch the run, half load a generator and draw digits
            page.set_default_timeout(600_000)
            page.goto(f"{url}/{'live' if i % 2 else 'sample'}", wait_until="commit")
        for page in pages:
            page.wait_for_selector("[data-testid='stImage']")
        rss = memory.peak_mb(server.pid)
        browser.close()
    watching.set()
    watcher.join()
    server.terminate()
    server.wait()
    print(f"  {sessions} sessions submitted, then opened Live or Sample, in {time.perf_counter() - started:.0f} s")
    print(f"  training processes started / identical submissions: {len(seen)} / {sessions}")
    print(f"  Streamlit server peak RSS with {sessions} sessions and a run training: {rss:.0f} MB")


def bad_input_drill(root: Path) -> tuple[int, int]:
    """(handled, tried): damaged run files on every page, damaged archives, bad CLI arguments."""
    import logging

    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest outside a server warns per run

    from gan import archive

    seed_dir = root / "seed"
    subprocess.run([sys.executable, "-m", "gan.train", "--preset", "quick", "--epochs", "1", "--set", "n_images=64",
                    "--set", "batch_size=16", "--set", "latent_dim=8", "--runs-dir", str(seed_dir), "--quiet"],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (good,) = runs.list_runs(seed_dir)
    damage = {
        "config.json": [b"", b"{", b'{"batch_size": -5}', b"\x00\xff"],
        "status.json": [b"", b'{"state": "running", "pid": 1', b"[]"],
        "metrics.csv": [b"", b"step,epoch\n1,", b"\x00\x01\x02", b"step,epoch,d_loss\nx,y,z\n"],
        "quality.csv": [b"", b"epoch,fdd\n1,abc\n", b"\xff\xfe"],
        "generator.keras": [b"", b"PK\x03\x04broken", b"not a zip"],
        "samples/epoch_0001.png": [b"", b"\x89PNG\r\n\x1a\ntruncated"],
    }
    tried = handled = 0
    for name, variants in damage.items():
        for blob in variants:
            case_root = Path(tempfile.mkdtemp(dir=root))
            shutil.copytree(good, case_root / good.name)
            (case_root / good.name / name).write_bytes(blob)
            os.environ[runs.ROOT_ENV] = str(case_root)
            for page in ("pages/concepts.py", "pages/train.py", "pages/live.py", "pages/sample.py"):
                tried += 1
                app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
                app.run()
                app.switch_page(page).run()
                handled += not app.exception
                if app.exception:
                    print(f"  {name} = {blob[:20]!r} on {page}: {app.exception[0].message}")
    os.environ.pop(runs.ROOT_ENV)
    exported = archive.export_run(good)
    bad_archives = [b"", b"not a zip", exported[: len(exported) // 2]]
    for blob in bad_archives:
        tried += 1
        try:
            archive.import_run(blob, root / "imports")
        except archive.ArchiveError:
            handled += 1
    for bad in (["--set", "batch_size=0"], ["--set", "loss=foo"], ["--set", "g_lr=-1"], ["--run", "../x"]):
        tried += 1
        done = subprocess.run([sys.executable, "-m", "gan.train", *bad, "--runs-dir", str(root / "cli")],
                              cwd=REPO, capture_output=True, text=True)
        handled += done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    return handled, tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--skip-load", action="store_true", help="skip the browser load drill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("1. kill drill")
        survived, tried = kill_drill(args.kills, tmp / "kills")
        print(f"kills survived / tried: {survived} / {tried}")
        if not args.skip_load:
            print("2. load drill")
            load_drill(args.sessions, tmp / "load")
        print("3. bad-input drill")
        handled, tried = bad_input_drill(tmp / "bad")
        print(f"bad inputs handled cleanly / tried: {handled} / {tried}")


if __name__ == "__main__":
    main()
