import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet, tenant_queryset
from marketing.models import Branch

from .models import ApprovalFlow, ApprovalTask, FlowStatus
from .registry import all_families, all_types


def _type_choices():
    # A family of run-time types (the tenant's approval forms) is one entry: "form:*".
    return [(t.key, t.label) for t in all_types()] + [(f"{f.prefix}:*", f.label) for f in all_families() if f.label]


def _by_type(field_name):
    def method(self, queryset, name, value):
        if not value:
            return queryset
        if value.endswith(":*"):
            return queryset.filter(**{f"{field_name}__startswith": value[:-1]})
        return queryset.filter(**{field_name: value})
    return method


class InboxFilter(TenantFilterSet):
    document_type = django_filters.ChoiceFilter(label=_("单据类型"), choices=_type_choices, method="filter_type")
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), field_name="flow__branch", queryset=tenant_queryset(Branch))
    q = django_filters.CharFilter(label=_("标题"), field_name="flow__title", lookup_expr="icontains",
                                  widget=forms.TextInput(attrs={"placeholder": _("编号/标题")}))

    filter_type = _by_type("flow__document_type")

    class Meta:
        model = ApprovalTask
        fields = ["document_type", "branch", "q"]


class MineFilter(TenantFilterSet):
    document_type = django_filters.ChoiceFilter(label=_("单据类型"), choices=_type_choices, method="filter_type")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=FlowStatus.choices)
    q = django_filters.CharFilter(label=_("标题"), field_name="title", lookup_expr="icontains")

    filter_type = _by_type("document_type")

    class Meta:
        model = ApprovalFlow
        fields = ["document_type", "status", "q"]
