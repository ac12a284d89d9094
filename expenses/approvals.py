"""The expense request as an approval document type, with the first customer's default chain
(seed 000 §营销费用申请, seed 004 SC-007). Registered from ``ExpensesConfig.ready()``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketing.approvals.models import StepKind, StepScope
from marketing.approvals.registry import DocumentType, StepSpec, register
from marketing.roles import Role

KEY = "expenses.request"


def _values(doc) -> dict:
    return {
        "amount": doc.amount,
        "contract_amount": doc.contract_amount,
        "ratio": doc.ratio,
        "ratio_over_limit": doc.ratio > doc.ratio_limit,
        "is_special": doc.activity_kind == "special",
    }


def _notes(doc) -> list[str]:
    pct = f"{doc.ratio * 100:.2f}%"
    limit = f"{doc.ratio_limit * 100:.2f}%"
    line = str(_("费用比例 %(ratio)s（费用 ¥%(amount)s ÷ 合同 ¥%(contract)s），公司上限 %(limit)s。")) % {
        "ratio": pct, "amount": f"{doc.amount:,.2f}", "contract": f"{doc.contract_amount:,.2f}", "limit": limit,
    }
    notes = [line]
    if doc.ratio > doc.ratio_limit:
        notes.append(str(_("超出比例上限：需总经理审批。")))
    return notes


DEFAULT_CHAIN = [
    StepSpec(name="分公司总经理签字", role=Role.BRANCH_GM, scope=StepScope.BRANCH),
    StepSpec(name="市场部审核", role=Role.MARKETING_SPECIALIST, kind=StepKind.VERIFY,
             checklist=("费用比例", "合同金额", "费用金额")),
    StepSpec(name="市场营销总监审批", role=Role.MARKETING_DIRECTOR, condition="is_special == false"),
    StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER,
             condition="is_special == true or ratio_over_limit == true"),
    StepSpec(name="财务核实", role=Role.FINANCE, kind=StepKind.VERIFY,
             checklist=("人员", "费用", "账户", "时间节点")),
    StepSpec(name="分公司出纳备案", role=Role.BRANCH_CASHIER, kind=StepKind.RECORD, scope=StepScope.BRANCH),
]


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
                "ratio": _("费用比例"),
                "ratio_over_limit": _("超出比例上限"),
                "is_special": _("特殊活动"),
            },
            condition_values=_values,
            on_approved=services.on_approved,
            on_rejected=services.on_rejected,
            on_withdrawn=services.on_withdrawn,
            reviewer_notes=_notes,
            default_chain=DEFAULT_CHAIN,
        )
    )
