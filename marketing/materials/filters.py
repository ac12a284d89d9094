import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.models import Branch
from marketing.selectors import visible_branches

from .models import (
    LibraryCategory,
    LibraryItem,
    Material,
    MaterialRequest,
    MovementKind,
    RequestStatus,
    StockMovement,
)

YES_NO = [("", "—"), ("true", _("是")), ("false", _("否"))]


class MaterialFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("编码/名称")}))
    active = django_filters.BooleanFilter(label=_("启用"), widget=forms.Select(choices=YES_NO))
    low = django_filters.BooleanFilter(label=_("低库存"), method="by_low", widget=forms.Select(choices=YES_NO))

    class Meta:
        model = Material
        fields = ["q", "active", "low"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))

    def by_low(self, queryset, name, value):
        low = Q(low_stock_threshold__gt=0, on_hand__lte=F("low_stock_threshold"))  # Material.is_low
        return queryset.filter(low) if value else queryset.exclude(low)


class MovementFilter(TenantFilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=MovementKind.choices)
    since = django_filters.DateFilter(label=_("日期起"), field_name="created_at", lookup_expr="date__gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("日期止"), field_name="created_at", lookup_expr="date__lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = StockMovement
        fields = ["kind", "since", "until"]


class RequestFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("单号"), field_name="number", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RequestStatus.choices)
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    material = django_filters.ModelChoiceFilter(label=_("物料"), queryset=Material.objects.none(),
                                                method="by_material")
    since = django_filters.DateFilter(label=_("申请日期起"), field_name="created_at", lookup_expr="date__gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("申请日期止"), field_name="created_at", lookup_expr="date__lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = MaterialRequest
        fields = ["q", "status", "branch", "material", "since", "until"]

    def __init__(self, *args, tenant, membership, materials, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["branch"].queryset = visible_branches(membership=membership)
        self.filters["material"].queryset = materials

    def by_material(self, queryset, name, value):
        return queryset.filter(lines__material=value).distinct()


class LibraryFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("名称/说明")}))
    category = django_filters.ChoiceFilter(label=_("类别"), choices=LibraryCategory.choices)

    class Meta:
        model = LibraryItem
        fields = ["q", "category"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
