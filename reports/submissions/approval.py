"""A submission of a rule with ``review_on_engine`` (the monthly sales plan, SC-004) as an
approval document type: submitting starts the chain; the chain's outcome is the review.

Seed 004 SC-004 (S004-14..16): 大区经理/大客户经理 draft the plan by the 26th → the
产品市场部经理 signs it (签准) or refuses it (签否: the drafter rewrites) → the approved plan is
reported to the general manager. The product-marketing manager is a tenant position; where the
tenant has none, the step falls back to the 市场营销总监 role. Tenants edit the chain in
审批流程 like any other (document type ``submissions.plan``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketing.approvals.models import StepKind
from marketing.approvals.registry import ConditionField, DocumentType, StepSpec, register
from marketing.roles import Role

KEY = "submissions.plan"

DEFAULT_CHAIN = [
    StepSpec(name="产品市场部经理审核", role=Role.MARKETING_DIRECTOR, position="产品市场部经理",
             kind=StepKind.APPROVE),
    StepSpec(name="呈报总经理", role=Role.GENERAL_MANAGER, kind=StepKind.APPROVE),
    # S004-16 "如有必要还应转交财务经理": a copy to finance, which never blocks; a tenant that
    # does not want it removes the step (or puts a condition on the plan's total).
    StepSpec(name="转交财务经理", role=Role.FINANCE, kind=StepKind.CC),
]


def _title(sub) -> str:
    from . import cadence

    who = sub.branch.name if sub.branch_id else sub.submitter.display_name
    return f"{sub.rule.name} {cadence.period_label(sub.rule, sub.period)} {who}"


def _values(sub) -> dict:
    from .services import table_total

    return {"total": table_total(sub.data), "rule": sub.rule.code}


def register_plan_type() -> None:
    from . import services

    register(
        DocumentType(
            key=KEY,
            label=_("计划审批（月度销售计划等）"),
            model="submissions.Submission",
            get_applicant=lambda sub: sub.submitter,
            get_title=_title,
            get_url=lambda sub: reverse("submissions:detail", kwargs={"pk": sub.pk}),
            get_branch=lambda sub: sub.branch,
            condition_fields={"total": ConditionField(_("计划合计金额"), "money")},
            condition_values=_values,
            on_approved=services.on_engine_approved,
            on_rejected=services.on_engine_rejected,
            on_withdrawn=services.on_engine_withdrawn,
            default_chain=DEFAULT_CHAIN,
        )
    )
