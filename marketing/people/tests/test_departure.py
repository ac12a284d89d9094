"""Departure: filing and reach, short notice, the live checklist with exact counts from each app,
resolutions and waivers (who may give them), refusal to sign with open lines, the sign-off chain,
the midnight cut-off in the tenant's zone, session termination, stranded chains, rehire, PDF."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts.models import Contract, ContractState
from contracts.tests.helpers import approved_product, dispatched, make_batch, numbers_of, receive
from customers.models import Customer
from customers.services import grant_create
from customers.tests.conftest import make_customer
from expenses.tests.helpers import make_expense
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.approvals.registry import StepSpec
from marketing.audit import AuditEvent
from marketing.notifications.models import Message
from marketing.people import services
from marketing.people.approvals import KEY
from marketing.people.handover import stranded_steps
from marketing.people.models import DepartureStatus, HandoverRecord, PeoplePolicy
from marketing.roles import Role
from reports.models import RecipientOverride

from .helpers import extra_user, file_departure, lines_by_key

pytestmark = pytest.mark.django_db

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def _counts(org, d):
    return {k: line.count for k, line in lines_by_key(org, d).items()}


def _holdings(org):
    """sales (A1) holds: 3 customers, 2 blank contracts, 2 open expense requests (1 submitted,
    1 draft), 1 archive grant, 1 delegation; sales2 owns one other customer."""
    for i in range(3):
        make_customer(org, name=f"客户{i}")
    other = make_customer(org, owner_key="sales2", branch="A2", name="别人的客户")
    product = approved_product(org)
    make_batch(org, product)
    _doc, dispatch = dispatched(org, product, 5)
    numbers = numbers_of(org, dispatch)
    receive(org, numbers[0], numbers[1])
    make_expense(org)
    make_expense(org, submit=False)
    with org.scope():
        grant_create(customer=other, actor=org.users["admin"], user=org.users["sales"], days=7)
        approvals.delegation_create(tenant=org.tenant, actor=org.users["sales"], delegate=org.users["sales2"],
                                    starts_on=timezone.localdate(), ends_on=timezone.localdate() + dt.timedelta(days=5))
        RecipientOverride.objects.create(tenant=org.tenant, user=org.users["sales"], include=True)
    return numbers[:2]


# --- filing and reach --------------------------------------------------------------------


def test_person_files_own_gm_files_in_branch_only(org_a, client_as):
    d = file_departure(org_a, who="sales", actor="sales")
    assert d.branch == org_a.branches["A1"] and not d.short_notice and d.status == DepartureStatus.OPEN
    with pytest.raises(ValidationError) as exc:
        file_departure(org_a, who="sales", actor="bgm")
    assert exc.value.code == "already_filed"
    with pytest.raises(ValidationError) as exc:
        file_departure(org_a, who="sales2", actor="bgm")  # A2 is not bgm's branch
    assert exc.value.code == "not_in_reach"
    d2 = file_departure(org_a, who="sales2", actor="bgm2")
    # pages: bgm sees A1's departure, not A2's (404), and the list shows only A1
    bgm = client_as(org_a.users["bgm"])
    assert bgm.get(f"/m/people/departures/{d.pk}/").status_code == 200
    assert bgm.get(f"/m/people/departures/{d2.pk}/").status_code == 404
    assert bgm.post(f"/m/people/departures/{d2.pk}/act/", {"action": "cancel"}).status_code == 404
    page = bgm.get("/m/people/").content.decode()
    assert "甲一销售" in page and "甲二销售" not in page
    # the person sees their own, a colleague does not
    assert client_as(org_a.users["sales"]).get(f"/m/people/departures/{d.pk}/").status_code == 200
    assert client_as(org_a.users["sales2"]).get(f"/m/people/departures/{d.pk}/").status_code == 404


def test_filing_page_and_bad_input(org_a, client_as):
    client = client_as(org_a.users["sales"])
    assert client.get("/m/people/departures/new/").status_code == 200
    r = client.post("/m/people/departures/new/", {"user": org_a.users["sales"].pk, "last_day": "2026-13-40"})
    assert r.status_code == 200 and "error" in r.content.decode()
    r = client.post("/m/people/departures/new/", {"user": org_a.users["sales2"].pk, "last_day": "2030-01-01"})
    assert r.status_code == 200  # not in the chooser: a form error, nothing filed
    with org_a.scope():
        assert not AuditEvent.objects.filter(verb="people.departure_file").exists()


def test_short_notice_needs_the_branch_gm(org_a):
    with org_a.scope():
        PeoplePolicy.objects.create(tenant=org_a.tenant, notice_days=30)
    d = file_departure(org_a, days=29, actor="sales")
    assert d.short_notice and d.notice_days == 30
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.departure_sign_start(departure=d, actor=org_a.users["sales"])
        assert exc.value.code == "short_notice_unapproved"
        for who in ("bgm2", "sales", "admin"):
            with pytest.raises(ValidationError) as exc:
                services.departure_approve_short_notice(departure=d, actor=org_a.users[who])
            assert exc.value.code == "not_gm"
        services.departure_approve_short_notice(departure=d, actor=org_a.users["bgm"])
        d.refresh_from_db()
        assert d.short_notice_approved_by == org_a.users["bgm"]
    assert not file_departure(org_a, who="sales2", actor="admin", days=30).short_notice  # exactly 30 days: enough


# --- the checklist ------------------------------------------------------------------------


def test_checklist_exact_counts_from_each_app(org_a, django_assert_max_num_queries):
    _holdings(org_a)
    d = file_departure(org_a)
    with django_assert_max_num_queries(16):
        counts = _counts(org_a, d)
    assert counts == {"customers": 3, "approvals": 0, "delegations": 1, "contracts": 2, "expenses": 2,
                      "hospitality": 0, "settlement": 0, "grants": 1, "submissions": 0, "chains": 0, "recipients": 1,
                      "bindings": 0}
    # live: a new customer appears on the line at once
    make_customer(org_a, name="新客户")
    assert _counts(org_a, d)["customers"] == 4


def test_resolutions_record_what_went_to_whom(org_a):
    numbers = _holdings(org_a)
    d = file_departure(org_a)
    admin, sales2 = org_a.users["admin"], org_a.users["sales2"]
    colleague = extra_user(org_a, "a1-new", [Role.SALESPERSON], ["A1"], full_name="甲一新销售")
    with org_a.scope():
        assert services.line_resolve(departure=d, actor=admin, line="customers", to_user=sales2) == 3
        assert Customer.objects.filter(owner=sales2).count() == 4
        assert AuditEvent.objects.filter(verb="customers.customer_reassign").count() == 3
        with pytest.raises(ValidationError) as exc:  # a colleague of another branch cannot hold A1's contracts
            services.line_resolve(departure=d, actor=admin, line="contracts", to_user=sales2)
        assert exc.value.code == "wrong_branch"
        with pytest.raises(ValidationError) as exc:
            services.line_resolve(departure=d, actor=admin, line="contracts")
        assert exc.value.code == "colleague_or_reason"
        assert services.line_resolve(departure=d, actor=admin, line="contracts", to_user=colleague) == 2
        assert set(Contract.objects.filter(holder=colleague, state=ContractState.RECEIVED)
                   .values_list("number", flat=True)) == set(numbers)
        assert services.line_resolve(departure=d, actor=admin, line="grants") == 1
        assert services.line_resolve(departure=d, actor=admin, line="delegations") == 1
        assert services.line_resolve(departure=d, actor=admin, line="recipients", to_user=colleague) == 1
        assert list(RecipientOverride.objects.values_list("user", "include")) == [(colleague.pk, True)]
        with pytest.raises(ValidationError) as exc:
            services.line_resolve(departure=d, actor=admin, line="expenses")
        assert exc.value.code == "not_resolvable"
        with pytest.raises(ValidationError) as exc:  # the person cannot do their own handover lines
            services.line_resolve(departure=d, actor=org_a.users["sales"], line="grants")
        assert exc.value.code == "not_entitled"
        records = {(r.line, r.count, r.to_user_id) for r in HandoverRecord.objects.filter(departure=d)}
    assert records == {("customers", 3, sales2.pk), ("contracts", 2, colleague.pk), ("grants", 1, None),
                       ("delegations", 1, None), ("recipients", 1, colleague.pk)}
    counts = _counts(org_a, d)
    assert (counts["customers"], counts["contracts"], counts["grants"], counts["delegations"]) == (0, 0, 0, 0)


def test_contracts_voided_with_a_reason_keep_the_ledger(org_a):
    numbers = _holdings(org_a)
    d = file_departure(org_a)
    with org_a.scope():
        services.line_resolve(departure=d, actor=org_a.users["bgm"], line="contracts", reason="离职未交回，作废")
        assert list(Contract.objects.filter(number__in=numbers).values_list("state", flat=True)) == [
            ContractState.VOIDED, ContractState.VOIDED]
        assert AuditEvent.objects.filter(verb="contracts.void").count() == 2


def test_waivers_need_a_reason_and_the_right_person(org_a):
    _holdings(org_a)
    d = file_departure(org_a)
    with org_a.scope():
        for who, line, code in (("bgm", "expenses", "not_entitled"),       # only finance waives expenses
                                ("sales", "customers", "not_entitled"),    # never the person themselves
                                ("bgm2", "customers", "not_entitled"),     # a GM of another branch
                                ("finance", "expenses", "reason_required")):
            with pytest.raises(ValidationError) as exc:
                services.line_waive(departure=d, actor=org_a.users[who], line=line,
                                    reason="" if code == "reason_required" else "x")
            assert exc.value.code == code, (who, line)
        services.line_waive(departure=d, actor=org_a.users["finance"], line="expenses", reason="两笔已与财务核对")
        services.line_waive(departure=d, actor=org_a.users["bgm"], line="customers", reason="客户随分公司保留")
        with pytest.raises(ValidationError) as exc:
            services.line_waive(departure=d, actor=org_a.users["admin"], line="customers", reason="again")
        assert exc.value.code == "already_waived"
    lines = lines_by_key(org_a, d)
    assert (lines["expenses"].status, lines["customers"].status, lines["contracts"].status) == (
        "waived", "waived", "open")


def test_refuses_to_sign_with_open_lines_then_signs_through_the_chain(org_a, client_as):
    _holdings(org_a)
    d = file_departure(org_a)
    admin = org_a.users["admin"]
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.departure_sign_start(departure=d, actor=admin)
        assert exc.value.code == "open_lines" and "负责的客户" in exc.value.messages[0]
        d.refresh_from_db()
        assert d.status == DepartureStatus.OPEN
        colleague = extra_user(org_a, "a1-new", [Role.SALESPERSON], ["A1"])
        for line, to in (("customers", colleague), ("contracts", colleague), ("grants", None), ("delegations", None),
                         ("recipients", colleague)):
            services.line_resolve(departure=d, actor=admin, line=line, to_user=to)
        services.line_waive(departure=d, actor=org_a.users["finance"], line="expenses", reason="已核对")
        flow = services.departure_sign_start(departure=d, actor=admin)
        d.refresh_from_db()
        assert d.status == DepartureStatus.SIGNING and flow.document_type == KEY
    # 分总签字 (A1's GM) → 市场部主管签字 → 财务清算
    for persona in ("bgm", "mdirector", "finance"):
        with org_a.scope():
            task = ApprovalTask.objects.select_related("step").get(flow=flow, assignee=org_a.users[persona],
                                                                   status=TaskStatus.PENDING)
            kw = {"checklist": task.step.checklist} if task.step.kind == StepKind.VERIFY else {}
            approvals.approval_approve(task=task, actor=org_a.users[persona], **kw)
    with org_a.scope():
        d.refresh_from_db()
        assert d.status == DepartureStatus.SIGNED and d.signed_at
    pdf = client_as(org_a.users["bgm"]).get(f"/m/people/departures/{d.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_line_reopening_blocks_the_last_signature(org_a):
    d = file_departure(org_a)
    with org_a.scope():
        flow = services.departure_sign_start(departure=d, actor=org_a.users["admin"])
    make_customer(org_a, name="签字期间新分配的客户")
    with org_a.scope():
        for persona in ("bgm", "mdirector"):
            task = ApprovalTask.objects.get(flow=flow, assignee=org_a.users[persona], status=TaskStatus.PENDING)
            approvals.approval_approve(task=task, actor=org_a.users[persona])
        task = ApprovalTask.objects.select_related("step").get(flow=flow, assignee=org_a.users["finance"],
                                                               status=TaskStatus.PENDING)
        with pytest.raises(ValidationError) as exc:
            approvals.approval_approve(task=task, actor=org_a.users["finance"], checklist=task.step.checklist)
        assert exc.value.code == "open_lines"


def test_approvals_waiting_on_them_are_transferred(org_a):
    """mspec leaves with a pending 市场审核 task; a colleague with the same role takes it."""
    expense = make_expense(org_a)
    d = file_departure(org_a, who="mspec")
    assert _counts(org_a, d)["approvals"] == 1
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        # allroles already has a task in this 或签 step: nobody free to take it yet
        services.line_resolve(departure=d, actor=org_a.users["admin"], line="approvals")
    assert exc.value.code == "no_candidate"
    newcomer = extra_user(org_a, "mspec2", [Role.MARKETING_SPECIALIST])
    with org_a.scope():
        assert services.line_resolve(departure=d, actor=org_a.users["admin"], line="approvals", to_user=newcomer) == 1
        assert ApprovalTask.objects.filter(flow__object_id=expense.pk, assignee=newcomer,
                                           status=TaskStatus.PENDING).count() == 1
    assert _counts(org_a, d)["approvals"] == 0


# --- the last day ------------------------------------------------------------------------


def _midnight(day, tz):
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 5), tzinfo=tz)


def test_cut_off_at_the_tenants_midnight_shanghai_vs_utc(org_a, org_b):
    d_a = file_departure(org_a, days=40)
    d_b = file_departure(org_b, days=40)
    with org_b.scope():
        org_b.tenant.time_zone = "UTC"
        org_b.tenant.save(update_fields=["time_zone"])
    # 23:59 on the last day in Shanghai: still employed
    before = dt.datetime.combine(d_a.last_day, dt.time(23, 59), tzinfo=SH)
    with org_a.scope():
        assert services.people_midnight(tenant=org_a.tenant, now=before)["departed"] == 0
    # 00:05 the next day in Shanghai = 16:05 UTC on the last day: A (Shanghai) is cut off, B (UTC) not yet
    at = _midnight(d_a.last_day, SH)
    with org_a.scope():
        assert services.people_midnight(tenant=org_a.tenant, now=at)["departed"] == 1
    with org_b.scope():
        assert services.people_midnight(tenant=org_b.tenant, now=at)["departed"] == 0
        assert services.people_midnight(tenant=org_b.tenant, now=_midnight(d_b.last_day, dt.UTC))["departed"] == 1
    with org_a.scope():
        d_a.refresh_from_db()
        user = org_a.users["sales"]
        user.refresh_from_db()
        assert d_a.status == DepartureStatus.DEPARTED and not user.is_active
        assert d_a.result["unsigned"] is True
        # idempotent
        assert services.people_midnight(tenant=org_a.tenant, now=at + dt.timedelta(hours=1))["departed"] == 0


def test_sessions_end_grants_revoked_history_kept(org_a, client_as):
    _holdings(org_a)
    d = file_departure(org_a)
    client = client_as(org_a.users["sales"])
    assert client.get("/").status_code == 200
    other = client_as(org_a.users["sales2"])

    def sessions_of(user):
        return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))

    assert sessions_of(org_a.users["sales"]) == 1
    with org_a.scope():
        services.departure_complete(departure=d)
        d.refresh_from_db()
        assert d.result["sessions"] == 1 and d.result["grants"] == 1 and d.result["delegations"] == 1
        assert stranded_steps(tenant=org_a.tenant, user=org_a.users["sales"]) == []
        # history still names them: their customers and audit rows are untouched
        assert Customer.objects.filter(owner=org_a.users["sales"]).count() == 3
        assert AuditEvent.objects.filter(verb="people.departed", object_id=str(d.pk)).count() == 1
    assert sessions_of(org_a.users["sales"]) == 0 and sessions_of(org_a.users["sales2"]) == 1
    r = client.get("/")
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert other.get("/").status_code == 200
    # gone from choosers
    from marketing.people.selectors import colleagues

    with org_a.scope():
        assert org_a.users["sales"] not in set(colleagues(tenant=org_a.tenant))


def test_stranded_chain_is_flagged_to_the_admin(org_a):
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key="expenses.request", steps=[
            StepSpec(name="专人审核", user_ids=(org_a.users["mspec"].pk,)),
            StepSpec(name="专人或专员", user_ids=(org_a.users["mspec"].pk,), role=Role.MARKETING_SPECIALIST),
            StepSpec(name="财务核对", role=Role.FINANCE, kind=StepKind.VERIFY, checklist=("人员",)),
        ])
    d = file_departure(org_a, who="mspec")
    assert _counts(org_a, d)["chains"] == 2
    with org_a.scope():
        # listed for the admin, with what the engine falls back to once they are disabled
        assert stranded_steps(tenant=org_a.tenant, user=org_a.users["mspec"]) == [
            "expenses.request · 专人审核（离职后改由单据所属分公司的总经理处理，没有分公司的单据将无人可签）",
            "expenses.request · 专人或专员（离职后改由市场专员处理）"]
        assert stranded_steps(tenant=org_a.tenant, user=org_a.users["finance"]) == []
        services.departure_complete(departure=d)
        msg = Message.objects.get(kind="people.stranded", user=org_a.users["admin"])
        assert "专人审核" in msg.body


def test_rehire_restores_nothing_silently(org_a):
    _holdings(org_a)
    d = file_departure(org_a)
    with org_a.scope():
        services.line_resolve(departure=d, actor=org_a.users["admin"], line="customers", to_user=org_a.users["sales2"])
        services.departure_complete(departure=d)
        with pytest.raises(ValidationError) as exc:  # a departed person's departure is final
            services.departure_cancel(departure=d, actor=org_a.users["admin"])
        assert exc.value.code == "not_open"
        _m, path = services.person_rehire(departure=d, actor=org_a.users["admin"])
        user = org_a.users["sales"]
        user.refresh_from_db()
        assert user.is_active and not user.has_usable_password() and "/m/people/invite/" in path
        assert Customer.objects.filter(owner=user).count() == 0
        from customers.models import CustomerUserObjectPermission

        assert CustomerUserObjectPermission.objects.filter(user=user).count() == 0
        with pytest.raises(ValidationError) as exc:
            services.person_rehire(departure=d, actor=org_a.users["admin"])
        assert exc.value.code == "not_departed"


def test_departure_pages_and_query_counts(org_a, client_as, django_assert_max_num_queries):
    d = file_departure(org_a)
    for who in ("sales2", "bgm2"):
        file_departure(org_a, who=who, actor="admin")
    client = client_as(org_a.users["admin"])
    with django_assert_max_num_queries(10):
        assert client.get("/m/people/").status_code == 200
    with django_assert_max_num_queries(30):
        r = client.get(f"/m/people/departures/{d.pk}/")
    assert r.status_code == 200 and 'id="line-customers"' in r.content.decode()
    r = client.post(f"/m/people/departures/{d.pk}/act/", {"action": "waive", "line": "customers", "reason": ""})
    assert r.status_code == 302
    with org_a.scope():
        assert not d.waivers.exists()


def test_large_customer_handover_takes_the_bulk_path_with_history(org_a, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(services, "BULK_CUSTOMERS", 2)
    monkeypatch.setattr(services, "CUSTOMER_BATCH", 2)
    ids = [make_customer(org_a, name=f"大客户{i}").pk for i in range(5)]
    d = file_departure(org_a)
    with org_a.scope():
        with django_assert_max_num_queries(40):
            n = services.line_resolve(departure=d, actor=org_a.users["admin"], line="customers",
                                      to_user=org_a.users["sales2"])
        assert n == 5
        assert set(Customer.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {org_a.users["sales2"].pk}
        # one history row per customer names the change, one audit event names the handover
        hist = Customer.history.filter(id__in=ids, owner=org_a.users["sales2"])
        assert hist.count() == 5 and set(hist.values_list("history_user", flat=True)) == {org_a.users["admin"].pk}
        assert AuditEvent.objects.filter(verb="customers.customer_reassign_bulk").count() == 1
        assert AuditEvent.objects.filter(verb="customers.customer_reassign").count() == 0


def test_english_page(org_a, client_as):
    d = file_departure(org_a)
    page = client_as(org_a.users["admin"], language="en").get(f"/m/people/departures/{d.pk}/").content.decode()
    assert "Customers owned" in page and "Handover checklist" in page


def test_home_card_counts_open_departures_in_reach(org_a, client_as):
    file_departure(org_a)                      # A1
    file_departure(org_a, who="sales2")        # A2
    admin = client_as(org_a.users["admin"]).get("/").content.decode()
    card = r'<div class="stat-title">离职交接中</div>\s*<div class="stat-value">(\d+)</div>'
    assert re.search(card, admin).group(1) == "2"
    bgm = client_as(org_a.users["bgm"]).get("/").content.decode()
    assert re.search(card, bgm).group(1) == "1"  # own branch only
    assert "离职交接中" not in client_as(org_a.users["sales2"]).get("/").content.decode()


def test_a_simultaneous_second_filing_loses_on_the_constraint(org_a, monkeypatch):
    """Two tabs filing at once both pass the existence check; the partial unique constraint
    (one open departure per person) refuses the second cleanly, not with a 500."""
    file_departure(org_a)
    monkeypatch.setattr(services, "_has_open_departure", lambda tenant, user: False)
    with pytest.raises(ValidationError) as exc:
        file_departure(org_a, actor="bgm")
    assert exc.value.code == "already_filed"
    with org_a.scope():
        assert services.Departure.objects.filter(user=org_a.users["sales"]).count() == 1
