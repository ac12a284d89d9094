from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.models import User


class TemplateCreateForm(forms.Form):
    name = forms.CharField(label=_("表单名称"), max_length=60)
    code = forms.CharField(label=_("流程代号"), max_length=20, help_text=_("例如 SC-009；字母、数字或“-”"))
    category = forms.CharField(label=_("分类"), max_length=30, required=False)
    description = forms.CharField(label=_("说明"), max_length=300, required=False)


class TemplateMetaForm(forms.Form):
    name = forms.CharField(label=_("表单名称"), max_length=60)
    category = forms.CharField(label=_("分类"), max_length=30, required=False)
    description = forms.CharField(label=_("说明"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("启用（可以填写新申请）"), required=False)
    viewers = forms.MultipleChoiceField(label=_("可查看全部申请的人员"), required=False,
                                        widget=forms.SelectMultiple(attrs={"size": 5}))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["viewers"].choices = [
            (str(u.pk), u.display_name) for u in User.objects.filter(
                membership__tenant=tenant, membership__is_active=True, is_active=True).order_by("full_name", "username")
        ]
