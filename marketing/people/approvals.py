"""The departure handover sign-off (交接签字) as an engine document type ``people.departure``.
Default chain (seed 003 rule 7, tenant-editable in the chain editor): the branch GM (only when
the person belongs to a branch) → the marketing supervisor (position 市场主管, else the
marketing director) → finance verifies the settlement (帐务清算)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketing.approvals.models import StepKind, StepScope
from marketing.approvals.registry import ConditionField, DocumentType, StepSpec, register
from marketing.roles import Role

KEY = "people.departure"

DEFAULT_CHAIN = [
    StepSpec(name="分总签字", role=Role.BRANCH_GM, scope=StepScope.BRANCH, condition="has_branch == true"),
    StepSpec(name="市场部主管签字", position="市场主管", role=Role.MARKETING_DIRECTOR),
    StepSpec(name="财务清算", role=Role.FINANCE, kind=StepKind.VERIFY, checklist=("个人自理款项", "借支与备用金")),
]


def _notes(doc) -> list[str]:
    from .handover import unsettled_amount

    notes = [str(_("最后工作日：%(d)s")) % {"d": doc.last_day.isoformat()}]
    amount = unsettled_amount(doc)
    if amount:
        notes.append(str(_("个人自理款项未清算：¥%(a)s")) % {"a": f"{amount:,.2f}"})
    if doc.short_notice:
        notes.append(str(_("提前期不足 %(n)d 天，已由 %(who)s 同意。")) % {
            "n": doc.notice_days, "who": doc.short_notice_approved_by or "—"})
    return notes


def register_departure_type() -> None:
    from . import services

    register(DocumentType(
        key=KEY,
        label=_("离职交接签字"),
        model="people.Departure",
        get_applicant=lambda doc: doc.user,
        get_title=lambda doc: str(_("离职交接 %(name)s（最后工作日 %(day)s）")) % {
            "name": doc.user.display_name, "day": doc.last_day.isoformat()},
        get_url=lambda doc: reverse("people:departure", kwargs={"pk": doc.pk}),
        get_branch=lambda doc: doc.branch,
        condition_fields={
            "has_branch": ConditionField(_("属于分公司"), "bool"),
            "short_notice": ConditionField(_("提前期不足"), "bool"),
        },
        condition_values=lambda doc: {"has_branch": doc.branch_id is not None, "short_notice": doc.short_notice},
        on_approved=services.on_signoff_approved,
        on_rejected=services.on_signoff_rejected,
        on_withdrawn=services.on_signoff_withdrawn,
        reviewer_notes=_notes,
        default_chain=DEFAULT_CHAIN,
    ))
