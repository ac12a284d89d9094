"""One filter set for both lists: the agreement conditions (original's state, signed between,
expiring within N days) apply to the register directly and to the partner list through
"has such an agreement" (a subquery, so a partner is listed once)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.models import Branch, Region

from .models import Agreement, AgreementStage, OriginalState, PartnerType


class _Base(TenantFilterSet):
    q = django_filters.CharFilter(label=_("名称或信用代码"), method="by_text",
                                  widget=forms.TextInput(attrs={"placeholder": _("名称关键字或代码")}))
    type = django_filters.ModelChoiceFilter(label=_("类型"), queryset=PartnerType.objects.none(), method="by_type")
    region = django_filters.ModelChoiceFilter(label=_("地区"), queryset=Region.objects.none(), method="by_region")
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none(), method="by_branch")
    original = django_filters.ChoiceFilter(label=_("原件状态"), choices=OriginalState.choices, method="by_agreement")
    signed_from = django_filters.DateFilter(label=_("签订日期从"), method="by_agreement",
                                            widget=forms.DateInput(attrs={"type": "date"}))
    signed_to = django_filters.DateFilter(label=_("签订日期至"), method="by_agreement",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    expiring_days = django_filters.NumberFilter(label=_("N 天内到期"), method="by_agreement", min_value=0,
                                                max_value=3660)

    partner_prefix = ""

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, tenant=membership.tenant, **kwargs)
        self.filters["type"].queryset = PartnerType.objects.filter(tenant=membership.tenant)
        self.filters["region"].queryset = Region.objects.filter(tenant=membership.tenant)
        self.filters["branch"].queryset = Branch.objects.filter(tenant=membership.tenant).select_related("region")

    def _p(self, field: str) -> str:
        return f"{self.partner_prefix}{field}"

    def by_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(**{self._p("name__icontains"): value})
                               | Q(**{self._p("credit_code"): value.upper()})) if value else queryset

    def by_type(self, queryset, name, value):
        return queryset.filter(**{self._p("type"): value})

    def by_region(self, queryset, name, value):
        return queryset.filter(**{self._p("region"): value})

    def by_branch(self, queryset, name, value):
        return queryset.filter(**{self._p("branch"): value})

    def by_agreement(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def agreement_q(self) -> Q | None:
        data = self.form.cleaned_data
        q = Q()
        if data.get("original"):
            q &= Q(original_state=data["original"]) & ~Q(stage__in=[AgreementStage.DRAFT, AgreementStage.CANCELLED])
        if data.get("signed_from"):
            q &= Q(signed_on__gte=data["signed_from"])
        if data.get("signed_to"):
            q &= Q(signed_on__lte=data["signed_to"])
        if data.get("expiring_days") is not None:
            today = timezone.localdate()
            q &= Q(stage=AgreementStage.SIGNED, ends_on__gte=today,
                   ends_on__lte=today + dt.timedelta(days=int(data["expiring_days"])))
        return q if q else None


class PartnerFilter(_Base):
    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        q = self.agreement_q()
        if q is not None:
            queryset = queryset.filter(pk__in=Agreement.objects.filter(tenant=self.tenant).filter(q)
                                       .values("partner_id"))
        return queryset


class RegisterFilter(_Base):
    partner_prefix = "partner__"
    stage = django_filters.ChoiceFilter(label=_("协议状态"), choices=AgreementStage.choices)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        q = self.agreement_q()
        return queryset.filter(q) if q is not None else queryset
