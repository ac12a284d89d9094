"""The setup checklist (开通向导): each step's state detected from live data, skips with a
reason (audited), the command's output and exit code, create_tenant's pointer (issue 21)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from marketing.audit import AuditEvent
from marketing.models import Tenant
from marketing.notifications.delivery import deliver
from marketing.notifications.models import Message
from marketing.onboarding import services
from marketing.onboarding.models import TenantSetup
from marketing.onboarding.steps import (
    DONE,
    IN_PROGRESS,
    NOT_STARTED,
    SKIPPED,
    chain_types,
    checklist,
)
from marketing.tenancy import tenant_scope

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Friday


def states(tenant) -> dict[str, str]:
    with tenant_scope(tenant):
        return {s.step.key: s.state for s in checklist(tenant)}


def found(tenant, key) -> list[str]:
    with tenant_scope(tenant):
        return next(s.found for s in checklist(tenant) if s.step.key == key)


def trial(capsys=None):
    call_command("create_tenant", "--name", "试用公司", "--slug", "trial", "--mailbox", "mkt@trial.test",
                 "--admin-username", "trial_admin", "--admin-password", "Trial!pass-2026",
                 "--admin-email", "admin@trial.test")
    return Tenant.objects.get(slug="trial")


@time_machine.travel(NOW, tick=False)
def test_create_tenant_prints_where_to_start_and_every_step_starts_empty(capsys):
    tenant = trial()
    out = capsys.readouterr().out
    assert "/m/setup/" in out and "tenant_setup_status --tenant trial" in out
    with tenant_scope(tenant):
        assert TenantSetup.objects.filter(tenant=tenant).exists()
    s = states(tenant)
    assert s.pop("partners") == NOT_STARTED  # the register is installed; this tenant has no partners yet
    assert set(s.values()) == {NOT_STARTED}, s


@time_machine.travel(NOW, tick=False)
def test_status_command_output_and_exit_code(capsys):
    tenant = trial()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        call_command("tenant_setup_status", "--tenant", "trial")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "开通向导：试用公司（trial）"
    assert lines[1].startswith(" 1. [未开始] 组织架构：地区与分公司（必需）") and lines[1].endswith("/m/setup/org/imports/")
    assert "[未开始] 合作伙伴（可选）" in out and "/partners/" in out  # the register is installed
    assert lines[-1] == "还有 8 个必需步骤未完成；下一步：组织架构：地区与分公司"
    assert tenant


@time_machine.travel(NOW, tick=False)
def test_org_people_and_targets_detection(org_a):
    from reports.models import RosterEntry
    from reports.services import target_set

    s = states(org_a.tenant)
    assert s["org"] == DONE
    assert s["people"] == IN_PROGRESS  # accounts, but no roster yet
    assert s["targets"] == NOT_STARTED
    with org_a.scope():
        RosterEntry.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], name="张三", position="销售",
                                   hire_date=dt.date(2025, 1, 1))
        target_set(tenant=org_a.tenant, branch=org_a.branches["A1"], month=dt.date(2026, 11, 1),
                   amount=Decimal("100000"), actor=org_a.users["mspec"])
    s = states(org_a.tenant)
    assert s["people"] == DONE and s["targets"] == IN_PROGRESS
    assert found(org_a.tenant, "targets") == ["2026-11：1 / 3 个分公司有目标", "缺目标：甲二分公司、甲三分公司"]
    with org_a.scope():
        for code in ("A2", "A3"):
            target_set(tenant=org_a.tenant, branch=org_a.branches[code], month=dt.date(2026, 11, 1),
                       amount=Decimal("50000"), actor=org_a.users["mspec"])
        # last month's target does not count for this month
    assert states(org_a.tenant)["targets"] == DONE


@time_machine.travel(NOW, tick=False)
def test_collections_calendar_deadline_and_approvals_detection(org_a):
    from reports.models import Collection

    s = states(org_a.tenant)
    assert (s["collections"], s["calendar"], s["deadline"], s["approvals"]) == (
        NOT_STARTED, NOT_STARTED, IN_PROGRESS, NOT_STARTED)
    admin = org_a.users["admin"]
    with org_a.scope():
        Collection.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], day=dt.date(2026, 10, 30),
                                  amount=Decimal("9"))  # last month: not "to date" of this month
    assert states(org_a.tenant)["collections"] == NOT_STARTED
    with org_a.scope():
        Collection.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], day=dt.date(2026, 11, 26),
                                  amount=Decimal("1234.50"))
        services.step_confirm(tenant=org_a.tenant, actor=admin, step="calendar", item="2026")
        services.step_confirm(tenant=org_a.tenant, actor=admin, step="deadline")
        first, *rest = chain_types()
        services.step_confirm(tenant=org_a.tenant, actor=admin, step="approvals", item=first.key)
    s = states(org_a.tenant)
    assert (s["collections"], s["calendar"], s["deadline"]) == (DONE, DONE, DONE)
    assert found(org_a.tenant, "collections") == ["本月至今回款 1 条（1 天），合计 1,234.50 元"]
    assert s["approvals"] == (IN_PROGRESS if rest else DONE)
    with org_a.scope():
        for t in rest:
            services.step_confirm(tenant=org_a.tenant, actor=admin, step="approvals", item=t.key)
        with pytest.raises(ValidationError):
            services.step_confirm(tenant=org_a.tenant, actor=admin, step="approvals", item="no.such.type")
    assert states(org_a.tenant)["approvals"] == DONE


@time_machine.travel(NOW, tick=False)
def test_calendar_step_lists_the_years_holidays_and_makeup_days(org_a, client_as):
    assert found(org_a.tenant, "calendar")[0].startswith("2026 年：工作日放假")
    page = client_as(org_a.users["admin"]).get("/m/setup/calendar/").content.decode()
    assert "2026-10-01" in page and "国庆节" in page and "2026-09-20" in page  # 调休 Sunday


@time_machine.travel(NOW, tick=False)
def test_skip_needs_a_reason_is_audited_and_can_be_undone(org_a):
    admin = org_a.users["admin"]
    with org_a.scope():
        with pytest.raises(ValidationError):
            services.step_skip(tenant=org_a.tenant, actor=admin, step="targets", reason="  ")
        with pytest.raises(ValidationError):
            services.step_skip(tenant=org_a.tenant, actor=admin, step="org", reason="不需要")  # required, no skip
        services.step_skip(tenant=org_a.tenant, actor=admin, step="targets", reason="从下月开始考核")
        assert AuditEvent.objects.filter(tenant=org_a.tenant, verb="onboarding.step_skip",
                                         after__reason="从下月开始考核").exists()
    assert states(org_a.tenant)["targets"] == SKIPPED
    assert found(org_a.tenant, "targets")[-1] == "跳过原因：从下月开始考核"
    with org_a.scope():
        services.step_unskip(tenant=org_a.tenant, actor=admin, step="targets")
        assert AuditEvent.objects.filter(tenant=org_a.tenant, verb="onboarding.step_unskip").exists()
    assert states(org_a.tenant)["targets"] == NOT_STARTED


@time_machine.travel(NOW, tick=False)
def test_channels_customers_and_pricelist_detection(org_a):
    from marketing.notifications.models import ChatWebhook

    s = states(org_a.tenant)
    assert (s["channels"], s["customers"], s["pricelist"], s["ledger"]) == (
        NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED)
    with org_a.scope():
        ChatWebhook.objects.create(tenant=org_a.tenant, name="市场部群", platform="wecom",
                                   url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x")
    assert states(org_a.tenant)["channels"] == DONE


@time_machine.travel(NOW, tick=False)
def test_test_send_goes_to_the_admin_alone_through_the_outbox(org_a, mailoutbox):
    admin = org_a.users["admin"]
    with org_a.scope():
        rows = services.test_summary_send(tenant=org_a.tenant, actor=admin)
        assert [m.to_address for m in rows] == [admin.email]
        assert rows[0].kind == "onboarding.test_summary" and "2026-11-26" in rows[0].subject
    assert states(org_a.tenant)["test_send"] == IN_PROGRESS  # queued, not yet sent
    with org_a.scope():
        deliver(message_id=rows[0].pk)
        assert Message.objects.get(pk=rows[0].pk).status == "sent"
    assert [m.to for m in mailoutbox] == [[admin.email]]
    assert states(org_a.tenant)["test_send"] == DONE


@time_machine.travel(NOW, tick=False)
def test_command_exits_0_once_every_required_step_is_done(org_a, capsys):
    from reports.models import Collection, RosterEntry
    from reports.services import target_set

    admin = org_a.users["admin"]
    with org_a.scope():
        RosterEntry.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], name="张三", position="销售",
                                   hire_date=dt.date(2025, 1, 1))
        for code in ("A1", "A2", "A3"):
            target_set(tenant=org_a.tenant, branch=org_a.branches[code], month=dt.date(2026, 11, 1),
                       amount=Decimal("1000"), actor=org_a.users["mspec"])
        Collection.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], day=dt.date(2026, 11, 26),
                                  amount=Decimal("10"))
        services.step_confirm(tenant=org_a.tenant, actor=admin, step="calendar", item="2026")
        services.step_confirm(tenant=org_a.tenant, actor=admin, step="deadline")
        for t in chain_types():
            services.step_confirm(tenant=org_a.tenant, actor=admin, step="approvals", item=t.key)
    with pytest.raises(SystemExit):  # everything but the test send
        call_command("tenant_setup_status", "--tenant", "alpha")
    assert capsys.readouterr().out.splitlines()[-1] == "还有 1 个必需步骤未完成；下一步：测试发送日报汇总（仅发给自己）"
    with org_a.scope():
        rows = services.test_summary_send(tenant=org_a.tenant, actor=admin)
        deliver(message_id=rows[0].pk)
    call_command("tenant_setup_status", "--tenant", "alpha")  # no SystemExit: exit 0
    assert capsys.readouterr().out.splitlines()[-1] == "全部必需步骤已完成。"


def test_checklist_page_for_admin_only_with_pinned_queries(org_a, client_as, django_assert_max_num_queries):
    c = client_as(org_a.users["admin"])
    with django_assert_max_num_queries(40):
        page = c.get("/m/setup/")
    assert page.status_code == 200 and "开通向导" in page.content.decode()
    assert client_as(org_a.users["sales"]).get("/m/setup/").status_code == 403
    assert client_as(org_a.users["mspec"]).get("/m/setup/").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_skip_and_confirm_through_the_pages(org_a, client_as):
    c = client_as(org_a.users["admin"])
    assert c.post("/m/setup/skip/", {"step": "ledger", "reason": ""}).status_code == 302
    assert states(org_a.tenant)["ledger"] == NOT_STARTED  # no reason: nothing changes
    c.post("/m/setup/skip/", {"step": "ledger", "reason": "新公司，尚无存量合同"})
    assert states(org_a.tenant)["ledger"] == SKIPPED
    c.post("/m/setup/confirm/", {"step": "calendar", "item": "2026"})
    assert states(org_a.tenant)["calendar"] == DONE
    assert c.get("/m/setup/approvals/").status_code == 200
    assert client_as(org_a.users["sales"]).post("/m/setup/skip/", {"step": "targets", "reason": "x"}).status_code == 403


def test_org_import_page_reports_row_errors_and_creates_nothing(org_a, client_as):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from marketing.models import Branch

    wb = Workbook()
    ws = wb.active
    ws.append(["组织架构"])
    ws.append(["地区", "地区代码", "分公司", "分公司代码", "城市"])
    ws.append(["新区", "NEW", "新一分公司", "N1", "南京"])
    ws.append(["新区", "NEW", "坏代码", "N 2", "南京"])
    out = io.BytesIO()
    wb.save(out)
    c = client_as(org_a.users["admin"])
    r = c.post("/m/setup/org/imports/", {"file": SimpleUploadedFile("org.xlsx", out.getvalue())})
    assert r.status_code == 200 and "第 4 行" in r.content.decode()
    with org_a.scope():
        assert not Branch.objects.filter(tenant=org_a.tenant, code="N1").exists()
    assert client_as(org_a.users["sales"]).get("/m/setup/org/imports/").status_code == 403


def test_people_page_shows_totals_and_creates_accounts_once(org_a, client_as):
    import datetime as dt

    from marketing.models import Membership
    from reports.models import RosterEntry

    with org_a.scope():
        RosterEntry.objects.create(tenant=org_a.tenant, branch=org_a.branches["A2"], name="新销售", position="业务员",
                                   hire_date=dt.date(2025, 1, 1), phone="13900000001")
        RosterEntry.objects.create(tenant=org_a.tenant, branch=org_a.branches["A2"], name="司机", position="司机",
                                   hire_date=dt.date(2025, 1, 1))
    c = client_as(org_a.users["admin"])
    page = c.get("/m/setup/people/new/").content.decode()
    assert "甲二分公司" in page and "司机 × 1" in page
    c.post("/m/setup/people/new/")
    c.post("/m/setup/people/new/")
    with org_a.scope():
        m = Membership.objects.get(tenant=org_a.tenant, user__full_name="新销售")
        assert m.user.username == "alpha-13900000001" and not m.user.has_usable_password()
        assert m.can("hospitality.request")  # 业务员 -> 销售


def test_checklist_in_english_and_unknown_tenant(org_a, client_as):
    from django.core.management.base import CommandError

    page = client_as(org_a.users["admin"], language="en").get("/m/setup/").content.decode()
    assert "Setup checklist" in page and "Organisation: regions and branches" in page
    with pytest.raises(CommandError):
        call_command("tenant_setup_status", "--tenant", "no-such-tenant")
