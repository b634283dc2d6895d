"""How long a visitor waits for pages: a real `streamlit run app.py` server and headless Chromium,
optionally while a training run loads the machine (a workshop's shared server).

Run from the repository root (needs Debian's chromium; about two minutes):
    python -m bench.page_speed [--load] [--rounds 5] [--cold | --after-sample] [--baseline]

It prints, for new visitors (fresh browser contexts: nothing cached), the seconds from opening the
address to the first page's heading, and to the page complete (Streamlit's "running" indicator
gone), then the median and worst time of each
page switch through the sidebar's links over --rounds rounds of Concepts → Train → Live → Sample.
With --cold the first visitor arrives straight after the server answers its health check (the
server's own first imports included); without it, one visitor has opened the app before. With
--after-sample that visitor opened the Sample page too, so the server has TensorFlow loaded, as it
has in a workshop once anyone has drawn from a generator. With --baseline a second server runs a
Streamlit page holding only the same heading, and new visitors alternate between the two: what
Streamlit itself costs on this host under the same load, against what the app's first page adds. With
--load, `python -m gan.train --preset quick` trains in the background the whole time, at the
niceness the app gives its trainers (--nice 0: as a trainer started by hand). It prints
figures; it asserts nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import app_server
from gan import launcher

REPO = Path(__file__).resolve().parents[1]
PATH = [("Train", "Train a GAN"), ("Live training", "Live training"), ("Sample", "Sample the generator"),
        ("Concepts", "How a GAN learns")]  # (sidebar link, the heading it opens)
SETTLED = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
BARE_PAGE = """import streamlit as st

st.set_page_config(page_title="GAN Atelier", layout="wide")
st.title("How a GAN learns")
"""  # --baseline: Streamlit's own cost, the first page's heading and nothing else
VISITORS = 5


def settle(page, heading: str) -> None:
    """Until the page shows its heading and Streamlit has finished running its script."""
    page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    page.wait_for_function(SETTLED, timeout=120_000, polling=50)


def first_visit(browser, url: str) -> tuple[float, float]:
    """Seconds until a new visitor (no cache) sees the first page's heading, and until it is complete."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    clock = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name="How a GAN learns").first.wait_for(timeout=120_000)
    heading = time.perf_counter() - clock
    page.wait_for_function(SETTLED, timeout=120_000, polling=50)
    seconds = time.perf_counter() - clock
    page.close()
    return heading, seconds


def sample_visit(browser, url: str) -> None:
    """One visitor opens the Sample page, which loads TensorFlow and the bundled generator in the server."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/sample")
    settle(page, "Sample the generator")
    page.close()


def switches(browser, url: str, rounds: int) -> dict[str, list[float]]:
    """{sidebar link: seconds of each switch to it}."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    settle(page, "How a GAN learns")
    times = {link: [] for link, _ in PATH}
    for _ in range(rounds):
        for link, heading in PATH:
            clock = time.perf_counter()
            page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=link, exact=True).click()
            settle(page, heading)
            times[link].append(time.perf_counter() - clock)
            page.wait_for_timeout(300)  # a person reads a little before clicking on
    page.close()
    return times


def report(what: str, visits: list[tuple[float, float]]) -> None:
    print(f"{what}: heading shown after median {statistics.median(h for h, _ in visits):.2f} s, page complete "
          f"after median {statistics.median(s for _, s in visits):.2f} s (worst {max(s for _, s in visits):.2f} s, "
          f"{len(visits)} visitors)")


def start_load(root: Path, nice: int) -> subprocess.Popen:
    """A quick-preset run that outlasts the benchmark, training in its own process at the niceness
    the app's launcher gives its trainers."""
    return subprocess.Popen([sys.executable, "-m", "gan.train", "--preset", "quick", "--epochs", "200",
                             "--runs-dir", str(root), "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env=dict(os.environ, GAN_BUNDLED_DATA="1", **{launcher.NICE_ENV: str(nice)}))


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.page_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="a training run loads the machine meanwhile")
    parser.add_argument("--cold", action="store_true", help="the first visitor is the server's first")
    parser.add_argument("--after-sample", action="store_true",
                        help="a visitor opened the Sample page before: the server has TensorFlow loaded")
    parser.add_argument("--baseline", action="store_true",
                        help="alternate new visitors with a bare Streamlit page served meanwhile")
    parser.add_argument("--nice", type=int, default=launcher.TRAINER_NICE,
                        help=f"the training run's niceness (default {launcher.TRAINER_NICE}, as the app starts it)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from gan import speed

    print(f"machine: {speed.machine()}; ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '-')}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        root.mkdir()
        load = start_load(root, args.nice) if args.load else None
        if load:
            time.sleep(15)  # past TensorFlow's import: the run is training
        server, url = app_server.start({"GAN_RUNS_DIR": str(root), "GAN_BUNDLED_DATA": "1",
                                        "GAN_NO_SPEED_PROBE": "1"})
        bare = bare_url = None
        if args.baseline:
            (Path(tmp) / "bare.py").write_text(BARE_PAGE)
            bare, bare_url = app_server.start({}, Path(tmp) / "bare.py")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=app_server.CHROMIUM_FLAGS)
                if not args.cold:
                    first_visit(browser, url)  # the server's own first run of each module
                if args.after_sample:
                    sample_visit(browser, url)
                if bare_url:
                    first_visit(browser, bare_url)
                firsts, bares = [], []
                for _ in range(VISITORS):  # alternately, so both meet the same moments of the load
                    firsts.append(first_visit(browser, url))
                    if bare_url:
                        bares.append(first_visit(browser, bare_url))
                report("first page for a new visitor", firsts)
                if bares:
                    report("a bare Streamlit page with the same heading, meanwhile", bares)
                times = switches(browser, url, args.rounds)
                every = [s for series in times.values() for s in series]
                for link, series in times.items():
                    print(f"  to {link:<14} median {statistics.median(series):.2f} s, worst {max(series):.2f} s")
                print(f"page switch: median {statistics.median(every):.2f} s, worst {max(every):.2f} s "
                      f"over {len(every)} switches")
                browser.close()
        finally:
            for process in filter(None, (server, bare)):
                process.terminate()
                process.wait(timeout=30)
            if load:
                load.terminate()
                load.wait(timeout=60)


if __name__ == "__main__":
    main()
