"""Thin Celery wrapper: every 15 minutes, for each tenant, do what is due by its local date
(departures past their last day, transfers on their effective date). Idempotent: a done
departure/transfer is no longer in the due set."""

from celery import shared_task
from django_scopes import scopes_disabled

from marketing.health import record_heartbeat
from marketing.models import Tenant
from marketing.tenancy import tenant_scope


@shared_task
def people_midnight_all() -> None:
    from .services import people_midnight

    record_heartbeat("people.midnight")
    with scopes_disabled():
        tenants = list(Tenant.objects.filter(is_active=True))
    for tenant in tenants:
        with tenant_scope(tenant):
            people_midnight(tenant=tenant)


@shared_task(acks_late=True)
def run_handover_job(tenant_id: int, job_id: int) -> str:
    """A large customer handover (jobs.py). Re-delivery is harmless: the job row is claimed once."""
    from .jobs import handover_job_run

    with scopes_disabled():
        tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return "no_tenant"
    with tenant_scope(tenant):
        return handover_job_run(job_pk=job_id)
