"""Data from other departments (imports, roster, collections, targets), the
cooperation-agreement archive and the working-day calendar."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.concurrency import guard_version, versioned
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.selectors import visible_branches
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from .. import imports, selectors, services
from ..filters import (
    CollectionFilter,
    ImportFilter,
    OverrideFilter,
    PartnerFilter,
    RosterFilter,
    TargetFilter,
)
from ..forms import ImportUploadForm, OverrideForm, TargetForm
from ..models import Collection, ImportJob, MonthlyTarget, RosterEntry, WorkdayOverride
from ..workcal import missing_years


@tenant_view(Cap.REPORTS_IMPORT)
@once_per_submit
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = imports.import_create(tenant=request.tenant, kind=form.cleaned_data["kind"], filename=upload.name,
                                    content=upload.read(), actor=request.user, request=request)
        from ..tasks import validate_import

        transaction.on_commit(lambda: validate_import.delay(request.tenant.pk, job.pk))
        return redirect("reports:import_detail", pk=job.pk)
    filterset = ImportFilter(request.GET or None, queryset=selectors.import_jobs(tenant=request.tenant), tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "reports/import_list.html", {"form": form, "filter": filterset, "page": page, "query": query})


@tenant_view(Cap.REPORTS_IMPORT)
def import_template(request, kind):
    """The downloadable template of one import (header, an example row, the synonyms)."""
    if kind not in imports.TEMPLATES:
        raise Http404
    from ..exports import XLSX_CONTENT_TYPE

    response = HttpResponse(imports.template_xlsx(kind), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="import-template-{kind}.xlsx"'
    return response


def _job(request, pk) -> ImportJob:
    return access_object(selectors.import_jobs(tenant=request.tenant), pk=pk)


@tenant_view(Cap.REPORTS_IMPORT)
def import_detail(request, pk):
    return render(request, "reports/import_detail.html", {"job": _job(request, pk)})


@tenant_view(Cap.REPORTS_IMPORT)
def import_progress(request, pk):
    """Polled by htmx while the job runs; answers 286 (htmx: stop polling) when it is done."""
    job = _job(request, pk)
    response = render(request, "reports/_import_status.html", {"job": job})
    if not job.is_running:
        response.status_code = 286
    return response


@require_POST
@tenant_view(Cap.REPORTS_IMPORT)
@once_per_submit
def import_confirm_view(request, pk):
    """Default: only the pairs the file lists. ``scope=whole`` (replace the whole months /
    days) first shows what would be deleted and needs a second, separate confirmation."""
    job = _job(request, pk)
    whole = request.POST.get("scope") == "whole"
    if whole and request.POST.get("confirm_whole") != "1":
        if job.status != "ready":
            messages.error(request, _("该导入当前状态为“%(s)s”，不能确认导入。") % {"s": job.get_status_display()})
            return redirect("reports:import_detail", pk=job.pk)
        job = access_object(ImportJob.objects.filter(tenant=request.tenant), pk=pk)
        try:
            deletions = imports.scope_deletions(job=job)
        except Exception as exc:  # file purged meanwhile, or unreadable: a message, never a 500
            messages.error(request, str(exc) if isinstance(exc, imports.FileGone) else _("无法读取该导入的文件。"))
            return redirect("reports:import_detail", pk=job.pk)
        return render(request, "reports/import_replace_confirm.html", {"job": job, "deletions": deletions})
    try:
        imports.import_confirm(job=job, actor=request.user, request=request, replace_scope=whole)
        messages.success(request, _("已开始导入。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reports:import_detail", pk=job.pk)


def _data_branches(request):
    return visible_branches(membership=request.membership)


@tenant_view(Cap.REPORTS_IMPORT, Cap.REPORTS_VIEW_ALL, any_of=True)
def roster_list(request):
    branches = _data_branches(request)
    qs = RosterEntry.objects.filter(tenant=request.tenant, branch__in=branches).select_related("branch")
    filterset = RosterFilter(request.GET or None, queryset=qs, tenant=request.tenant, branches=branches, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "reports/roster_list.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(Cap.REPORTS_IMPORT, Cap.REPORTS_VIEW_ALL, any_of=True)
def collection_list(request):
    branches = _data_branches(request)
    qs = Collection.objects.filter(tenant=request.tenant, branch__in=branches).select_related("branch")
    filterset = CollectionFilter(request.GET or None, queryset=qs, tenant=request.tenant, branches=branches, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "reports/collection_list.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(Cap.TARGETS_EDIT, Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH, any_of=True)
@once_per_submit
def target_list(request):
    membership = request.membership
    branches = _data_branches(request)
    can_edit = membership.can(Cap.TARGETS_EDIT)
    form = TargetForm(request.POST or None, branches=branches.filter(is_active=True)) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            services.target_set(tenant=request.tenant, branch=d["branch"], month=d["month"], amount=d["amount"],
                                actor=request.user, request=request)
            messages.success(request, _("月度目标已保存。"))
            return redirect("reports:targets")
    qs = selectors.targets_for(membership=membership)
    filterset = TargetFilter(request.GET or None, queryset=qs, tenant=request.tenant, branches=branches, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "reports/target_list.html", {"form": form, "filter": filterset, "page": page, "query": query})


@tenant_view(Cap.TARGETS_EDIT)
def target_edit(request, pk):
    branches = _data_branches(request)
    target = access_object(MonthlyTarget.objects.filter(tenant=request.tenant, branch__in=branches), pk=pk)
    initial = {"branch": target.branch, "month": target.month.strftime("%Y-%m"), "amount": target.amount}
    form = TargetForm(request.POST or None, branches=branches.filter(pk=target.branch_id), initial=initial)
    form.fields["branch"].disabled = True
    form.fields["month"].disabled = True
    versioned(form, target)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, target):
                services.target_set(tenant=request.tenant, branch=target.branch, month=target.month,
                                    amount=form.cleaned_data["amount"], actor=request.user, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("月度目标已保存。"))
            return redirect("reports:targets")
    return render(request, "reports/simple_form.html", {"form": form, "title": _("修改月度目标"), "back": "reports:targets"})


@tenant_view(Cap.REPORTS_VIEW_ALL, Cap.REPORTS_FILE, any_of=True)
def partner_list(request):
    qs = selectors.partners_for(membership=request.membership)
    branches = selectors.visible_branches_for_reports(membership=request.membership)
    filterset = PartnerFilter(request.GET or None, queryset=qs, tenant=request.tenant, branches=branches, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "reports/partner_list.html", {
        "filter": filterset, "page": page, "query": query, "can_tick": request.membership.can(Cap.SUMMARIES_MANAGE),
    })


@require_POST
@tenant_view(Cap.SUMMARIES_MANAGE)
def partner_paper(request, pk):
    partner = access_object(selectors.partners_for(membership=request.membership), pk=pk)
    services.partner_set_paper_received(partner=partner, actor=request.user, received=request.POST.get("received") == "1",
                                        request=request)
    messages.success(request, _("已更新“%(name)s”的原件状态。") % {"name": partner.name})
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/reports/") else "reports:partners")


@tenant_view(Cap.REPORTS_CALENDAR)
@once_per_submit
def calendar_view(request):
    form = OverrideForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.override_set(tenant=request.tenant, day=d["day"], is_working=d["is_working"], note=d["note"],
                              actor=request.user, request=request)
        messages.success(request, _("工作日调整已保存。"))
        return redirect("reports:calendar")
    qs = WorkdayOverride.objects.filter(tenant=request.tenant)
    filterset = OverrideFilter(request.GET or None, queryset=qs, tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs)
    today = timezone.now().astimezone(request.tenant.zone).date()
    return render(request, "reports/calendar.html", {
        "form": form, "filter": filterset, "page": page, "query": query, "missing_years": missing_years(today),
    })


@require_POST
@tenant_view(Cap.REPORTS_CALENDAR)
def override_delete_view(request, pk):
    override = access_object(WorkdayOverride.objects.filter(tenant=request.tenant), pk=pk)
    services.override_delete(override=override, actor=request.user, request=request)
    messages.success(request, _("已删除该日的调整。"))
    return redirect("reports:calendar")
