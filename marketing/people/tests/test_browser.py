"""Browser walk of a departure, filing to certificate (real Chromium): the salesperson files,
the admin hands the customers over and sends it for signature, branch GM → marketing
director → finance sign on the approval panel, the certificate PDF downloads. Phone width
(390 px) has no sideways scrolling on the handover page."""

import datetime as dt
import os
from pathlib import Path

import pytest

from conftest import TEST_PASSWORD
from customers.tests.conftest import make_customer

CHROMIUM = "/usr/bin/chromium"

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
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _login(browser, live_server, user, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def test_departure_from_filing_to_certificate(live_server, browser, org_a):
    make_customer(org_a, name="浏览器测试客户")
    last_day = dt.date.today() + dt.timedelta(days=45)
    # 1. the salesperson files
    ctx, page = _login(browser, live_server, org_a.users["sales"])
    page.goto(f"{live_server.url}/m/people/departures/new/")
    page.fill("input[name=last_day]", last_day.isoformat())
    page.fill("input[name=reason]", "回老家发展")
    page.click("form.form-card button[type=submit]")
    page.wait_for_url("**/m/people/departures/*/")
    url = page.url
    assert page.locator("#line-customers [data-count]").inner_text() == "1"
    ctx.close()
    # 2. the admin hands the customer to a colleague and sends it for signature
    ctx, page = _login(browser, live_server, org_a.users["admin"])
    page.goto(url)
    page.select_option("select[name=line]", "customers")
    page.select_option("select[name=to_user]", str(org_a.users["sales2"].pk))
    page.locator("form:has(input[value=resolve]) button").click()
    page.wait_for_load_state()
    assert page.locator("#line-customers [data-count]").inner_text() == "0"
    page.locator("form:has(input[value=sign]) button").click()
    page.wait_for_load_state()
    assert "交接签字中" in page.content()
    ctx.close()
    # 3. 分总签字 → 市场部主管签字 → 财务清算 on the approval panel of the departure page
    for persona in ("bgm", "mdirector", "finance"):
        ctx, page = _login(browser, live_server, org_a.users[persona])
        page.goto(url)
        for box in page.locator(".ap-check input[type=checkbox]").all():
            box.check()
        page.locator("button[name=action][value=approve]").click()
        page.wait_for_load_state()
        ctx.close()
    # 4. signed: the certificate downloads; the handover page fits a phone
    ctx, page = _login(browser, live_server, org_a.users["bgm"], viewport={"width": 390, "height": 844})
    page.goto(url)
    assert "已签字" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    with page.expect_download() as info:
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = 'x.pdf'; "
                      "document.body.appendChild(a); a.click(); }", url + "certificate.pdf")
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    ctx.close()
