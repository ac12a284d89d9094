from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketing.models import Membership

from .imports import LIMITS
from .models import ReceivableFlag


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > LIMITS.max_bytes:
            raise ValidationError(_("文件超过 %(mb)d MB 上限。"), params={"mb": LIMITS.max_bytes // (1024 * 1024)})
        if f.size == 0:
            raise ValidationError(_("文件为空。"))
        if not f.name.lower().endswith((".xlsx", ".xlsm")):
            raise ValidationError(_("文件类型不正确：请上传 Excel .xlsx 文件。"))
        return f


class FlagForm(forms.Form):
    flag = forms.ChoiceField(label=_("认定为"), choices=ReceivableFlag.choices, required=False)
    reason = forms.CharField(label=_("认定理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": _("请填写认定理由。")})


class ActionForm(forms.Form):
    action = forms.CharField(label=_("催收措施"), max_length=200)
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=get_user_model().objects.none())
    action_date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.CharField(label=_("结果"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=2000)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        user_ids = Membership.objects.filter(tenant=tenant, is_active=True).values("user_id")
        self.fields["owner"].queryset = get_user_model().objects.filter(pk__in=user_ids).order_by("username")
        self.fields["owner"].label_from_instance = lambda u: u.display_name
        if not self.is_bound:
            self.initial.setdefault("action_date", timezone.localdate())
