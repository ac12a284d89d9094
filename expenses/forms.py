from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.approvals.uploads import ALLOWED_EXTENSIONS
from marketing.forms import TenantModelForm
from marketing.selectors import visible_branches

from .models import MAX_AMOUNT, AttachmentKind, ExpenseRequest

_AMOUNT_ERRORS = {
    "min_value": _("金额必须大于 0。"),
    "max_value": _("金额过大，请核对（上限 1 亿元）。"),
    "invalid": _("请输入有效的金额，例如 12800.00。"),
    "max_digits": _("金额过大，请核对（上限 1 亿元）。"),
    "max_decimal_places": _("金额最多两位小数。"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(f".{e}" for e in ALLOWED_EXTENSIONS)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ExpenseForm(TenantModelForm):
    """Create / edit. Files are validated by the service (type sniffed, ≤10 MB); the branch
    choices are the member's own branches."""

    contract_amount = forms.DecimalField(
        label=_("相关合同金额（元）"), min_value=Decimal("0.01"), max_value=MAX_AMOUNT, max_digits=14,
        decimal_places=2, error_messages=_AMOUNT_ERRORS, required=False,
        help_text=_("没有相关合同（如活动、推广预算）请留空：不计算费用比例。"),
    )
    amount = forms.DecimalField(
        label=_("申请费用金额（元）"), min_value=Decimal("0.01"), max_value=MAX_AMOUNT, max_digits=14,
        decimal_places=2, error_messages=_AMOUNT_ERRORS,
    )
    attachment_kind = forms.ChoiceField(label=_("附件类型"), choices=AttachmentKind.choices, required=False)
    attachments = MultipleFileField(
        label=_("附件（报价单、发票）"), required=False,
        help_text=_("PDF、JPG、PNG、Excel、Word，单个不超过 10 MB。若表单有误需重新选择文件。"),
    )

    class Meta:
        model = ExpenseRequest
        fields = [
            "branch", "activity", "activity_kind", "purpose", "contract_amount", "amount",
            "payee_name", "payee_bank", "payee_account", "planned_date",
        ]
        widgets = {
            "planned_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "activity_kind": forms.RadioSelect,
        }

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["branch"].queryset = visible_branches(membership=membership).filter(is_active=True)
        for name in ("amount", "contract_amount"):
            self.fields[name].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})
        self.fields["payee_account"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["payee_name"].error_messages["required"] = _("请填写收款人。")

    def clean_payee_account(self):
        return (self.cleaned_data.get("payee_account") or "").replace(" ", "")

    def clean(self):
        data = super().clean()
        amount, contract = data.get("amount"), data.get("contract_amount")
        # The ratio rules apply only to a request that relates to a contract (S000-24).
        if amount is not None and contract is not None and amount > contract:
            self.add_error("amount", _("费用金额不能超过相关合同金额。"))
        return data

    def files_with_kind(self):
        kind = self.cleaned_data.get("attachment_kind") or AttachmentKind.QUOTE
        return [(kind, f) for f in self.cleaned_data.get("attachments") or []]

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("发放日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(label=_("付款凭证号"), max_length=60)
