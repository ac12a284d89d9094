"""Thin Celery wrappers. Schedule ``contracts.tasks.remind_usage_all`` every hour (or daily in
the morning) in marketing/celery.py: it acts only on each tenant's own Friday, once."""

from celery import shared_task

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


@shared_task
def remind_usage_all() -> int:
    from .services.usage import usage_remind

    sent = 0
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            sent += bool(usage_remind(tenant=tenant))
    return sent
