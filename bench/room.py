"""A room on one server, in real Chromium: many visitors submitting at once (--load), and one visitor
trying to spoil another's runs (--grief). A real `streamlit run app.py` in demo mode (GAN_DEMO=1).

Run from the repository root (needs Debian's chromium):
    python -m bench.room --load [--visitors 30] [--limit 2]     (about 5 minutes on 2 cores)
    python -m bench.room --grief                                (about 2 minutes)

--load: each visitor is a fresh browser context (its own token) that opens Train, sets its own
seed and presses Start; the demo caps (1 epoch, 256 digits) make each run short. It prints the
most runs training at once (by their status) and trainer processes alive at once (from /proc),
sampled every 0.1 s, how many runs finished,
whether they started in the order they were submitted, and each queued visitor's shown place in
line against the place they actually had (how many runs started after their submission and before theirs).

--grief: a host's run trains from the command line; Alice, in her own context, has one run
withdrawn (ready to resume) and one waiting, on a server with room for 5 runs. Bob, in another
context, looks for every button on those runs on the Train and Live pages, tries the owner digest
from a downloaded status.json as his token, looks for the server's settings, and uploads 8
different archives to push their runs out (room, then the import rate, stop him).
It prints each attempt and whether it succeeded. Both modes print figures; they assert nothing.
"""

import argparse
import io
import json
import os
import re
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from bench import app_server
from gan import owners, runs

TRAIN_ARGS = "gan.train\x00--run"  # a trainer's command line, as /proc/PID/cmdline spells it
DEMO = {"GAN_DEMO": "1", "GAN_DEMO_MAX_EPOCHS": "1", "GAN_DEMO_MAX_IMAGES": "256", "GAN_BUNDLED_DATA": "1",
        "GAN_NO_SPEED_PROBE": "1", "GAN_EVAL_SAMPLES": "256", "GAN_DEMO_KEEP_RUNS": "5", "GAN_DEMO_MAX_RUNS": "100"}
SETTLED = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
NOTICE = re.compile(r"Started run (\w+)|Run (\w+) is queued, number (\d+) in line")


