import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.models import Branch, User
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import ApplicationStatus, ClaimStatus, HospitalityApplication, HospitalityClaim

DATE = forms.DateInput(attrs={"type": "date"})


class _ReachFilter(TenantFilterSet):
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    applicant = django_filters.ModelChoiceFilter(label=_("销售"), queryset=User.objects.none())

    def __init__(self, *args, tenant, membership, base, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        if membership.can(Cap.HOSPITALITY_VIEW_ALL):
            self.filters["branch"].queryset = Branch.objects.filter(tenant=tenant)
        else:
            self.filters["branch"].queryset = visible_branches(membership=membership)
        self.filters["applicant"].queryset = User.objects.filter(
            membership__tenant=tenant, pk__in=base.values("applicant_id")).order_by("full_name", "username")


class ApplicationFilter(_ReachFilter):
    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("编号/客户/单位")}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices)
    is_emergency = django_filters.BooleanFilter(label=_("紧急申请"), widget=forms.Select(
        choices=[("", "—"), ("true", _("是")), ("false", _("否"))]))
    since = django_filters.DateFilter(label=_("招待日期起"), field_name="visit_date", lookup_expr="gte", widget=DATE)
    until = django_filters.DateFilter(label=_("招待日期止"), field_name="visit_date", lookup_expr="lte", widget=DATE)

    class Meta:
        model = HospitalityApplication
        fields = ["q", "status", "branch", "applicant", "is_emergency", "since", "until"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(guests__name__icontains=value)
                               | Q(guests__company__icontains=value)).distinct()


class ClaimFilter(_ReachFilter):
    q = django_filters.CharFilter(label=_("搜索"), method="search",
                                  widget=forms.TextInput(attrs={"placeholder": _("编号/场所")}))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ClaimStatus.choices)
    personal = django_filters.BooleanFilter(label=_("有个人自理"), method="by_personal", widget=forms.Select(
        choices=[("", "—"), ("true", _("是")), ("false", _("否"))]))
    since = django_filters.DateFilter(label=_("招待日期起"), field_name="meal_date", lookup_expr="gte", widget=DATE)
    until = django_filters.DateFilter(label=_("招待日期止"), field_name="meal_date", lookup_expr="lte", widget=DATE)

    class Meta:
        model = HospitalityClaim
        fields = ["q", "status", "branch", "applicant", "personal", "since", "until"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(venue__name__icontains=value)
                               | Q(venue_other__icontains=value) | Q(application__number__icontains=value))

    def by_personal(self, queryset, name, value):
        return queryset.filter(personal_share__gt=0) if value else queryset.filter(personal_share=0)
