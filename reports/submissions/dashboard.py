"""Home cards: the member's own submissions due this period, and -- on a business trip
(S003-04) -- today's check-ins against the requirement."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors, trips

HOME_CARDS_WATCH = ("submission", "submissionrule", "workdayoverride", "trip", "tripcheckin")


def home_cards(request) -> list[dict]:
    now = timezone.now()
    cards = _trip_cards(request, now)
    items = [i for i in selectors.my_due(membership=request.membership, now=now)
             if i["key"] in ("pending", "missing", "returned")]
    if not items:
        return cards
    missing = sum(1 for i in items if i["key"] in ("missing", "returned"))
    first = min(items, key=lambda i: i["due_at"])
    return cards + [{
        "title": _("待交的计划与报表"),
        "value": str(len(items)),
        "hint": _("最近截止：%(rule)s %(due)s") % {
            "rule": first["rule"].name, "due": first["due_at"].astimezone(request.tenant.zone).strftime("%m-%d %H:%M")},
        "url": reverse("submissions:rules"),
        "tone": "bad" if missing else "warn",
    }]


def _trip_cards(request, now) -> list[dict]:
    trip = trips.current_trip(membership=request.membership, now=now)
    if trip is None:
        return []
    done = trips.today_count(trip, now)
    return [{
        "title": _("出差中：今日汇报"),
        "value": f"{done}/{trip.checkins_per_day}",
        "hint": _("%(dest)s，%(end)s 返回") % {"dest": trip.destination, "end": trip.end_date.strftime("%m-%d")},
        "url": reverse("submissions:trip", args=[trip.pk]),
        "tone": "ok" if done >= trip.checkins_per_day else "warn",
    }]
