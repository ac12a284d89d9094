"""Celery: the emergency-application sweep (lapse overdue ones, remind open ones). Scheduled
in ``marketing/celery.py``; thin: enter each tenant's scope, call the service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="expenses.hospitality.tasks.sweep_emergencies")
def sweep_emergencies(tenant_id: int | None = None) -> dict:
    from marketing.models import Tenant
    from marketing.tenancy import tenant_scope

    from .services import emergency_sweep

    totals = {"lapsed": 0, "reminded": 0}
    tenants = Tenant.objects.filter(is_active=True)
    if tenant_id is not None:
        tenants = tenants.filter(pk=tenant_id)
    for tenant in tenants:
        with tenant_scope(tenant):
            result = emergency_sweep(tenant=tenant)
        for k in totals:
            totals[k] += result[k]
    return totals
