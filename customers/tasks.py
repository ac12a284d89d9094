from celery import shared_task

from marketing.models import Tenant
from marketing.tenancy import tenant_scope

from . import services


@shared_task
def purge_expired_grants() -> int:
    """Hourly: delete expired temporary grants. Reads already ignore them at query time."""
    total = 0
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            total += services.grants_purge_expired(tenant=tenant)
    return total


@shared_task
def remind_overdue_followups() -> int:
    """Every 15 minutes: each tenant past 09:00 its time gets today's overdue follow-up
    reminders once (S002-16); the outbox's dedupe keys make repeats harmless."""
    from marketing.health import record_heartbeat

    from . import followups

    total = 0
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            total += followups.remind(tenant=tenant)
    record_heartbeat("customers.remind_overdue_followups")
    return total
