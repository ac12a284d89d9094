"""Browser smoke test: real Chromium (Debian's), real login form, two roles, screenshots.
Skips where /usr/bin/chromium or playwright is missing; CI installs chromium and runs it."""

import os
from pathlib import Path

import pytest

from conftest import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parent.parent / "var" / "screenshots"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.mark.parametrize("persona, expect, hidden", [
    ("admin", "用户与角色", None),
    ("bgm", "首页", "用户与角色"),
])
def test_login_and_home(live_server, browser, org_a, persona, expect, hidden):
    SHOTS.mkdir(parents=True, exist_ok=True)
    user = org_a.users[persona]
    for name, viewport in (("desktop", {"width": 1366, "height": 860}), ("phone", {"width": 390, "height": 844})):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert org_a.tenant.name in page.content()
        if name == "phone":  # the off-canvas menu is hidden (also from Tab and screen readers) until opened
            page.click(".nav-burger")
            page.wait_for_timeout(300)
        nav = page.inner_text("nav.sidebar")
        assert expect in nav
        if hidden:
            assert hidden not in nav
        page.screenshot(path=str(SHOTS / f"home-{persona}-{name}.png"), full_page=True)
        page.close()


def test_wrong_password_shows_message(live_server, browser, org_a):
    page = browser.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", org_a.users["bgm"].username)
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码不正确" in page.content()
    page.screenshot(path=str(SHOTS / "login-error.png"))
    page.close()
