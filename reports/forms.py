from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketing.bounds import validate_day
from marketing.forms import TenantModelForm
from marketing.models import Branch, User

from .imports import MAX_IMPORT_BYTES
from .models import DailyReport, ImportKind, PartnerKind, WorkdayOverride


class BranchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.region.name} · {obj.name}"


class ReportForm(TenantModelForm):
    """The report text and figures. Branch and day are chosen for a new report only."""

    branch = BranchChoiceField(label=_("分公司"), queryset=Branch.objects.none(),
                               error_messages={"invalid_choice": _("请选择您负责的分公司。")})

    class Meta:
        model = DailyReport
        fields = ["branch", "business_day", "narrative", "customer_visits", "contracts_signed", "problems", "next_plan"]
        widgets = {
            "business_day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "narrative": forms.Textarea(attrs={"rows": 5, "placeholder": _("今天分公司发生了什么：拜访、签约、活动、竞品动态……")}),
            "problems": forms.Textarea(attrs={"rows": 3}),
            "next_plan": forms.Textarea(attrs={"rows": 3}),
            "customer_visits": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "contracts_signed": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        }
        error_messages = {
            "customer_visits": {"invalid": _("请输入不小于 0 的整数。"), "min_value": _("请输入不小于 0 的整数。")},
            "contracts_signed": {"invalid": _("请输入不小于 0 的整数。"), "min_value": _("请输入不小于 0 的整数。")},
            "business_day": {"invalid": _("日期格式不正确。")},
        }

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["narrative"].required = False
        if self.instance.pk:
            self.fields["branch"].disabled = True
            self.fields["business_day"].disabled = True

    def clean(self):
        data = super().clean()
        if self.data.get("action") == "submit" and not (data.get("narrative") or "").strip():
            self.add_error("narrative", _("提交前请填写今日动态。"))
        return data

    def validate_unique(self):
        # One report per branch and day: the service opens the existing one instead.
        pass


class PartnerForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("类型"), choices=PartnerKind.choices, initial=PartnerKind.DEALER,
                             widget=forms.Select(attrs={"aria-label": _("类型")}))
    name = forms.CharField(label=_("名称"), max_length=100)
    city = forms.CharField(label=_("城市"), max_length=40)
    contact = forms.CharField(label=_("联系人及电话"), max_length=100)


PartnerFormSet = forms.formset_factory(PartnerForm, extra=1, can_delete=True, max_num=50, validate_max=True)


def partner_rows(formset) -> list[dict]:
    rows = []
    for form in formset.forms:
        if not form.has_changed() and not form.cleaned_data.get("id"):
            continue
        if form.cleaned_data.get("DELETE") or not form.cleaned_data:
            continue
        rows.append({k: form.cleaned_data.get(k) for k in ("id", "kind", "name", "city", "contact")})
    return rows


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})
    default_validators = [validate_day]

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            raise ValidationError(_("月份格式应为 YYYY-MM。"), code="bad_month")


class TargetForm(forms.Form):
    branch = BranchChoiceField(label=_("分公司"), queryset=Branch.objects.none())
    month = MonthField(label=_("月份"))
    amount = forms.DecimalField(
        label=_("目标金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0"),
        error_messages={"min_value": _("目标金额不能为负数。"), "invalid": _("请输入金额数字。"),
                        "max_decimal_places": _("金额最多两位小数。")},
    )

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


class OverrideForm(TenantModelForm):
    is_working = forms.TypedChoiceField(
        label=_("当天"), choices=[("1", _("上班（工作日）")), ("0", _("休息（非工作日）"))],
        coerce=lambda v: v == "1",
    )

    class Meta:
        model = WorkdayOverride
        fields = ["day", "is_working", "note"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def validate_unique(self):
        pass  # an existing override for the day is replaced by the service


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("数据类型"), choices=ImportKind.choices)
    file = forms.FileField(label=_("Excel 文件（.xlsx）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("文件超过 %(mb)d MB 上限。"), params={"mb": MAX_IMPORT_BYTES // (1024 * 1024)})
        if f.size == 0:
            raise ValidationError(_("文件为空。"))
        if not f.name.lower().endswith((".xlsx", ".xlsm")):
            raise ValidationError(_("文件类型不正确：请上传 Excel .xlsx 文件。"))
        return f


class RecipientForm(forms.Form):
    user = forms.ModelChoiceField(label=_("用户"), queryset=User.objects.none())
    include = forms.TypedChoiceField(
        label=_("设置"), choices=[("1", _("接收每日汇总")), ("0", _("不接收"))], coerce=lambda v: v == "1"
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            membership__tenant=tenant, membership__is_active=True
        ).order_by("full_name", "username")
