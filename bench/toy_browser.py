"""Refreshes and iterations per second of the toy GAN as a user sees them: a real `streamlit run
app.py` server and headless Chromium, the Concepts page, Play pressed, and the Iteration figure
watched in the page.

Run from the repository root (needs Debian's chromium; about a minute, two with --load):
    python -m bench.toy_browser [--seconds 15] [--speed 150] [--tabs 1] [--load] [--screenshot DIR]

It prints how long the Concepts page took to show the toy, then, while playing, how many times per
second the displayed iteration changed (each change is one refresh reaching the screen), the median
and 90th-percentile gap between changes, and training iterations per second against the pace set
(--speed, iterations per second). With --tabs N, N browser tabs play at once (a workshop on one
server) and the figures are per tab. With --load, one quick training run (`python -m gan.train`,
bundled digits) trains meanwhile, as on a workshop server; ONEDNN_MAX_CPU_ISA=AVX2 in the
environment makes its TensorFlow behave as on an AVX2 host. It prints figures; it asserts nothing.
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench import app_server
from ui import i18n
from ui.toy_view import DEFAULT_SPEED, SPEEDS

LOAD_EPOCHS = 50  # far more than a measurement lasts: the run trains throughout

# Records (time in ms, displayed iteration) each time the toy's Iteration figure changes.
WATCH_ITERATION = """() => {
    window.toyChanges = [];
    let last = null;
    const read = () => {
        for (const metric of document.querySelectorAll("[data-testid='stMetric']")) {
            const label = metric.querySelector("[data-testid='stMetricLabel']");
            if (label && label.innerText.trim() === "Iteration") {
                return metric.querySelector("[data-testid='stMetricValue']").innerText.replace(/,/g, "");
            }
        }
        return null;
    };
    const tick = () => {
        const value = read();
        if (value !== null && value !== last) {
            window.toyChanges.push([performance.now(), Number(value)]);
            last = value;
        }
        requestAnimationFrame(tick);
    };
    tick();
}"""


def open_toy(page, url: str, speed: int) -> float:
    """Open Concepts, set the speed, and return seconds until the toy's Play button was usable."""
    clock = time.perf_counter()
    page.goto(f"{url}/")  # Concepts is the default page; /concepts would open it behind a "Page not found" dialog
    page.get_by_role("tab", name="▶ Toy GAN").click()  # the toy is drawn when its tab is opened
    page.get_by_role("button", name="Play", exact=True).wait_for()
    opened = time.perf_counter() - clock
    if speed != DEFAULT_SPEED:
        slider = page.get_by_label(i18n.catalogue("en")["concepts.toy.speed"])
        slider.focus()
        for _ in range(abs(SPEEDS.index(speed) - SPEEDS.index(DEFAULT_SPEED))):
            slider.press("ArrowRight" if speed > DEFAULT_SPEED else "ArrowLeft")
        page.wait_for_timeout(1500)
    return opened


@contextlib.contextmanager
def training_load(runs_dir: str, enabled: bool) -> Iterator[subprocess.Popen | None]:
    """One quick training run in the background on the bundled digits while the block runs, stopped
    at its end; None when not enabled."""
    if not enabled:
        yield None
        return
    load = subprocess.Popen([sys.executable, "-m", "gan.train", "--preset", "quick", "--epochs", str(LOAD_EPOCHS),
                             "--runs-dir", runs_dir, "--quiet"], cwd=app_server.REPO,
                            env=dict(os.environ, GAN_BUNDLED_DATA="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield load
    finally:
        load.terminate()
        load.wait()


def wait_for_training(runs_dir: str, load: subprocess.Popen) -> None:
    """Return once the load has finished an epoch (TensorFlow loaded, the train step traced)."""
    for _ in range(600):
        if any(Path(runs_dir).glob("*/metrics.csv")):
            return
        if load.poll() is not None:
            raise SystemExit(f"the training run of --load stopped (exit code {load.returncode})")
        time.sleep(0.2)
    raise SystemExit("the training run of --load did not finish an epoch within two minutes")


def machine() -> str:
    """The CPU model, its cores, and the instruction-set cap given to TensorFlow, if any."""
    names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
             if line.startswith("model name")] if Path("/proc/cpuinfo").exists() else []
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return (f"{names[0] if names else 'unknown CPU'}, {os.cpu_count()} cores"
            + (f", ONEDNN_MAX_CPU_ISA={isa}" if isa else ""))


def summary(changes: list[list[float]]) -> dict[str, float]:
    changes = changes[1:]  # the first is the iteration shown before Play: the click's latency is no refresh
    times = [t / 1000 for t, _ in changes]
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    span = times[-1] - times[0]
    return {"refreshes_per_s": (len(times) - 1) / span, "median_gap_ms": 1000 * statistics.median(gaps),
            "p90_gap_ms": 1000 * gaps[int(0.9 * (len(gaps) - 1))],
            "iterations_per_s": (changes[-1][1] - changes[0][1]) / span, "reached": changes[-1][1]}


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to watch Play (15)")
    parser.add_argument("--speed", type=int, default=DEFAULT_SPEED, choices=SPEEDS,
                        help=f"Play's pace, iterations per second ({DEFAULT_SPEED})")
    parser.add_argument("--tabs", type=int, default=1, help="browser tabs playing at once (1)")
    parser.add_argument("--load", action="store_true", help="train one quick run meanwhile")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of each tab while playing here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as runs_dir, training_load(runs_dir, args.load) as load:
        server, url = app_server.start({"GAN_RUNS_DIR": runs_dir, "GAN_NO_SPEED_PROBE": "1"})
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=app_server.CHROMIUM_FLAGS)
                pages = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                         for _ in range(args.tabs)]
                opened = []
                for page in pages:
                    page.set_default_timeout(120_000)
                    opened.append(open_toy(page, url, args.speed))
                print(f"Concepts page to a usable toy (first tab includes the server's first run): "
                      f"{', '.join(f'{s:.1f} s' for s in opened)}")
                if load is not None:
                    wait_for_training(runs_dir, load)
                for page in pages:
                    page.get_by_role("button", name="Play", exact=True).scroll_into_view_if_needed()
                    page.evaluate(WATCH_ITERATION)
                    page.get_by_role("button", name="Play", exact=True).click()
                time.sleep(args.seconds)
                results = [summary(page.evaluate("window.toyChanges")) for page in pages]
                if args.screenshot:
                    args.screenshot.mkdir(parents=True, exist_ok=True)
                    for i, page in enumerate(pages):
                        page.screenshot(path=str(args.screenshot / f"toy_playing_{i}.png"))
                browser.close()
        finally:
            server.terminate()
            server.wait()
    print(f"{machine()}; {'one quick training run' if args.load else 'no other'} load")
    print(f"Playing for {args.seconds:.0f} s at a pace set to {args.speed} iterations/s, {args.tabs} tab(s):")
    for i, result in enumerate(results):
        print(f"  tab {i}: {result['refreshes_per_s']:.1f} refreshes/s (gap median {result['median_gap_ms']:.0f} ms,"
              f" p90 {result['p90_gap_ms']:.0f} ms), {result['iterations_per_s']:.0f} iterations/s, "
              f"iteration {result['reached']:,.0f} reached")
    if len(results) > 1:
        print(f"  median over tabs: {statistics.median(r['refreshes_per_s'] for r in results):.1f} refreshes/s")


if __name__ == "__main__":
    main()
