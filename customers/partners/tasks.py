"""Thin Celery wrappers. The hourly dispatcher sends each tenant's reminders in the 09:00
hour of its own clock, on its working days; notify()'s dedupe keys make a rerun (or a
second run in the same hour) send nothing twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from marketing.health import record_heartbeat
from marketing.models import Tenant
from marketing.tenancy import tenant_scope

REMINDER_HOUR = 9


@shared_task
def dispatch_reminders(force: bool = False) -> dict:
    from reports.workcal import WorkCalendar

    from .reminders import send_reminders

    record_heartbeat("partners.dispatch_reminders")
    totals = {"overdue": 0, "expiring": 0}
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            now = timezone.localtime()
            if not force and (now.hour != REMINDER_HOUR or not WorkCalendar(tenant).is_working(now.date())):
                continue
            sent = send_reminders(tenant=tenant, today=now.date())
        for k in totals:
            totals[k] += sent[k]
    return totals
