from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.approvals.uploads import ALLOWED_EXTENSIONS
from marketing.forms import TenantModelForm
from marketing.selectors import visible_branches

from .models import ProductVersion

_PRICE_ERRORS = {
    "min_value": _("金额必须大于 0。"),
    "invalid": _("请输入有效的金额，例如 3980.00。"),
    "max_digits": _("金额过大，请核对。"),
    "max_decimal_places": _("金额最多两位小数。"),
}


class ProductVersionForm(TenantModelForm):
    """A product design (new product: with its code) or a new version of an approved one."""

    code = forms.CharField(label=_("产品代码"), max_length=30, required=False,
                           help_text=_("字母、数字、-和_，例如 YB-A36"))
    price = forms.DecimalField(label=_("建议售价（元）"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
                               error_messages=_PRICE_ERRORS)
    clauses_file = forms.FileField(
        label=_("合同条款（PDF/Word）"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{e}" for e in ALLOWED_EXTENSIONS)}),
        help_text=_("提交审批前必须上传；不超过 10 MB。若表单有误需重新选择文件。"),
    )

    class Meta:
        model = ProductVersion
        fields = ["branch", "name", "vehicle_type", "term_months", "mileage_limit", "price", "coverage", "reason"]
        widgets = {"coverage": forms.Textarea(attrs={"rows": 4}), "reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, membership, with_code: bool = False, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["branch"].queryset = visible_branches(membership=membership).filter(is_active=True)
        if not with_code:
            del self.fields["code"]
        else:
            self.fields["code"].required = True
            self.fields["code"].error_messages["required"] = _("请填写产品代码。")
        for name in ("term_months", "mileage_limit"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})
        self.fields["price"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").strip().upper()

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class BarForm(forms.Form):
    bar_percent = forms.DecimalField(label=_("动销率达标线（%）"), min_value=Decimal("0"), max_value=Decimal("100"),
                                     max_digits=5, decimal_places=2)


class EntryForm(forms.Form):
    product = forms.ModelChoiceField(label=_("产品"), queryset=None, empty_label=None)
    vehicle_class = forms.CharField(label=_("车辆级别"), max_length=60)
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=240)
    price = forms.DecimalField(label=_("价格（元）"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
                               error_messages=_PRICE_ERRORS)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Product, ProductStatus

        self.fields["product"].queryset = Product.objects.filter(
            tenant=tenant, status__in=[ProductStatus.APPROVED, ProductStatus.ONLINE]).order_by("code")


class PublishForm(forms.Form):
    effective_on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class ConfirmForm(forms.Form):
    decision = forms.ChoiceField(label=_("意见"), choices=[("confirmed", _("确认")), ("objected", _("提出异议"))],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label=_("意见说明"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
