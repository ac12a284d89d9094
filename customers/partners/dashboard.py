"""Marketing's board: originals not at headquarters N working days after signing (S000-33)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from marketing.roles import Cap


def home_cards(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None or not (membership.can(Cap.PARTNERS_MANAGE) or membership.can(Cap.PARTNERS_FILE)):
        return []
    from . import reminders, selectors

    overdue = reminders.overdue_originals(tenant=request.tenant)
    q = selectors.reach_q(membership=membership)
    if q is not None:
        from .models import Partner

        overdue = overdue.filter(partner__in=Partner.objects.filter(tenant=request.tenant).filter(q).values("pk"))
    n = overdue.count()
    return [{
        "title": _("逾期未到总部的协议原件"), "value": n,
        "hint": _("签约后超过 %(d)s 个工作日") % {"d": reminders.due_days(request.tenant)},
        "url": reverse("partners:register") + "?original=to_send", "tone": "bad" if n else "ok",
    }]
