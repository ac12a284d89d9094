"""Home card: open departures in the member's reach (one query)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from marketing.roles import Cap

from . import selectors
from .models import OPEN_DEPARTURE_STATUSES

HOME_CARDS_WATCH = ("departure",)


def home_cards(request) -> list[dict]:
    m = request.membership
    if not (m.can(Cap.PEOPLE_MANAGE) or m.can(Cap.PEOPLE_HANDOVER)):
        return []
    n = selectors.departures_for(membership=m).filter(status__in=OPEN_DEPARTURE_STATUSES).count()
    if not n:
        return []
    return [{"title": _("离职交接中"), "value": n, "hint": _("交接完成并签字后方可离开"),
             "url": reverse("people:departures"), "tone": "warn"}]
