"""Preview and confirm of an uploaded xlsx (any kind): per-row errors, then one atomic apply."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.tenancy import access_object

from .. import imports
from ..models import ContractImportJob, ImportKind, ImportStatus
from ._common import show_errors

KIND_CAP = {ImportKind.PRICE_LIST: Cap.PRICELIST_EDIT}
BACK = {ImportKind.PRICE_LIST: "contracts:pricelist_draft"}


def _job(request, pk) -> ContractImportJob:
    job = access_object(ContractImportJob.objects.filter(tenant=request.tenant).select_related("created_by"), pk=pk)
    if not request.membership.can(KIND_CAP.get(job.kind, Cap.CONTRACTS_MANAGE)):
        raise PermissionDenied
    return job


@tenant_view(Cap.PRICELIST_EDIT, Cap.CONTRACTS_MANAGE, any_of=True)
def import_detail(request, pk):
    job = _job(request, pk)
    columns = [k for k in (job.preview[0] if job.preview else {}) if k != "row"]
    labels = imports.KINDS[job.kind].labels
    return render(request, "contracts/import_detail.html", {
        "job": job, "errors": imports.error_lines(job), "columns": [labels.get(c, c) for c in columns],
        "rows": [[r.get(c, "") for c in columns] for r in job.preview], "back": BACK.get(job.kind, "contracts:uploads"),
    })


@tenant_view(Cap.PRICELIST_EDIT, Cap.CONTRACTS_MANAGE, any_of=True)
@require_POST
def import_confirm(request, pk):
    job = _job(request, pk)
    try:
        job = imports.import_confirm(job=job, actor=request.user, request=request)
    except ValidationError as exc:
        show_errors(request, exc)
        return redirect("contracts:import_detail", pk=job.pk)
    if job.status == ImportStatus.DONE:
        messages.success(request, _("导入完成。"))
        return redirect(BACK.get(job.kind, "contracts:uploads"))
    messages.error(request, _("文件中有错误，未导入任何数据。"))
    return redirect("contracts:import_detail", pk=job.pk)
