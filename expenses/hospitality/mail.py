"""The one way hospitality sends messages: the platform outbox (``marketing.notifications``),
written in the caller's transaction and delivered by the worker after commit (e-mail, or chat
where the user chose it). Kinds are registered here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketing.notifications.models import Purpose, register_kind
from marketing.notifications.services import notify

EMERGENCY = "hospitality.emergency"
REMINDER = "hospitality.reminder"
LAPSED = "hospitality.lapsed"
VENUE = "hospitality.venue"
POLICY_REVIEW = "hospitality.policy_review"

register_kind(EMERGENCY, _("紧急招待申请"))
register_kind(REMINDER, _("紧急招待申请补全提醒"))
register_kind(LAPSED, _("招待费拒付通知"))
register_kind("hospitality.arrange", _("招待安排"))
register_kind(VENUE, _("新定点招待场所公布"))
register_kind(POLICY_REVIEW, _("招待政策试行期满评估提醒"))

_PURPOSES = {EMERGENCY: Purpose.APPROVALS, REMINDER: Purpose.REMINDERS, LAPSED: Purpose.REMINDERS,
             POLICY_REVIEW: Purpose.REMINDERS}


def send_hospitality_mail(*, tenant, users, subject: str, body: str, kind: str, link: str = "",
                          dedupe_key: str = "") -> int:
    """Queue one message per user; returns how many rows were queued."""
    rows = notify(tenant=tenant, kind=kind, users=list(users), subject=str(subject), lines=str(body).split("\n"),
                  link=link, purpose=_PURPOSES.get(kind), dedupe_key=dedupe_key)
    return len(rows)
