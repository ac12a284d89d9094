"""Celery wrappers of the opening imports: take ids, enter the tenant's scope, call the service
(marketing/onboarding/services.py). Both are safe to run twice: each claims the job row."""

from __future__ import annotations

from celery import shared_task

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


def _run(tenant_id: int, job_id: int, step) -> str:
    from .models import OpeningImport

    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return "no tenant"
    with tenant_scope(tenant):
        job = OpeningImport.objects.filter(tenant=tenant, pk=job_id).defer("content").first()
        if job is None:
            return "no job"
        return step(job=job).status


@shared_task(acks_late=True)
def check_opening(tenant_id: int, job_id: int) -> str:
    from .services import opening_check

    return _run(tenant_id, job_id, opening_check)


@shared_task(acks_late=True)
def apply_opening(tenant_id: int, job_id: int) -> str:
    from .services import opening_apply

    return _run(tenant_id, job_id, opening_apply)
