"""Product catalogue and product design requests (产品设计审批表)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.models import AuditEvent
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.tenancy import access_object

from .. import exports, selectors
from ..filters import ProductFilter, VersionFilter
from ..forms import BarForm, ProductVersionForm
from ..models import OPEN_VERSION_STATUSES, Product, ProductVersion
from ..services import products as services
from ._common import form_errors, xlsx_response

VIEW_CAPS = (Cap.PRODUCTS_VIEW_ALL, Cap.PRODUCTS_REQUEST, Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE)


def _products(request):
    return ProductFilter(request.GET or None, queryset=selectors.product_list(membership=request.membership),
                         tenant=request.tenant, request=request)


@tenant_view(*VIEW_CAPS, any_of=True)
def product_list(request):
    filterset = _products(request)
    page, query = paginate(request, filterset.qs.order_by("code"))
    return render(request, "contracts/product_list.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(*VIEW_CAPS, any_of=True)
def product_export(request):
    rows = _products(request).qs.order_by("code")[:20000]
    return xlsx_response(exports.products_xlsx(rows), "products")


def _product(request, pk) -> Product:
    return access_object(selectors.product_list(membership=request.membership), pk=pk)


def _history(tenant, objects) -> list[AuditEvent]:
    q = None
    from django.db.models import Q

    for obj in objects:
        part = Q(object_type=obj._meta.label, object_id=str(obj.pk))
        q = part if q is None else q | part
    if q is None:
        return []
    return list(AuditEvent.objects.filter(tenant=tenant).filter(q).select_related("actor").order_by("-created_at")[:200])


@tenant_view(*VIEW_CAPS, any_of=True)
def product_detail(request, pk):
    product = _product(request, pk)
    versions = list(selectors.visible_versions(membership=request.membership).filter(product=product)
                    .select_related("branch", "applicant").order_by("-number"))
    can_manage = request.membership.can(Cap.PRODUCTS_MANAGE)
    can_new_version = (request.membership.can(Cap.PRODUCTS_REQUEST) and product.current_version_id is not None
                       and not any(v.status in OPEN_VERSION_STATUSES for v in product.versions.all()))
    return render(request, "contracts/product_detail.html", {
        "p": product, "versions": versions, "can_manage": can_manage, "can_new_version": can_new_version,
        "bar_form": BarForm(initial={"bar_percent": product.sell_through_bar * 100}) if can_manage else None,
        "history": _history(request.tenant, [product, *versions]),
    })


@tenant_view(Cap.PRODUCTS_MANAGE)
@require_POST
def product_status(request, pk):
    product = _product(request, pk)
    move = request.POST.get("move")
    if move not in ("online", "retire"):
        raise Http404
    try:
        services.product_set_status(product=product, actor=request.user, move=move, request=request)
        messages.success(request, _("已上线。") if move == "online" else _("已停用。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("contracts:product_detail", pk=product.pk)


@tenant_view(Cap.PRODUCTS_MANAGE)
@require_POST
def product_bar(request, pk):
    product = _product(request, pk)
    form = BarForm(request.POST)
    if form.is_valid():
        services.product_set_bar(product=product, actor=request.user,
                                 bar=(form.cleaned_data["bar_percent"] / Decimal(100)).quantize(Decimal("0.0001")),
                                 request=request)
        messages.success(request, _("达标线已更新。"))
    else:
        messages.error(request, _("达标线应为 0 到 100 之间的数字。"))
    return redirect("contracts:product_detail", pk=product.pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def design_list(request):
    filterset = VersionFilter(request.GET or None, queryset=selectors.version_list(membership=request.membership),
                              tenant=request.tenant, membership=request.membership, request=request)
    page, query = paginate(request, filterset.qs.order_by("-created_at", "-id"))
    return render(request, "contracts/design_list.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(*VIEW_CAPS, any_of=True)
def design_export(request):
    filterset = VersionFilter(request.GET or None, queryset=selectors.version_list(membership=request.membership),
                              tenant=request.tenant, membership=request.membership, request=request)
    return xlsx_response(exports.versions_xlsx(filterset.qs.order_by("-created_at", "-id")[:20000]), "product-designs")


@tenant_view(Cap.PRODUCTS_REQUEST)
def design_create(request):
    form = ProductVersionForm(request.POST or None, request.FILES or None, tenant=request.tenant,
                              membership=request.membership, with_code=True)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.product_design_create(
                tenant=request.tenant, membership=request.membership, actor=request.user,
                code=form.cleaned_data["code"], data=form.model_data(), clauses=form.cleaned_data.get("clauses_file"),
                submit="submit" in request.POST, request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已提交审批。") if "submit" in request.POST else _("草稿已保存。"))
            return redirect("contracts:version_detail", pk=version.pk)
    return render(request, "contracts/version_form.html", {"form": form})


@tenant_view(Cap.PRODUCTS_REQUEST)
def version_create(request, pk):
    product = _product(request, pk)
    current = product.current_version
    initial = {}
    if current is not None:
        initial = {f: getattr(current, f) for f in ("name", "vehicle_type", "term_months", "mileage_limit", "price",
                                                    "coverage")}
        initial["branch"] = current.branch_id
    form = ProductVersionForm(request.POST or None, request.FILES or None, tenant=request.tenant,
                              membership=request.membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.product_version_create(
                product=product, membership=request.membership, actor=request.user, data=form.model_data(),
                clauses=form.cleaned_data.get("clauses_file"), submit="submit" in request.POST, request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("新版本已提交审批。") if "submit" in request.POST else _("新版本草稿已保存。"))
            return redirect("contracts:version_detail", pk=version.pk)
    return render(request, "contracts/version_form.html", {"form": form, "product": product})


def _version(request, pk) -> ProductVersion:
    return access_object(selectors.version_list(membership=request.membership), pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def version_detail(request, pk):
    version = _version(request, pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=version)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=version)
    return render(request, "contracts/version_detail.html", {
        "v": version, "panel": panel,
        "can_edit": version.is_editable and version.applicant_id == request.user.pk,
        "history": _history(request.tenant, [version]),
    })


@tenant_view(Cap.PRODUCTS_REQUEST)
def version_edit(request, pk):
    version = _version(request, pk)
    if version.applicant_id != request.user.pk or not version.is_editable:
        raise PermissionDenied
    form = ProductVersionForm(request.POST or None, request.FILES or None, instance=version, tenant=request.tenant,
                              membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.version_update(version=version, membership=request.membership, actor=request.user,
                                    data=form.model_data(), clauses=form.cleaned_data.get("clauses_file"),
                                    submit="submit" in request.POST, request=request)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已重新提交审批。") if "submit" in request.POST else _("已保存。"))
            return redirect("contracts:version_detail", pk=version.pk)
    return render(request, "contracts/version_form.html", {"form": form, "v": version, "product": version.product})


@tenant_view(Cap.PRODUCTS_REQUEST)
@require_POST
def version_submit(request, pk):
    version = _version(request, pk)
    try:
        services.version_submit(version=version, actor=request.user, request=request)
        messages.success(request, _("已提交审批。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("contracts:version_detail", pk=version.pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def version_clauses(request, pk):
    version = _version(request, pk)
    if not version.clauses:
        raise Http404
    return FileResponse(version.clauses.open("rb"), as_attachment=True,
                        filename=version.clauses_name or version.clauses.name.rsplit("/", 1)[-1])
