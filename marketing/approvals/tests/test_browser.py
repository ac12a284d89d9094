"""The chain editor in a real Chromium at phone width: reorder with ↑/↓, a condition from
dropdowns, the route preview, save -- then a request runs through the saved chain and its
approver signs it in the browser. Screenshots go to var/screenshots/ (look at them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[3] / "var" / "screenshots"))
PHONE = {"width": 390, "height": 844}

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


def _login(browser, live_server, user, viewport=PHONE):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide at {PHONE['width']}px"


def test_chain_editor_on_a_phone_then_a_request_through_it(live_server, browser, org_a):
    from expenses.tests.helpers import make_expense, pending, use_legacy_chain
    from marketing.approvals.selectors import chain_for

    use_legacy_chain(org_a)  # a saved chain with a branch-GM first step (the default is seed 000's)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _login(browser, live_server, org_a.users["admin"])
    page.goto(f"{live_server.url}/approvals/chains/expenses.request/")
    assert "第 1 步 · 分公司总经理签字" in page.content()
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "chain-editor-phone.png"), full_page=True)

    # Move the second step (市场部审核) up: it becomes the first; nothing is saved yet.
    page.click("button[name=op][value='up:1']")
    assert page.inner_text(".chain-step:nth-of-type(1) h3").endswith("市场部审核")
    # Step 1 (now 市场部审核) only when the amount is above 5000, picked from dropdowns.
    page.select_option("select[name='steps-0-c0_field']", "amount")
    page.select_option("select[name='steps-0-c0_op']", ">")
    page.fill("input[name='steps-0-c0_number']", "5000")
    # Preview a 3000 request filed by the A1 salesperson: the review step is skipped.
    page.select_option("select[name='sample-applicant']", str(org_a.users["sales"].pk))
    page.select_option("select[name='sample-branch']", str(org_a.branches["A1"].pk))
    page.fill("input[name='sample-f_amount']", "3000")
    page.click("button[name=op][value=preview]")
    route = page.inner_text("ol.route")
    assert "市场部审核" in route and "条件不满足" in route and "甲一分总" in route
    _no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "chain-editor-preview-phone.png"), full_page=True)
    page.click(".chain-actions button[name=op][value=save]")
    page.wait_for_url(f"{live_server.url}/approvals/chains/")
    with org_a.scope():
        chain = chain_for(tenant=org_a.tenant, key="expenses.request")
    assert (chain[0].name, chain[0].condition) == ("市场部审核", "amount > 5000")
    page.close()

    # A 3000 request skips the review and goes to the branch GM, who signs on the phone.
    expense = make_expense(org_a)
    assert {t.step.name for t in pending(org_a, expense)} == {"分公司总经理签字"}
    gm = _login(browser, live_server, org_a.users["bgm"])
    gm.goto(f"{live_server.url}/approvals/")
    gm.click(f"text={expense.number}")
    gm.fill("textarea[name=comment]", "同意")
    gm.click("button[name=action][value=approve]")
    gm.wait_for_load_state()
    _no_sideways_scroll(gm)
    gm.screenshot(path=str(SHOTS / "chain-request-approved-phone.png"), full_page=True)
    assert {t.step.name for t in pending(org_a, expense)} == {"市场营销总监审批"}
    gm.close()
