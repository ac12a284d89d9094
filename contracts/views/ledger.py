"""The ledger pages: list with filters and export, a contract's history, print batches,
receipt registration (领用登记), the four uploads, print orders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.concurrency import guard_version, versioned
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from .. import exports, imports
from .. import selectors_ledger as selectors
from ..filters import ContractFilter
from ..forms import BatchForm, BatchReconcileForm, BatchSettleForm, MoveForm, ReceiveForm, UploadForm
from ..models import ContractImportJob, ContractState, ImportKind, PrintOrder, PrintOrderStatus
from ..services import ledger as services
from ..services import printing
from ._common import form_errors, show_errors, xlsx_response

VIEW_CAPS = (Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE, Cap.CONTRACTS_VIEW_ALL)
XLSX_MAX_ROWS = 50_000
UPLOAD_KINDS = [ImportKind.STOCK, ImportKind.ISSUES, ImportKind.SIGNINGS, ImportKind.VOIDS]


def _filtered(request):
    return ContractFilter(request.GET or None, queryset=selectors.contract_list(membership=request.membership),
                          tenant=request.tenant, membership=request.membership, request=request)


@tenant_view(*VIEW_CAPS, any_of=True)
def ledger(request):
    filterset = _filtered(request)
    page, query = paginate(request, filterset.qs.order_by("number"))
    return render(request, "contracts/ledger.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(*VIEW_CAPS, any_of=True)
def ledger_export(request):
    rows = _filtered(request).qs.order_by("number")[:XLSX_MAX_ROWS]
    return xlsx_response(exports.contracts_xlsx(rows.iterator(chunk_size=2000)), "contracts")


def _contract(request, pk):
    return access_object(selectors.contract_list(membership=request.membership).select_related("batch", "dispatch"),
                         pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def contract_detail(request, pk):
    contract = _contract(request, pk)
    events = contract.events.select_related("actor").order_by("created_at", "id")
    can_manage = request.membership.can(Cap.CONTRACTS_MANAGE)
    return render(request, "contracts/contract_detail.html", {
        "c": contract, "events": events, "can_manage": can_manage, "move_form": MoveForm(),
        "can_void": can_manage and contract.state in (ContractState.IN_STOCK, ContractState.RECEIVED),
        "can_sign": can_manage and contract.state == ContractState.RECEIVED,
    })


@tenant_view(Cap.CONTRACTS_MANAGE)
@require_POST
def contract_move(request, pk):
    contract = _contract(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的日期。"))
        return redirect("contracts:contract_detail", pk=contract.pk)
    try:
        if request.POST.get("move") == "sign":
            services.contract_sign(contract=contract, actor=request.user, on=form.cleaned_data["on"], request=request)
            messages.success(request, _("已登记客户签约。"))
        else:
            services.contract_void(contract=contract, actor=request.user, on=form.cleaned_data["on"],
                                   reason=form.cleaned_data["reason"], request=request)
            messages.success(request, _("已登记回收作废。"))
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:contract_detail", pk=contract.pk)


@tenant_view(Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE, any_of=True)
@once_per_submit
def receive(request):
    form = ReceiveForm(request.POST or None, tenant=request.tenant, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            count = services.contracts_receive(
                tenant=request.tenant, actor=request.user, first_number=data["first_number"],
                last_number=data["last_number"], holder=data["holder"], holder_name=data["holder_name"],
                on=data["on"], membership=request.membership, request=request)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已登记领取 %(n)s 份。") % {"n": count})
            return redirect("contracts:receive")
    return render(request, "contracts/receive.html", {"form": form})


@tenant_view(Cap.CONTRACTS_MANAGE)
@once_per_submit
def batches(request):
    form = BatchForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(tenant=request.tenant, actor=request.user, request=request,
                                          **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已入库 %(n)s 份。") % {"n": batch.copies})
            return redirect("contracts:batch_detail", pk=batch.pk)
    page, query = paginate(request, selectors.batch_list(tenant=request.tenant))
    return render(request, "contracts/batches.html", {"form": form, "page": page, "query": query})


@tenant_view(Cap.CONTRACTS_MANAGE)
def batch_export(request):
    return xlsx_response(exports.batches_xlsx(selectors.batch_list(tenant=request.tenant)[:20000]), "print-batches")


@tenant_view(Cap.CONTRACTS_MANAGE)
def batch_detail(request, pk):
    batch = access_object(selectors.batch_list(tenant=request.tenant), pk=pk)
    return _batch_page(request, batch)


def _batch_page(request, batch, *, reconcile_form=None, settle_form=None):
    """The batch page; after a refused settlement step it shows the bound form with its errors
    (the input is kept). Both forms carry the batch's row version: a stale tab cannot settle on
    figures someone else changed since it was opened (S000-09)."""
    from django.db.models import Count

    states = dict(batch.contracts.values_list("state").annotate(n=Count("pk")).order_by())
    if reconcile_form is None:
        reconcile_form = versioned(BatchReconcileForm(initial={"quote_amount": batch.quote_amount,
                                                               "bill_amount": batch.bill_amount}), batch)
    return render(request, "contracts/batch_detail.html", {
        "b": batch, "states": [(label, states.get(value, 0)) for value, label in ContractState.choices],
        "reconcile_form": reconcile_form, "settle_form": settle_form or versioned(BatchSettleForm(), batch)})


def _settlement_step(request, pk, form_class, run, done: str, form_key: str):
    """POST of one settlement form: validate, run the service under the row-version guard,
    redirect on success, re-render with the input and the errors otherwise."""
    batch = access_object(selectors.batch_list(tenant=request.tenant), pk=pk)
    form = versioned(form_class(request.POST), batch)
    if form.is_valid():
        try:
            with guard_version(form, batch) as current:
                run(current, form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form_errors(form, exc)
            else:  # about the batch, not a field: shown at the top even where the form is not
                show_errors(request, exc)
        else:
            messages.success(request, done)
            return redirect("contracts:batch_detail", pk=batch.pk)
    batch.refresh_from_db()
    return _batch_page(request, batch, **{form_key: form})


@tenant_view(Cap.CONTRACTS_MANAGE)
@require_POST
def batch_reconcile(request, pk):
    """S000-09: record the printer's quote and bill against the ledger's cost."""
    return _settlement_step(
        request, pk, BatchReconcileForm,
        lambda batch, data: printing.batch_reconcile(batch=batch, actor=request.user, request=request,
                                                     quote_amount=data["quote_amount"],
                                                     bill_amount=data["bill_amount"]),
        _("报价与账单已登记。"), "reconcile_form")


@tenant_view(Cap.CONTRACTS_MANAGE)
@require_POST
def batch_settle(request, pk):
    """S000-09: confirm the printer's settlement (已结账)."""
    return _settlement_step(
        request, pk, BatchSettleForm,
        lambda batch, data: printing.batch_settle(batch=batch, actor=request.user, note=data["note"],
                                                  request=request),
        _("已确认印刷厂结账。"), "settle_form")


