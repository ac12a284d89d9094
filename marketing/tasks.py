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


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_approval_notice(
    *, kind: str, tenant_id: int, flow_id: int, step_id: int | None = None, user_ids=(), actor_id=None,
    comment: str = "",
) -> int:
    """E-mail about one approval event (a step opened, a copy, the end, a rejection)."""
    from .approvals.models import ApprovalFlow, ApprovalStep
    from .approvals.notify import compose, deliver
    from .models import User
    from .tenancy import tenant_scope

    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return 0
    with tenant_scope(tenant):
        flow = ApprovalFlow.objects.select_related("tenant", "applicant").filter(pk=flow_id).first()
        if flow is None:
            return 0
        step = ApprovalStep.objects.filter(flow=flow, pk=step_id).first() if step_id else None
        users = list(User.objects.filter(pk__in=list(user_ids), membership__tenant=tenant))
        actor = User.objects.filter(pk=actor_id, membership__tenant=tenant).first() if actor_id else None
        return deliver(compose(kind=kind, flow=flow, step=step, users=users, actor=actor, comment=comment))


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
