"""Budget pages under /expenses/budgets/: list with figures, xlsx export, create/edit, and the
expenses settings (region-operations review, S000-28). Thin: form -> service -> redirect."""

from __future__ import annotations

import io
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from marketing.concurrency import guard_version, versioned
from marketing.exports import as_text
from marketing.forms import service_errors as _errors
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import budgets
from .budget_forms import BudgetFilter, BudgetForm, SettingsForm
from .models import Budget

VIEW_CAPS = (Cap.BUDGETS_MANAGE, Cap.EXPENSES_VIEW_ALL)
XLSX_MAX_ROWS = 20000


def _filtered(request):
    qs = Budget.objects.filter(tenant=request.tenant).select_related("branch")
    return BudgetFilter(request.GET or None, queryset=qs, tenant=request.tenant, request=request)


def _ordered(qs):
    return qs.order_by("-period", "period_kind", "branch__code", "department", "id")


@tenant_view(*VIEW_CAPS, any_of=True)
def budget_list(request):
    filterset = _filtered(request)
    page, query = paginate(request, _ordered(filterset.qs))
    budgets.annotate_figures(tenant=request.tenant, budgets=page.object_list)
    return render(request, "expenses/budgets/list.html", {
        "filter": filterset, "page": page, "query": query,
        "can_manage": request.membership.can(Cap.BUDGETS_MANAGE),
    })


XLSX_HEADERS = ["分公司/部门", "预算周期", "期间", "预算金额", "已占用", "剩余", "备注"]


@tenant_view(*VIEW_CAPS, any_of=True)
def budget_export(request):
    filterset = _filtered(request)
    rows = budgets.annotate_figures(tenant=request.tenant, budgets=_ordered(filterset.qs)[:XLSX_MAX_ROWS])
    wb = Workbook()
    ws = wb.active
    ws.title = "费用预算"
    ws.append(XLSX_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, b in enumerate(rows, start=2):
        values = [b.owner_label, b.get_period_kind_display(), b.period_label, b.amount, b.consumed, b.remaining, b.note]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, Decimal):
                cell.value = value
                cell.number_format = "#,##0.00"
            else:  # text typed by people: formula-safe
                as_text(cell, str(value))
    for col, width in zip("ABCDEFG", [20, 10, 10, 14, 14, 14, 30], strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    stamp = timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y%m%d-%H%M")
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="budgets-{stamp}.xlsx"'
    return response


@tenant_view(Cap.BUDGETS_MANAGE)
@once_per_submit
def budget_create(request):
    form = BudgetForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            budgets.budget_create(tenant=request.tenant, actor=request.user, data=form.model_data(), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("预算已保存。"))
            return redirect("expenses:budgets")
    return render(request, "expenses/budgets/form.html", {"form": form})


@tenant_view(Cap.BUDGETS_MANAGE)
def budget_edit(request, pk):
    budget = access_object(Budget.objects.filter(tenant=request.tenant).select_related("branch"), pk=pk)
    form = versioned(BudgetForm(request.POST or None, instance=budget, tenant=request.tenant), budget)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, budget):
                budgets.budget_update(budget=budget, actor=request.user, data=form.model_data(), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("预算已更新。"))
            return redirect("expenses:budgets")
    budgets.annotate_figures(tenant=request.tenant, budgets=[budget])
    return render(request, "expenses/budgets/form.html", {"form": form, "b": budget})


@tenant_view(Cap.TENANT_MANAGE)
def expense_settings(request):
    current = budgets.settings_for(request.tenant)
    form = SettingsForm(request.POST or None, initial={"region_operations_review": current.region_operations_review})
    if current.pk:
        form = versioned(form, current)
    if request.method == "POST" and form.is_valid():
        on = form.cleaned_data["region_operations_review"]
        try:
            if current.pk:
                with guard_version(form, current):
                    budgets.settings_update(tenant=request.tenant, actor=request.user, region_operations_review=on,
                                            request=request)
            else:
                budgets.settings_update(tenant=request.tenant, actor=request.user, region_operations_review=on,
                                        request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("设置已保存。"))
            return redirect("expenses:settings")
    return render(request, "expenses/budgets/settings.html", {"form": form})
