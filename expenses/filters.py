import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.models import Branch, User
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import ActivityKind, ExpenseRequest, ExpenseStatus


class ExpenseFilter(TenantFilterSet):
    """Branch and applicant choices: only what the member may see."""

    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("编号/活动/收款人")}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ExpenseStatus.choices)
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    applicant = django_filters.ModelChoiceFilter(label=_("申请人"), queryset=User.objects.none())
    activity_kind = django_filters.ChoiceFilter(label=_("活动类型"), choices=ActivityKind.choices)
    since = django_filters.DateFilter(label=_("计划日期起"), field_name="planned_date", lookup_expr="gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("计划日期止"), field_name="planned_date", lookup_expr="lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    amount_min = django_filters.NumberFilter(label=_("金额不低于"), field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(label=_("金额不高于"), field_name="amount", lookup_expr="lte")
    over_ratio = django_filters.BooleanFilter(label=_("超出比例上限"), method="by_over_ratio",
                                              widget=forms.Select(choices=[("", "—"), ("true", _("是")), ("false", _("否"))]))

    class Meta:
        model = ExpenseRequest
        fields = ["q", "status", "branch", "applicant", "activity_kind", "since", "until", "amount_min", "amount_max"]

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        branches = visible_branches(membership=membership)
        self.filters["branch"].queryset = branches
        applicants = User.objects.filter(membership__tenant=tenant)
        if not membership.can(Cap.EXPENSES_VIEW_ALL):
            applicants = applicants.filter(
                pk__in=ExpenseRequest.objects.filter(tenant=tenant, branch__in=branches.values("pk")).values("applicant_id")
            )
        else:
            applicants = applicants.filter(pk__in=ExpenseRequest.objects.filter(tenant=tenant).values("applicant_id"))
        self.filters["applicant"].queryset = applicants.order_by("full_name", "username").only(
            "pk", "full_name", "username"
        )

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(activity__icontains=value) | Q(payee_name__icontains=value))

    def by_over_ratio(self, queryset, name, value):
        from django.db.models import F

        # A request without a contract has no ratio, so it is never over the limit.
        over = Q(amount__gt=F("contract_amount") * F("ratio_limit"))  # the rule of ExpenseRequest.over_ratio
        if value:
            return queryset.filter(over)
        return queryset.filter(Q(contract_amount__isnull=True) | ~over)
