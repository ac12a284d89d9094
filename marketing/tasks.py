"""Celery tasks of the platform app: thin wrappers that take ids, enter the tenant's scope
and call a service. ``dispatch_approval_digests`` is scheduled in ``marketing/celery.py``."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .models import Tenant


@shared_task
def send_approval_digests(tenant_id: int | None = None) -> int:
    """Queue one digest per person with pending approvals, once a day (claimed row per user
    and day: running the task twice queues nothing the second time). Returns the number queued."""
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


@shared_task
def dispatch_approval_digests() -> int:
    """Every minute: tenants whose own clock is in the 08:30 digest window get their digest
    (the per-user, per-day claim makes every later run a no-op)."""
    from .approvals.digest import digest_due, digest_send_for_tenant
    from .tenancy import tenant_scope

    now = timezone.now()
    queued = 0
    for tenant in Tenant.objects.filter(is_active=True):
        if digest_due(tenant=tenant, now=now):
            with tenant_scope(tenant):
                queued += digest_send_for_tenant(tenant=tenant, now=now)
    return queued


@shared_task
def sweep_orphan_files() -> int:
    """Daily: stored files no row references (crash between commit and write, failed delete)."""
    from .files import sweep_orphan_files as sweep

    return len(sweep())


@shared_task
def purge_form_submissions(days: int = 2) -> int:
    """Daily: one-time form tokens are needed only while someone may double-click."""
    import datetime as dt

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .models import FormSubmission

    with scopes_disabled():
        deleted, _ = FormSubmission.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=days)).delete()
    return deleted
