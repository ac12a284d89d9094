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
