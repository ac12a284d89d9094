"""Contract requests (产品合同申领表): list, form, detail with the sell-through panel and the
approval panel, marketing's refuse / override, dispatch, the dispatch note PDF, receipt."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.approvals.models import TaskStatus
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.tenancy import access_object

from .. import exports
from .. import selectors_ledger as selectors
from ..filters import RequestFilter
from ..forms import OverrideForm, RequestForm
from ..models import ContractRequest, RequestStatus
from ..services import requests as services
from ._common import form_errors, show_errors, xlsx_response

VIEW_CAPS = (Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE, Cap.CONTRACTS_VIEW_ALL)


def _filtered(request):
    return RequestFilter(request.GET or None, queryset=selectors.request_list(membership=request.membership),
                         tenant=request.tenant, membership=request.membership, request=request)


@tenant_view(*VIEW_CAPS, any_of=True)
def request_list(request):
    filterset = _filtered(request)
    page, query = paginate(request, filterset.qs.order_by("-created_at", "-id"))
    return render(request, "contracts/request_list.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(*VIEW_CAPS, any_of=True)
def request_export(request):
    return xlsx_response(exports.requests_xlsx(_filtered(request).qs.order_by("-created_at", "-id")[:20000]),
                         "contract-requests")


def _doc(request, pk) -> ContractRequest:
    return access_object(selectors.request_list(membership=request.membership)
                         .select_related("print_order", "decided_by"), pk=pk)


def _my_task(flow, user):
    if flow is None:
        return None
    return flow.tasks.filter(assignee=user, status=TaskStatus.PENDING, step__round=flow.round).select_related(
        "step").first()


@tenant_view(*VIEW_CAPS, any_of=True)
def request_detail(request, pk):
    doc = _doc(request, pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=doc)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=doc)
    is_marketing = request.membership.can(Cap.CONTRACTS_MANAGE)
    assessment = services.assess(doc) if doc.status == RequestStatus.SUBMITTED and is_marketing else None
    task = _my_task(flow, request.user) if assessment else None
    dispatch = getattr(doc, "dispatch", None) if doc.status in (RequestStatus.DISPATCHED, RequestStatus.RECEIVED) \
        else None
    return render(request, "contracts/request_detail.html", {
        "r": doc, "panel": panel, "a": assessment, "task": task, "flow": flow,
        "figures": services.figures_text(assessment) if assessment else "",
        "override_form": OverrideForm(initial={"reason": doc.override_reason}),
        "can_edit": doc.is_editable and doc.applicant_id == request.user.pk,
        "can_dispatch": is_marketing and doc.status in (RequestStatus.TO_DISPATCH, RequestStatus.PRINTING),
        "stock": selectors.stock_of(tenant=request.tenant, product=doc.product) if is_marketing else None,
        "dispatch": dispatch,
        "can_confirm": dispatch is not None and not dispatch.confirmed_on
        and request.membership.can(Cap.CONTRACTS_REQUEST),
    })


@tenant_view(Cap.CONTRACTS_REQUEST)
def request_create(request):
    form = RequestForm(request.POST or None, tenant=request.tenant, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            doc = services.request_create(tenant=request.tenant, membership=request.membership, actor=request.user,
                                          data=form.model_data(), submit="submit" in request.POST, request=request)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已提交审批。") if "submit" in request.POST else _("草稿已保存。"))
            return redirect("contracts:request_detail", pk=doc.pk)
    return render(request, "contracts/request_form.html", {"form": form})


@tenant_view(Cap.CONTRACTS_REQUEST)
def request_edit(request, pk):
    doc = _doc(request, pk)
    if doc.applicant_id != request.user.pk or not doc.is_editable:
        raise PermissionDenied
    form = RequestForm(request.POST or None, instance=doc, tenant=request.tenant, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_update(doc=doc, membership=request.membership, actor=request.user,
                                    data=form.model_data(), submit="submit" in request.POST, request=request)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已重新提交审批。") if "submit" in request.POST else _("已保存。"))
            return redirect("contracts:request_detail", pk=doc.pk)
    return render(request, "contracts/request_form.html", {"form": form, "r": doc})


@tenant_view(Cap.CONTRACTS_REQUEST)
@require_POST
def request_submit(request, pk):
    doc = _doc(request, pk)
    try:
        services.request_submit(doc=doc, actor=request.user, request=request)
        messages.success(request, _("已提交审批。"))
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:request_detail", pk=doc.pk)


@tenant_view(Cap.CONTRACTS_MANAGE)
@require_POST
def request_decide(request, pk):
    """Marketing at its step: refuse with the figures, or override the bar with a reason and approve."""
    doc = _doc(request, pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=doc)
    task = _my_task(flow, request.user)
    if task is None:
        messages.error(request, _("您不是这一步的处理人，或这一步已经处理过了。"))
        return redirect("contracts:request_detail", pk=doc.pk)
    action = request.POST.get("action")
    from marketing.approvals.services import approval_approve

    try:
        if action == "refuse":
            services.request_refuse(doc=doc, task=task, actor=request.user, version=request.POST.get("version"),
                                    request=request)
            messages.success(request, _("已驳回，理由附动销率数据。"))
        elif action == "approve":
            approval_approve(task=task, actor=request.user, version=request.POST.get("version"), request=request)
            messages.success(request, _("已通过。"))
        elif action == "override":
            form = OverrideForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请填写超标准批准的理由。"))
                return redirect("contracts:request_detail", pk=doc.pk)
            from django.db import transaction

            with transaction.atomic():
                services.request_override(doc=doc, actor=request.user, reason=form.cleaned_data["reason"],
                                          request=request)
                approval_approve(task=task, actor=request.user, version=request.POST.get("version"),
                                 comment=_("超标准批准：") + form.cleaned_data["reason"], request=request)
            messages.success(request, _("已超标准批准。"))
        else:
            raise Http404
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:request_detail", pk=doc.pk)


@tenant_view(Cap.CONTRACTS_MANAGE)
@require_POST
def request_dispatch(request, pk):
    doc = _doc(request, pk)
    try:
        dispatch = services.request_dispatch(doc=doc, actor=request.user, request=request)
        messages.success(request, _("已派发 %(n)s 份：%(a)s – %(b)s。") % {
            "n": dispatch.quantity, "a": dispatch.first_number, "b": dispatch.last_number})
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:request_detail", pk=doc.pk)


def _dispatch(request, pk):
    return access_object(selectors.visible_dispatches(membership=request.membership)
                         .select_related("request", "branch", "product", "dispatched_by"), pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def dispatch_pdf(request, pk):
    dispatch = _dispatch(request, pk)
    numbers = list(dispatch.contracts.order_by("number").values_list("number", flat=True))
    data = exports.dispatch_pdf(dispatch, numbers, tenant_name=request.tenant.name)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="dispatch-{dispatch.request.number}.pdf"'
    return response


@tenant_view(Cap.CONTRACTS_REQUEST)
@require_POST
def dispatch_confirm(request, pk):
    dispatch = _dispatch(request, pk)
    try:
        services.dispatch_confirm(dispatch=dispatch, actor=request.user, membership=request.membership,
                                  request=request)
        messages.success(request, _("已确认收货。"))
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:request_detail", pk=dispatch.request_id)
