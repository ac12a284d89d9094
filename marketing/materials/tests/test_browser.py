"""A material request through the real pages on a phone (390 px): the branch files it, the
chain approves (services), marketing dispatches part of it, the branch confirms receipt."""

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


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _login(browser, live_server, user):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 392, "page wider than the phone"


def test_request_dispatch_receipt_on_a_phone(live_server, browser, org_a):
    from marketing.materials.models import MaterialRequest, RequestStatus

    from .helpers import approve, make_material

    m = make_material(org_a, "PHONE1", stock=3, name="易拉宝")
    sales = _login(browser, live_server, org_a.users["sales"])
    sales.goto(f"{live_server.url}/materials/requests/new/")
    _fits(sales)
    sales.select_option("#id_lines-0-material", str(m.pk))
    sales.fill("#id_lines-0-quantity", "5")
    sales.fill("#id_lines-0-reason", "车展")
    sales.click("button[type=submit]")
    sales.wait_for_selector("text=审批中")
    with org_a.scope():
        req = MaterialRequest.objects.get()
    approve(org_a, req, "bgm")
    approve(org_a, req, "mspec")

    mspec = _login(browser, live_server, org_a.users["mspec"])
    mspec.goto(f"{live_server.url}/materials/requests/{req.pk}/")
    _fits(mspec)
    line = "input[name^=line_]"
    assert mspec.input_value(line) == "3"  # what the stock allows
    mspec.fill("#id_waybill", "SF0001")
    mspec.click("text=确认发货")
    mspec.wait_for_selector("text=部分发货")

    sales.goto(f"{live_server.url}/materials/requests/{req.pk}/")
    assert "SF0001" in sales.content()
    sales.click("text=确认收货")
    sales.wait_for_selector("text=已确认收货")
    with org_a.scope():
        req.refresh_from_db()
        m.refresh_from_db()
    assert req.status == RequestStatus.PARTIAL and m.on_hand == 0
    sales.close()
    mspec.close()
