"""The price list: versions, the draft editor, publishing, confirmations, implementation ticks,
the diff, the version in force on a date, xlsx export and import."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.tenancy import access_object

from .. import exports, imports, selectors
from ..forms import ConfirmForm, EntryForm, PublishForm, UploadForm
from ..models import (
    ConfirmationStatus,
    ContractImportJob,
    ImportKind,
    PriceList,
    PriceListConfirmation,
    PriceListEntry,
    PriceListStatus,
    Product,
)
from ..services import pricelist as services
from ._common import show_errors, xlsx_response

VIEW_CAPS = (Cap.PRODUCTS_VIEW_ALL, Cap.PRODUCTS_REQUEST, Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE,
             Cap.PRICELIST_EDIT, Cap.PRICELIST_CONFIRM, Cap.PRICELIST_IMPLEMENT)


def _day(value, default):
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@tenant_view(*VIEW_CAPS, any_of=True)
def pricelist_index(request):
    today = timezone.localdate(timezone=request.tenant.zone)
    on = _day(request.GET.get("on"), today)
    versions = list(selectors.visible_pricelists(membership=request.membership).select_related("published_by"))
    in_force = selectors.pricelist_in_force(tenant=request.tenant, day=on)
    published = [v for v in versions if v.status == PriceListStatus.PUBLISHED]
    from django.db.models import Count, Q

    counts = {row["pk"]: row for row in PriceList.objects.filter(pk__in=[v.pk for v in published]).values("pk").annotate(
        total=Count("confirmations", distinct=True),
        confirmed=Count("confirmations", filter=Q(confirmations__status=ConfirmationStatus.CONFIRMED), distinct=True),
        objected=Count("confirmations", filter=Q(confirmations__status=ConfirmationStatus.OBJECTED), distinct=True),
    )}
    mine = {}
    if request.membership.can(Cap.PRICELIST_CONFIRM):
        mine = {c.price_list_id: c for c in PriceListConfirmation.objects.filter(tenant=request.tenant,
                                                                                 user=request.user)}
    for v in versions:
        v.counts = counts.get(v.pk)
        v.mine = mine.get(v.pk)
    return render(request, "contracts/pricelist_index.html", {
        "versions": versions, "in_force": in_force, "on": on, "today": today, "published": published,
        "can_edit": request.membership.can(Cap.PRICELIST_EDIT),
    })


def _pricelist(request, pk) -> PriceList:
    return access_object(selectors.visible_pricelists(membership=request.membership), pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def pricelist_detail(request, pk):
    price_list = _pricelist(request, pk)
    if price_list.status == PriceListStatus.DRAFT:
        return redirect("contracts:pricelist_draft")
    matrix = selectors.pricelist_matrix(price_list)
    confirmations = list(price_list.confirmations.select_related("user"))
    mine = next((c for c in confirmations if c.user_id == request.user.pk), None)
    implemented = {i.product_id: i for i in price_list.implementations.select_related("implemented_by")}
    products = []
    for row in matrix["rows"]:
        if not products or products[-1]["product"].pk != row["product"].pk:
            products.append({"product": row["product"], "done": implemented.get(row["product"].pk)})
    sees_confirmations = request.membership.can(Cap.PRICELIST_EDIT) or request.membership.can(Cap.PRODUCTS_VIEW_ALL)
    return render(request, "contracts/pricelist_detail.html", {
        "pl": price_list, "matrix": matrix, "mine": mine,
        "confirm_form": ConfirmForm(initial={"decision": "confirmed"}) if mine else None,
        "confirmations": confirmations if sees_confirmations else [],
        "pending": [c for c in confirmations if c.status == ConfirmationStatus.PENDING],
        "products": products, "can_implement": request.membership.can(Cap.PRICELIST_IMPLEMENT),
        "sees_confirmations": sees_confirmations,
    })


@tenant_view(*VIEW_CAPS, any_of=True)
def pricelist_export(request, pk):
    price_list = _pricelist(request, pk)
    return xlsx_response(exports.pricelist_xlsx(price_list, selectors.pricelist_matrix(price_list)),
                         f"pricelist-v{price_list.version}")


@tenant_view(*VIEW_CAPS, any_of=True)
def pricelist_diff(request):
    visible = selectors.visible_pricelists(membership=request.membership)
    versions = list(visible.order_by("-version"))
    by_version = {str(v.version): v for v in versions}
    old, new = by_version.get(request.GET.get("a", "")), by_version.get(request.GET.get("b", ""))
    if new is None and versions:
        new = versions[0]
    if old is None and new is not None:
        old = next((v for v in versions if v.version < new.version), None)
    diff = selectors.pricelist_diff(old, new) if old and new else None
    return render(request, "contracts/pricelist_diff.html", {"versions": versions, "old": old, "new": new,
                                                              "diff": diff})


@tenant_view(Cap.PRICELIST_EDIT)
def pricelist_draft(request):
    draft = PriceList.objects.filter(tenant=request.tenant, status=PriceListStatus.DRAFT).first()
    if request.method == "POST" and draft is None:
        draft = services.pricelist_draft(tenant=request.tenant, actor=request.user, request=request)
        messages.success(request, _("已创建新草稿（复制自最新发布版本）。"))
        return redirect("contracts:pricelist_draft")
    entry_form = EntryForm(tenant=request.tenant)
    return render(request, "contracts/pricelist_draft.html", {
        "draft": draft, "matrix": selectors.pricelist_matrix(draft) if draft else None,
        "entries": list(draft.entries.select_related("product")) if draft else [],
        "entry_form": entry_form, "publish_form": PublishForm(), "upload_form": UploadForm(),
        "jobs": ContractImportJob.objects.filter(tenant=request.tenant, kind=ImportKind.PRICE_LIST)[:5],
    })


def _draft(request) -> PriceList:
    draft = PriceList.objects.filter(tenant=request.tenant, status=PriceListStatus.DRAFT).first()
    if draft is None:
        raise Http404
    return draft


@tenant_view(Cap.PRICELIST_EDIT)
@require_POST
def entry_save(request):
    draft = _draft(request)
    form = EntryForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            services.entry_save(price_list=draft, actor=request.user, request=request, **form.cleaned_data)
            messages.success(request, _("报价已保存。"))
        except ValidationError as exc:
            show_errors(request, exc)
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect("contracts:pricelist_draft")


@tenant_view(Cap.PRICELIST_EDIT)
@require_POST
def entry_delete(request, pk):
    entry = access_object(PriceListEntry.objects.filter(tenant=request.tenant).select_related("price_list", "product"),
                          pk=pk)
    try:
        services.entry_delete(entry=entry, actor=request.user, request=request)
        messages.success(request, _("报价已删除。"))
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:pricelist_draft")


@tenant_view(Cap.PRICELIST_EDIT)
@require_POST
def pricelist_publish(request):
    draft = _draft(request)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的生效日期。"))
        return redirect("contracts:pricelist_draft")
    try:
        services.pricelist_publish(price_list=draft, actor=request.user, request=request, **form.cleaned_data)
    except ValidationError as exc:
        show_errors(request, exc)
        return redirect("contracts:pricelist_draft")
    messages.success(request, _("已发布，并已发与各分公司总经理确认。"))
    return redirect("contracts:pricelist_detail", pk=draft.pk)


@tenant_view(Cap.PRICELIST_CONFIRM)
@require_POST
def confirmation_decide(request, pk):
    confirmation = access_object(
        PriceListConfirmation.objects.filter(tenant=request.tenant, user=request.user), pk=pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.confirmation_decide(confirmation=confirmation, actor=request.user, request=request,
                                         decision=form.cleaned_data["decision"], comment=form.cleaned_data["comment"])
            messages.success(request, _("已提交您的意见。"))
        except ValidationError as exc:
            show_errors(request, exc)
    else:
        messages.error(request, _("请选择确认或提出异议。"))
    return redirect("contracts:pricelist_detail", pk=confirmation.price_list_id)


@tenant_view(Cap.PRICELIST_IMPLEMENT)
@require_POST
def pricelist_implement(request, pk):
    price_list = _pricelist(request, pk)
    product = Product.objects.filter(tenant=request.tenant, pk=request.POST.get("product") or 0).first()
    if product is None:
        raise Http404
    try:
        services.implementation_tick(price_list=price_list, product=product, actor=request.user, request=request)
        messages.success(request, _("已登记 %(c)s 运营系统落实。") % {"c": product.code})
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect("contracts:pricelist_detail", pk=price_list.pk)


@tenant_view(Cap.PRICELIST_EDIT)
@require_POST
def pricelist_import(request):
    draft = _draft(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的 Excel 文件。"))
        return redirect("contracts:pricelist_draft")
    upload = form.cleaned_data["file"]
    job = imports.import_upload(tenant=request.tenant, kind=ImportKind.PRICE_LIST, filename=upload.name,
                                content=upload.read(), actor=request.user, target_id=draft.pk, request=request)
    return redirect("contracts:import_detail", pk=job.pk)
