"""Celery tasks of the platform app: thin wrappers that take ids, enter the tenant's scope
and call a service. ``send_approval_digests`` is scheduled in ``marketing/celery.py``."""

from __future__ import annotations

from celery import shared_task

from .models import Tenant


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_approval_digests(tenant_id: int | None = None) -> int:
    """One e-mail per person with pending approvals, once a day (claimed row per user and day:
    running the task twice sends nothing the second time). Returns the number sent."""
    from .approvals.digest import digest_send_for_tenant
    from .tenancy import tenant_scope

    tenants = Tenant.objects.filter(is_active=True)
    if tenant_id is not None:
        tenants = tenants.filter(pk=tenant_id)
    sent = 0
    for tenant in tenants:
        with tenant_scope(tenant):
            sent += digest_send_for_tenant(tenant=tenant)
    return sent
