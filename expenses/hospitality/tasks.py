"""Celery: the emergency-application sweep (lapse overdue ones, remind open ones) and the
daily check for policy versions whose trial quarter is over (S001-33). Scheduled in
``marketing/celery.py``; thin: enter each tenant's scope, call the service."""

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


@shared_task(name="expenses.hospitality.tasks.remind_policy_reviews")
def remind_policy_reviews(tenant_id: int | None = None) -> int:
    from marketing.models import Tenant
    from marketing.tenancy import tenant_scope

    from .notices import policy_review_sweep

    sent = 0
    tenants = Tenant.objects.filter(is_active=True)
    if tenant_id is not None:
        tenants = tenants.filter(pk=tenant_id)
    for tenant in tenants:
        with tenant_scope(tenant):
            sent += policy_review_sweep(tenant=tenant)
    return sent
