"""One real-browser walk through the app: Debian's Chromium, driven by Playwright, against
`streamlit run app.py` on a free port. Opens every page, trains a tiny run from the form to its
end, watches the live chart, draws a sample grid, and draws a digit on the canvas for the
classifier, the run's discriminator and GAN inversion. Screenshots go to tests/screenshots/."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import tiny_config

pytestmark = pytest.mark.slow  # every test here starts a browser

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO / "tests" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser test: install Debian's chromium (.ci/run does)")
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = dict(os.environ, GAN_RUNS_DIR=str(tmp_path / "runs"), GAN_BUNDLED_DATA="1")
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - a pipe nobody reads stalls the server once full
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None, "streamlit did not start"
            time.sleep(0.3)
    yield url, tmp_path / "runs"
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture
def page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(60_000)
        sync_api.expect.set_options(timeout=30_000)  # a first page on a slow, loaded host takes seconds
        yield tab
        browser.close()


def settle(page):
    """Wait until Streamlit has finished running the script for what is on screen."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_walk_through_every_page_training_a_tiny_run(server, page):
    url, runs_root = server
    expect = sync_api.expect

    page.goto(url)
    expect(page.get_by_role("heading", name="How a GAN learns")).to_be_visible()
    settle(page)
    expect(page.get_by_role("heading", name="The two players")).to_be_visible()  # the first tab, alone
    assert page.locator(".katex-display").count() == 0  # the equations' tab is not drawn yet
    shoot(page, "1_concepts")
    page.get_by_role("tab", name="▶ Toy GAN").click()  # a tab is drawn when it is opened
    expect(page.get_by_role("heading", name="Try it: a GAN you can watch")).to_be_visible()
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("1")  # Iteration: the step was trained
    settle(page)
    shoot(page, "1_concepts_toy")
    page.get_by_role("tab", name="Training step and mathematics").click()
    expect(page.locator(".katex-display").first).to_be_visible()
    settle(page)

    page.goto(f"{url}/train")
    expect(page.get_by_role("heading", name="Train a GAN")).to_be_visible()
    settle(page)
    tiny = {"Training images": 64, "Batch size": 16, "Latent size": 8, "Epochs": 2}
    for label, value in tiny.items():
        box = page.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Tab")
    page.get_by_role("button", name=re.compile("Start training")).click()
    cfg = tiny_config(epochs=2, seed=0, conditional=True)  # the form keeps the Quick preset's conditioning
    expect(page.get_by_text(f"Started run {cfg.run_id}").first).to_be_visible()  # the notice, and a toast
    assert (runs_root / cfg.run_id / "config.json").exists()
    shoot(page, "2_train_started")

    page.goto(f"{url}/live?run={cfg.run_id}")
    expect(page.get_by_text("finished", exact=False).first).to_be_visible(timeout=180_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.locator("[data-testid='stImage'] img").first).to_be_visible()
    settle(page)
    shoot(page, "3_live_finished")

    page.goto(f"{url}/sample?run={cfg.run_id}")
    expect(page.get_by_role("heading", name=re.compile("Sample|Draw"))).to_be_visible()
    settle(page)
    expect(page.locator("[data-testid='stImage'] img").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text("64 digits, seed 42")).to_be_visible()
    shoot(page, "4_sample")

    # A 7 drawn with the mouse on the canvas: read, judged by the run's D, found, walked, as a GIF.
    canvas = page.locator(".canvas-root canvas").last
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in (((70, 60), (210, 60)), ((210, 60), (120, 245))):
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for k in range(1, 11):
            page.mouse.move(box["x"] + stroke[0][0] + (stroke[1][0] - stroke[0][0]) * k / 10,
                            box["y"] + stroke[0][1] + (stroke[1][1] - stroke[0][1]) * k / 10)
        page.mouse.up()
    expect(page.get_by_text("The classifier reads your digit as a")).to_be_visible()
    expect(page.get_by_text("D's raw score")).to_be_visible()
    expect(page.get_by_text(re.compile(r"says: (real|fake)"))).to_be_visible()
    page.get_by_role("button", name=re.compile("Find it in the generator's imagination")).click()
    expect(page.get_by_text("The closest the generator can draw")).to_be_visible()
    expect(page.locator(".st-key-draw_find_gif button")).to_be_visible()
    settle(page)
    shoot(page, "5_sample_drawing")
    assert not page.locator("[data-testid='stException']").count()
