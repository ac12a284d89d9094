import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketing.bounds import parse_month
from marketing.filters import TenantFilterSet
from marketing.models import Branch

from .models import (
    Collection,
    DailyReport,
    DailySummary,
    ImportJob,
    ImportKind,
    ImportStatus,
    MonthlyTarget,
    PartnerKind,
    ReportStatus,
    RosterEntry,
    SignedPartner,
    SummaryStatus,
    WorkdayOverride,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def yes_no():
    return forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))])


class BranchScopedFilterSet(TenantFilterSet):
    """``branch`` choices: the branches the member may see, never another tenant's."""

    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "branch" in self.filters:
            self.filters["branch"].queryset = (
                branches if branches is not None else Branch.objects.filter(tenant=self.tenant)
            ).select_related("region")


class ReportFilter(BranchScopedFilterSet):
    since = django_filters.DateFilter(label=_("起始日期"), field_name="business_day", lookup_expr="gte", widget=DATE)
    until = django_filters.DateFilter(label=_("截止日期"), field_name="business_day", lookup_expr="lte", widget=DATE)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ReportStatus.choices)
    late = django_filters.BooleanFilter(label=_("迟报"), method="by_late", widget=yes_no())
    amended = django_filters.BooleanFilter(label=_("截止后修订"), field_name="amended_at", lookup_expr="isnull", exclude=True,
                                          widget=yes_no())

    class Meta:
        model = DailyReport
        fields = ["branch", "since", "until", "status", "late", "amended"]

    def by_late(self, queryset, name, value):
        from django.db.models import F

        late = Q(submitted_at__gte=F("due_at"))
        return queryset.filter(late) if value else queryset.filter(submitted_at__isnull=False).exclude(late)


class PartnerFilter(BranchScopedFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=PartnerKind.choices)
    paper_received = django_filters.BooleanFilter(label=_("原件已收到"), widget=yes_no())

    class Meta:
        model = SignedPartner
        fields = ["q", "branch", "kind", "paper_received"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(city__icontains=value) | Q(contact__icontains=value))


class TargetFilter(BranchScopedFilterSet):
    month = django_filters.CharFilter(label=_("月份（YYYY-MM）"), method="by_month",
                                      widget=forms.TextInput(attrs={"type": "month"}))

    class Meta:
        model = MonthlyTarget
        fields = ["branch", "month"]

    def by_month(self, queryset, name, value):
        try:
            first = parse_month(value)
        except ValueError:
            return queryset.none()
        return queryset.filter(month=first)


class RosterFilter(BranchScopedFilterSet):
    q = django_filters.CharFilter(label=_("姓名/岗位"), method="search")
    active_on = django_filters.DateFilter(label=_("在职日期"), method="by_active", widget=DATE)

    class Meta:
        model = RosterEntry
        fields = ["q", "branch", "active_on"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(position__icontains=value))

    def by_active(self, queryset, name, value):
        return queryset.filter(hire_date__lte=value).filter(Q(leave_date__isnull=True) | Q(leave_date__gt=value))


class CollectionFilter(BranchScopedFilterSet):
    since = django_filters.DateFilter(label=_("起始日期"), field_name="day", lookup_expr="gte", widget=DATE)
    until = django_filters.DateFilter(label=_("截止日期"), field_name="day", lookup_expr="lte", widget=DATE)

    class Meta:
        model = Collection
        fields = ["branch", "since", "until"]


class SummaryFilter(TenantFilterSet):
    since = django_filters.DateFilter(label=_("起始日期"), field_name="business_day", lookup_expr="gte", widget=DATE)
    until = django_filters.DateFilter(label=_("截止日期"), field_name="business_day", lookup_expr="lte", widget=DATE)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=SummaryStatus.choices)

    class Meta:
        model = DailySummary
        fields = ["since", "until", "status"]


class ImportFilter(TenantFilterSet):
    kind = django_filters.ChoiceFilter(label=_("数据类型"), choices=ImportKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ImportStatus.choices)

    class Meta:
        model = ImportJob
        fields = ["kind", "status"]


class OverrideFilter(TenantFilterSet):
    since = django_filters.DateFilter(label=_("起始日期"), field_name="day", lookup_expr="gte", widget=DATE)
    until = django_filters.DateFilter(label=_("截止日期"), field_name="day", lookup_expr="lte", widget=DATE)

    class Meta:
        model = WorkdayOverride
        fields = ["since", "until"]
