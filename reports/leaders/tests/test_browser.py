"""经营看板 in real Chromium at 1366 and 390 px: every chart drew (its canvas is not blank) and
the console stayed free of errors (CSP violations included)."""

import os
from pathlib import Path

import pytest

from conftest import TEST_PASSWORD
from reports.tests.test_rates import _setup

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]

# a canvas is blank when every pixel is transparent or the background
CANVAS_INK = """() => Array.from(document.querySelectorAll('.leaders-chart canvas')).map(c => {
  const ctx = c.getContext('2d'); const d = ctx.getImageData(0, 0, c.width, c.height).data; let ink = 0;
  for (let i = 3; i < d.length; i += 4 * 7) { if (d[i] > 0 && (d[i-3] < 240 || d[i-2] < 240 || d[i-1] < 240)) ink++; }
  return ink; })"""


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_dashboard_charts_draw_without_console_errors(live_server, browser, org_a, width):
    with org_a.scope():
        _setup(org_a)
    user = org_a.users["gm"]
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/leaders/?month=2026-11")
    page.wait_for_function("() => document.querySelectorAll('.leaders-card[data-drawn]').length === 6", timeout=15000)
    page.wait_for_timeout(1200)  # ECharts animates the first draw
    assert page.eval_on_selector_all(".leaders-card", "els => els.map(e => e.dataset.drawn)") == ["1"] * 6
    ink = page.evaluate(CANVAS_INK)
    assert len(ink) == 6 and all(n > 50 for n in ink), ink
    # nothing wider than the phone: no horizontal scrolling of the page
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    page.click(".leaders-card[data-chart=ranking] summary")
    assert "甲一分公司" in page.inner_text(".leaders-card[data-chart=ranking] .leaders-table-body")
    assert errors == []
    shots = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[3] / "var" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"leaders-dashboard-{width}.png"), full_page=True)
    page.close()
