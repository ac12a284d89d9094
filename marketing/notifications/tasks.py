"""Celery wrappers of the outbox (ids in, tenant scope, service call)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


@shared_task(acks_late=True)
def deliver_message(tenant_id: int, message_id: int) -> str:
    from .delivery import deliver

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return "no tenant"
    with tenant_scope(tenant):
        return deliver(message_id=message_id)


@shared_task
def dispatch_outbox() -> int:
    """Every minute: queue what is due (retries after backoff, rows whose first hand-off to
    the broker was lost, rows of dead workers)."""
    from .delivery import due_ids

    now = timezone.now()
    queued = 0
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            ids = due_ids(tenant=tenant, now=now)
        for pk in ids:
            deliver_message.delay(tenant.pk, pk)
            queued += 1
    return queued
