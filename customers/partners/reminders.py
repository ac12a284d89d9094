"""Reminders (S000-33): originals not at headquarters N working days after signing (tenant
setting, default 10, on the tenant's working-day calendar) -> the branch; agreements ending
within 30 days -> the serving salesperson and the branch GM. Through notify() with dedupe
keys, so a rerun the same day (or a later day for the same agreement) sends nothing twice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.notifications.services import notify
from marketing.roles import Role
from marketing.selectors import users_with_roles
from reports.workcal import WorkCalendar

from .hooks import KIND_EXPIRING, KIND_ORIGINAL_OVERDUE
from .models import Agreement, AgreementStage, OriginalState

EXPIRY_WINDOW_DAYS = 30


def due_days(tenant) -> int:
    from .services import settings_for

    return settings_for(tenant).original_due_working_days


def overdue_cutoff(tenant, today: dt.date) -> dt.date:
    """The latest signing day whose original is overdue today: ``today`` minus N working days."""
    calendar = WorkCalendar(tenant)
    day, left = today, due_days(tenant)
    while left > 0:
        day -= dt.timedelta(days=1)
        if calendar.is_working(day):
            left -= 1
    return day


def overdue_originals(*, tenant, today: dt.date | None = None) -> QuerySet[Agreement]:
    today = today or timezone.localdate()
    return Agreement.objects.filter(
        tenant=tenant, stage__in=[AgreementStage.SIGNED, AgreementStage.TERMINATED],
        original_state__in=[OriginalState.TO_SEND, OriginalState.SENT], signed_on__lte=overdue_cutoff(tenant, today),
    )


def expiring(*, tenant, today: dt.date | None = None) -> QuerySet[Agreement]:
    today = today or timezone.localdate()
    return Agreement.objects.filter(tenant=tenant, stage=AgreementStage.SIGNED, ends_on__gte=today,
                                    ends_on__lte=today + dt.timedelta(days=EXPIRY_WINDOW_DAYS))


@transaction.atomic
def send_reminders(*, tenant, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    sent = {"overdue": 0, "expiring": 0}
    gms: dict[int, list] = {}

    def branch_gms(branch):
        if branch.pk not in gms:
            gms[branch.pk] = list(users_with_roles(tenant=tenant, roles=[Role.BRANCH_GM], branch=branch))
        return gms[branch.pk]

    for a in overdue_originals(tenant=tenant, today=today).select_related("partner", "branch"):
        # one reminder per agreement and state: posting it and being returned asks again
        rows = notify(
            tenant=tenant, kind=KIND_ORIGINAL_OVERDUE, users=branch_gms(a.branch),
            subject=_("[原件逾期] %(p)s 协议 %(n)s") % {"p": a.partner.name, "n": a.number},
            lines=[_("%(p)s 的合作协议 %(n)s 于 %(d)s 签订，纸质原件尚未到达总部（%(s)s），请尽快寄至上海存档。")
                   % {"p": a.partner.name, "n": a.number, "d": a.signed_on.isoformat(),
                      "s": a.get_original_state_display()}],
            link=f"/partners/{a.partner_id}/", dedupe_key=f"partners:overdue:{a.pk}:{a.original_state}:{a.courier}",
        )
        sent["overdue"] += bool(rows)
    for a in expiring(tenant=tenant, today=today).select_related("partner", "branch", "salesperson",
                                                                  "partner__salesperson"):
        users = [a.partner.salesperson or a.salesperson, *branch_gms(a.branch)]
        rows = notify(
            tenant=tenant, kind=KIND_EXPIRING, users=users,
            subject=_("[协议到期] %(p)s 协议 %(n)s 将于 %(d)s 到期") % {"p": a.partner.name, "n": a.number,
                                                                  "d": a.ends_on.isoformat()},
            lines=[_("%(p)s 的合作协议 %(n)s 将于 %(d)s 到期，请及时联系续签。")
                   % {"p": a.partner.name, "n": a.number, "d": a.ends_on.isoformat()}],
            link=f"/partners/{a.partner_id}/", dedupe_key=f"partners:expiring:{a.pk}:{a.ends_on.isoformat()}",
        )
        sent["expiring"] += bool(rows)
    return sent
