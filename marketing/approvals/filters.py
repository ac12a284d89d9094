import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet, tenant_queryset
from marketing.models import Branch

from .models import ApprovalFlow, ApprovalTask, FlowStatus
from .registry import all_types


def _type_choices():
    return [(t.key, t.label) for t in all_types()]


class InboxFilter(TenantFilterSet):
    document_type = django_filters.ChoiceFilter(label=_("单据类型"), field_name="flow__document_type", choices=_type_choices)
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), field_name="flow__branch", queryset=tenant_queryset(Branch))
    q = django_filters.CharFilter(label=_("标题"), field_name="flow__title", lookup_expr="icontains",
                                  widget=forms.TextInput(attrs={"placeholder": _("编号/标题")}))

    class Meta:
        model = ApprovalTask
        fields = ["document_type", "branch", "q"]


class MineFilter(TenantFilterSet):
    document_type = django_filters.ChoiceFilter(label=_("单据类型"), choices=_type_choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=FlowStatus.choices)
    q = django_filters.CharFilter(label=_("标题"), field_name="title", lookup_expr="icontains")

    class Meta:
        model = ApprovalFlow
        fields = ["document_type", "status", "q"]
