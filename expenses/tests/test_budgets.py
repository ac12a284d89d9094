"""Expense budgets (S001-13) and region-operations review of expense requests (S000-28)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from expenses import budgets, services
from expenses.approvals import (
    BRANCH_GM_STEP,
    CASHIER_STEP,
    FINANCE_STEP,
    KEY,
    OVER_BUDGET_GM_STEP,
    REGION_OPS_STEP,
    REVIEW_STEP,
    _values,
)
from expenses.hospitality.tests.helpers import TUESDAY, approved_app, at, claim, line, venue
from expenses.hospitality.tests.helpers import approve as hosp_approve
from expenses.models import Budget, BudgetEntry, BudgetEntryKind, BudgetPeriod, ExpenseRequest, ExpenseStatus
from expenses.tests.helpers import ROUTINE_PATH, approve, approve_through, current_step, make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalStep, StepScope, StepStatus
from marketing.approvals.selectors import chain_for
from marketing.audit import AuditEvent
from marketing.roles import Role

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
APRIL_DAY = dt.date(2026, 4, 14)
SEED_CHAIN = ["市场审核", "财务核对", "分公司出纳备案", "分总签字"]


def _budget(org, *, branch="A1", kind=BudgetPeriod.MONTH, period=MARCH, amount="10000.00", department=""):
    with org.scope():
        return budgets.budget_create(tenant=org.tenant, actor=org.users["finance"] if "finance" in org.users
                                     else org.users["admin"], data={
            "branch": org.branches[branch] if branch else None, "department": department, "period_kind": kind,
            "period": period, "amount": D(amount), "note": ""})


def _figures(org, day, branch="A1"):
    with org.scope():
        status = budgets.budget_status(tenant=org.tenant, branch=org.branches[branch], day=day)
    month = status.month_budget
    year = status.year_budget
    return ((month.consumed, month.remaining) if month else None, (year.consumed, year.remaining) if year else None)


def _entries(org, **kw):
    with org.scope():
        return list(BudgetEntry.objects.filter(tenant=org.tenant, **kw).order_by("id"))


def _archived(org, amount):
    expense = make_expense(org, amount=D(amount))
    approve_through(org, expense, ROUTINE_PATH)
    with org.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.ARCHIVED
    return expense


def test_s001_13_consumption_and_release_exact_figures(org_a):
    """S001-13: an archived request consumes its amount, a hospitality claim its company share
    (not the personal part); the month's consumption counts against the year; a withdrawal
    after consumption gives back exactly what was consumed."""
    _budget(org_a, amount="10000.00")
    _budget(org_a, kind=BudgetPeriod.YEAR, period=dt.date(2026, 1, 1), amount="100000.00")
    _budget(org_a, branch="A2", amount="5000.00")
    with at(TUESDAY):
        expense = _archived(org_a, "3000.00")
        assert _figures(org_a, TUESDAY) == ((D("3000.00"), D("7000.00")), (D("3000.00"), D("97000.00")))
        assert _figures(org_a, TUESDAY, "A2") == ((D("0.00"), D("5000.00")), None)  # another branch: untouched
        app = approved_app(org_a, venue(org_a), expected_diners=2)
    with at(TUESDAY + dt.timedelta(days=1), 21):
        # within the policy (3 dishes + soup for 2 diners): the company bears the whole bill
        c = claim(org_a, app, [line("dish", "300.00", 3), line("soup", "68.00")])
        c = hosp_approve(org_a, c, "finance")
    share = c.company_share
    assert share == D("368.00") and c.personal_share == D("0.00")
    assert _figures(org_a, TUESDAY) == ((D("3368.00"), D("6632.00")), (D("3368.00"), D("96632.00")))
    # An April consumption counts against the year, not against March.
    with at(APRIL_DAY):
        _archived(org_a, "1000.00")
    assert _figures(org_a, TUESDAY) == ((D("3368.00"), D("6632.00")), (D("4368.00"), D("95632.00")))
    # Release (a hook after consumption): the same amount, in the month it consumed, even in April.
    with at(APRIL_DAY), org_a.scope():
        services.on_withdrawn(ExpenseRequest.objects.get(pk=expense.pk), org_a.users["bgm"])
    assert _figures(org_a, TUESDAY) == ((D("368.00"), D("9632.00")), (D("1368.00"), D("98632.00")))
    release = _entries(org_a, kind=BudgetEntryKind.RELEASE)
    assert [(r.document_id, r.amount, r.month) for r in release] == [(expense.pk, D("3000.00"), MARCH)]
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="expenses.budget_consume").count() == 3
        assert AuditEvent.objects.filter(verb="expenses.budget_release", object_id=str(expense.pk)).count() == 1


def test_s001_13_exactly_once_under_a_repeated_hook(org_a):
    """S001-13: however often on_approved / on_withdrawn run, one consumption and one release."""
    _budget(org_a, amount="10000.00")
    with at(TUESDAY):
        expense = _archived(org_a, "2500.00")
        actor = org_a.users["bgm"]
        with org_a.scope():
            doc = ExpenseRequest.objects.get(pk=expense.pk)
            services.on_approved(doc, actor)
            services.on_approved(doc, actor)
            services.on_rejected(doc, actor, "x")
            services.on_withdrawn(doc, actor)
            services.on_rejected(doc, actor, "again")
    kinds = [(e.kind, e.amount) for e in _entries(org_a, document_id=expense.pk, document_type=KEY)]
    assert kinds == [(BudgetEntryKind.CONSUME, D("2500.00")), (BudgetEntryKind.RELEASE, D("2500.00"))]
    assert _figures(org_a, TUESDAY)[0] == (D("0.00"), D("10000.00"))
    # the database refuses a second row of a kind, whatever the code does
    with org_a.scope(), pytest.raises(IntegrityError), transaction.atomic():
        BudgetEntry.objects.create(tenant=org_a.tenant, kind=BudgetEntryKind.CONSUME, document_type=KEY,
                                   document_id=expense.pk, branch=org_a.branches["A1"], month=MARCH, amount=D("1"))


def test_s001_13_withdrawn_or_rejected_before_approval_consumes_nothing(org_a):
    _budget(org_a)
    with at(TUESDAY):
        withdrawn = make_expense(org_a, amount=D("900.00"))
        with org_a.scope():
            approvals.approval_withdraw(flow=pending(org_a, withdrawn)[0].flow, actor=org_a.users["sales"])
        rejected = make_expense(org_a, amount=D("800.00"))
        task = pending(org_a, rejected, org_a.users["mspec"])[0]
        with org_a.scope():
            approvals.approval_reject(task=task, actor=org_a.users["mspec"], reason="金额不符")
    assert _entries(org_a) == []
    assert _figures(org_a, TUESDAY)[0] == (D("0.00"), D("10000.00"))


def _gm_chain(org):
    with org.scope():
        approvals.chain_save(tenant=org.tenant, actor=org.users["admin"], key=KEY,
                             steps=[REVIEW_STEP, OVER_BUDGET_GM_STEP, FINANCE_STEP, CASHIER_STEP, BRANCH_GM_STEP])


def test_s001_13_over_budget_condition_routes_to_the_general_manager(org_a):
    """S001-13: ``over_budget`` is an engine condition; a chain with the GM step on it sends a
    request above the branch's remaining budget to the GM and lets one within it pass."""
    _budget(org_a, amount="5000.00")
    _gm_chain(org_a)
    with at(TUESDAY):
        _archived_via_gm_chain = make_expense(org_a, amount=D("3000.00"))  # within: 5000 left
        approve_through(org_a, _archived_via_gm_chain, ROUTINE_PATH)
        assert _figures(org_a, TUESDAY)[0] == (D("3000.00"), D("2000.00"))
        over = make_expense(org_a, amount=D("2000.01"))
        within = make_expense(org_a, amount=D("2000.00"))
        with org_a.scope():
            assert _values(over)["over_budget"] is True and _values(within)["over_budget"] is False
        approve(org_a, over, "mspec")
        approve(org_a, within, "mspec")
        assert current_step(org_a, over) == OVER_BUDGET_GM_STEP.name
        assert {t.assignee.pk for t in pending(org_a, over)} == {org_a.users["gm"].pk, org_a.users["allroles"].pk}
        assert current_step(org_a, within) == FINANCE_STEP.name
        with org_a.scope():
            skipped = ApprovalStep.objects.get(flow__object_id=within.pk, flow__document_type=KEY,
                                               name=OVER_BUDGET_GM_STEP.name)
        assert skipped.status == StepStatus.SKIPPED
        # A branch without any budget is never "over" it.
        elsewhere = make_expense(org_a, applicant="sales2", branch="A2", amount=D("99999.00"))
        with org_a.scope():
            assert _values(elsewhere)["over_budget"] is False


