"""In a real Chromium at phone width (390 px): the admin builds a form (fields added and
reordered with buttons), gives it a chain in the engine's editor (a position, a condition on
the form's own money field, route preview), publishes it; a salesperson files a request on the
phone and the approver signs it. Screenshots go to var/screenshots/ (look at them)."""

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
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _login(browser, live_server, user):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide at {PHONE['width']}px"


def test_build_a_form_on_a_phone_and_run_a_request_through_it(live_server, browser, org_a):
    from marketing.approvals import services as approvals
    from marketing.workflows.models import FormRequest, FormTemplate, RequestStatus

    from .helpers import pending

    with org_a.scope():  # the 产品市场部经理 of the company is the executive director
        position = approvals.position_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="产品市场部经理")
        approvals.position_assign(position=position, actor=org_a.users["admin"], user=org_a.users["exec"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = _login(browser, live_server, org_a.users["admin"])
    admin.goto(f"{live_server.url}/workflows/templates/")
    admin.fill("input[name=name]", "展会报名")
    admin.fill("input[name=code]", "EXPO-1")
    admin.click("form[action$='/templates/new/'] button[type=submit]")
    admin.wait_for_url("**/workflows/templates/*/")
    # Builder: the first field (事由) is there; add 预算 (money) and move it to the top.
    admin.click("button[name=op][value=add]")
    admin.fill("input[name='f-1-label']", "预算")
    admin.select_option("select[name='f-1-type']", "money")
    admin.check("input[name='f-1-required']")
    admin.click("button[name=op][value='up:1']")
    assert admin.input_value("input[name='f-0-label']") == "预算"
    admin.click("button[name=op][value=add]")
    admin.fill("input[name='f-2-label']", "展位")
    admin.select_option("select[name='f-2-type']", "choice")
    admin.click("button[name=op][value=apply]")
    admin.fill("textarea[name='f-2-options']", "标准展位\n特装展位")
    _fits(admin)
    admin.screenshot(path=str(SHOTS / "form-builder-phone.png"), full_page=True)
    admin.click(".fb-actions button[name=op][value=save]")
    assert "草稿已保存" in admin.content()
    # Chain: the 产品市场部经理 position when the budget is above 5000.
    admin.click("text=编辑审批流程")
    admin.click("button[name=op][value=add]")
    admin.fill("input[name='steps-0-name']", "产品市场部经理审批")
    admin.select_option("select[name='steps-0-approver']", "position:产品市场部经理")
    admin.select_option("select[name='steps-0-c0_field']", "f1")
    admin.select_option("select[name='steps-0-c0_op']", ">")
    admin.fill("input[name='steps-0-c0_number']", "5000")
    admin.select_option("select[name='sample-applicant']", str(org_a.users["sales"].pk))
    admin.select_option("select[name='sample-branch']", str(org_a.branches["A1"].pk))
    admin.fill("input[name='sample-f_f1']", "8000")
    admin.click("button[name=op][value=preview]")
    assert "甲执行董事" in admin.inner_text("ol.route")
    _fits(admin)
    admin.screenshot(path=str(SHOTS / "form-chain-phone.png"), full_page=True)
    admin.click(".chain-actions button[name=op][value=save]")
    admin.wait_for_url("**/workflows/templates/*/")
    admin.once("dialog", lambda dialog: dialog.accept())  # data-confirm: 发布新版本？
    admin.click(".fb-actions button[name=op][value=publish]")
    assert "已发布 v1" in admin.content()
    admin.close()

    with org_a.scope():
        template = FormTemplate.objects.get(tenant=org_a.tenant, code="EXPO-1")
    sales = _login(browser, live_server, org_a.users["sales"])
    sales.goto(f"{live_server.url}/workflows/")
    sales.click(f"a[href='/workflows/templates/{template.pk}/new/']")
    sales.fill("input[name=title]", "上海车展")
    sales.fill("input[name='v-f1']", "8000")
    sales.select_option("select[name='v-f2']", "特装展位")
    sales.fill("textarea[name='v-reason']", "新品首发")
    sales.click(".form-actions button[name=op][value=submit]")
    sales.wait_for_url("**/workflows/requests/*/")
    _fits(sales)
    sales.screenshot(path=str(SHOTS / "form-request-phone.png"), full_page=True)
    sales.close()
    with org_a.scope():
        req = FormRequest.objects.get(template=template)
    assert req.values == {"f1": "8000.00", "f2": "特装展位", "reason": "新品首发"}
    assert {t.assignee_id for t in pending(org_a, req)} == {org_a.users["exec"].pk}

    approver = _login(browser, live_server, org_a.users["exec"])
    approver.goto(f"{live_server.url}/approvals/")
    approver.click(f"text={req.number}")
    approver.fill("textarea[name=comment]", "同意参展")
    approver.click("button[name=action][value=approve]")
    approver.wait_for_load_state()
    _fits(approver)
    approver.close()
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
