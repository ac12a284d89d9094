"""Browser walk (issue 21): a trial tenant made with create_tenant reaches a first correct daily
summary by following the checklist alone, with the sample spreadsheets of samples/onboarding/.
Real Chromium (Debian's); skips where it or playwright is missing.

In a trial the admin also holds the roles whose pages some steps use (人事 for the roster,
财务 for collections, 市场专员 for targets); in a real company those people do them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from marketing import services as platform
from marketing.models import Membership, Tenant
from marketing.notifications.models import Message
from marketing.onboarding import samples
from marketing.roles import Role
from marketing.tenancy import tenant_scope

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Trial!pass-2026"
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def state(page, key):
    return page.get_attribute(f"#step-{key} [data-state]", "data-state")


@time_machine.travel(NOW, tick=True)
def test_trial_admin_follows_the_checklist_to_a_first_correct_summary(live_server, browser):
    call_command("create_tenant", "--name", "示范延保", "--slug", "walk", "--mailbox", "mkt@walk.test",
                 "--admin-username", "walk_admin", "--admin-password", PASSWORD, "--admin-email", "admin@walk.test")
    tenant = Tenant.objects.get(slug="walk")
    with tenant_scope(tenant):
        m = Membership.objects.get(tenant=tenant, user__username="walk_admin")
        platform.membership_update(membership=m, actor=m.user, branches=[],
                                   roles=[Role.TENANT_ADMIN, Role.HR, Role.FINANCE, Role.MARKETING_SPECIALIST])
    url = live_server.url
    page = browser.new_page(viewport={"width": 390, "height": 844})  # the phone width
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "walk_admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")

    page.goto(f"{url}/m/setup/")
    assert state(page, "org") == "not_started" and state(page, "partners") == "not_started"
    # 1 organisation, from the xlsx
    page.click("#step-org h2 a")
    page.set_input_files("input[name=file]", str(samples.path("组织架构.xlsx")))
    page.click("form.form-card button.btn-primary")
    page.wait_for_url(f"{url}/m/setup/")
    assert state(page, "org") == "done"
    # HR's roster, finance's collections, this month's targets: the data imports page
    for kind, name in (("roster", "人事动态表及通讯录.xlsx"), ("targets", "销售月度考核目标.xlsx"),
                       ("collections", "公司回款统计表.xlsx")):
        page.goto(f"{url}/reports/imports/")
        page.select_option("select[name=kind]", kind)
        page.set_input_files("input[name=file]", str(samples.path(name)))
        page.click("form.form-card button.btn-primary, form button.btn-primary")
        page.wait_for_selector("text=确认导入")
        page.click("button.btn-primary:has-text('确认导入')")
        page.wait_for_load_state()
    # 2 people: accounts from the roster, roles by 岗位
    page.goto(f"{url}/m/setup/")
    page.click("#step-people h2 a")
    assert "上海分公司" in page.inner_text("#people-totals")
    page.click("button:has-text('建立 8 个账号')")
    page.wait_for_url(f"{url}/m/setup/people/new/")
    # 3 calendar
    page.goto(f"{url}/m/setup/calendar/")
    assert "国庆节" in page.content()
    page.click("button:has-text('确认 2026 年日历')")
    page.wait_for_url(f"{url}/m/setup/calendar/")
    # 4 deadline and recipients (the branch GMs now have accounts)
    page.goto(f"{url}/m/setup/")
    page.click("button:has-text('确认截止时间与收件人')")
    page.wait_for_url(f"{url}/m/setup/")
    # 5 approval chains: confirm every default
    page.goto(f"{url}/m/setup/approvals/")
    while page.locator("button:has-text('确认默认')").count():
        page.locator("button:has-text('确认默认')").first.click()
        page.wait_for_load_state()
    page.goto(f"{url}/m/setup/")
    for key in ("org", "people", "calendar", "deadline", "approvals", "targets", "collections"):
        assert state(page, key) == "done", key
    # 13 the test send, to the admin alone, through the outbox
    page.click("button:has-text('发送测试汇总给我')")
    page.wait_for_url(f"{url}/m/setup/")
    page.goto(f"{url}/m/setup/")
    assert state(page, "test_send") == "done"
    assert "全部必需步骤已完成" in page.content()
    with tenant_scope(tenant):
        message = Message.objects.get(tenant=tenant, kind="onboarding.test_summary")
    assert message.to_address == "admin@walk.test"
    assert "公司本月完成率：12.2%（累计回款 183000.50）" in message.body
    assert "华东区：10.8%" in message.body and "华南区：15.0%" in message.body
    page.close()
