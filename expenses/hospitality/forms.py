from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.approvals.uploads import ALLOWED_EXTENSIONS
from marketing.forms import TenantModelForm
from marketing.roles import Role
from marketing.selectors import visible_branches

from .models import MAX_LINE_AMOUNT, HospitalityPolicy, LineKind, Venue

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_AMOUNT_ERRORS = {
    "min_value": _("金额不能为负。"),
    "max_value": _("金额过大，请核对。"),
    "invalid": _("请输入有效的金额，例如 368.00。"),
    "max_digits": _("金额过大，请核对。"),
    "max_decimal_places": _("金额最多两位小数。"),
}


class PolicyForm(forms.ModelForm):
    applicant_roles = forms.MultipleChoiceField(label=_("可申请的角色"), choices=Role.choices,
                                                widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = HospitalityPolicy
        fields = ["effective_from", "applicant_roles", "advance_working_days", "allow_local_guests",
                  "require_progress", "extra_dishes", "lodging_per_room_night", "max_companions_per_guest", "max_guests",
                  "emergency_working_days", "note"]
        widgets = {"effective_from": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["max_guests"].required = False  # left empty: the default limit (S001-38)

    def clean_max_guests(self):
        value = self.cleaned_data.get("max_guests")
        return value if value else HospitalityPolicy._meta.get_field("max_guests").default

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class VenueForm(TenantModelForm):
    class Meta:
        model = Venue
        fields = ["name", "city", "address", "serves_meals", "serves_lodging", "is_active"]

    def validate_unique(self):
        # The service reports a duplicate with a clear message; the model check would need
        # the tenant, which is not a form field.
        pass

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class _VenueChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        services = "、".join(str(s) for s, on in ((_("用餐"), obj.serves_meals), (_("住宿"), obj.serves_lodging)) if on)
        return f"{obj.name}（{obj.city}·{services}）"


def new_key() -> str:
    return uuid.uuid4().hex


class _BaseApplicationForm(forms.Form):
    client_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=36, initial=new_key)
    branch = forms.ModelChoiceField(label=_("分公司"), queryset=None, empty_label=None)
    visit_date = forms.DateField(label=_("招待日期"), widget=DATE)
    venue = _VenueChoice(label=_("定点场所"), queryset=None)
    meals = forms.BooleanField(label=_("用餐"), required=False, initial=True)
    lodging = forms.BooleanField(label=_("住宿"), required=False)
    room_nights = forms.IntegerField(label=_("住宿间夜数"), required=False, min_value=0, max_value=60)
    expected_diners = forms.IntegerField(label=_("预计就餐人数（含陪同）"), min_value=1, max_value=50, initial=2)

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, **kwargs)
        from .selectors import venues

        self.fields["branch"].queryset = visible_branches(membership=membership).filter(is_active=True)
        self.fields["venue"].queryset = venues(tenant=tenant, active_only=True)
        for name in ("room_nights", "expected_diners"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"

    def clean_room_nights(self):
        return self.cleaned_data.get("room_nights") or 0


class EmergencyForm(_BaseApplicationForm):
    """紧急申请: the few fields a phone can send in a minute."""

    emergency_note = forms.CharField(label=_("客户与情况说明"), max_length=300,
                                     widget=forms.Textarea(attrs={"rows": 3}),
                                     help_text=_("例如：郑州某 4S 店张总等 2 人临时来访，洽谈续约。"))

    def model_data(self) -> dict:
        return dict(self.cleaned_data)


class ApplicationForm(_BaseApplicationForm):
    progress = forms.CharField(label=_("实质性进展"), required=False, max_length=1000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    companions = forms.CharField(label=_("陪同人员"), required=False, max_length=200,
                                 help_text=_("姓名，以逗号分隔"))
    companion_count = forms.IntegerField(label=_("陪同人数"), min_value=0, max_value=50, initial=1)

    def model_data(self) -> dict:
        return dict(self.cleaned_data)


class _CustomerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class GuestForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=40)
    title = forms.CharField(label=_("职务"), max_length=40, required=False)
    company = forms.CharField(label=_("单位"), max_length=100, required=False)
    city = forms.CharField(label=_("来自城市"), max_length=40)
    customer = _CustomerChoice(label=_("客户档案（可选）"), queryset=None, required=False)

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    def clean(self):
        data = super().clean()
        if not data.get("company") and not data.get("customer"):
            self.add_error("company", _("请填写客户单位。"))
        return data


class _GuestFormSet(forms.BaseFormSet):
    def __init__(self, *args, customers=None, **kwargs):
        self.customers = customers
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "customers": self.customers}

    @property
    def empty_form(self):
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, customers=self.customers, renderer=self.renderer)
        self.add_fields(form, None)
        return form

    def guests(self) -> list[dict]:
        out = []
        for form in self.forms:
            if form.cleaned_data and not form.cleaned_data.get("DELETE"):
                data = dict(form.cleaned_data)
                if not data.get("company") and data.get("customer"):
                    data["company"] = data["customer"].name
                out.append(data)
        return out


