"""Register rows about the organisation's roles and a person's departure (seed 000 部门架构,
seed 003 制度 7), each pinned with exact values through the real services."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.tests.conftest import make_customer
from expenses.hospitality.tests.helpers import SH, TUESDAY, approved_app, at, claim, line, venue
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.audit import AuditEvent
from marketing.models import Membership
from marketing.notifications.models import Message
from marketing.people import services
from marketing.people.approvals import DEFAULT_CHAIN, KEY, _notes
from marketing.people.models import DepartureStatus, HandoverRecord
from marketing.roles import BRANCH_ROLES, CAPABILITIES, Cap, Role

from .helpers import extra_user, file_departure, lines_by_key

pytestmark = pytest.mark.django_db

WED = TUESDAY + dt.timedelta(days=1)


def _task(org, flow, persona):
    with org.scope():
        return ApprovalTask.objects.select_related("step").get(
            flow=flow, assignee=org.users[persona], status=TaskStatus.PENDING
        )


def _approve(org, flow, persona, checklist=None):
    task = _task(org, flow, persona)
    with org.scope():
        kw = (
            {"checklist": task.step.checklist if checklist is None else checklist}
            if task.step.kind == StepKind.VERIFY
            else {}
        )
        return approvals.approval_approve(task=task, actor=org.users[persona], **kw)


# --- S000-01 -------------------------------------------------------------------------------


def test_S000_01_hq_marketing_has_director_and_specialist_roles(org_a):
    """S000-01: HQ marketing has a marketing director (市场营销总监) and marketing specialists
    (市场专员) as roles: both are tenant roles with those Chinese names, HQ roles (not
    branch-limited, tenant-wide reach), given to people without any branch."""
    assert (Role.MARKETING_DIRECTOR.value, str(Role.MARKETING_DIRECTOR.label)) == (
        "marketing_director",
        "市场营销总监",
    )
    assert (Role.MARKETING_SPECIALIST.value, str(Role.MARKETING_SPECIALIST.label)) == (
        "marketing_specialist",
        "市场专员",
    )
    for role in (Role.MARKETING_DIRECTOR, Role.MARKETING_SPECIALIST):
        assert role not in BRANCH_ROLES
        assert {Cap.BRANCHES_ALL, Cap.REPORTS_VIEW_ALL, Cap.CONTRACTS_MANAGE} <= CAPABILITIES[role]
    # the director leads: edits the whole customer archive and sets targets; the specialist does not edit customers
    assert {Cap.CUSTOMERS_EDIT, Cap.CUSTOMERS_VIEW_ALL} <= CAPABILITIES[Role.MARKETING_DIRECTOR]
    assert Cap.CUSTOMERS_EDIT not in CAPABILITIES[Role.MARKETING_SPECIALIST]
    # one director and one specialist more, at HQ (no branch), through the normal user service
    director = extra_user(org_a, "hq-director", [Role.MARKETING_DIRECTOR], full_name="总部营销总监")
    specialist = extra_user(org_a, "hq-spec", [Role.MARKETING_SPECIALIST], full_name="总部市场专员")
    with org_a.scope():
        for user, role in ((director, Role.MARKETING_DIRECTOR), (specialist, Role.MARKETING_SPECIALIST)):
            m = Membership.objects.get(tenant=org_a.tenant, user=user)
            assert list(m.roles) == [role]
            assert m.can(Cap.BRANCHES_ALL) and m.can(Cap.REPORTS_VIEW_ALL)
        assert Membership.objects.get(tenant=org_a.tenant, user=director).can(Cap.CUSTOMERS_EDIT)
        assert not Membership.objects.get(tenant=org_a.tenant, user=specialist).can(Cap.CUSTOMERS_EDIT)


# --- S003-07 -------------------------------------------------------------------------------


def test_S003_07_resignation_in_writing_one_month_ahead(org_a):
    """S003-07: resignation is handed in writing one month ahead (提前一个月书面…写辞职报告).
    The filed departure is the written report (who filed, when, last day, reason; audited);
    30 days' notice (the default policy) is enough, 29 is short and cannot go to signature
    until the branch GM consents."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH), tick=False), org_a.scope():
        d = services.departure_file(
            tenant=org_a.tenant,
            actor=org_a.users["sales"],
            user=org_a.users["sales"],
            last_day=dt.date(2026, 4, 1),
            reason="个人发展，辞职",
        )
        assert (d.filed_on, d.last_day, d.filed_by, d.reason) == (
            dt.date(2026, 3, 2),
            dt.date(2026, 4, 1),
            org_a.users["sales"],
            "个人发展，辞职",
        )
        assert (d.notice_days, d.short_notice, d.status) == (30, False, DepartureStatus.OPEN)
        event = AuditEvent.objects.get(verb="people.departure_file", object_id=str(d.pk))
        assert event.actor == org_a.users["sales"]
        services.departure_cancel(departure=d, actor=org_a.users["sales"])
        # one day less than a month: short notice
        short = services.departure_file(
            tenant=org_a.tenant,
            actor=org_a.users["sales"],
            user=org_a.users["sales"],
            last_day=dt.date(2026, 3, 31),
            reason="急辞",
        )
        assert (short.notice_days, short.short_notice) == (30, True)
        with pytest.raises(ValidationError) as exc:
            services.departure_sign_start(departure=short, actor=org_a.users["admin"])
        assert exc.value.code == "short_notice_unapproved"
        # the GM of the person's branch (A1) consents; then it may go to signature
        services.departure_approve_short_notice(departure=short, actor=org_a.users["bgm"])
        flow = services.departure_sign_start(departure=short, actor=org_a.users["admin"])
        short.refresh_from_db()
        assert (short.short_notice_approved_by, short.status, flow.document_type) == (
            org_a.users["bgm"],
            DepartureStatus.SIGNING,
            KEY,
        )
        assert "提前期不足 30 天，已由 甲一分总 同意。" in _notes(short)


