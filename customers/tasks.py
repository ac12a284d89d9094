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
