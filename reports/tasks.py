"""Celery wrappers: take ids, enter the tenant's scope, call a service. The two dispatchers
run every minute (marketing/celery.py), act at each tenant's own local time and claim what
they queue (reports/dispatch.py), so any number of beats and workers may run."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


def _tenant(tenant_id: int) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id, is_active=True).first()


@shared_task(acks_late=True)
def send_summary(tenant_id: int, day_iso: str, force: bool = False) -> str:
    from .mailing import summary_send

    tenant = _tenant(tenant_id)
    if tenant is None:
        return "no tenant"
    with tenant_scope(tenant):
        row = summary_send(tenant=tenant, business_day=dt.date.fromisoformat(day_iso), force=force)
    return "skipped" if row is None else row.status


@shared_task
def dispatch_summaries() -> int:
    """Every minute: queue each tenant's summary that is due, once (reports/dispatch.py:
    a constant number of queries for any number of tenants, claims against double queuing)."""
    from marketing.health import record_heartbeat

    from .dispatch import due_summary_jobs

    record_heartbeat("reports.dispatch_summaries")
    jobs = due_summary_jobs(timezone.now())
    for job in jobs:
        send_summary.delay(job.tenant_id, job.business_day.isoformat())
    return len(jobs)


@shared_task(acks_late=True)
def send_reminders(tenant_id: int) -> int:
    from .mailing import reminders_send

    tenant = _tenant(tenant_id)
    if tenant is None:
        return 0
    with tenant_scope(tenant):
        return reminders_send(tenant=tenant)


@shared_task
def dispatch_reminders() -> int:
    """Every minute: queue the reminder job of each tenant inside its reminder window, once
    per business day (the job itself reminds each branch once, reports/mailing.py)."""
    from marketing.health import record_heartbeat

    from .dispatch import due_reminder_jobs

    record_heartbeat("reports.dispatch_reminders")
    jobs = due_reminder_jobs(timezone.now())
    for job in jobs:
        send_reminders.delay(job.tenant_id)
    return len(jobs)


def _run_import_step(tenant_id: int, job_id: int, step) -> str:
    from .models import ImportJob

    tenant = _tenant(tenant_id)
    if tenant is None:
        return "no tenant"
    with tenant_scope(tenant):
        job = ImportJob.objects.filter(tenant=tenant, pk=job_id).first()
        if job is None:
            return "no job"
        return step(job=job).status


@shared_task
def validate_import(tenant_id: int, job_id: int) -> str:
    from .imports import import_validate

    return _run_import_step(tenant_id, job_id, import_validate)


@shared_task
def apply_import(tenant_id: int, job_id: int) -> str:
    from .imports import import_apply

    return _run_import_step(tenant_id, job_id, import_apply)


@shared_task
def purge_import_files() -> dict:
    """Every 10 minutes (marketing/celery.py): per tenant, fail imports a dead worker left
    running and delete uploaded files past their retention (reports.maintenance)."""
    from .maintenance import purge_import_files as purge

    totals = {"stale": 0, "purged": 0}
    for tenant in Tenant.objects.all():
        with tenant_scope(tenant):
            for key, n in purge(tenant=tenant).items():
                totals[key] += n
    return totals
