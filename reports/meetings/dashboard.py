"""Home card: the member's own open action items from the monthly meeting (one query)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors

HOME_CARDS_WATCH = ("actionitem",)


def home_cards(request) -> list[dict]:
    actions = list(selectors.my_open_actions(membership=request.membership)[:50])
    if not actions:
        return []
    today = timezone.localdate()
    overdue = sum(1 for a in actions if a.due_on < today)
    first = actions[0]
    return [{
        "title": _("月例会待办"),
        "value": str(len(actions)),
        "hint": (_("逾期 %(n)d 项") % {"n": overdue}) if overdue else
        _("最近期限 %(due)s：%(title)s") % {"due": first.due_on.strftime("%m-%d"), "title": first.title[:30]},
        "url": reverse("meetings:mine"),
        "tone": "bad" if overdue else "warn",
    }]
