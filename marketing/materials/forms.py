from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.forms import TenantModelForm
from marketing.models import Branch, Region
from marketing.selectors import visible_branches

from .models import MAX_QUANTITY, LibraryItem, Material
from .uploads import IMAGE_ACCEPT, LIBRARY_ACCEPT

_QTY_ERRORS = {
    "min_value": _("数量必须是正整数。"),
    "max_value": _("数量过大，请核对。"),
    "invalid": _("请输入整数数量。"),
}


class MaterialForm(TenantModelForm):
    image_upload = forms.FileField(label=_("图片"), required=False, help_text=_("JPG 或 PNG，不超过 5 MB。"),
                                   widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}))
    remove_image = forms.BooleanField(label=_("删除现有图片"), required=False)

    class Meta:
        model = Material
        fields = ["name", "code", "unit", "description", "low_stock_threshold", "active", "branches", "regions"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "branches": forms.CheckboxSelectMultiple,
            "regions": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "branches": _("不选分公司和地区 = 所有分公司都可申请。"),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["branches"].queryset = Branch.objects.filter(tenant=tenant, is_active=True)
        self.fields["regions"].queryset = Region.objects.filter(tenant=tenant)
        if not self.instance.pk or not self.instance.image:
            del self.fields["remove_image"]

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class ReceiveForm(forms.Form):
    quantity = forms.IntegerField(label=_("入库数量"), min_value=1, max_value=MAX_QUANTITY, error_messages=_QTY_ERRORS)
    reason = forms.CharField(label=_("说明"), max_length=200, required=False,
                             help_text=_("例如：印刷厂交货、采购入库。"))


class AdjustForm(forms.Form):
    delta = forms.IntegerField(label=_("调整数量（减少填负数）"), min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY,
                               error_messages={"invalid": _("请输入整数数量。")})
    reason = forms.CharField(label=_("调整原因"), max_length=200)

    def clean_delta(self):
        value = self.cleaned_data["delta"]
        if value == 0:
            raise forms.ValidationError(_("调整数量不能为 0。"))
        return value


class RequestForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("申请分公司"), queryset=Branch.objects.none())
    note = forms.CharField(label=_("申请说明"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        branches = visible_branches(membership=membership).filter(is_active=True)
        self.fields["branch"].queryset = branches
        if len(branches) == 1:
            self.fields["branch"].initial = branches[0].pk


class LineForm(forms.Form):
    material = forms.ModelChoiceField(label=_("物料"), queryset=Material.objects.none(), required=False)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=MAX_QUANTITY, required=False,
                                  error_messages=_QTY_ERRORS)
    reason = forms.CharField(label=_("用途"), max_length=200, required=False)

    def __init__(self, *args, materials, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["material"].queryset = materials

    def clean(self):
        data = super().clean()
        if data.get("material") and not data.get("quantity") and "quantity" not in self.errors:
            self.add_error("quantity", _("请填写数量。"))
        if data.get("quantity") and not data.get("material"):
            self.add_error("material", _("请选择物料。"))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        chosen = [f.cleaned_data.get("material") for f in self.forms if f.cleaned_data.get("material")]
        if not chosen:
            raise forms.ValidationError(_("请至少填写一种物料。"))
        if len({m.pk for m in chosen}) != len(chosen):
            raise forms.ValidationError(_("同一物料请只填一行。"))

    def lines(self):
        return [(f.cleaned_data["material"], f.cleaned_data["quantity"], f.cleaned_data.get("reason", ""))
                for f in self.forms if f.cleaned_data.get("material")]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=4, max_num=30, absolute_max=30,
                                    validate_max=True)


class DispatchForm(forms.Form):
    courier = forms.CharField(label=_("快递公司"), max_length=40, required=False)
    waybill = forms.CharField(label=_("运单号"), max_length=40, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line in lines:
            if line.remaining <= 0:
                continue
            name = f"line_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=_("%(m)s（还需 %(r)s %(u)s，库存 %(s)s）") % {
                    "m": line.material.name, "r": line.remaining, "u": line.material.unit, "s": line.material.on_hand},
                min_value=0, max_value=line.remaining, required=False,
                initial=min(line.remaining, max(line.material.on_hand, 0)), error_messages=_QTY_ERRORS,
            )
            self.line_fields.append((name, line))
        # The quantities come first, then courier and waybill.
        self.order_fields([n for n, _line in self.line_fields] + ["courier", "waybill", "note"])

    def quantities(self) -> dict:
        return {line.pk: self.cleaned_data.get(name) or 0 for name, line in self.line_fields}


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("结案原因"), max_length=200,
                             help_text=_("例如：库存不足且不再印刷；分公司已不需要。未发部分不再发货。"))


class LibraryItemForm(TenantModelForm):
    class Meta:
        model = LibraryItem
        fields = ["title", "category", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class PublishForm(forms.Form):
    file = forms.FileField(label=_("文件"), widget=forms.ClearableFileInput(attrs={"accept": LIBRARY_ACCEPT}),
                           help_text=_("PDF、图片、Word、Excel、PowerPoint、ZIP、PSD、AI，不超过 50 MB。"))
    notes = forms.CharField(label=_("版本说明"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}), help_text=_("这一版改了什么。"))


class LibraryCreateForm(LibraryItemForm, PublishForm):
    class Meta(LibraryItemForm.Meta):
        fields = ["title", "category", "description"]