@tenant_view(Cap.CONTRACTS_MANAGE)
@once_per_submit
def uploads(request):
    if request.method == "POST":
        kind = request.POST.get("kind")
        form = UploadForm(request.POST, request.FILES)
        if kind not in UPLOAD_KINDS or not form.is_valid():
            messages.error(request, _("请选择数据类型和要上传的 Excel 文件。"))
            return redirect("contracts:uploads")
        upload = form.cleaned_data["file"]
        job = imports.import_upload(tenant=request.tenant, kind=kind, filename=upload.name, content=upload.read(),
                                    actor=request.user, request=request)
        return redirect("contracts:import_detail", pk=job.pk)
    kinds = [(k, ImportKind(k).label, [imports.KINDS[k].labels[c] for c in imports.KINDS[k].columns])
             for k in UPLOAD_KINDS]
    jobs = ContractImportJob.objects.filter(tenant=request.tenant, kind__in=UPLOAD_KINDS).select_related(
        "created_by")[:20]
    return render(request, "contracts/uploads.html", {"kinds": kinds, "jobs": jobs, "form": UploadForm()})


@tenant_view(Cap.CONTRACTS_MANAGE, Cap.CONTRACTS_VIEW_ALL, any_of=True)
def print_order_list(request):
    page, query = paginate(request, _print_orders(request))
    return render(request, "contracts/print_orders.html", {"page": page, "query": query,
                                                           "statuses": PrintOrderStatus.choices,
                                                           "status": request.GET.get("status", "")})


def _print_orders(request):
    qs = selectors.print_orders(tenant=request.tenant)
    if request.GET.get("status") in PrintOrderStatus.values:
        qs = qs.filter(status=request.GET["status"])
    return qs


@tenant_view(Cap.CONTRACTS_MANAGE, Cap.CONTRACTS_VIEW_ALL, any_of=True)
def print_order_export(request):
    return xlsx_response(exports.print_orders_xlsx(_print_orders(request)[:20000]), "print-orders")


@tenant_view(Cap.CONTRACTS_MANAGE, Cap.CONTRACTS_VIEW_ALL, any_of=True)
def print_order_detail(request, pk):
    order = access_object(selectors.print_orders(tenant=request.tenant), pk=pk)
    form = None
    if request.membership.can(Cap.CONTRACTS_MANAGE) and order.status == "ordered":
        form = BatchForm(initial={"product": order.product_id, "print_order": order.pk}, tenant=request.tenant)
    return render(request, "contracts/print_order_detail.html", {
        "o": order, "form": form, "requests": order.requests.select_related("branch"),
        "batches": order.batches.all()})


@tenant_view(Cap.CONTRACTS_MANAGE)
@require_POST
def print_order_cancel(request, pk):
    order = access_object(PrintOrder.objects.filter(tenant=request.tenant), pk=pk)
    try:
        services.print_order_cancel(order=order, actor=request.user, request=request)
        messages.success(request, _("印刷单已取消。"))
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:print_order_detail", pk=order.pk)

