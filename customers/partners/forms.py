"""Forms of the register. They parse input; every rule lives in the services, whose coded
refusals the views put back on the field they concern (``FIELD_OF_CODE``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.forms import TenantModelForm
from marketing.roles import Role
from marketing.selectors import users_with_roles

from .models import CheckResult, Partner, PartnerSettings, PartnerType

SCAN_ACCEPT = "image/*,application/pdf"

FIELD_OF_CODE = {
    "credit_code_check_digit": "credit_code_override",
    "credit_code_format": "credit_code",
    "duplicate_credit_code": "credit_code",
    "end_before_start": "ends_on",
    "term_required": "ends_on",
    "duplicate_number": "number",
    "scan_type": "scan",
    "scan_too_large": "scan",
    "signed_on_required": "signed_on",
    "future_signing": "signed_on",
    "name_required": "name",
    "courier_required": "waybill",
    "sent_on_required": "sent_on",
    "sent_before_signed": "sent_on",
    "future_sent_on": "sent_on",
    "remarks_required": "remarks",
    "result_required": "result",
    "location_required": "location",
    "reason_required": "reason",
    "terminated_before_signed": "terminated_on",
}


def put_errors(form, exc) -> None:
    """A service's ValidationError onto the form: on the field named by its code when the
    form has that field, else as a form error."""
    for error in exc.error_list:
        field = FIELD_OF_CODE.get(error.code)
        message = error.message % error.params if error.params else error.message
        form.add_error(field if field in form.fields else None, message)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class _Salesperson(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


def salesperson_field(tenant, required=False) -> forms.ModelChoiceField:
    return _Salesperson(label=_("服务销售"), required=required,
                        queryset=users_with_roles(tenant=tenant, roles=[Role.SALESPERSON, Role.BRANCH_GM]))


class ScanInput(forms.ClearableFileInput):
    """The phone camera opens straight away at 390 px; a PDF can still be picked on desktop."""

    def __init__(self, attrs=None):
        super().__init__({"accept": SCAN_ACCEPT, "capture": "environment", **(attrs or {})})


class PartnerForm(TenantModelForm):
    class Meta:
        model = Partner
        fields = ["type", "name", "credit_code", "credit_code_override", "city", "address", "branch", "salesperson",
                  "contacts"]
        widgets = {"contacts": forms.Textarea(attrs={"rows": 3}), "credit_code": forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "maxlength": 30})}

    def __init__(self, *args, tenant, branches, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["type"].queryset = PartnerType.objects.filter(tenant=tenant, is_active=True)
        self.fields["branch"].queryset = branches
        self.fields["salesperson"] = salesperson_field(tenant)
        self.fields["credit_code"].max_length = 30  # normalized (spaces, full width) by the service
        self.fields["credit_code"].widget.attrs["maxlength"] = 30
        if self.instance.pk:
            self.fields["salesperson"].initial = self.instance.salesperson_id

    def _post_clean(self):  # the service validates (and normalizes the code); not the model
        pass

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class AgreementForm(forms.Form):
    number = forms.CharField(label=_("协议编号"), max_length=40, required=False,
                             help_text=_("留空则自动编号（HZ-年份-序号）。"))
    signed_on = forms.DateField(label=_("签订日期"), widget=DateInput())
    starts_on = forms.DateField(label=_("合作开始"), widget=DateInput())
    ends_on = forms.DateField(label=_("合作结束"), widget=DateInput())
    terms = forms.CharField(label=_("合作条款摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    scan = forms.FileField(label=_("协议扫描件（PDF 或照片）"), required=False, widget=ScanInput())

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"] = salesperson_field(tenant)
        self.fields["salesperson"].label = _("签约销售")
        self.order_fields(["number", "signed_on", "starts_on", "ends_on", "salesperson", "terms", "scan"])

    def service_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ["number", "signed_on", "starts_on", "ends_on", "salesperson",
                                                  "terms", "scan"]}


class _BranchChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.region.name} · {obj.name}"


class FilingForm(AgreementForm):
    """One signing of the day, for one of the member's branches: on the partner picked from
    the register (hidden ``partner``) or on a new one described here."""

    def __init__(self, *args, tenant, branches, partners, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["branch"] = _BranchChoice(label=_("签约分公司"), queryset=branches)
        self.fields["partner"] = forms.ModelChoiceField(queryset=partners, required=False, widget=forms.HiddenInput)
        self.fields["p_type"] = forms.ModelChoiceField(
            label=_("类型"), required=False, queryset=PartnerType.objects.filter(tenant=tenant, is_active=True))
        self.fields["p_name"] = forms.CharField(label=_("单位名称"), max_length=100, required=False)
        self.fields["p_credit_code"] = forms.CharField(label=_("统一社会信用代码"), max_length=30, required=False)
        self.fields["p_credit_code_override"] = forms.CharField(
            label=_("校验位不符的说明"), max_length=200, required=False,
            help_text=_("仅当代码确为 2016 年前核发、校验位不符时填写。"))
        self.fields["p_city"] = forms.CharField(label=_("城市"), max_length=40, required=False)
        self.fields["p_address"] = forms.CharField(label=_("地址"), max_length=200, required=False)
        self.fields["p_contacts"] = forms.CharField(label=_("联系人及电话"), required=False,
                                                    widget=forms.Textarea(attrs={"rows": 2}))
        self.order_fields(["branch", "partner", "p_type", "p_name", "p_credit_code", "p_credit_code_override",
                           "p_city", "p_address", "p_contacts", "number", "signed_on", "starts_on", "ends_on",
                           "salesperson", "terms", "scan"])

    def clean(self):
        data = super().clean()
        if not data.get("partner"):
            if not data.get("p_type"):
                self.add_error("p_type", _("新单位请选择类型。"))
            if not (data.get("p_name") or "").strip():
                self.add_error("p_name", _("请选择已登记的单位，或填写新单位名称。"))
        return data

    def new_partner(self) -> dict | None:
        if self.cleaned_data.get("partner"):
            return None
        d = self.cleaned_data
        return {"type": d["p_type"], "name": d["p_name"], "credit_code": d["p_credit_code"],
                "credit_code_override": d["p_credit_code_override"], "city": d["p_city"],
                "address": d["p_address"], "contacts": d["p_contacts"]}


FILING_FIELD_OF_CODE = {"credit_code_check_digit": "p_credit_code_override", "credit_code_format": "p_credit_code",
                        "duplicate_credit_code": "p_credit_code", "name_required": "p_name"}


def put_filing_errors(form, exc) -> None:
    for error in exc.error_list:
        field = FILING_FIELD_OF_CODE.get(error.code) or FIELD_OF_CODE.get(error.code)
        message = error.message % error.params if error.params else error.message
        form.add_error(field if field in form.fields else None, message)


class SendForm(forms.Form):
    courier = forms.CharField(label=_("快递公司"), max_length=40)
    waybill = forms.CharField(label=_("运单号"), max_length=40)
    sent_on = forms.DateField(label=_("寄出日期"), widget=DateInput())


class ReceiveForm(forms.Form):
    result = forms.ChoiceField(label=_("核对结果"), choices=CheckResult.choices)
    remarks = forms.CharField(label=_("核对备注"), max_length=200, required=False,
                              help_text=_("缺页或非原件时退回分公司，请说明缺什么。"))


class ArchiveForm(forms.Form):
    location = forms.CharField(label=_("归档位置（档案盒/柜号）"), max_length=60)


class TerminateForm(forms.Form):
    terminated_on = forms.DateField(label=_("终止日期"), widget=DateInput())
    reason = forms.CharField(label=_("终止原因"), max_length=200)


class ScanForm(forms.Form):
    scan = forms.FileField(label=_("协议扫描件（PDF 或照片）"), widget=ScanInput())


class TypeForm(forms.Form):
    name = forms.CharField(label=_("类型名称"), max_length=30)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class SettingsForm(forms.ModelForm):
    class Meta:
        model = PartnerSettings
        fields = ["original_due_working_days", "review_required"]
