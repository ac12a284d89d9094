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