# --- S003-08 -------------------------------------------------------------------------------


def test_S003_08_accounts_settled_before_leaving(org_a):
    """S003-08: accounts with the company are settled before leaving (帐务清算). A personal
    share still owed (¥96.50) is an open line that blocks the signature; only finance may clear
    it; the last signature is finance's 财务清算 verification, which needs both items ticked."""
    v = venue(org_a)
    with at(TUESDAY):
        app = approved_app(org_a, v, expected_diners=2)
    with at(WED, 21):
        claim(org_a, app, [line("dish", "300.00", 3), line("drink", "96.50", description="啤酒")])
        d = file_departure(org_a)
        lines = lines_by_key(org_a, d)
        assert (lines["settlement"].count, lines["settlement"].status, lines["settlement"].detail) == (
            1,
            "open",
            "应收个人 ¥96.50",
        )
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                services.departure_sign_start(departure=d, actor=org_a.users["admin"])
            assert exc.value.code == "open_lines"
            assert "个人自理款项未清算（帐务清算）" in exc.value.messages[0]
            for who in ("bgm", "admin", "mdirector"):
                with pytest.raises(ValidationError) as exc:
                    services.line_waive(departure=d, actor=org_a.users[who], line="settlement", reason="已扣")
                assert exc.value.code == "not_entitled"
            services.line_waive(
                departure=d, actor=org_a.users["finance"], line="settlement", reason="¥96.50 已从工资中扣回"
            )
            services.line_waive(
                departure=d, actor=org_a.users["finance"], line="hospitality", reason="报销单已核对"
            )
            flow = services.departure_sign_start(departure=d, actor=org_a.users["admin"])
            d.refresh_from_db()
            assert "个人自理款项未清算：¥96.50" in _notes(d)
        assert DEFAULT_CHAIN[-1].name == "财务清算" and DEFAULT_CHAIN[-1].kind == StepKind.VERIFY
        assert tuple(DEFAULT_CHAIN[-1].checklist) == ("个人自理款项", "借支与备用金")
        _approve(org_a, flow, "bgm")
        _approve(org_a, flow, "mdirector")
        with org_a.scope(), pytest.raises(ValidationError) as exc:
            approvals.approval_approve(
                task=_task(org_a, flow, "finance"), actor=org_a.users["finance"], checklist=["个人自理款项"]
            )
        assert exc.value.code == "checklist_incomplete"
        with org_a.scope():
            d.refresh_from_db()
            assert d.status == DepartureStatus.SIGNING
        _approve(org_a, flow, "finance")
        with org_a.scope():
            d.refresh_from_db()
            assert d.status == DepartureStatus.SIGNED


# --- S003-09 -------------------------------------------------------------------------------


