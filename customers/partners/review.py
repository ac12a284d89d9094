"""Pre-signing review (S003-05, S001-04): a deal reported as a draft agreement. When the
tenant requires it, an agreement is signed only from an approved draft."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def refuse_unreviewed_signing(*, tenant, from_draft: bool = False) -> None:
    from .services import settings_for

    if not from_draft and settings_for(tenant).review_required:
        raise ValidationError(_("本公司要求签约前先报备并通过审批：请先提交洽谈报备，审批通过后上传签约扫描件。"),
                              code="review_required")


KEY = "partners.draft_agreement"


def _event(doc, kind, actor, note=""):
    from .services import _event as write

    write(doc.partner, kind, actor=actor, agreement=doc, note=note)


def _approved(doc, actor):
    from marketing.audit import audit_record

    from .models import EventKind

    _event(doc, EventKind.REVIEW_APPROVED, actor)
    audit_record(tenant=doc.tenant, actor=actor, verb="partners.draft_approved", obj=doc)
    if doc.scan:  # signed scan already attached: the approved draft is the agreement now
        from .services import draft_sign

        draft_sign(agreement=doc, actor=actor)


def _rejected(doc, actor, reason):
    from .models import EventKind

    _event(doc, EventKind.REVIEW_REJECTED, actor, reason or "")


def _withdrawn(doc, actor):
    from .models import EventKind

    _event(doc, EventKind.REVIEW_REJECTED, actor, _("申请人撤回"))


def register_document_type() -> None:
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as lazy

    from marketing.approvals.models import StepScope
    from marketing.approvals.registry import DocumentType, StepSpec, register
    from marketing.roles import Role

    register(DocumentType(
        key=KEY,
        label=lazy("签约前报备（合作协议草案）"),
        model="partners.Agreement",
        get_applicant=lambda doc: doc.created_by,
        get_title=lambda doc: str(lazy("签约前报备 %(p)s %(n)s") % {"p": doc.partner.name, "n": doc.number}),
        get_url=lambda doc: reverse("partners:detail", kwargs={"pk": doc.partner_id}) + f"#a{doc.pk}",
        get_branch=lambda doc: doc.branch,
        on_approved=_approved,
        on_rejected=_rejected,
        on_withdrawn=_withdrawn,
        reviewer_notes=lambda doc: [str(lazy("合作条款：%(t)s") % {"t": doc.terms or "—"}),
                                    str(lazy("合作期限：%(s)s ~ %(e)s") % {"s": doc.starts_on, "e": doc.ends_on})],
        default_chain=[StepSpec(name="分公司总经理审核", role=Role.BRANCH_GM, scope=StepScope.BRANCH),
                       StepSpec(name="市场营销总监审批", role=Role.MARKETING_DIRECTOR)],
    ))


def draft_submit(*, partner, actor, request=None, number="", signed_on=None, starts_on, ends_on, salesperson=None,
                 terms="", scan=None):
    """A deal in progress reported with its terms (S003-05): a DRAFT agreement, sent to the
    engine's review (default chain branch GM -> 市场营销总监, tenant editable) in the same
    transaction."""
    from django.db import transaction

    from marketing.approvals.services import approval_start

    from .services import agreement_create

    with transaction.atomic():
        draft = agreement_create(partner=partner, actor=actor, number=number, signed_on=None, starts_on=starts_on,
                                 ends_on=ends_on, salesperson=salesperson, terms=terms, scan=scan, draft=True,
                                 request=request)
        approval_start(document=draft, actor=actor, request=request)
    return draft


def review_state(agreement) -> str:
    """"none" (never sent to review), "pending", "approved" or "rejected" (also withdrawn)."""
    from marketing.approvals.models import FlowStatus
    from marketing.approvals.selectors import flow_for

    flow = flow_for(tenant=agreement.tenant, document=agreement)
    if flow is None:
        return "none"
    return {FlowStatus.IN_PROGRESS: "pending", FlowStatus.APPROVED: "approved"}.get(flow.status, "rejected")


def panel_for(*, agreement, user):
    from marketing.approvals.selectors import flow_for, flow_panel

    return flow_panel(flow=flow_for(tenant=agreement.tenant, document=agreement), user=user, document=agreement)


def draft_sign_if_ready(*, agreement, actor, request=None):
    """An approved draft (or any draft where no review is required) becomes the signed
    agreement once the signed scan is attached: nothing is retyped."""
    from .models import AgreementStage
    from .services import draft_sign, settings_for

    agreement.refresh_from_db()
    if agreement.stage != AgreementStage.DRAFT or not agreement.scan:
        return agreement
    state = review_state(agreement)
    if state == "approved" or (state == "none" and not settings_for(agreement.tenant).review_required):
        return draft_sign(agreement=agreement, actor=actor, request=request)
    return agreement
