import django_filters
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.models import Branch
from marketing.selectors import visible_branches

from .models import Departure, DepartureStatus, Transfer, TransferStatus


class DepartureFilter(TenantFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=DepartureStatus.choices)
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    name = django_filters.CharFilter(label=_("姓名"), field_name="user__full_name", lookup_expr="icontains")

    class Meta:
        model = Departure
        fields = ["status", "branch", "name"]

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["branch"].queryset = visible_branches(membership=membership)


class TransferFilter(TenantFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TransferStatus.choices)
    to_branch = django_filters.ModelChoiceFilter(label=_("调入分公司"), queryset=Branch.objects.none())

    class Meta:
        model = Transfer
        fields = ["status", "to_branch"]

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["to_branch"].queryset = visible_branches(membership=membership)