def trainers() -> int:
    """Trainer processes alive now, on this machine."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            count += TRAIN_ARGS in Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            continue
    return count


class Watch(threading.Thread):
    """Samples, until stopped, the trainer processes alive and the runs whose status says they train
    (a trainer that has finished passes its slot on, then takes a moment to exit)."""

    def __init__(self, root: Path):
        super().__init__(daemon=True)
        self.root, self.most, self.most_training, self.samples, self.stop = root, 0, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.most = max(self.most, trainers())
            training = sum(runs.read_status(path).state == "running" for path in runs.list_runs(self.root))
            self.most_training = max(self.most_training, training)
            self.samples += 1
            time.sleep(0.1)


def open_train(browser, url: str, token: str | None = None):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/train" + (f"?me={token}" if token else ""))
    page.get_by_role("heading", name="Train a GAN").first.wait_for(timeout=120_000)
    page.locator(".st-key-train_seed input").wait_for(timeout=60_000)
    return context, page


def press_start(page, seed: int) -> tuple[str, int | None]:
    """Set the seed, press Start; (run id, shown place in line or None if it started)."""
    notices = page.get_by_text(NOTICE)
    before = notices.all_inner_texts()
    field = page.locator(".st-key-train_seed input")
    field.fill(str(seed))
    field.press("Tab")
    page.locator(".st-key-train_submit button").click()
    for _ in range(1200):  # the answer to this click, not a notice left from the last one
        texts = [text for text in notices.all_inner_texts() if text not in before]
        if texts:
            found = NOTICE.search(texts[0])
            return (found.group(1), None) if found.group(1) else (found.group(2), int(found.group(3)))
        page.wait_for_timeout(100)
    raise SystemExit(f"no answer to Start with seed {seed}")


def load(browser, url: str, root: Path, visitors: int) -> None:
    watch = Watch(root)
    watch.start()
    submitted = []  # (run id, shown position, time of the click's answer)
    clock = time.time()
    for n in range(visitors):
        context, page = open_train(browser, url)
        run_id, position = press_start(page, 1000 + n)
        submitted.append((run_id, position, time.time()))
        context.close()
    print(f"{visitors} visitors submitted in {time.time() - clock:.0f} s")
    deadline = time.time() + 60 * 60
    while time.time() < deadline:
        states = [runs.read_status(runs.run_path(root, run_id)).state for run_id, _, _ in submitted]
        if all(state in ("finished", "failed") for state in states):
            break
        time.sleep(1)
    watch.stop.set()
    watch.join()
    statuses = {run_id: runs.read_status(runs.run_path(root, run_id)) for run_id, _, _ in submitted}
    finished = sum(s.state == "finished" for s in statuses.values())
    starts = {run_id: s.launched_at or float("inf") for run_id, s in statuses.items()}
    order = sorted(starts, key=starts.get)
    in_order = order == [run_id for run_id, _, _ in submitted]
    shown_vs_actual = []
    for run_id, position, _ in submitted:
        if position is None:
            continue
        queued_at = statuses[run_id].created  # the server's moment of the submission, not the browser's
        actual = 1 + sum(queued_at < starts[other] < starts[run_id] for other in starts if other != run_id)
        shown_vs_actual.append((position, actual))
    right = sum(shown == actual for shown, actual in shown_vs_actual)
    print(f"most at once (limit {DEMO['GAN_MAX_CONCURRENT']}, {watch.samples} samples): {watch.most_training} runs "
          f"training, {watch.most} trainer processes alive")
    print(f"runs finished: {finished} of {visitors}; started in submission order: {'yes' if in_order else 'no'}")
    print(f"queued visitors: {len(shown_vs_actual)}; shown place in line = actual place: {right} of "
          f"{len(shown_vs_actual)}")
    misses = [(shown, actual) for shown, actual in shown_vs_actual if shown != actual]
    if misses:
        print(f"  (shown, actual) where they differ: {misses[:10]}")
    print(f"wall time, first click to last run finished: {time.time() - clock:.0f} s")


def grief(browser, url: str, root: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-m", "gan.train", "--preset", "quick", "--epochs", "50",
                               "--set", "seed=7", "--runs-dir", str(root), "--quiet"], cwd=app_server.REPO,
                              env=dict(os.environ, **DEMO), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(3000):  # up to 5 minutes on a busy host
            held = runs.list_runs(root)
            if held and runs.read_status(held[0]).active:
                break
            time.sleep(0.1)
        holder_id = runs.list_runs(root)[0].name
        alice_ctx, alice = open_train(browser, url, "alice-token-000001")
        withdrawn, _ = press_start(alice, 1)
        alice.locator(f".st-key-withdraw_{withdrawn} button").first.click()
        alice.locator(f".st-key-start_{withdrawn} button").first.wait_for(timeout=60_000)
        waiting, _ = press_start(alice, 2)
        targets = {"cancel": holder_id, "start": withdrawn, "withdraw": waiting}
        before = {run_id: runs.read_status(runs.run_path(root, run_id)).state for run_id in targets.values()}
        attempts = []

        def buttons(page) -> list[str]:
            return [f"{kind}_{run_id}" for kind, run_id in targets.items()
                    if page.locator(f".st-key-{kind}_{run_id} button").count()]

        alice.wait_for_timeout(3000)
        print(f"control: Alice sees {buttons(alice)} on her own runs")
        bob_ctx, bob = open_train(browser, url, "bob-token-0000002")
        bob.wait_for_timeout(3000)
        attempts.append(("a button on Alice's or the host's runs, Train page", buttons(bob)))
        for run_id in targets.values():
            live = bob_ctx.new_page()
            live.goto(f"{url}/live?run={run_id}&me=bob-token-0000002")
            live.get_by_role("heading", name="Live training").first.wait_for(timeout=120_000)
            live.wait_for_timeout(3000)
            attempts.append((f"a Cancel, Resume or Withdraw button on the Live page of {run_id}", buttons(live)))
            live.close()
        digest = runs.read_status(runs.run_path(root, waiting)).owner
        assert digest == owners.digest("alice-token-000001")
        impostor_ctx, impostor = open_train(browser, url, digest)
        impostor.wait_for_timeout(3000)
        attempts.append(("Alice's owner digest (from an exported status.json) as his token", buttons(impostor)))
        impostor_ctx.close()
        settings = [key for key in ("runs_root", "max_concurrent") if bob.locator(f".st-key-{key}").count()]
        attempts.append(("the runs folder or concurrency fields in the sidebar", settings))
        cfg = runs.read_config(root / holder_id)
        uploads = []
        for n in range(8):  # each a different run: config.json alone is a valid archive of an unstarted run
            other = cfg.replace(seed=100 + n)
            blob = io.BytesIO()
            with zipfile.ZipFile(blob, "w") as archive:
                archive.writestr(f"{other.run_id}/config.json", json.dumps(other.to_dict()))
            bob.locator(".st-key-share_import input[type=file]").set_input_files(
                {"name": f"run{n}.zip", "mimeType": "application/zip", "buffer": blob.getvalue()})
            bob.wait_for_timeout(1000)
            bob.wait_for_function(SETTLED, timeout=60_000, polling=100)
            said = [text for text in bob.locator("[data-testid='stAlert']").all_inner_texts()
                    if re.search(r"Imported run|already here|refused", text)]
            uploads.append(said[-1] if said else "(no answer)")
        for n, text in enumerate(uploads, 1):
            print(f"  Bob's upload {n}: {text.strip()}")
        after = {run_id: runs.read_status(runs.run_path(root, run_id)).state
                 for run_id in targets.values() if runs.run_path(root, run_id).exists()}
        attempts.append(("evicting Alice's or the host's runs by importing", [r for r in before if r not in after]))
        changed = [run_id for run_id in after if after[run_id] != before[run_id]]
        attempts.append(("changing the state of Alice's or the host's runs", changed))
        for what, succeeded in attempts:
            print(f"  {'SUCCEEDED' if succeeded else 'refused  '}  {what}" + (f": {succeeded}" if succeeded else ""))
        print(f"griefing attempts: {len(attempts)}, succeeded: {sum(bool(s) for _, s in attempts)}")
        alice_ctx.close()
        bob_ctx.close()
    finally:
        holder.terminate()
        holder.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.room", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--load", action="store_true")
    mode.add_argument("--grief", action="store_true")
    parser.add_argument("--visitors", type=int, default=30)
    parser.add_argument("--limit", type=int, default=2, help="GAN_MAX_CONCURRENT for --load")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from gan import speed

    print(f"machine: {speed.machine()}; ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '-')}")
    DEMO["GAN_MAX_CONCURRENT"] = str(args.limit if args.load else 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        root.mkdir()
        if args.grief:  # a full server: a newcomer's only room would be someone else's fresh run
            DEMO["GAN_DEMO_MAX_RUNS"] = "5"
        server, url = app_server.start({**DEMO, "GAN_RUNS_DIR": str(root), "GAN_HOST_KEY": "host-secret-xyz"})
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=app_server.CHROMIUM_FLAGS)
                load(browser, url, root, args.visitors) if args.load else grief(browser, url, root)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