def test_S003_09_work_sorted_out_and_handed_over(org_a):
    """S003-09: work is sorted out and handed over (业务工作进行整理、交接). The checklist counts
    what the person still holds (3 customers); signing is refused while the line is open; the
    handover moves all 3 to the colleague, records it (what went to whom), and then the
    departure may go to signature."""
    for i in range(3):
        make_customer(org_a, name=f"交接客户{i}")
    d = file_departure(org_a)
    colleague = extra_user(org_a, "a1-next", [Role.SALESPERSON], ["A1"], full_name="甲一接手销售")
    lines = lines_by_key(org_a, d)
    assert {k: line.count for k, line in lines.items() if line.count} == {"customers": 3}
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.departure_sign_start(departure=d, actor=org_a.users["bgm"])
        assert exc.value.code == "open_lines" and "负责的客户" in exc.value.messages[0]
        assert (
            services.line_resolve(departure=d, actor=org_a.users["bgm"], line="customers", to_user=colleague)
            == 3
        )
        assert sorted(Customer.objects.filter(owner=colleague).values_list("name", flat=True)) == [
            "交接客户0",
            "交接客户1",
            "交接客户2",
        ]
        assert not Customer.objects.filter(owner=org_a.users["sales"]).exists()
        assert list(HandoverRecord.objects.filter(departure=d).values_list("line", "count", "to_user")) == [
            ("customers", 3, colleague.pk)
        ]
    assert lines_by_key(org_a, d)["customers"].status == "done"
    with org_a.scope():
        services.departure_sign_start(departure=d, actor=org_a.users["bgm"])
        d.refresh_from_db()
        assert d.status == DepartureStatus.SIGNING


# --- S003-10 -------------------------------------------------------------------------------


def test_S003_10_leaves_only_after_the_marketing_supervisor_signs(org_a):
    """S003-10: a person may leave only after the marketing supervisor signs
    (由市场部主管人员签字方可离开公司). The chain's second step 市场部主管签字 goes to the holder of
    the position 市场主管; the handover is not signed until they sign; their rejection sends it
    back; a cut-off without the signature is reported to the admins as unsigned."""
    assert [s.name for s in DEFAULT_CHAIN] == ["分总签字", "市场部主管签字", "财务清算"]
    assert (DEFAULT_CHAIN[1].position, DEFAULT_CHAIN[1].role) == ("市场主管", Role.MARKETING_DIRECTOR)
    with org_a.scope():
        post = approvals.position_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="市场主管")
        approvals.position_assign(position=post, actor=org_a.users["admin"], user=org_a.users["mspec"])
    d = file_departure(org_a)
    with org_a.scope():
        flow = services.departure_sign_start(departure=d, actor=org_a.users["admin"])
    _approve(org_a, flow, "bgm")
    with org_a.scope():
        pending = ApprovalTask.objects.filter(flow=flow, status=TaskStatus.PENDING).select_related("step")
        assert [(t.step.name, t.assignee_id) for t in pending] == [
            ("市场部主管签字", org_a.users["mspec"].pk)
        ]
        d.refresh_from_db()
        assert d.status == DepartureStatus.SIGNING and d.signed_at is None
        approvals.approval_reject(task=pending[0], actor=org_a.users["mspec"], reason="客户资料未整理")
        d.refresh_from_db()
        assert d.status == DepartureStatus.OPEN
        flow = services.departure_sign_start(departure=d, actor=org_a.users["admin"])
    _approve(org_a, flow, "bgm")
    _approve(org_a, flow, "mspec")
    with org_a.scope():
        d.refresh_from_db()
        assert d.status == DepartureStatus.SIGNING  # finance still settles
    _approve(org_a, flow, "finance")
    with org_a.scope():
        d.refresh_from_db()
        assert d.status == DepartureStatus.SIGNED and d.signed_at is not None

    # without that signature, the cut-off still ends access but flags the handover as unsigned
    other = file_departure(org_a, who="sales2", days=40)
    with org_a.scope():
        services.departure_sign_start(departure=other, actor=org_a.users["admin"])
        later = dt.datetime.combine(other.last_day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=SH)
        services.people_midnight(tenant=org_a.tenant, now=later)
        other.refresh_from_db()
        assert other.status == DepartureStatus.DEPARTED and other.result["unsigned"] is True
        told = Message.objects.filter(tenant=org_a.tenant, kind="people.stranded")
        assert any("交接尚未完成签字。" in m.body for m in told)
