"""Forms and filters of the budget pages (expenses/budgets.py)."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet
from marketing.forms import TenantModelForm
from marketing.models import Branch

from .models import MAX_AMOUNT, Budget, BudgetPeriod

PERIOD_FORMATS = ["%Y-%m", "%Y-%m-%d"]


class BudgetForm(TenantModelForm):
    period = forms.DateField(
        label=_("期间（月份）"), input_formats=PERIOD_FORMATS,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("月度预算：该月；年度预算：该年的任一月份（按全年计）。"),
        error_messages={"invalid": _("请输入月份，例如 2026-05。")},
    )
    amount = forms.DecimalField(
        label=_("预算金额（元）"), min_value=Decimal("0.00"), max_value=MAX_AMOUNT, max_digits=14, decimal_places=2,
        error_messages={"min_value": _("金额不能为负数。"), "max_value": _("金额过大，请核对（上限 1 亿元）。"),
                        "invalid": _("请输入有效的金额，例如 50000.00。")},
    )

    class Meta:
        model = Budget
        fields = ["branch", "department", "period_kind", "period", "amount", "note"]
        help_texts = {"department": _("总部预算：不选分公司，填写部门名称（如 市场部）。")}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["branch"].queryset = Branch.objects.filter(tenant=tenant, is_active=True)
        self.fields["branch"].required = False
        self.fields["branch"].empty_label = _("（总部部门）")

    def clean(self):
        data = super().clean()
        if not data.get("branch") and not (data.get("department") or "").strip():
            self.add_error("department", _("请选择分公司，或填写总部部门。"))
        return data

    def _post_clean(self):
        # The service validates the model (period normalised first); skip ModelForm's own.
        pass

    def model_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class BudgetFilter(TenantFilterSet):
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=Branch.objects.none())
    department = django_filters.CharFilter(label=_("总部部门"), lookup_expr="icontains")
    period_kind = django_filters.ChoiceFilter(label=_("预算周期"), choices=BudgetPeriod.choices)
    year = django_filters.NumberFilter(label=_("年份"), field_name="period", lookup_expr="year", min_value=1900,
                                       max_value=2100)

    class Meta:
        model = Budget
        fields = ["branch", "department", "period_kind", "year"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["branch"].queryset = Branch.objects.filter(tenant=tenant)


class SettingsForm(forms.Form):
    region_operations_review = forms.BooleanField(
        label=_("各地区运营审核本地区分公司的营销费用申请"), required=False,
        help_text=_("开启后，营销费用申请在市场审核之后增加“地区运营审核”一步（由该地区的运营人员审核）。"),
    )