def test_s001_13_default_chain_unchanged_and_notes_show_the_remaining(org_a):
    _budget(org_a, amount="5000.00")
    with org_a.scope():
        assert [s.name for s in chain_for(tenant=org_a.tenant, key=KEY)] == SEED_CHAIN
    with at(TUESDAY):
        expense = make_expense(org_a, amount=D("6000.00"))
        from expenses.approvals import _notes_with_budget

        with org_a.scope():
            notes = _notes_with_budget(ExpenseRequest.objects.get(pk=expense.pk))
    assert "2026-03 预算 ¥5,000.00，已占用 ¥0.00，剩余 ¥5,000.00。" in notes
    assert notes[-1] == "超出预算。"


def _region_option(org, on: bool):
    with org.scope():
        budgets.settings_update(tenant=org.tenant, actor=org.users["admin"], region_operations_review=on)


def test_s000_28_region_operations_review_is_a_tenant_option(org_a):
    """S000-28: with the option on, the default chain gets 地区运营审核 (operations, scope region)
    after the marketing review; off (the default), the chain is seed 000's."""
    with org_a.scope():
        assert [s.name for s in chain_for(tenant=org_a.tenant, key=KEY)] == SEED_CHAIN
    _region_option(org_a, True)
    with org_a.scope():
        names = [s.name for s in chain_for(tenant=org_a.tenant, key=KEY)]
        assert AuditEvent.objects.filter(verb="expenses.settings_update").count() == 1
    assert names == ["市场审核", "地区运营审核", "财务核对", "分公司出纳备案", "分总签字"]
    assert REGION_OPS_STEP.role == Role.OPERATIONS and REGION_OPS_STEP.scope == StepScope.REGION
    expense = make_expense(org_a)
    with org_a.scope():
        assert _values(expense)["region_review"] is True
    approve(org_a, expense, "mspec")
    tasks = pending(org_a, expense)
    assert tasks[0].step.name == "地区运营审核" and tasks[0].step.scope == StepScope.REGION
    # Operations people of the request's region (RA1): here the one granted its branches.
    assert {t.assignee.pk for t in tasks} == {org_a.users["allroles"].pk}


