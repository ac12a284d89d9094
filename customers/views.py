"""Thin views: guard -> access helper (reach-checked, 404 otherwise) -> selector/service ->
render. Every path that shows a customer's record writes the access log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from marketing.concurrency import guard_version, versioned
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import access, exports, selectors, services
from .filters import CustomerFilter, VisitFilter
from .forms import BulkReassignForm, ContactForm, CustomerForm, ReassignForm, ShareForm, VisitForm
from .models import AccessAction, Contact, CustomerUserObjectPermission, Visit

READERS = (Cap.CUSTOMERS_VIEW_ALL, Cap.CUSTOMERS_VIEW_OWN, Cap.CUSTOMERS_VIEW_BRANCH)
# Everyone else lists only what was granted to them (empty without a grant).
LISTERS = (*READERS, Cap.CUSTOMERS_REQUEST_ACCESS)


def _form_errors(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def access_customer(request, pk):
    """The one door to a single customer: tenant + reach, else 404."""
    return _with_tenant(request, access_object(
        selectors.customer_reach(membership=request.membership).select_related("branch", "owner"), pk=pk
    ))


def access_customer_for_edit(request, pk):
    return _with_tenant(request, access_object(
        selectors.customer_edit_reach(membership=request.membership).select_related("branch", "owner"), pk=pk
    ))


def _with_tenant(request, customer):
    # The request's own tenant object (same row): its stage set is read once per request.
    customer.tenant = request.tenant
    return customer


def _stamp(request) -> tuple[str, str]:
    now = timezone.localtime(timezone.now(), request.tenant.zone)
    return f"{request.user.display_name} ({request.user.username})", now.strftime("%Y-%m-%d %H:%M")


# --- list, detail --------------------------------------------------------------------------


@tenant_view(*LISTERS, any_of=True)
def customer_list(request):
    filterset = CustomerFilter(
        request.GET or None, queryset=selectors.customer_list(membership=request.membership),
        membership=request.membership, request=request,
    )
    page, query = paginate(request, filterset.qs)
    if filterset.is_bound and filterset.phone_searched and page.object_list:
        # A phone search reveals whose number it is: each hit is a logged read.
        with transaction.atomic():
            access.log_reads(tenant=request.tenant, user=request.user, customers=list(page.object_list),
                             action=AccessAction.PHONE_SEARCH, request=request)
    searched = bool(request.GET.get("q") or request.GET.get("phone"))
    return render(request, "customers/customer_list.html", {
        "filter": filterset, "page": page, "query": query, "searched": searched,
        "can_edit": request.membership.can(Cap.CUSTOMERS_EDIT),
        "can_export": request.membership.can(Cap.CUSTOMERS_EXPORT),
        "can_import": request.membership.can(Cap.CUSTOMERS_IMPORT),
        "can_request": request.membership.can(Cap.CUSTOMERS_REQUEST_ACCESS)
        and selectors.needs_request(request.membership),
        "can_reassign": request.membership.can(Cap.CUSTOMERS_VIEW_ALL) and request.membership.can(Cap.CUSTOMERS_EDIT),
        "reader": selectors.can_use_archive(request.membership),
        "whole_archive": selectors.reads_whole_archive(request.membership),
    })


@never_cache
@tenant_view()
def customer_detail(request, pk):
    customer = access_customer(request, pk)
    how = AccessAction.SEARCH_OPEN if request.GET.get("via") == "search" else AccessAction.VIEW
    with transaction.atomic():
        access.log_reads(tenant=request.tenant, user=request.user, customers=[customer], action=how, request=request)
    membership = request.membership
    can_edit = selectors.customer_edit_reach(membership=membership).filter(pk=customer.pk).exists()
    context = selectors.customer_detail(customer=customer)
    context.update({
        "c": customer, "can_edit": can_edit,
        "can_export": membership.can(Cap.CUSTOMERS_EXPORT),
        "can_manage_grants": selectors.can_manage_grants(membership=membership, customer=customer),
        "can_reassign": membership.can(Cap.CUSTOMERS_VIEW_ALL) and membership.can(Cap.CUSTOMERS_EDIT),
        "can_see_log": membership.can(Cap.CUSTOMERS_ACCESS_LOG),
        "share_form": ShareForm(tenant=request.tenant, customer=customer)
        if can_edit and selectors.can_manage_grants(membership=membership, customer=customer) else None,
        "reassign_form": ReassignForm(membership=membership),
        "tag_list": list(customer.tags.all()),
    })
    return render(request, "customers/customer_detail.html", context)


@never_cache
@tenant_view()
def customer_history(request, pk):
    from .history import customer_history as build

    customer = access_customer(request, pk)
    with transaction.atomic():
        access.log_reads(tenant=request.tenant, user=request.user, customers=[customer],
                         action=AccessAction.HISTORY, request=request)
    return render(request, "customers/customer_history.html", {"c": customer, "entries": build(customer=customer)})


# --- create / edit --------------------------------------------------------------------------


@tenant_view(Cap.CUSTOMERS_EDIT)
@once_per_submit
def customer_create(request):
    form = CustomerForm(request.POST or None, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            tags = list(form.cleaned_data["tags"]) + services.tags_get_or_create(
                tenant=request.tenant, names=form.cleaned_data["new_tags"]
            )
            customer = services.customer_create(
                tenant=request.tenant, actor=request.user, data=form.service_data(), tags=tags, request=request
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("客户档案已创建。"))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("新建客户档案")})


@tenant_view(Cap.CUSTOMERS_EDIT)
def customer_edit(request, pk):
    customer = access_customer_for_edit(request, pk)
    form = versioned(CustomerForm(request.POST or None, instance=customer, membership=request.membership), customer,
                     extra=lambda c: sorted(c.tags.values_list("pk", flat=True)))
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, customer):
                tags = list(form.cleaned_data["tags"]) + services.tags_get_or_create(
                    tenant=request.tenant, names=form.cleaned_data["new_tags"]
                )
                services.customer_update(
                    customer=customer, actor=request.user, data=form.service_data(), tags=tags, request=request
                )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("客户档案已保存。"))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("编辑客户档案"), "c": customer})


@tenant_view(Cap.CUSTOMERS_VIEW_ALL, Cap.CUSTOMERS_EDIT)
def customer_reassign(request, pk):
    customer = access_customer(request, pk)
    if request.method != "POST":  # after the lookup: a foreign id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    form = ReassignForm(request.POST, membership=request.membership)
    if form.is_valid():
        try:
            services.customer_reassign(customer=customer, actor=request.user, owner=form.cleaned_data["owner"],
                                       request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("负责人已变更。"))
    else:
        messages.error(request, _("请选择有效的新负责人。"))
    return redirect("customers:detail", pk=customer.pk)


@tenant_view(Cap.CUSTOMERS_VIEW_ALL, Cap.CUSTOMERS_EDIT)
def customer_reassign_bulk(request):
    """A salesperson leaves: move all their customers at once (each move keeps its history)."""
    form = BulkReassignForm(request.POST or None, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        moved = services.customers_reassign_all(
            tenant=request.tenant, actor=request.user, from_user=form.cleaned_data["from_user"],
            to_user=form.cleaned_data["to_user"], request=request,
        )
        messages.success(request, _("已将 %(n)s 个客户转给新负责人。") % {"n": moved})
        return redirect(f"{reverse('customers:list')}?owner={form.cleaned_data['to_user'].pk}")
    return render(request, "customers/form.html", {
        "form": form, "title": _("批量变更负责人"),
        "intro": _("销售离职或调岗时，把其名下全部客户转给另一位销售。每个客户的变更都记入变更记录。"),
    })


@tenant_view(Cap.CUSTOMERS_EDIT)
def customer_share(request, pk):
    customer = access_customer_for_edit(request, pk)
    if request.method != "POST":  # after the lookup: a foreign id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    if not selectors.can_manage_grants(membership=request.membership, customer=customer):
        raise PermissionDenied
    form = ShareForm(request.POST, tenant=request.tenant, customer=customer)
    if form.is_valid():
        try:
            services.customer_share(customer=customer, actor=request.user, user=form.cleaned_data["user"],
                                    request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已共享。"))
    else:
        messages.error(request, _("请选择要共享的销售。"))
    return redirect("customers:detail", pk=customer.pk)


@tenant_view()
def grant_revoke(request, pk):
    membership = request.membership
    reach = selectors.customer_reach(membership=membership)
    grant = access_object(
        CustomerUserObjectPermission.all_grants.filter(tenant=request.tenant, content_object__in=reach)
        .select_related("content_object"), pk=pk,
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not selectors.can_manage_grants(membership=membership, customer=grant.content_object):
        raise PermissionDenied
    services.grant_revoke(grant=grant, actor=request.user, request=request)
    messages.success(request, _("授权已收回。"))
    return redirect("customers:detail", pk=grant.content_object_id)


# --- contacts and visits ----------------------------------------------------------------------


@tenant_view(Cap.CUSTOMERS_EDIT)
@once_per_submit
def contact_create(request, pk):
    customer = access_customer_for_edit(request, pk)
    form = ContactForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        services.contact_create(customer=customer, actor=request.user, data=form.cleaned_data, request=request)
        messages.success(request, _("联系人已添加。"))
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("添加联系人"), "c": customer})


def _contact_for_edit(request, pk) -> Contact:
    editable = selectors.customer_edit_reach(membership=request.membership)
    return access_object(
        Contact.objects.filter(tenant=request.tenant, customer__in=editable).select_related("customer"), pk=pk
    )


@tenant_view(Cap.CUSTOMERS_EDIT)
def contact_edit(request, pk):
    contact = _contact_for_edit(request, pk)
    form = versioned(ContactForm(request.POST or None, instance=contact, tenant=request.tenant), contact)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, contact):
                services.contact_update(contact=contact, actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("联系人已保存。"))
            return redirect("customers:detail", pk=contact.customer_id)
    return render(request, "customers/form.html", {
        "form": form, "title": _("编辑联系人"), "c": contact.customer, "delete_url": "customers:contact_delete",
        "delete_pk": contact.pk,
    })


@tenant_view(Cap.CUSTOMERS_EDIT)
def contact_delete(request, pk):
    contact = _contact_for_edit(request, pk)
    if request.method != "POST":  # after the lookup: a foreign id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    services.contact_delete(contact=contact, actor=request.user, request=request)
    messages.success(request, _("联系人已删除（变更记录中仍可查）。"))
    return redirect("customers:detail", pk=contact.customer_id)


@tenant_view(Cap.CUSTOMERS_EDIT)
@once_per_submit
def visit_create(request, pk):
    customer = access_customer_for_edit(request, pk)
    form = VisitForm(request.POST or None, membership=request.membership, customer=customer,
                     initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_create(customer=customer, actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("拜访记录已添加。"))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("添加拜访记录"), "c": customer})


@tenant_view(Cap.CUSTOMERS_EDIT)
def visit_edit(request, pk):
    editable = selectors.customer_edit_reach(membership=request.membership)
    visit = access_object(
        Visit.objects.filter(tenant=request.tenant, customer__in=editable).select_related("customer"), pk=pk
    )
    form = versioned(VisitForm(request.POST or None, instance=visit, membership=request.membership,
                               customer=visit.customer), visit)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, visit):
                services.visit_update(visit=visit, actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("拜访记录已保存。"))
            return redirect("customers:detail", pk=visit.customer_id)
    return render(request, "customers/form.html", {"form": form, "title": _("编辑拜访记录"), "c": visit.customer})


@tenant_view(*READERS, any_of=True)
def visit_list(request):
    """目标客户基本信息情况统计表 (seed 002): the visits of the customers one may see."""
    filterset = VisitFilter(request.GET or None, queryset=selectors.visits(membership=request.membership),
                            membership=request.membership, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "customers/visit_list.html", {
        "filter": filterset, "page": page, "query": query,
        "can_export": request.membership.can(Cap.CUSTOMERS_EXPORT),
    })


# --- export and print ---------------------------------------------------------------------------

EXPORT_LIMIT = 5000


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_export(request, *, filterset, list_url_name, too_many, customer_ids, render, filename):
    """The shared path of the customer and visit exports: validate the filters, refuse more
    than EXPORT_LIMIT rows, log one read per customer, then render and name the file."""
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("筛选条件无效，未导出。"))
        return redirect(list_url_name)
    rows = list(filterset.qs[: EXPORT_LIMIT + 1])
    if len(rows) > EXPORT_LIMIT:
        messages.error(request, too_many % {"n": EXPORT_LIMIT})
        return redirect(f"{reverse(list_url_name)}?{request.GET.urlencode()}")
    made_for, made_at = _stamp(request)
    with transaction.atomic():
        access.log_reads(tenant=request.tenant, user=request.user, customers=customer_ids(rows),
                         action=AccessAction.EXPORT, request=request)
    response = HttpResponse(render(rows, made_for, made_at), content_type=XLSX)
    stamp = timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response


@never_cache
@tenant_view(Cap.CUSTOMERS_EXPORT)
def customer_export(request):
    filterset = CustomerFilter(request.GET or None, queryset=selectors.customer_list(membership=request.membership),
                               membership=request.membership, request=request)
    return _xlsx_export(
        request, filterset=filterset, list_url_name="customers:list", filename="customers",
        too_many=_("一次最多导出 %(n)s 个客户，请先缩小筛选范围。"),
        customer_ids=lambda customers: customers,
        render=lambda rows, made_for, made_at: exports.customers_xlsx(customers=rows, made_for=made_for, made_at=made_at),
    )


@never_cache
@tenant_view(Cap.CUSTOMERS_EXPORT)
def visit_export(request):
    filterset = VisitFilter(request.GET or None, queryset=selectors.visits(membership=request.membership),
                            membership=request.membership, request=request)
    return _xlsx_export(
        request, filterset=filterset, list_url_name="customers:visits", filename="visits",
        too_many=_("一次最多导出 %(n)s 条拜访记录，请先缩小筛选范围。"),
        customer_ids=lambda visits: sorted({v.customer_id for v in visits}),
        render=lambda rows, made_for, made_at: exports.visits_xlsx(visits=rows, made_for=made_for, made_at=made_at),
    )


@never_cache
@tenant_view(Cap.CUSTOMERS_EXPORT)
def customer_print(request, pk):
    customer = access_customer(request, pk)
    detail = selectors.customer_detail(customer=customer)
    made_for, made_at = _stamp(request)
    with transaction.atomic():
        access.log_reads(tenant=request.tenant, user=request.user, customers=[customer],
                         action=AccessAction.PRINT, request=request)
    data = exports.customer_card_pdf(customer=customer, contacts=detail["contacts"], visits=detail["visits"],
                                     made_for=made_for, made_at=made_at)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="customer-{customer.pk}.pdf"'
    return response
