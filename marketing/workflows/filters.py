import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet, tenant_queryset
from marketing.models import Branch

from .models import FormRequest, RequestStatus


class RequestFilter(TenantFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("编号/标题/申请人")}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RequestStatus.choices, empty_label=_("全部"))
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=tenant_queryset(Branch))
    submitted_from = django_filters.DateFilter(label=_("提交日期从"), field_name="submitted_at", lookup_expr="date__gte",
                                               widget=forms.DateInput(attrs={"type": "date"}))
    submitted_to = django_filters.DateFilter(label=_("至"), field_name="submitted_at", lookup_expr="date__lte",
                                             widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = FormRequest
        fields = ["q", "status", "branch", "submitted_from", "submitted_to"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value)
                               | Q(applicant__full_name__icontains=value))