def test_s000_28_saved_chain_step_follows_the_option(org_a):
    """An edited chain containing the step keeps it in step with the option at submission."""
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key=KEY,
                             steps=[REVIEW_STEP, REGION_OPS_STEP, FINANCE_STEP, CASHIER_STEP, BRANCH_GM_STEP])
    expense = make_expense(org_a)
    approve(org_a, expense, "mspec")
    assert current_step(org_a, expense) == FINANCE_STEP.name  # option off: skipped
    _region_option(org_a, True)
    second = make_expense(org_a)
    approve(org_a, second, "mspec")
    assert current_step(org_a, second) == "地区运营审核"


def test_s001_13_budget_validation(org_a):
    _budget(org_a, period=dt.date(2026, 3, 17))  # normalised to the 1st
    with org_a.scope():
        assert Budget.objects.get(tenant=org_a.tenant, branch=org_a.branches["A1"]).period == MARCH
    with pytest.raises(ValidationError) as e:
        _budget(org_a, period=dt.date(2026, 3, 2))
    assert e.value.code == "duplicate"
    with pytest.raises(ValidationError):
        _budget(org_a, branch=None, department="")
    hq = _budget(org_a, branch=None, department="市场部", kind=BudgetPeriod.YEAR, period=dt.date(2026, 7, 9))
    assert hq.period == dt.date(2026, 1, 1) and hq.owner_label == "总部·市场部"
    with pytest.raises(ValidationError) as e:
        _budget(org_a, branch=None, department="市场部", kind=BudgetPeriod.YEAR, period=dt.date(2026, 2, 1))
    assert e.value.code == "duplicate"


