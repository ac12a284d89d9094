"""客户投诉记录 (S001-27): record on the customer, follow up and close, list across the
customers one may read (filters, paging, xlsx). Reach is the archive's: a complaint is seen
by whoever may read its customer, and by its handler."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from marketing.filters import TenantFilterSet
from marketing.models import User
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import exports, selectors, services
from .forms import ComplaintCloseForm, ComplaintForm
from .models import Complaint, ComplaintDepartment, ComplaintStatus
from .views import LISTERS, _form_errors, _xlsx_export, access_customer_for_edit


def visible_complaints(membership):
    reach = selectors.customer_reach(membership=membership).values("pk")
    return Complaint.objects.filter(tenant_id=membership.tenant_id).filter(
        Q(customer_id__in=reach) | Q(handler_id=membership.user_id)
    ).select_related("customer", "customer__branch", "handler")


class ComplaintFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("客户名称"), field_name="customer__name", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ComplaintStatus.choices)
    department = django_filters.ChoiceFilter(label=gettext_lazy("处理部门"), choices=ComplaintDepartment.choices)
    handler = django_filters.ModelChoiceFilter(label=gettext_lazy("处理人"), queryset=User.objects.none())
    since = django_filters.DateFilter(label=gettext_lazy("起始日期"), field_name="received_on", lookup_expr="gte")
    until = django_filters.DateFilter(label=gettext_lazy("截止日期"), field_name="received_on", lookup_expr="lte")

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, tenant=membership.tenant, **kwargs)
        self.filters["handler"].queryset = User.objects.filter(
            membership__tenant=membership.tenant, membership__is_active=True).only("pk", "full_name", "username")


def _filtered(request):
    return ComplaintFilter(request.GET or None, queryset=visible_complaints(request.membership),
                           membership=request.membership, request=request)


@never_cache
@tenant_view(*LISTERS, any_of=True)
def complaint_list(request):
    filterset = _filtered(request)
    page, query = paginate(request, filterset.qs.order_by("-received_on", "-id"))
    return render(request, "customers/complaint_list.html", {
        "filter": filterset, "page": page, "query": query, "can_export": request.membership.can(Cap.CUSTOMERS_EXPORT),
    })


@never_cache
@tenant_view(Cap.CUSTOMERS_EXPORT)
def complaint_export(request):
    return _xlsx_export(
        request, filterset=_filtered(request), list_url_name="customers:complaints", filename="complaints",
        too_many=_("一次最多导出 %(n)s 条投诉记录，请先缩小筛选范围。"),
        customer_ids=lambda rows: sorted({c.customer_id for c in rows}),
        render=lambda rows, made_for, made_at: exports.complaints_xlsx(complaints=rows, made_for=made_for,
                                                                       made_at=made_at),
    )


@tenant_view(Cap.CUSTOMERS_EDIT)
@once_per_submit
def complaint_create(request, pk):
    customer = access_customer_for_edit(request, pk)
    form = ComplaintForm(request.POST or None, membership=request.membership,
                         initial={"received_on": timezone.localdate(), "handler": customer.owner_id})
    if request.method == "POST" and form.is_valid():
        services.complaint_create(customer=customer, actor=request.user, data=form.cleaned_data, request=request)
        messages.success(request, _("投诉已记录，已通知负责人跟进。"))
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("记录客户投诉"), "c": customer})


@tenant_view(*LISTERS, any_of=True)
def complaint_close(request, pk):
    complaint = access_object(visible_complaints(request.membership), pk=pk)
    may_close = complaint.handler_id == request.user.pk or selectors.customer_edit_reach(
        membership=request.membership).filter(pk=complaint.customer_id).exists()
    if not may_close:
        raise PermissionDenied
    form = ComplaintCloseForm(request.POST or None, initial={"closed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_close(complaint=complaint, actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("投诉已办结。"))
            return redirect("customers:complaints")
    return render(request, "customers/complaint_close.html", {"form": form, "complaint": complaint})

