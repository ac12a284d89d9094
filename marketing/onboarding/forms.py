from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .steps import STEPS


class SkipForm(forms.Form):
    step = forms.ChoiceField(choices=[(s.key, s.title) for s in STEPS if s.skippable], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("跳过原因"), max_length=300,
                             help_text=_("例如：新公司，尚无存量合同；本月从下月开始考核"))


class OpeningUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
    as_of = forms.DateField(label=_("期初日期"), widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("台账截至的日期；文件中缺少的日期按此日期记录"))

    def __init__(self, *args, tenant=None, date_label=None, date_help=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tenant is not None:
            self.fields["as_of"].initial = timezone.localdate(timezone=tenant.zone)
        if date_label:
            self.fields["as_of"].label = date_label
        if date_help:
            self.fields["as_of"].help_text = date_help


class OrgUploadForm(forms.Form):
    file = forms.FileField(label=_("组织架构 Excel 文件（.xlsx）"))
