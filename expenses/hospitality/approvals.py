"""Hospitality applications and claims as approval document types (seed 001): the
application goes to 分公司总经理 (the seed's 销售部经理); the claim to 财务 (检查和考核)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketing.approvals.models import StepKind, StepScope
from marketing.approvals.registry import DocumentType, StepSpec, register
from marketing.roles import Role

APPLICATION_KEY = "expenses.hospitality_application"
CLAIM_KEY = "expenses.hospitality_claim"

APPLICATION_CHAIN = [
    StepSpec(name="分公司总经理审批", role=Role.BRANCH_GM, scope=StepScope.BRANCH),
    # A branch GM's own application: their submission is their signature, so someone above signs.
    StepSpec(name="市场营销总监审批", role=Role.MARKETING_DIRECTOR, condition="applicant_is_branch_gm == true"),
]
CLAIM_CHAIN = [
    StepSpec(name="财务审核", role=Role.FINANCE, kind=StepKind.VERIFY,
             checklist=("发票", "就餐人数", "菜品与金额", "个人自理部分")),
]


def _app_values(doc) -> dict:
    from marketing.demo import membership_of

    return {
        "expected_diners": doc.expected_diners,
        "lodging": doc.lodging,
        "is_emergency": doc.is_emergency,
        "applicant_is_branch_gm": Role.BRANCH_GM in membership_of(doc.applicant).roles,
    }


def _app_notes(doc) -> list[str]:
    notes = [str(_("政策 v%(v)s：菜品数 = 人数 + %(x)s，另加汤和主食；每位客户最多陪同 %(c)s 人。")) % {
        "v": doc.policy.version, "x": doc.policy.extra_dishes, "c": doc.policy.max_companions_per_guest}]
    if doc.is_emergency:
        notes.append(str(_("紧急申请（事后补全）。")))
    return notes


def _claim_values(doc) -> dict:
    return {"bill_total": doc.bill_total, "company_share": doc.company_share, "personal_share": doc.personal_share}


def _claim_notes(doc) -> list[str]:
    line = str(_("账单 ¥%(b)s：公司承担 ¥%(c)s，个人自理 ¥%(p)s（政策 v%(v)s）。")) % {
        "b": f"{doc.bill_total:,.2f}", "c": f"{doc.company_share:,.2f}", "p": f"{doc.personal_share:,.2f}",
        "v": doc.policy.version}
    notes = [line]
    if doc.blanket_reason:
        notes.append(doc.blanket_reason)
    return notes


def register_hospitality_types() -> None:
    from . import services, tasks  # noqa: F401  (tasks: registers the periodic job with Celery)

    register(DocumentType(
        key=APPLICATION_KEY,
        label=_("业务招待申请"),
        model="expenses.HospitalityApplication",
        get_applicant=lambda doc: doc.applicant,
        get_title=lambda doc: f"{doc.number} 招待 {doc.visit_date:%Y-%m-%d} {doc.expected_diners}人",
        get_url=lambda doc: reverse("hospitality:application", kwargs={"pk": doc.pk}),
        get_branch=lambda doc: doc.branch,
        condition_fields={"expected_diners": _("预计就餐人数"), "lodging": _("住宿"), "is_emergency": _("紧急申请"),
                          "applicant_is_branch_gm": _("申请人为分公司总经理")},
        condition_values=_app_values,
        on_approved=services.on_application_approved,
        on_rejected=services.on_application_rejected,
        on_withdrawn=services.on_application_withdrawn,
        reviewer_notes=_app_notes,
        default_chain=APPLICATION_CHAIN,
    ))
    register(DocumentType(
        key=CLAIM_KEY,
        label=_("业务招待费报销"),
        model="expenses.HospitalityClaim",
        get_applicant=lambda doc: doc.applicant,
        get_title=lambda doc: f"{doc.number} 招待费报销 ¥{doc.bill_total:,.2f}",
        get_url=lambda doc: reverse("hospitality:claim", kwargs={"pk": doc.pk}),
        get_branch=lambda doc: doc.branch,
        condition_fields={"bill_total": _("账单金额"), "company_share": _("公司承担"), "personal_share": _("个人自理")},
        condition_values=_claim_values,
        on_approved=services.on_claim_approved,
        on_rejected=services.on_claim_rejected,
        on_withdrawn=services.on_claim_withdrawn,
        reviewer_notes=_claim_notes,
        default_chain=CLAIM_CHAIN,
    ))
