"""Receivables pages: the ageing report (and its xlsx), the lines, one line with its flag and
collection actions, and finance's import. Reach: ``visible_branches`` -- a branch GM sees
the assigned branches, finance and REPORTS_VIEW_ALL holders every branch."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing import bounds
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.selectors import visible_branches
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import imports, services
from .exports import ageing_xlsx
from .filters import ReceivableFilter
from .forms import ActionForm, FlagForm, UploadForm
from .models import Receivable, ReceivableImport
from .selectors import ageing, bucket_labels

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW_CAPS = (Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH, Cap.RECEIVABLES_MANAGE)


def _branches(request):
    return visible_branches(membership=request.membership)


def _lines(request):
    return Receivable.objects.filter(tenant=request.tenant, branch__in=_branches(request))


@tenant_view(*VIEW_CAPS, any_of=True)
def ageing_view(request):
    try:
        as_of = bounds.parse_day(request.GET.get("as_of")) or timezone.localdate()
    except ValueError:
        messages.error(request, _("日期格式不正确，已按今天计算。"))
        as_of = timezone.localdate()
    report = ageing(tenant=request.tenant, branches=_branches(request), as_of=as_of)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(ageing_xlsx(report), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="receivables-ageing-{as_of.isoformat()}.xlsx"'
        return response
    return render(request, "receivables/ageing.html", {
        "report": report, "labels": bucket_labels(), "as_of": as_of,
        "can_manage": request.membership.can(Cap.RECEIVABLES_MANAGE)})


@tenant_view(*VIEW_CAPS, any_of=True)
def receivable_list(request):
    branches = _branches(request)
    qs = _lines(request).select_related("branch", "salesperson").order_by("due_date", "id")
    filterset = ReceivableFilter(request.GET or None, queryset=qs, tenant=request.tenant, branches=branches,
                                 request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "receivables/list.html", {"filter": filterset, "page": page, "query": query,
                                                     "today": timezone.localdate()})


def _receivable(request, pk) -> Receivable:
    return access_object(_lines(request).select_related("branch", "salesperson", "flag_by", "customer"), pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def receivable_detail(request, pk):
    row = _receivable(request, pk)
    return _detail(request, row)


def _detail(request, row, *, flag_form=None, action_form=None, status=200):
    can_manage = request.membership.can(Cap.RECEIVABLES_MANAGE)
    context = {
        "row": row, "today": timezone.localdate(),
        "actions": row.actions.select_related("owner").order_by("-action_date", "-id"),
        "flag_form": (flag_form or FlagForm(initial={"flag": row.flag})) if can_manage else None,
        "action_form": action_form or ActionForm(tenant=request.tenant, initial={"owner": request.user.pk}),
    }
    return render(request, "receivables/detail.html", context, status=status)


@require_POST
@tenant_view(Cap.RECEIVABLES_MANAGE)
def receivable_flag(request, pk):
    row = _receivable(request, pk)
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            services.receivable_flag(receivable=row, actor=request.user, flag=form.cleaned_data["flag"],
                                     reason=form.cleaned_data["reason"], request=request)
            messages.success(request, _("已保存认定。"))
            return redirect("receivables:detail", pk=row.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return _detail(request, row, flag_form=form, status=400)


@require_POST
@tenant_view(*VIEW_CAPS, any_of=True)
@once_per_submit
def action_new(request, pk):
    row = _receivable(request, pk)
    form = ActionForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            services.collection_action_add(receivable=row, actor=request.user, request=request, **form.cleaned_data)
            messages.success(request, _("已登记催收记录。"))
            return redirect("receivables:detail", pk=row.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return _detail(request, row, action_form=form, status=400)


@tenant_view(Cap.RECEIVABLES_MANAGE)
@once_per_submit
def import_list(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = imports.import_create(tenant=request.tenant, filename=upload.name, content=upload.read(),
                                    actor=request.user, request=request)
        return redirect("receivables:import_detail", pk=job.pk)
    jobs = ReceivableImport.objects.filter(tenant=request.tenant).select_related("created_by").defer("content")
    page, query = paginate(request, jobs)
    return render(request, "receivables/import_list.html", {"form": form, "page": page, "query": query})


@tenant_view(Cap.RECEIVABLES_MANAGE)
def import_template(request):
    response = HttpResponse(imports.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="import-template-receivables.xlsx"'
    return response


def _job(request, pk) -> ReceivableImport:
    return access_object(ReceivableImport.objects.filter(tenant=request.tenant).defer("content"), pk=pk)


@tenant_view(Cap.RECEIVABLES_MANAGE)
def import_detail(request, pk):
    return render(request, "receivables/import_detail.html", {"job": _job(request, pk)})


@require_POST
@tenant_view(Cap.RECEIVABLES_MANAGE)
@once_per_submit
def import_confirm(request, pk):
    job = _job(request, pk)
    try:
        imports.import_confirm(job=job, actor=request.user, request=request)
        messages.success(request, _("已开始导入。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("receivables:import_detail", pk=job.pk)
