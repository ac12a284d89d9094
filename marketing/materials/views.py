"""Materials pages: HQ stock (list, xlsx, material page with its ledger, receive/adjust), branch
material requests (list, xlsx, new, detail with the approval panel, dispatch, receipt, close)
and the uniform templates library. Thin: form/filter -> selector/service -> render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.concurrency import guard_version, versioned
from marketing.forms import service_errors as _errors
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import exports, selectors, services
from .filters import LibraryFilter, MaterialFilter, MovementFilter, RequestFilter
from .forms import (
    AdjustForm,
    CloseForm,
    DispatchForm,
    LibraryCreateForm,
    LibraryItemForm,
    LineFormSet,
    MaterialForm,
    PublishForm,
    ReceiveForm,
    RequestForm,
)
from .models import LibraryVersion, Material, MaterialRequestLine, Shipment, StockMovement

VIEW_CAPS = (Cap.MATERIALS_REQUEST, Cap.MATERIALS_MANAGE, Cap.MATERIALS_VIEW_ALL)
READ_ALL_CAPS = (Cap.MATERIALS_MANAGE, Cap.MATERIALS_VIEW_ALL)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(request, data: bytes, stem: str) -> HttpResponse:
    stamp = timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.xlsx"'
    return response


def _flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- stock -------------------------------------------------------------------------------------


def _scope_label(material) -> str:
    names = [b.name for b in material.branches.all()] + [r.name for r in material.regions.all()]
    return "、".join(names) if names else _("全部分公司")


def _materials(request):
    return selectors.visible_materials(membership=request.membership).prefetch_related("branches", "regions")


@tenant_view(*VIEW_CAPS, any_of=True)
def stock_list(request):
    filterset = MaterialFilter(request.GET or None, queryset=_materials(request), tenant=request.tenant,
                               request=request)
    page, query = paginate(request, filterset.qs.order_by("code", "id"))
    for m in page:
        m.scope_label = _scope_label(m)
    return render(request, "materials/stock_list.html", {
        "filter": filterset, "page": page, "query": query,
        "can_manage": request.membership.can(Cap.MATERIALS_MANAGE),
        "can_export": any(request.membership.can(c) for c in READ_ALL_CAPS),
        "can_request": request.membership.can(Cap.MATERIALS_REQUEST),
    })


@tenant_view(*READ_ALL_CAPS, any_of=True)
def stock_export(request):
    filterset = MaterialFilter(request.GET or None, queryset=_materials(request), tenant=request.tenant,
                               request=request)
    rows = filterset.qs.order_by("code", "id")[:exports.XLSX_MAX_ROWS]
    return _xlsx(request, exports.stock_xlsx(rows, scope_of=_scope_label), "materials-stock")


@tenant_view(Cap.MATERIALS_MANAGE)
@once_per_submit
def material_create(request):
    form = MaterialForm(request.POST or None, request.FILES or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            material = services.material_create(tenant=request.tenant, actor=request.user, data=form.model_data(),
                                                image=form.cleaned_data.get("image_upload"), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("物料已创建。"))
            return redirect("materials:material_detail", pk=material.pk)
    return render(request, "materials/material_form.html", {"form": form})


def _material(request, pk) -> Material:
    return access_object(_materials(request), pk=pk)


def _m2m_version(m):
    return [sorted(m.branches.values_list("pk", flat=True)), sorted(m.regions.values_list("pk", flat=True))]


@tenant_view(Cap.MATERIALS_MANAGE)
def material_edit(request, pk):
    material = _material(request, pk)
    form = versioned(MaterialForm(request.POST or None, request.FILES or None, instance=material,
                                  tenant=request.tenant), material, extra=_m2m_version)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, material):
                services.material_update(material=material, actor=request.user, data=form.model_data(),
                                         image=form.cleaned_data.get("image_upload"),
                                         remove_image=form.cleaned_data.get("remove_image", False), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("materials:material_detail", pk=material.pk)
    return render(request, "materials/material_form.html", {"form": form, "m": material})


def _material_page(request, material, *, receive_form=None, adjust_form=None, status=200):
    can_manage = request.membership.can(Cap.MATERIALS_MANAGE)
    sees_ledger = any(request.membership.can(c) for c in READ_ALL_CAPS)
    page = query = None
    if sees_ledger:
        moves = StockMovement.objects.filter(material=material).select_related("actor", "shipment__request")
        page, query = paginate(request, moves.order_by("-created_at", "-id"))
    material.scope_label = _scope_label(material)
    return render(request, "materials/material_detail.html", {
        "m": material, "page": page, "query": query, "can_manage": can_manage, "sees_ledger": sees_ledger,
        "receive_form": receive_form or (ReceiveForm(prefix="receive") if can_manage else None),
        "adjust_form": adjust_form or (AdjustForm(prefix="adjust") if can_manage else None),
    }, status=status)


@tenant_view(*VIEW_CAPS, any_of=True)
def material_detail(request, pk):
    return _material_page(request, _material(request, pk))


@tenant_view(Cap.MATERIALS_MANAGE)
@require_POST
def material_receive(request, pk):
    material = _material(request, pk)
    form = ReceiveForm(request.POST, prefix="receive")
    if form.is_valid():
        try:
            services.stock_receive(material=material, actor=request.user, quantity=form.cleaned_data["quantity"],
                                   reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已入库。"))
            return redirect("materials:material_detail", pk=material.pk)
    material.refresh_from_db()
    return _material_page(request, material, receive_form=form, status=400)


@tenant_view(Cap.MATERIALS_MANAGE)
@require_POST
def material_adjust(request, pk):
    material = _material(request, pk)
    form = AdjustForm(request.POST, prefix="adjust")
    if form.is_valid():
        try:
            services.stock_adjust(material=material, actor=request.user, delta=form.cleaned_data["delta"],
                                  reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("库存已调整。"))
            return redirect("materials:material_detail", pk=material.pk)
    material.refresh_from_db()
    return _material_page(request, material, adjust_form=form, status=400)


@tenant_view(*VIEW_CAPS, any_of=True)
def material_image(request, pk):
    material = _material(request, pk)
    if not material.image:
        raise Http404
    try:
        handle = material.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, filename=material.image.name.rsplit("/", 1)[-1])


def _movements(request):
    return MovementFilter(request.GET or None, queryset=selectors.movements(tenant=request.tenant),
                          tenant=request.tenant, request=request)


@tenant_view(*READ_ALL_CAPS, any_of=True)
def movement_list(request):
    filterset = _movements(request)
    page, query = paginate(request, filterset.qs.order_by("-created_at", "-id"))
    return render(request, "materials/movement_list.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(*READ_ALL_CAPS, any_of=True)
def movement_export(request):
    rows = _movements(request).qs.order_by("-created_at", "-id")[:exports.XLSX_MAX_ROWS]
    return _xlsx(request, exports.movements_xlsx(rows, tz=request.tenant.zone), "materials-ledger")


# --- requests ----------------------------------------------------------------------------------


def _lines_prefetch():
    return Prefetch("lines", queryset=MaterialRequestLine.objects.select_related("material"))


def _requests(request):
    return RequestFilter(
        request.GET or None, queryset=selectors.request_list(membership=request.membership).prefetch_related(
            _lines_prefetch()),
        tenant=request.tenant, membership=request.membership,
        materials=selectors.visible_materials(membership=request.membership), request=request,
    )


@tenant_view(*VIEW_CAPS, any_of=True)
def request_list(request):
    filterset = _requests(request)
    page, query = paginate(request, filterset.qs.order_by("-created_at", "-id"))
    return render(request, "materials/request_list.html", {
        "filter": filterset, "page": page, "query": query,
        "can_request": request.membership.can(Cap.MATERIALS_REQUEST),
    })


@tenant_view(*VIEW_CAPS, any_of=True)
def request_export(request):
    rows = _requests(request).qs.order_by("-created_at", "-id")[:exports.XLSX_MAX_ROWS]
    return _xlsx(request, exports.requests_xlsx(rows, tz=request.tenant.zone), "material-requests")


@tenant_view(Cap.MATERIALS_REQUEST)
@once_per_submit
def request_create(request):
    materials = selectors.visible_materials(membership=request.membership).filter(active=True).order_by("code")
    form = RequestForm(request.POST or None, membership=request.membership)
    formset = LineFormSet(request.POST or None, form_kwargs={"materials": materials}, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            req = services.request_create(
                tenant=request.tenant, membership=request.membership, actor=request.user,
                branch=form.cleaned_data["branch"], lines=formset.lines(), note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("物料请购已提交审批。"))
            return redirect("materials:request_detail", pk=req.pk)
    return render(request, "materials/request_form.html", {"form": form, "formset": formset})


def _request(request, pk):
    qs = selectors.readable_requests(membership=request.membership).select_related(
        "branch", "applicant").prefetch_related(
        _lines_prefetch(), Prefetch("shipments", queryset=Shipment.objects.select_related(
            "dispatched_by", "received_by").prefetch_related("movements__material")))
    return access_object(qs, pk=pk)


def _request_page(request, req, *, dispatch_form=None, close_form=None, status=200):
    flow = approval_selectors.flow_for(tenant=request.tenant, document=req)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=req)
    can_manage = request.membership.can(Cap.MATERIALS_MANAGE)
    lines = list(req.lines.all())
    if can_manage and req.is_dispatchable:
        dispatch_form = dispatch_form or DispatchForm(lines=lines)
        close_form = close_form or CloseForm()
    else:
        dispatch_form = close_form = None
    return render(request, "materials/request_detail.html", {
        "r": req, "lines": lines, "panel": panel, "can_manage": can_manage,
        "dispatch_form": dispatch_form, "close_form": close_form,
        "can_receive": services.may_receive(membership=request.membership, req=req),
    }, status=status)


@tenant_view()  # reach is the queryset: the branch, marketing, and whoever is on its approval chain
def request_detail(request, pk):
    return _request_page(request, _request(request, pk))


@tenant_view(Cap.MATERIALS_MANAGE)
@require_POST
@once_per_submit
def request_dispatch(request, pk):
    req = _request(request, pk)
    form = DispatchForm(request.POST, lines=list(req.lines.all()))
    if form.is_valid():
        try:
            services.request_dispatch(req=req, actor=request.user, quantities=form.quantities(),
                                      courier=form.cleaned_data["courier"], waybill=form.cleaned_data["waybill"],
                                      note=form.cleaned_data["note"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已发货，已通知分公司。"))
            return redirect("materials:request_detail", pk=req.pk)
    req = _request(request, pk)
    return _request_page(request, req, dispatch_form=form, status=400)


@tenant_view(Cap.MATERIALS_MANAGE)
@require_POST
def request_close(request, pk):
    req = _request(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.request_close(req=req, actor=request.user, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("请购单已结案。"))
            return redirect("materials:request_detail", pk=req.pk)
    return _request_page(request, req, close_form=form, status=400)


@tenant_view(*VIEW_CAPS, any_of=True)
@require_POST
def shipment_receive(request, pk):
    visible = selectors.visible_requests(membership=request.membership).values("pk")
    shipment = access_object(Shipment.objects.filter(tenant=request.tenant, request__in=visible), pk=pk)
    try:
        services.shipment_receive(shipment=shipment, membership=request.membership, actor=request.user,
                                  request=request)
        messages.success(request, _("已确认收货。"))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("materials:request_detail", pk=shipment.request_id)


# --- uniform templates library -----------------------------------------------------------------


@tenant_view()
def library_list(request):
    items = selectors.library_items(membership=request.membership)
    filterset = LibraryFilter(request.GET or None, queryset=items, tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs.order_by("category", "title", "id"))
    latest = {}
    if page.object_list:
        pairs = {(i.pk, i.latest_number) for i in page}
        for v in LibraryVersion.objects.filter(item__in=[i.pk for i in page]).only(
                "pk", "item_id", "number", "original_name", "size"):
            if (v.item_id, v.number) in pairs:
                latest[v.item_id] = v
    for item in page:
        item.latest = latest.get(item.pk)
    return render(request, "materials/library_list.html", {
        "filter": filterset, "page": page, "query": query,
        "can_manage": request.membership.can(Cap.LIBRARY_MANAGE),
    })


@tenant_view(Cap.LIBRARY_MANAGE)
@once_per_submit
def library_create(request):
    form = LibraryCreateForm(request.POST or None, request.FILES or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.library_item_create(tenant=request.tenant, actor=request.user, data=form.model_data(),
                                                upload=form.cleaned_data["file"], notes=form.cleaned_data["notes"],
                                                request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("模板已发布（第 1 版）。"))
            return redirect("materials:library_detail", pk=item.pk)
    return render(request, "materials/library_form.html", {"form": form})


def _item(request, pk):
    return access_object(selectors.library_items(membership=request.membership), pk=pk)


def _library_page(request, item, *, publish_form=None, status=200):
    versions = item.versions.select_related("published_by").order_by("-number")
    can_manage = request.membership.can(Cap.LIBRARY_MANAGE)
    return render(request, "materials/library_detail.html", {
        "item": item, "versions": versions, "can_manage": can_manage,
        "publish_form": publish_form or (PublishForm() if can_manage and item.active else None),
    }, status=status)


@tenant_view()
def library_detail(request, pk):
    return _library_page(request, _item(request, pk))


@tenant_view(Cap.LIBRARY_MANAGE)
def library_edit(request, pk):
    item = _item(request, pk)
    form = versioned(LibraryItemForm(request.POST or None, instance=item, tenant=request.tenant), item)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, item):
                services.library_item_update(item=item, actor=request.user, data=form.model_data(), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("materials:library_detail", pk=item.pk)
    return render(request, "materials/library_form.html", {"form": form, "item": item})


@tenant_view(Cap.LIBRARY_MANAGE)
@require_POST
@once_per_submit
def library_publish(request, pk):
    item = _item(request, pk)
    form = PublishForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.library_publish(item=item, actor=request.user, upload=form.cleaned_data["file"],
                                               notes=form.cleaned_data["notes"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已发布第 %(n)s 版，各分公司可下载。") % {"n": version.number})
            return redirect("materials:library_detail", pk=item.pk)
    return _library_page(request, item, publish_form=form, status=400)


@tenant_view()
def library_download(request, pk):
    version = access_object(selectors.library_versions(membership=request.membership), pk=pk)
    try:
        handle = version.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=version.original_name)
