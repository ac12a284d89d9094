"""Celery wrappers of the receivables import: take ids, enter the tenant's scope."""

from __future__ import annotations

from celery import shared_task

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


def _run(tenant_id: int, job_id: int, step: str) -> str:
    from . import imports
    from .models import ReceivableImport

    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return "no tenant"
    with tenant_scope(tenant):
        job = ReceivableImport.objects.filter(tenant=tenant, pk=job_id).first()
        if job is None:
            return "gone"
        job = getattr(imports, step)(job=job)
        return job.status


@shared_task(acks_late=True)
def validate_receivables_import(tenant_id: int, job_id: int) -> str:
    return _run(tenant_id, job_id, "import_validate")


@shared_task(acks_late=True)
def apply_receivables_import(tenant_id: int, job_id: int) -> str:
    return _run(tenant_id, job_id, "import_apply")
