import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.models import Branch
from marketing.selectors import visible_branches

from .models import Product, ProductStatus, ProductVersion, VersionStatus


class ProductFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("代码/名称")}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProductStatus.choices)

    class Meta:
        model = Product
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class VersionFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("代码/名称")}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=VersionStatus.choices)
    branch = django_filters.ModelChoiceFilter(label=_("申请分公司"), queryset=Branch.objects.none())

    class Meta:
        model = ProductVersion
        fields = ["q", "status", "branch"]

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["branch"].queryset = visible_branches(membership=membership)

    def search(self, queryset, name, value):
        return queryset.filter(Q(product__code__icontains=value) | Q(name__icontains=value))


class ContractFilter(TenantFilterSet):
    from .models import ContractState as _State

    q = django_filters.CharFilter(label=_("合同编号"), field_name="number", lookup_expr="icontains")
    number_from = django_filters.CharFilter(label=_("编号起"), field_name="number", lookup_expr="gte")
    number_to = django_filters.CharFilter(label=_("编号止"), field_name="number", lookup_expr="lte")
    state = django_filters.ChoiceFilter(label=_("状态"), choices=_State.choices)
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    product = django_filters.ModelChoiceFilter(label=_("产品"), queryset=Product.objects.none())
    holder = django_filters.CharFilter(label=_("领取人"), field_name="holder_name", lookup_expr="icontains")

    class Meta:
        from .models import Contract

        model = Contract
        fields = ["q", "number_from", "number_to", "state", "branch", "product", "holder"]

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["branch"].queryset = visible_branches(membership=membership)
        self.filters["product"].queryset = Product.objects.filter(tenant=tenant).order_by("code")


class RequestFilter(TenantFilterSet):
    from .models import RequestStatus as _Status

    q = django_filters.CharFilter(label=_("申领编号"), field_name="number", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=_Status.choices)
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    product = django_filters.ModelChoiceFilter(label=_("产品"), queryset=Product.objects.none())

    class Meta:
        from .models import ContractRequest

        model = ContractRequest
        fields = ["q", "status", "branch", "product"]

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["branch"].queryset = visible_branches(membership=membership)
        self.filters["product"].queryset = Product.objects.filter(tenant=tenant).order_by("code")