# --- pages ------------------------------------------------------------------------------------


def test_s001_13_list_figures_filters_and_query_count(org_a, client_as, django_assert_max_num_queries):
    _budget(org_a, amount="10000.00")
    _budget(org_a, branch="A3", amount="8000.00")
    with at(TUESDAY):
        _archived(org_a, "1234.56")
    client = client_as(org_a.users["finance"])
    with django_assert_max_num_queries(9):
        response = client.get(reverse("expenses:budgets"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "¥8,765.44" in body and "¥1,234.56" in body
    response = client.get(reverse("expenses:budgets"), {"branch": org_a.branches["A3"].pk})
    body = response.content.decode()
    assert "甲三分公司" in body and "¥8,765.44" not in body
    assert client_as(org_a.users["sales"]).get(reverse("expenses:budgets")).status_code == 403
    for month in range(4, 13):  # more rows, month and year kinds: the same number of queries
        _budget(org_a, branch="A2", period=dt.date(2026, month, 1))
    _budget(org_a, branch="A2", kind=BudgetPeriod.YEAR, period=dt.date(2026, 1, 1), amount="90000.00")
    with django_assert_max_num_queries(9):
        assert client.get(reverse("expenses:budgets")).status_code == 200
    assert client_as(org_a.users["gm"]).get(reverse("expenses:budgets")).status_code == 200  # reads


def test_s001_13_export_is_formula_safe_with_exact_figures(org_a, client_as, django_assert_max_num_queries):
    b = _budget(org_a, amount="10000.00")
    with org_a.scope():
        budgets.budget_update(budget=b, actor=org_a.users["finance"], data={"note": "=HYPERLINK(\"x\")"})
    with at(TUESDAY):
        _archived(org_a, "2500.00")
    client = client_as(org_a.users["mdirector"])
    with django_assert_max_num_queries(6):
        response = client.get(reverse("expenses:budget_export"))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows == [("甲一分公司", "月度", "2026-03", 10000, 2500, 7500, "=HYPERLINK(\"x\")")]
    assert ws["G2"].data_type == "s"  # stored as text, not a formula


def test_s001_13_create_once_and_edit_versioned(org_a, client_as):
    client = client_as(org_a.users["finance"])
    token = uuid.uuid4().hex
    data = {"branch": org_a.branches["A2"].pk, "department": "", "period_kind": "month", "period": "2026-05",
            "amount": "12000.00", "note": "", "submit_token": token}
    first = client.post(reverse("expenses:budget_create"), data)
    second = client.post(reverse("expenses:budget_create"), data)
    assert first.status_code == 302 and second.status_code == 302
    with org_a.scope():
        budget = Budget.objects.get(tenant=org_a.tenant, branch=org_a.branches["A2"])
        assert budget.period == dt.date(2026, 5, 1) and budget.amount == D("12000.00")
        assert AuditEvent.objects.filter(verb="expenses.budget_create").count() == 1
    # bad input: a clear error, nothing written
    response = client.post(reverse("expenses:budget_create"), {**data, "submit_token": uuid.uuid4().hex,
                                                                "branch": "", "department": ""})
    assert response.status_code == 200 and "请选择分公司，或填写总部部门。" in response.content.decode()
    # versioned edit: a stale tab cannot overwrite a newer save
    url = reverse("expenses:budget_edit", kwargs={"pk": budget.pk})
    page = client.get(url).content.decode()
    import re

    version = re.search(r'name="row_version" value="([0-9a-f]+)"', page).group(1)
    edit = {**data, "amount": "15000.00", "row_version": version}
    edit.pop("submit_token")
    assert client.post(url, edit).status_code == 302
    stale = client.post(url, {**edit, "amount": "9000.00"})
    assert stale.status_code == 200
    with org_a.scope():
        budget.refresh_from_db()
        assert budget.amount == D("15000.00")
        assert AuditEvent.objects.filter(verb="expenses.budget_update", object_id=str(budget.pk)).count() == 1
    assert client_as(org_a.users["gm"]).get(url).status_code == 403  # reads, does not edit


def test_s001_13_other_tenants_budget_is_404(org_a, org_b, client_as):
    with org_b.scope():
        b = budgets.budget_create(tenant=org_b.tenant, actor=org_b.users["admin"], data={
            "branch": org_b.branches["B1"], "department": "", "period_kind": "month", "period": MARCH,
            "amount": D("100.00"), "note": ""})
    client = client_as(org_a.users["finance"])
    assert client.get(reverse("expenses:budget_edit", kwargs={"pk": b.pk})).status_code == 404
    assert "乙一分公司" not in client.get(reverse("expenses:budgets")).content.decode()


def test_s001_13_remaining_budget_on_the_request_page(org_a, client_as):
    _budget(org_a, amount="5000.00")
    with at(TUESDAY):
        expense = make_expense(org_a, amount=D("6000.00"))
        body = client_as(org_a.users["sales"]).get(reverse("expenses:detail", kwargs={"pk": expense.pk})).content
    body = body.decode()
    assert "剩余 ¥5,000.00（预算 ¥5,000.00，已占用 ¥0.00）" in body and "超出预算" in body


def test_s000_28_settings_page(org_a, client_as):
    url = reverse("expenses:settings")
    client = client_as(org_a.users["admin"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"region_operations_review": "on"}).status_code == 302
    with org_a.scope():
        assert budgets.region_review_on(org_a.tenant)
    assert client_as(org_a.users["finance"]).get(url).status_code == 403


def test_s001_13_bad_filter_input_is_not_a_500(org_a, client_as):
    client = client_as(org_a.users["finance"])
    for params in ({"year": "-1"}, {"year": "99999"}, {"branch": "-1"}, {"period_kind": "x"}, {"page": "-1"}):
        assert client.get(reverse("expenses:budgets"), params).status_code == 200
        assert client.get(reverse("expenses:budget_export"), params).status_code == 200


def test_s001_13_hospitality_claim_company_share_consumed_and_released_once(org_a):
    """S001-13: the claim's company share (not its personal part) is consumed once at approval
    and released once, however often the hooks run."""
    from expenses.hospitality import services as hosp
    from expenses.hospitality.approvals import CLAIM_KEY
    from expenses.hospitality.models import HospitalityClaim

    _budget(org_a, amount="1000.00")
    with at(TUESDAY):
        app = approved_app(org_a, venue(org_a), expected_diners=2)
    with at(TUESDAY + dt.timedelta(days=1), 21):
        c = hosp_approve(org_a, claim(org_a, app, [line("dish", "300.00", 3), line("soup", "68.00")]), "finance")
        finance = org_a.users["finance"]
        with org_a.scope():
            doc = HospitalityClaim.objects.get(pk=c.pk)
            hosp.on_claim_approved(doc, finance)
            assert _figures(org_a, TUESDAY)[0] == (c.company_share, D("1000.00") - c.company_share)
            hosp.on_claim_withdrawn(doc, finance)
            hosp.on_claim_rejected(doc, finance, "x")
    rows = [(e.kind, e.amount) for e in _entries(org_a, document_type=CLAIM_KEY, document_id=c.pk)]
    assert rows == [(BudgetEntryKind.CONSUME, c.company_share), (BudgetEntryKind.RELEASE, c.company_share)]
    assert _figures(org_a, TUESDAY)[0] == (D("0.00"), D("1000.00"))