GuestFormSet = forms.formset_factory(GuestForm, formset=_GuestFormSet, extra=2, max_num=20, validate_max=True,
                                     can_delete=True)


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


class ClaimForm(forms.Form):
    client_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=36, initial=new_key)
    application = forms.ModelChoiceField(label=_("招待申请"), queryset=None, required=False,
                                         empty_label=_("（无申请：全部个人自理）"))
    branch = forms.ModelChoiceField(label=_("分公司"), queryset=None, required=False,
                                    help_text=_("无申请时填写"))
    meal_date = forms.DateField(label=_("招待日期"), widget=DATE, required=False, help_text=_("无申请时填写"))
    venue = _VenueChoice(label=_("实际场所（定点）"), queryset=None, required=False,
                         empty_label=_("（非定点场所）"))
    venue_other = forms.CharField(label=_("非定点场所名称"), max_length=100, required=False)
    diners = forms.IntegerField(label=_("实际就餐人数"), min_value=1, max_value=50)
    diners_note = forms.CharField(label=_("超出批准人数的说明"), max_length=300, required=False)
    invoices = MultipleFileField(label=_("发票照片或 PDF"), required=False,
                                 help_text=_("PDF、JPG、PNG，单个不超过 10 MB。若表单有误需重新选择文件。"))

    def __init__(self, *args, tenant, membership, applications, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        from .selectors import venues

        self.fields["application"].queryset = applications
        self.fields["branch"].queryset = visible_branches(membership=membership).filter(is_active=True)
        self.fields["venue"].queryset = venues(tenant=tenant)
        self.fields["diners"].widget.attrs["inputmode"] = "numeric"
        if editing:
            del self.fields["application"]

    def clean(self):
        data = super().clean()
        if "application" in self.fields and not data.get("application"):
            if not data.get("branch"):
                self.add_error("branch", _("无申请时请选择分公司。"))
            if not data.get("meal_date"):
                self.add_error("meal_date", _("无申请时请填写招待日期。"))
        if not data.get("venue") and not (data.get("venue_other") or "").strip():
            self.add_error("venue_other", _("请选择定点场所，或填写实际就餐的场所名称。"))
        return data

    def model_data(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in ("branch", "meal_date", "venue", "venue_other", "diners",
                                                      "diners_note")}

    def key(self) -> str:
        return self.cleaned_data.get("client_key") or ""


class LineForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=LineKind.choices)
    description = forms.CharField(label=_("说明"), max_length=100, required=False)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=200, initial=1,
                                  help_text=_("菜品：道数；住宿：间夜数"))
    amount = forms.DecimalField(label=_("金额（元）"), min_value=Decimal("0"), max_value=MAX_LINE_AMOUNT,
                                max_digits=12, decimal_places=2, error_messages=_AMOUNT_ERRORS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})
        self.fields["quantity"].widget.attrs["inputmode"] = "numeric"


class _LineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


LineFormSet = forms.formset_factory(LineForm, formset=_LineFormSet, extra=4, max_num=40, validate_max=True,
                                    can_delete=True)


class CorrectLineForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("类别"), choices=LineKind.choices)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=200)
    amount = forms.DecimalField(label=_("金额"), min_value=Decimal("0"), max_value=MAX_LINE_AMOUNT, max_digits=12,
                                decimal_places=2, error_messages=_AMOUNT_ERRORS)
    reason = forms.CharField(label=_("更正原因"), max_length=300)


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("支付日期"), widget=DATE)
    reference = forms.CharField(label=_("付款凭证号"), max_length=60)
