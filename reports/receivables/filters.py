from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reports.filters import DATE, BranchScopedFilterSet

from .models import Receivable, ReceivableFlag, ReceivableStatus


class ReceivableFilter(BranchScopedFilterSet):
    q = django_filters.CharFilter(label=_("客户/单位或单号"), method="by_text")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ReceivableStatus.choices)
    flag = django_filters.ChoiceFilter(label=_("呆坏账标记"), choices=[c for c in ReceivableFlag.choices if c[0]])
    due_until = django_filters.DateFilter(label=_("到期日不晚于"), field_name="due_date", lookup_expr="lte", widget=DATE)

    class Meta:
        model = Receivable
        fields = ["branch", "q", "status", "flag", "due_until"]

    def by_text(self, queryset, name, value):
        value = (value or "").strip()[:100]
        return queryset.filter(Q(debtor_name__icontains=value) | Q(document__icontains=value)) if value else queryset
