"""The expense request as an approval document type, with the first customer's default chain
(seed 000 §营销费用申请) and the optional steps a tenant may switch on (seed 004 SC-007, the
ratio limit). Registered from ``ExpensesConfig.ready()``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketing.approvals.models import StepKind, StepScope
from marketing.approvals.registry import ConditionField, DocumentType, StepSpec, register
from marketing.roles import Role

KEY = "expenses.request"


def _values(doc) -> dict:
    has_contract = doc.contract_amount is not None
    return {
        "amount": doc.amount,
        "contract_amount": doc.contract_amount,
        "has_contract": has_contract,
        "ratio": doc.ratio,
        # Only a request that relates to a contract has a ratio to hold against the limit.
        "ratio_over_limit": doc.over_ratio,
        "is_special": doc.activity_kind == "special",
        **_budget_values(doc),
    }


def _budget_values(doc) -> dict:
    """S001-13 / S000-28 (expenses/budgets.py): over the branch's remaining budget; the
    tenant's region-operations review option."""
    from marketing.tenancy import tenant_scope

    from . import budgets

    with tenant_scope(doc.tenant):  # callers (the engine, tests) may hold the document outside a scope
        return {"over_budget": budgets.expense_over_budget(doc), "region_review": budgets.region_review_on(doc.tenant)}


def _notes(doc) -> list[str]:
    if doc.contract_amount is None:
        return [str(_("无相关合同（如活动、推广预算）：不计算费用比例，请核对费用金额。"))]
    line = str(_("费用比例 %(ratio)s（费用 ¥%(amount)s ÷ 合同 ¥%(contract)s），公司上限 %(limit)s。")) % {
        "ratio": doc.ratio_display, "amount": f"{doc.amount:,.2f}", "contract": f"{doc.contract_amount:,.2f}",
        "limit": doc.ratio_limit_display,
    }
    notes = [line]
    if doc.over_ratio:
        notes.append(str(_("超出比例上限。")))
    return notes


def _notes_with_budget(doc) -> list[str]:
    from marketing.tenancy import tenant_scope

    from . import budgets

    with tenant_scope(doc.tenant):
        return [*_notes(doc), *(str(n) for n in budgets.notes_for_expense(doc))]


# Seed 000 §营销费用申请 (S000-23): 分公司提交 → 市场审核比例、合同及费用金额 → 财务核对人员、费用、
# 账号、时间节点 → 分公司出纳备案 → 分总签字 → 归置存档 → 营销费用发放. Submitting is the
# applicant's act; the chain is the four signatures; its completion is 归置存档 (status
# ``archived``); 发放 is finance's payout entry (``expense_mark_paid``).
REVIEW_STEP = StepSpec(name="市场审核", role=Role.MARKETING_SPECIALIST, kind=StepKind.VERIFY,
                       checklist=("费用比例", "合同金额", "费用金额"))
FINANCE_STEP = StepSpec(name="财务核对", role=Role.FINANCE, kind=StepKind.VERIFY,
                        checklist=("人员", "费用", "账号", "时间节点"))
CASHIER_STEP = StepSpec(name="分公司出纳备案", role=Role.BRANCH_CASHIER, kind=StepKind.RECORD, scope=StepScope.BRANCH)
BRANCH_GM_STEP = StepSpec(name="分总签字", role=Role.BRANCH_GM, scope=StepScope.BRANCH)

DEFAULT_CHAIN = [REVIEW_STEP, FINANCE_STEP, CASHIER_STEP, BRANCH_GM_STEP]

# S000-28: 各地区运营 review their branches' requests (ExpenseSettings.region_operations_review).
# Offered after the marketing review when the tenant option is on; its condition keeps an
# edited chain that contains it in step with the option at submission time.
REGION_OPS_STEP = StepSpec(name="地区运营审核", role=Role.OPERATIONS, scope=StepScope.REGION,
                           condition="region_review == true")
# S001-13: a step a tenant may add to its chain to send over-budget requests to the GM.
OVER_BUDGET_GM_STEP = StepSpec(name="总经理审批（超预算）", role=Role.GENERAL_MANAGER, condition="over_budget == true")


def optional_steps(*, director: bool, special_gm: bool, ratio_gm: bool) -> list[StepSpec]:
    """The steps the product offered before the seed's chain became the default, now tenant
    options (Tenant.expense_*_approval). They follow the marketing review."""
    steps = []
    if director:
        # With the GM signing special activities, the director keeps the routine ones (SC-007).
        steps.append(StepSpec(name="市场营销总监审批", role=Role.MARKETING_DIRECTOR,
                              condition="is_special == false" if special_gm else ""))
    gm_when = [c for on, c in ((special_gm, "is_special == true"), (ratio_gm, "ratio_over_limit == true")) if on]
    if gm_when:
        steps.append(StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER, condition=" or ".join(gm_when)))
    return steps


def chain_for_tenant(tenant) -> list[StepSpec]:
    """The default chain of ``tenant`` (used until its admin saves an edited chain)."""
    extra = optional_steps(
        director=tenant.expense_director_approval,
        special_gm=tenant.expense_special_gm_approval,
        ratio_gm=tenant.expense_ratio_gm_approval,
    )
    from marketing.tenancy import tenant_scope

    from .budgets import region_review_on

    with tenant_scope(tenant):
        region = [REGION_OPS_STEP] if region_review_on(tenant) else []
    return [REVIEW_STEP, *region, *extra, FINANCE_STEP, CASHIER_STEP, BRANCH_GM_STEP]


def register_expense_type() -> None:
    from . import services

    register(
        DocumentType(
            key=KEY,
            label=_("营销费用申请"),
            model="expenses.ExpenseRequest",
            get_applicant=lambda doc: doc.applicant,
            get_title=lambda doc: f"{doc.number} {doc.activity} ¥{doc.amount:,.2f}",
            get_url=lambda doc: reverse("expenses:detail", kwargs={"pk": doc.pk}),
            get_branch=lambda doc: doc.branch,
            condition_fields={
                "amount": _("费用金额"),
                "contract_amount": _("合同金额"),
                "has_contract": _("有相关合同"),
                "ratio": _("费用比例"),
                "ratio_over_limit": _("超出比例上限"),
                "is_special": _("特殊活动"),
                "over_budget": ConditionField(_("超出预算"), "bool"),
                "region_review": ConditionField(_("各地区运营审核（租户设置）"), "bool"),
            },
            condition_values=_values,
            on_approved=services.on_approved,
            on_rejected=services.on_rejected,
            on_withdrawn=services.on_withdrawn,
            reviewer_notes=_notes_with_budget,
            default_chain=DEFAULT_CHAIN,
            default_chain_for=chain_for_tenant,
        )
    )
