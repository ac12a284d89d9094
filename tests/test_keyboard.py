"""Keyboard-only use (issue #23): sign in without a mouse, the skip link first and visible,
a visible focus ring on every stop, and at phone width a menu that opens from the keyboard and,
closed, keeps Tab away from its off-screen links."""

import os
from pathlib import Path

import pytest

from conftest import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]

FOCUSED = """() => { const e = document.activeElement; const r = e.getBoundingClientRect();
  const s = getComputedStyle(e); const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
    || (s.boxShadow && s.boxShadow !== 'none');
  let burger = false;
  if (e.id === 'nav-toggle') { const b = getComputedStyle(document.querySelector('.nav-burger'));
    burger = b.outlineStyle !== 'none' && parseFloat(b.outlineWidth) > 0; }
  return {tag: e.tagName, id: e.id, cls: e.className, text: (e.innerText || e.value || '').trim().slice(0, 30),
          visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.left < innerWidth,
          ring: ring || burger, inSidebar: !!e.closest('.sidebar')}; }"""


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def keyboard_login(page, base, user):
    page.goto(f"{base}/login/")
    page.keyboard.press("Tab")
    for _ in range(6):  # the skip link first, then the username field
        if page.evaluate("document.activeElement.name") == "username":
            break
        page.keyboard.press("Tab")
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_desktop_tab_order_skip_link_and_focus_ring(live_server, browser, org_a):
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    keyboard_login(page, live_server.url, org_a.users["admin"])
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert "skip-link" in first["cls"] and first["visible"], first  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    stops = []
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    sidebar = [s for s in stops if s["inSidebar"]]
    assert len(sidebar) >= 5, stops  # the navigation is reachable by Tab
    without_ring = [s for s in stops if s["tag"] != "BODY" and not s["ring"]]
    assert not without_ring, without_ring
    assert all(s["visible"] for s in stops if s["tag"] != "BODY"), [s for s in stops if not s["visible"]]
    page.close()


def test_phone_menu_opens_from_the_keyboard(live_server, browser, org_a):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    keyboard_login(page, live_server.url, org_a.users["admin"])
    page.evaluate("window.scrollTo(0, 0)")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")
    toggle = page.evaluate(FOCUSED)
    assert toggle["id"] == "nav-toggle" and toggle["ring"], toggle  # focus shown on the menu button
    # closed: Tab goes past the off-screen menu, never into it
    closed = []
    for _ in range(8):
        page.keyboard.press("Tab")
        closed.append(page.evaluate(FOCUSED))
    assert not any(s["inSidebar"] for s in closed), closed
    assert all(s["visible"] for s in closed if s["tag"] != "BODY"), closed
    # open it with Space and Tab into its links
    page.focus("#nav-toggle")
    page.keyboard.press("Space")
    page.wait_for_timeout(300)
    opened = []
    for _ in range(8):
        page.keyboard.press("Tab")
        opened.append(page.evaluate(FOCUSED))
    inside = [s for s in opened if s["inSidebar"]]
    assert inside and all(s["visible"] and s["ring"] for s in inside), opened
    page.close()
