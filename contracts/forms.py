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
        fields = ["branch", "name", "vehicle_type", "term_months", "mileage_limit", "price", "coverage", "reason",
                  "estimated_unit_cost", "development_cost", "expected_sales"]
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


class RequestForm(TenantModelForm):
    class Meta:
        from .models import ContractRequest

        model = ContractRequest
        fields = ["branch", "product", "quantity", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        from .selectors import online_products

        self.fields["branch"].queryset = visible_branches(membership=membership).filter(is_active=True)
        self.fields["product"].queryset = online_products(tenant=tenant)  # S000-40: products on sale only
        self.fields["quantity"].widget.attrs.update({"inputmode": "numeric", "min": 1})
        self.fields["quantity"].error_messages.update({"min_value": _("申领份数至少 1 份。"),
                                                       "max_value": _("申领份数最多 100000 份。")})

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class BatchForm(forms.Form):
    product = forms.ModelChoiceField(label=_("产品"), queryset=None)
    first_number = forms.CharField(label=_("合同编号起"), max_length=40, help_text=_("例如 LZ-2026-000001"))
    last_number = forms.CharField(label=_("合同编号止"), max_length=40, help_text=_("例如 LZ-2026-005000"))
    printer = forms.CharField(label=_("印刷厂"), max_length=100)
    unit_cost = forms.DecimalField(label=_("单价（元/份）"), min_value=Decimal("0"), max_digits=10, decimal_places=4)
    received_on = forms.DateField(label=_("入库日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    print_order = forms.ModelChoiceField(label=_("对应印刷单"), queryset=None, required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import PrintOrder, PrintOrderStatus, Product, ProductStatus

        self.fields["product"].queryset = Product.objects.filter(
            tenant=tenant, status__in=[ProductStatus.APPROVED, ProductStatus.ONLINE]).order_by("code")
        self.fields["print_order"].queryset = PrintOrder.objects.filter(
            tenant=tenant, status=PrintOrderStatus.ORDERED).select_related("product")


class BatchReconcileForm(forms.Form):
    """S000-09: the printer's quote and bill of one print batch."""

    quote_amount = forms.DecimalField(label=_("印刷厂报价（元）"), min_value=Decimal("0"), max_digits=12,
                                      decimal_places=2)
    bill_amount = forms.DecimalField(label=_("印刷厂账单（元）"), min_value=Decimal("0"), max_digits=12,
                                     decimal_places=2)


class BatchSettleForm(forms.Form):
    note = forms.CharField(label=_("核对说明"), max_length=200, required=False,
                           help_text=_("账单与报价或内部台账不一致时必填"))


class ReceiveForm(forms.Form):
    first_number = forms.CharField(label=_("合同编号起"), max_length=40)
    last_number = forms.CharField(label=_("合同编号止"), max_length=40, required=False,
                                  help_text=_("只登记一份时留空"))
    holder = forms.ModelChoiceField(label=_("领取人（系统用户）"), queryset=None, required=False)
    holder_name = forms.CharField(label=_("或花名册中的姓名"), max_length=60, required=False)
    on = forms.DateField(label=_("领取日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, **kwargs)
        from marketing.models import User

        branches = visible_branches(membership=membership).values("pk")
        from marketing.models import BranchUserObjectPermission

        users = BranchUserObjectPermission.objects.filter(tenant=tenant, content_object__in=branches,
                                                          permission__codename="act_for_branch").values("user_id")
        self.fields["holder"].queryset = User.objects.filter(pk__in=users, is_active=True).order_by("full_name")

    def clean(self):
        data = super().clean()
        if not data.get("holder") and not (data.get("holder_name") or "").strip():
            raise forms.ValidationError(_("请选择领取人，或填写花名册中的姓名。"))
        return data


class MoveForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("作废原因"), max_length=200, required=False)


class OverrideForm(forms.Form):
    reason = forms.CharField(label=_("超标准批准理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SettingsForm(TenantModelForm):
    class Meta:
        from .models import ContractSettings

        model = ContractSettings
        fields = ["sell_through_window_days", "print_lead_working_days", "unconfirmed_after_working_days"]
