"""Expense request pages: list (filters, xlsx), new/edit (with attachments), detail with the
approval panel, submit, payout, PDF form. Thin: form/filter -> selector/service -> render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.concurrency import guard_version, versioned
from marketing.forms import service_errors as _form_errors
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import budgets, exports, selectors, services
from .filters import ExpenseFilter
from .forms import ExpenseForm, PaymentForm
from .models import ExpenseAttachment, ExpenseRequest, ExpenseStatus

VIEW_CAPS = (Cap.EXPENSES_REQUEST, Cap.EXPENSES_VIEW_ALL)
XLSX_MAX_ROWS = 20000


def _pct(value) -> str:
    return f"{value * 100:.2f}%"


def _filtered(request):
    return ExpenseFilter(
        request.GET or None, queryset=selectors.expense_list(membership=request.membership),
        tenant=request.tenant, membership=request.membership, request=request,
    )


@tenant_view(*VIEW_CAPS, any_of=True)
def expense_list(request):
    filterset = _filtered(request)
    qs = filterset.qs.order_by("-created_at", "-id")
    page, query = paginate(request, qs)
    return render(request, "expenses/list.html", {"filter": filterset, "page": page, "query": query,
                                                  "limit": request.tenant.expense_ratio_limit,
                                                  "limit_display": _pct(request.tenant.expense_ratio_limit),
                                                  "ratio_gm": request.tenant.expense_ratio_gm_approval})


@tenant_view(*VIEW_CAPS, any_of=True)
def expense_export(request):
    filterset = _filtered(request)
    qs = filterset.qs.order_by("-created_at", "-id")[:XLSX_MAX_ROWS]
    data = exports.expenses_xlsx(qs, tz=request.tenant.zone)
    stamp = timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="expenses-{stamp}.xlsx"'
    return response


def _expense(request, pk) -> ExpenseRequest:
    return access_object(selectors.expense_detail(membership=request.membership), pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def expense_detail(request, pk):
    expense = _expense(request, pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=expense)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=expense)
    pay_form = None
    if expense.status == ExpenseStatus.ARCHIVED and request.membership.can(Cap.EXPENSES_PAY):
        pay_form = PaymentForm(initial={"paid_on": timezone.localdate()})
    return render(request, "expenses/detail.html", {
        "e": expense, "panel": panel, "pay_form": pay_form,
        "can_edit": expense.is_editable and expense.applicant_id == request.user.pk,
        "budget": budgets.expense_budget_status(expense),
        "over_budget": budgets.expense_over_budget(expense),
    })


@tenant_view(Cap.EXPENSES_REQUEST)
@once_per_submit
def expense_create(request):
    form = ExpenseForm(request.POST or None, request.FILES or None, tenant=request.tenant,
                       membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            expense = services.expense_create(
                tenant=request.tenant, membership=request.membership, actor=request.user, data=form.model_data(),
                files=form.files_with_kind(), submit="submit" in request.POST, request=request,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已提交审批。") if "submit" in request.POST else _("草稿已保存。"))
            return redirect("expenses:detail", pk=expense.pk)
    return render(request, "expenses/form.html", {"form": form, "limit": request.tenant.expense_ratio_limit,
                                                  "limit_display": _pct(request.tenant.expense_ratio_limit),
                                                  "ratio_gm": request.tenant.expense_ratio_gm_approval})


@tenant_view(Cap.EXPENSES_REQUEST)
def expense_edit(request, pk):
    expense = _expense(request, pk)
    if expense.applicant_id != request.user.pk or not expense.is_editable:
        # Visible but not theirs to edit (or no longer editable): existence is no secret here.
        raise PermissionDenied
    form = versioned(ExpenseForm(request.POST or None, request.FILES or None, instance=expense, tenant=request.tenant,
                                 membership=request.membership), expense,
                     extra=lambda e: sorted(e.attachments.values_list("pk", flat=True)))
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, expense):
                services.expense_update(
                    expense=expense, membership=request.membership, actor=request.user, data=form.model_data(),
                    files=form.files_with_kind(), submit="submit" in request.POST, request=request,
                )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已重新提交审批。") if "submit" in request.POST else _("已保存。"))
            return redirect("expenses:detail", pk=expense.pk)
    return render(request, "expenses/form.html", {"form": form, "e": expense,
                                                  "limit": request.tenant.expense_ratio_limit,
                                                  "limit_display": _pct(request.tenant.expense_ratio_limit),
                                                  "ratio_gm": request.tenant.expense_ratio_gm_approval})


@tenant_view(Cap.EXPENSES_REQUEST)
@require_POST
def expense_submit(request, pk):
    expense = _expense(request, pk)
    try:
        services.expense_submit(expense=expense, actor=request.user, request=request)
        messages.success(request, _("已提交审批。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("expenses:detail", pk=expense.pk)


@tenant_view(Cap.EXPENSES_PAY)
@require_POST
def expense_pay(request, pk):
    expense = _expense(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            services.expense_mark_paid(expense=expense, actor=request.user, paid_on=form.cleaned_data["paid_on"],
                                       reference=form.cleaned_data["reference"], request=request)
            messages.success(request, _("已登记发放。"))
            return redirect("expenses:detail", pk=expense.pk)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=expense)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=expense)
    return render(request, "expenses/detail.html", {"e": expense, "panel": panel, "pay_form": form},
                  status=400)


@tenant_view(*VIEW_CAPS, any_of=True)
def expense_pdf(request, pk):
    expense = _expense(request, pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=expense)
    steps = []
    if flow is not None:
        rounds = approval_selectors.flow_history(flow)
        steps = rounds[0][1] if rounds else []
    data = exports.expense_pdf(expense, tenant=request.tenant, steps=steps, tz=request.tenant.zone)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{expense.number}.pdf"'
    return response


def _attachment(request, pk) -> ExpenseAttachment:
    visible = selectors.visible_expenses(membership=request.membership).values("pk")
    return access_object(ExpenseAttachment.objects.filter(tenant=request.tenant, request__in=visible)
                         .select_related("request"), pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def attachment_download(request, pk):
    att = _attachment(request, pk)
    try:
        handle = att.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=att.original_name)


@tenant_view(Cap.EXPENSES_REQUEST)
@require_POST
def attachment_delete(request, pk):
    att = _attachment(request, pk)
    try:
        services.expense_remove_attachment(attachment=att, actor=request.user, request=request)
        messages.success(request, _("附件已删除。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("expenses:detail", pk=att.request_id)


