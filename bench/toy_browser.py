"""Refreshes per second of the toy GAN as a user sees them: a real `streamlit run app.py` server and
headless Chromium, the Concepts page, Play pressed, and the Iteration figure watched in the page.

Run from the repository root (needs Debian's chromium; about a minute):
    python -m bench.toy_browser [--seconds 15] [--speed 10] [--tabs 1] [--screenshot DIR]

It prints how long the Concepts page took to show the toy, then, while playing, how many times per
second the displayed iteration changed (each change is one refresh reaching the screen), the median
and 90th-percentile gap between changes, and training iterations per second. With --tabs N, N
browser tabs play at once (a workshop on one server) and the figures are per tab. It prints
figures; it asserts nothing.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench import app_server
from ui.toy_view import SPEEDS

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
    page.goto(f"{url}/concepts")
    page.get_by_role("button", name="Play").wait_for()
    opened = time.perf_counter() - clock
    slider = page.get_by_label("Iterations per refresh while playing")
    if speed != 10:  # the default
        slider.focus()
        for _ in range(abs(SPEEDS.index(speed) - SPEEDS.index(10))):
            slider.press("ArrowRight" if speed > 10 else "ArrowLeft")
        page.wait_for_timeout(1500)
    return opened


def summary(changes: list[list[float]]) -> dict[str, float]:
    times = [t / 1000 for t, _ in changes]
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    span = times[-1] - times[0]
    return {"refreshes_per_s": (len(times) - 1) / span, "median_gap_ms": 1000 * statistics.median(gaps),
            "p90_gap_ms": 1000 * gaps[int(0.9 * (len(gaps) - 1))],
            "iterations_per_s": (changes[-1][1] - changes[0][1]) / span}


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to watch Play (15)")
    parser.add_argument("--speed", type=int, default=10, choices=SPEEDS, help="iterations per refresh")
    parser.add_argument("--tabs", type=int, default=1, help="browser tabs playing at once (1)")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of each tab while playing here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as runs_dir:
        server, url = app_server.start({"GAN_RUNS_DIR": runs_dir})
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
                for page in pages:
                    page.get_by_role("button", name="Play").scroll_into_view_if_needed()
                    page.evaluate(WATCH_ITERATION)
                    page.get_by_role("button", name="Play").click()
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
    print(f"Playing for {args.seconds:.0f} s at {args.speed} iterations per refresh, {args.tabs} tab(s):")
    for i, result in enumerate(results):
        print(f"  tab {i}: {result['refreshes_per_s']:.1f} refreshes/s (gap median {result['median_gap_ms']:.0f} ms,"
              f" p90 {result['p90_gap_ms']:.0f} ms), {result['iterations_per_s']:.0f} iterations/s")
    if len(results) > 1:
        print(f"  median over tabs: {statistics.median(r['refreshes_per_s'] for r in results):.1f} refreshes/s")


if __name__ == "__main__":
    main()
