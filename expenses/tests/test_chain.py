"""Seed 000's marketing-expense chain as the default, the product's extra steps as tenant
options, and requests without a related contract (issue 8, the seeds' rules)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from expenses.approvals import KEY, _notes, _values
from expenses.models import ActivityKind, ExpenseRequest, ExpenseStatus
from expenses.services import expense_mark_paid
from expenses.tests.helpers import (
    ROUTINE_PATH,
    approve,
    approve_through,
    current_step,
    flow_of,
    make_expense,
    pending,
)
from marketing import services as platform
from marketing.approvals.models import ApprovalStep, StepKind, StepScope, StepStatus
from marketing.approvals.selectors import chain_for

pytestmark = pytest.mark.django_db


def _status(org, expense):
    with org.scope():
        return ExpenseRequest.objects.get(pk=expense.pk).status


def _options(org, **flags):
    with org.scope():
        platform.tenant_settings_update(tenant=org.tenant, actor=org.users["admin"], data=flags)
        org.tenant.refresh_from_db()


def _names(org):
    with org.scope():
        return [s.name for s in chain_for(tenant=org.tenant, key=KEY)]


SEED_CHAIN = ["市场审核", "财务核对", "分公司出纳备案", "分总签字"]


def test_s000_23_default_chain_order_and_who_acts(org_a):
    """S000-23/25/26/27: 分公司提交 → 市场审核 → 财务核对 → 分公司出纳备案 → 分总签字 → 归置存档 → 发放."""
    expense = make_expense(org_a)  # 分公司提交: the A1 salesperson submits
    assert _status(org_a, expense) == ExpenseStatus.SUBMITTED
    u = org_a.users
    expected = [
        # (step, kind, scope, who may act besides allroles, who signs here)
        ("市场审核", StepKind.VERIFY, StepScope.TENANT, {u["mspec"].pk}, "mspec"),
        ("财务核对", StepKind.VERIFY, StepScope.TENANT, {u["finance"].pk}, "finance"),
        ("分公司出纳备案", StepKind.RECORD, StepScope.BRANCH, {u["cashier"].pk}, "cashier"),
        ("分总签字", StepKind.APPROVE, StepScope.BRANCH, {u["bgm"].pk}, "bgm"),
    ]
    for name, kind, scope, people, signer in expected:
        tasks = pending(org_a, expense)
        assert tasks[0].step.name == name
        assert tasks[0].step.kind == kind and tasks[0].step.scope == scope
        # allroles holds every role on every A branch, so it is offered every step too
        assert {t.assignee.pk for t in tasks} == people | {u["allroles"].pk}
        assert _status(org_a, expense) == ExpenseStatus.SUBMITTED  # not archived before 分总签字
        approve(org_a, expense, signer)
    # 归置存档: the branch GM's signature completes the chain and files the request
    with org_a.scope():
        expense.refresh_from_db()
        steps = list(ApprovalStep.objects.filter(flow=flow_of(org_a, expense)).order_by("position"))
    assert expense.status == ExpenseStatus.ARCHIVED and expense.archived_at is not None
    assert [s.name for s in steps] == SEED_CHAIN  # nothing else, not even skipped steps
    assert all(s.status == StepStatus.DONE for s in steps)
    with org_a.scope():
        finance_step = steps[1]
        assert list(finance_step.checklist) == ["人员", "费用", "账号", "时间节点"]
        assert list(steps[0].checklist) == ["费用比例", "合同金额", "费用金额"]
    # 发放: finance records the payout
    with org_a.scope():
        expense_mark_paid(expense=expense, actor=u["finance"], paid_on=dt.date.today(), reference="FK-0001")
    assert _status(org_a, expense) == ExpenseStatus.PAID


def test_s000_23_special_and_over_ratio_add_no_step_by_default(org_a):
    # 8,000 / 100,000 = 8 % > the 5 % limit, special activity: still the seed's four steps
    expense = make_expense(org_a, activity_kind=ActivityKind.SPECIAL, amount=Decimal("8000.00"))
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.ratio == Decimal("0.0800") and expense.over_ratio
    assert _names(org_a) == SEED_CHAIN
    approve_through(org_a, expense, ROUTINE_PATH)
    assert _status(org_a, expense) == ExpenseStatus.ARCHIVED


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, SEED_CHAIN),
        ({"expense_director_approval": True},
         ["市场审核", "市场营销总监审批", "财务核对", "分公司出纳备案", "分总签字"]),
        ({"expense_special_gm_approval": True},
         ["市场审核", "总经理审批", "财务核对", "分公司出纳备案", "分总签字"]),
        ({"expense_director_approval": True, "expense_special_gm_approval": True, "expense_ratio_gm_approval": True},
         ["市场审核", "市场营销总监审批", "总经理审批", "财务核对", "分公司出纳备案", "分总签字"]),
    ],
)
def test_s004_25_extra_steps_are_tenant_options(org_a, flags, expected):
    _options(org_a, **flags)
    assert _names(org_a) == expected


def test_s004_25_director_for_routine_gm_for_special(org_a):
    _options(org_a, expense_director_approval=True, expense_special_gm_approval=True)
    routine = make_expense(org_a)
    approve(org_a, routine, "mspec")
    assert current_step(org_a, routine) == "市场营销总监审批"
    special = make_expense(org_a, activity_kind=ActivityKind.SPECIAL)
    approve(org_a, special, "mspec")
    assert current_step(org_a, special) == "总经理审批"
    approve(org_a, special, "gm")
    assert current_step(org_a, special) == "财务核对"
    with org_a.scope():
        by_name = {s.name: s.status for s in ApprovalStep.objects.filter(flow=flow_of(org_a, special))}
    assert by_name["市场营销总监审批"] == StepStatus.SKIPPED


def test_ratio_option_sends_over_limit_requests_with_a_contract_to_the_gm(org_a):
    _options(org_a, expense_ratio_gm_approval=True)  # limit stays 5 %
    over = make_expense(org_a, amount=Decimal("5000.01"))  # 5000.01 / 100000 = 5.0001 % > 5 %
    at_limit = make_expense(org_a, amount=Decimal("5000.00"))  # exactly 5 %: not over
    no_contract = make_expense(org_a, contract_amount=None, amount=Decimal("50000.00"))
    for e in (over, at_limit, no_contract):
        approve(org_a, e, "mspec")
    assert current_step(org_a, over) == "总经理审批"
    assert current_step(org_a, at_limit) == "财务核对"
    assert current_step(org_a, no_contract) == "财务核对"  # no contract, no ratio, no limit


def test_options_apply_to_new_requests_only(org_a):
    running = make_expense(org_a)
    _options(org_a, expense_director_approval=True)
    approve(org_a, running, "mspec")
    assert current_step(org_a, running) == "财务核对"
    fresh = make_expense(org_a)
    approve(org_a, fresh, "mspec")
    assert current_step(org_a, fresh) == "市场营销总监审批"


# --- S000-22 / S000-24: the related contract is optional --------------------------------------


def test_s000_24_request_without_contract_has_no_ratio(org_a):
    expense = make_expense(org_a, contract_amount=None, amount=Decimal("12800.00"), activity="国庆推广预算")
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.contract_amount is None and expense.ratio is None
    assert not expense.over_ratio and expense.ratio_display == "—"
    values = _values(expense)
    assert values["has_contract"] is False and values["ratio_over_limit"] is False
    assert _notes(expense) == ["无相关合同（如活动、推广预算）：不计算费用比例，请核对费用金额。"]
    approve_through(org_a, expense, ROUTINE_PATH)
    assert _status(org_a, expense) == ExpenseStatus.ARCHIVED


def test_s000_24_ratio_with_contract_exact(org_a):
    expense = make_expense(org_a, contract_amount=Decimal("256000.00"), amount=Decimal("7680.00"))
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.ratio == Decimal("0.0300") and not expense.over_ratio
    assert _notes(expense) == ["费用比例 3.00%（费用 ¥7,680.00 ÷ 合同 ¥256,000.00），公司上限 5.00%。"]
    over = make_expense(org_a, contract_amount=Decimal("120000.00"), amount=Decimal("9840.00"))
    with org_a.scope():
        over.refresh_from_db()
    assert over.ratio == Decimal("0.0820") and over.over_ratio
    assert _notes(over)[1] == "超出比例上限。"


def test_s000_24_amount_above_contract_refused_only_with_contract(org_a):
    with pytest.raises(ValidationError) as exc:
        make_expense(org_a, contract_amount=Decimal("20000.00"), amount=Decimal("20000.01"))
    assert exc.value.code == "amount_over_contract"
    expense = make_expense(org_a, contract_amount=None, amount=Decimal("20000.01"))
    assert expense.amount == Decimal("20000.01")


def _form(org, **overrides):
    data = {
        "branch": org.branches["A1"].pk, "activity": "车展", "activity_kind": "routine",
        "purpose": "车展展位租赁及物料", "contract_amount": "200000", "amount": "6000",
        "payee_name": "星程广告", "payee_bank": "工商银行", "payee_account": "6222021000012345",
        "planned_date": (dt.date.today() + dt.timedelta(days=5)).isoformat(), "submit": "1",
    }
    data.update(overrides)
    return data


def test_s000_22_form_accepts_blank_contract_and_pages_say_so(org_a, client_as):
    client = client_as(org_a.users["sales"])
    response = client.post(reverse("expenses:create"), _form(org_a, contract_amount="", amount="250000"))
    assert response.status_code == 302
    with org_a.scope():
        expense = ExpenseRequest.objects.get()
    assert expense.contract_amount is None and expense.ratio is None and expense.amount == Decimal("250000.00")
    refused = client.post(reverse("expenses:create"), _form(org_a, contract_amount="200000", amount="250000"))
    assert refused.status_code == 200 and "费用金额不能超过相关合同金额" in refused.content.decode()
    detail = client_as(org_a.users["mspec"]).get(reverse("expenses:detail", args=[expense.pk])).content.decode()
    assert "无相关合同" in detail and "不适用（无相关合同）" in detail
    listing = client_as(org_a.users["finance"]).get(reverse("expenses:index"), {"over_ratio": "false"})
    assert [e.number for e in listing.context["page"]] == [expense.number]
    assert not list(client_as(org_a.users["finance"]).get(reverse("expenses:index"),
                                                           {"over_ratio": "true"}).context["page"])
    xlsx = client_as(org_a.users["finance"]).get(reverse("expenses:export"))
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.cell(row=2, column=6).value in (None, "") and ws.cell(row=2, column=7).value == 250000
    approve_through(org_a, expense, ROUTINE_PATH)
    pdf = client_as(org_a.users["finance"]).get(reverse("expenses:pdf", args=[expense.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "无相关合同" in text and "不适用" in text


def test_saved_chain_wins_and_reset_returns_to_the_options_default(org_a, client_as):
    from marketing.approvals import services as approvals
    from marketing.approvals.registry import StepSpec
    from marketing.roles import Role

    _options(org_a, expense_special_gm_approval=True)
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key=KEY,
                             steps=[StepSpec(name="财务核对", role=Role.FINANCE)])
    assert _names(org_a) == ["财务核对"]
    admin = client_as(org_a.users["admin"])
    response = admin.post(reverse("approvals:chain_edit", args=[KEY]), {"reset": "1"})
    assert response.status_code == 302
    assert _names(org_a) == ["市场审核", "总经理审批", "财务核对", "分公司出纳备案", "分总签字"]
    page = admin.get(reverse("approvals:chains")).content.decode()
    assert page.index("市场审核") < page.index("分总签字")
