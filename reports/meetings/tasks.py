"""The monthly meeting's dispatcher (marketing/celery.py, every 10 minutes): per tenant, at
its local time, (1) on the first working day of a month from ``PACK_TIME`` the pack for the
past month is generated and sent -- once, by the claim row (``MonthlyPack`` is unique per
tenant and month); (2) on working days from ``REMIND_TIME`` owners of actions due soon are
reminded -- once per action and due date, by the outbox's dedupe key. Beat liveness:
``marketing.health`` heartbeat ``meetings.dispatch``."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from marketing.models import Tenant
from marketing.tenancy import tenant_scope

PACK_TIME = dt.time(8, 0)
REMIND_TIME = dt.time(9, 0)


def dispatch_tenant(tenant, now: dt.datetime) -> dict:
    from ..workcal import WorkCalendar
    from .models import MonthlyPack
    from .pack import first_working_day, previous_month
    from .services import actions_remind, pack_generate

    local = now.astimezone(tenant.zone)
    today = local.date()
    calendar = WorkCalendar(tenant)
    done = {"pack": None, "reminders": 0}
    if today >= first_working_day(calendar, today) and local.time() >= PACK_TIME:
        # the first working day, or a later day when beat was down on it (never twice: the claim)
        month = previous_month(today)
        if not MonthlyPack.objects.filter(tenant=tenant, month=month).exclude(status="failed").exists():
            row = pack_generate(tenant=tenant, month=month, now=now)
            done["pack"] = None if row is None else row.status
    if calendar.is_working(today) and local.time() >= REMIND_TIME:
        done["reminders"] = actions_remind(tenant=tenant, today=today)
    return done


@shared_task
def dispatch(now_iso: str | None = None) -> dict:
    from marketing.health import record_heartbeat

    record_heartbeat("meetings.dispatch")
    now = dt.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
    out = {}
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            out[tenant.slug] = dispatch_tenant(tenant, now)
    return out
