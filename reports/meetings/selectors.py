"""Reads of the monthly meeting: the lists, a member's own open actions (home page)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from marketing.models import User

from .models import ActionItem, ActionStatus, Meeting, MonthlyPack


def packs(*, tenant) -> QuerySet[MonthlyPack]:
    return MonthlyPack.objects.filter(tenant=tenant).defer("data").order_by("-month")


def meetings(*, tenant) -> QuerySet[Meeting]:
    return (Meeting.objects.filter(tenant=tenant)
            .annotate(n_items=Count("items", distinct=True),
                      n_undecided=Count("items", filter=Q(items__decision=""), distinct=True),
                      n_actions=Count("actions", distinct=True))
            .order_by("-month"))


def meeting_detail(meeting: Meeting) -> dict:
    """Agenda items with their actions (two queries), and the carried actions' live state."""
    items = list(meeting.items.select_related("carried_action", "carried_action__owner").order_by("position", "pk"))
    actions = list(meeting.actions.select_related("owner").order_by("due_on", "pk"))
    by_item: dict[int, list] = {}
    for a in actions:
        by_item.setdefault(a.item_id, []).append(a)
    for i in items:
        i.action_list = by_item.get(i.pk, [])
    return {"items": items, "actions": actions, "undecided": [i for i in items if not i.decision.strip()]}


def my_open_actions(*, membership) -> QuerySet[ActionItem]:
    return (ActionItem.objects.filter(tenant=membership.tenant, owner_id=membership.user_id, status=ActionStatus.OPEN)
            .select_related("meeting").order_by("due_on", "pk"))


def action_reach(*, membership) -> QuerySet[ActionItem]:
    """Actions a member may act on: their own; every action for minute-takers / readers."""
    from marketing.roles import Cap

    qs = ActionItem.objects.filter(tenant=membership.tenant)
    if membership.can(Cap.MEETINGS_VIEW) or membership.can(Cap.MEETINGS_MANAGE):
        return qs
    return qs.filter(owner_id=membership.user_id)


def owner_choices(*, tenant) -> QuerySet[User]:
    from marketing.models import Membership

    ids = Membership.objects.filter(tenant=tenant, is_active=True).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username")
