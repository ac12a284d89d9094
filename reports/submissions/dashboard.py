"""Home card: the member's own submissions due this period."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors

HOME_CARDS_WATCH = ("submission", "submissionrule", "workdayoverride")


def home_cards(request) -> list[dict]:
    items = [i for i in selectors.my_due(membership=request.membership, now=timezone.now())
             if i["key"] in ("pending", "missing", "returned")]
    if not items:
        return []
    missing = sum(1 for i in items if i["key"] in ("missing", "returned"))
    first = min(items, key=lambda i: i["due_at"])
    return [{
        "title": _("待交的计划与报表"),
        "value": str(len(items)),
        "hint": _("最近截止：%(rule)s %(due)s") % {
            "rule": first["rule"].name, "due": first["due_at"].astimezone(request.tenant.zone).strftime("%m-%d %H:%M")},
        "url": reverse("submissions:rules"),
        "tone": "bad" if missing else "warn",
    }]
