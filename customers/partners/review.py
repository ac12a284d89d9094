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


def draft_submit(*, partner, actor, request=None, number="", signed_on=None, starts_on, ends_on, salesperson=None,
                 terms="", scan=None):
    """A deal in progress reported with its terms (S003-05): a DRAFT agreement."""
    from .services import agreement_create

    return agreement_create(partner=partner, actor=actor, number=number, signed_on=None, starts_on=starts_on,
                            ends_on=ends_on, salesperson=salesperson, terms=terms, scan=scan, draft=True,
                            request=request)


def review_state(agreement) -> str:
    """"none" (no review asked), "pending", "approved" or "rejected"."""
    return "none"


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
