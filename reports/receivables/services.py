"""State changes of a receivable: the doubtful/bad decision (呆账/坏账, S001-07) and the
collection actions (催收). One service each: atomic, the row locked, audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from marketing.audit import audit_record
from marketing.notifications.models import register_kind
from marketing.notifications.services import notify
from marketing.roles import Role
from marketing.selectors import users_with_roles

from .models import CollectionAction, Receivable, ReceivableFlag

FLAGGED = "receivables.flagged"
register_kind(FLAGGED, _lazy("应收账款呆坏账认定"))


@transaction.atomic
def receivable_flag(*, receivable: Receivable, actor, flag: str, reason: str, request=None) -> Receivable:
    """Mark (or clear) a receivable as doubtful (呆账) or bad (坏账). Who decided, when and
    why are kept on the row and in the audit log; a decision without a reason is refused.
    The salesperson and the branch GM are told."""
    reason = (reason or "").strip()
    if flag not in ReceivableFlag.values:
        raise ValidationError(_("未知的标记。"), code="bad_flag")
    if not reason:
        raise ValidationError(_("请填写认定理由。"), code="reason_required")
    row = Receivable.objects.select_for_update().get(pk=receivable.pk, tenant=receivable.tenant)
    if row.flag == flag:
        raise ValidationError(_("该应收账款已是“%(f)s”。") % {"f": row.get_flag_display()}, code="unchanged")
    before = {"flag": row.flag, "flag_reason": row.flag_reason}
    row.flag = flag
    row.flag_by = actor
    row.flag_at = timezone.now()
    row.flag_reason = reason[:2000]
    row.save(update_fields=["flag", "flag_by", "flag_at", "flag_reason", "updated_at"])
    audit_record(tenant=row.tenant, actor=actor, verb="receivables.flag", obj=row, before=before,
                 after={"flag": row.flag, "flag_reason": row.flag_reason}, request=request)
    recipients = set(users_with_roles(tenant=row.tenant, roles=[Role.BRANCH_GM], branch=row.branch))
    if row.salesperson_id:
        recipients.add(row.salesperson)
    recipients.discard(actor)
    if recipients:
        label = row.get_flag_display()
        notify(tenant=row.tenant, kind=FLAGGED, users=sorted(recipients, key=lambda u: u.pk),
               subject=_("应收账款 %(doc)s 认定为：%(f)s") % {"doc": row.document, "f": label},
               lines=[_("客户/单位：%(d)s") % {"d": row.debtor_name},
                      _("未收金额：%(a)s") % {"a": row.outstanding},
                      _("认定理由：%(r)s") % {"r": row.flag_reason}],
               link=reverse("receivables:detail", kwargs={"pk": row.pk}), dedupe_key=f"{row.pk}:{row.flag_at:%s}")
    return row


@transaction.atomic
def collection_action_add(*, receivable: Receivable, actor, action: str, owner, action_date: dt.date,
                          outcome: str = "", request=None) -> CollectionAction:
    action = (action or "").strip()
    if not action:
        raise ValidationError(_("请填写催收措施。"), code="action_required")
    row = Receivable.objects.select_for_update().get(pk=receivable.pk, tenant=receivable.tenant)
    item = CollectionAction.objects.create(tenant=row.tenant, receivable=row, action=action[:200], owner=owner,
                                           action_date=action_date, outcome=(outcome or "").strip(), created_by=actor)
    audit_record(tenant=row.tenant, actor=actor, verb="receivables.collection_action", obj=row,
                 after={"action": item.action, "owner": owner.pk, "date": action_date.isoformat(),
                        "outcome": item.outcome}, request=request)
    return item
