from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing import bounds

from .models import AgendaItem


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return bounds.parse_month(value)
        except ValueError:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM"), code="month") from None


class MeetingCreateForm(forms.Form):
    month = MonthField(label=_("所议月份"))
    held_on = forms.DateField(label=_("会议日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["discussion", "decision"]
        widgets = {"discussion": forms.Textarea(attrs={"rows": 3}), "decision": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"decision": _("每个议题都必须有决议，会议才能结束（例会不能“会而不议、议而不决”）。")}


class ItemAddForm(forms.Form):
    title = forms.CharField(label=_("议题"), max_length=200)


class ActionForm(forms.Form):
    title = forms.CharField(label=_("待办事项"), max_length=200)
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=None)
    due_on = forms.DateField(label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: u.display_name


class ActionDoneForm(forms.Form):
    note = forms.CharField(label=_("完成说明"), max_length=300, required=False)
