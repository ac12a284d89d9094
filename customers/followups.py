"""限期二次回访 (S002-16): a visit's 下次跟进日期 is a promise. When the customer's latest visit
names a next date and that date passes without another visit, the follow-up is overdue: it
shows on the salesperson's and the manager's home page, the customer list filters it, and
the salesperson (with a count to their branch GM) is reminded once a day from 09:00 the
tenant's time, through the outbox."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from marketing.notifications.models import Purpose, register_kind
from marketing.notifications.services import notify
from marketing.roles import Role
from marketing.selectors import users_with_roles

from .models import Customer, Visit

register_kind("customers.followup_overdue", _("逾期回访提醒"))
REMIND_FROM = dt.time(9, 0)
SOON_DAYS = 7
MAX_NAMES = 20


def with_followup(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """``followup_on``: the next date promised by the customer's latest visit (or None)."""
    latest = Visit.objects.filter(customer_id=OuterRef("pk")).order_by("-visited_on", "-id")
    return qs.annotate(followup_on=Subquery(latest.values("next_date")[:1]))


def overdue(qs: QuerySet[Customer], *, today: dt.date) -> QuerySet[Customer]:
    return with_followup(qs).filter(followup_on__lt=today)


def due_soon(qs: QuerySet[Customer], *, today: dt.date, days: int = SOON_DAYS) -> QuerySet[Customer]:
    return with_followup(qs).filter(followup_on__gte=today, followup_on__lte=today + dt.timedelta(days=days))


def list_url() -> str:
    return reverse("customers:list") + "?followup=overdue"


def remind(*, tenant, now: dt.datetime | None = None) -> int:
    """Queue today's reminders for ``tenant`` (inside its scope). Exactly once per person and
    day: the outbox's dedupe key is the claim. Returns how many people were reminded."""
    now = now or timezone.now()
    local = now.astimezone(tenant.zone)
    if local.time() < REMIND_FROM:
        return 0
    today = local.date()
    rows = list(overdue(Customer.objects.filter(tenant=tenant), today=today)
                .select_related("owner", "branch").order_by("owner_id", "followup_on", "id"))
    by_owner: dict[int, list[Customer]] = {}
    for customer in rows:
        by_owner.setdefault(customer.owner_id, []).append(customer)
    sent = 0
    with override("zh-hans"), transaction.atomic():
        for customers in by_owner.values():
            owner = customers[0].owner
            lines = [_("%(name)s：约定 %(day)s 回访，已逾期 %(n)d 天") % {
                "name": c.name, "day": f"{c.followup_on:%m-%d}", "n": (today - c.followup_on).days}
                for c in customers[:MAX_NAMES]]
            if len(customers) > MAX_NAMES:
                lines.append(_("……共 %(n)d 位客户") % {"n": len(customers)})
            if notify(tenant=tenant, kind="customers.followup_overdue", users=[owner],
                      subject=_("【回访提醒】%(n)d 位客户已过约定回访日期") % {"n": len(customers)}, lines=lines,
                      link=list_url(), link_label=_("查看逾期回访"), purpose=Purpose.REMINDERS,
                      dedupe_key=f"followup:{today.isoformat()}:{owner.pk}"):
                sent += 1
        # Branch GMs get counts per salesperson (names stay with those who may read them).
        by_branch: dict[int, dict[str, int]] = {}
        branches = {}
        for customer in rows:
            branches[customer.branch_id] = customer.branch
            who = customer.owner.display_name
            by_branch.setdefault(customer.branch_id, {}).setdefault(who, 0)
            by_branch[customer.branch_id][who] += 1
        for branch_id, counts in by_branch.items():
            branch = branches[branch_id]
            gms = list(users_with_roles(tenant=tenant, roles=[Role.BRANCH_GM], branch=branch))
            lines = [_("%(who)s：%(n)d 位客户") % {"who": who, "n": n} for who, n in sorted(counts.items())]
            for gm in gms:
                if notify(tenant=tenant, kind="customers.followup_overdue", users=[gm],
                          subject=_("【回访提醒】%(branch)s 有 %(n)d 位客户逾期未回访") % {
                              "branch": branch.name, "n": sum(counts.values())},
                          lines=lines, link=list_url(), link_label=_("查看逾期回访"), purpose=Purpose.REMINDERS,
                          dedupe_key=f"followup-gm:{today.isoformat()}:{branch_id}:{gm.pk}"):
                    sent += 1
    return sent
