from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, User
from marketing.roles import Role

from . import handover
from .models import PeoplePolicy

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PolicyForm(forms.ModelForm):
    class Meta:
        model = PeoplePolicy
        fields = ["notice_days", "invitation_hours"]


class MappingForm(forms.Form):
    position = forms.CharField(label=_("岗位（花名册中的写法）"), max_length=40)
    role = forms.ChoiceField(label=_("系统角色"), choices=Role.choices)


class DepartureForm(forms.Form):
    user = forms.ModelChoiceField(label=_("离职人员"), queryset=User.objects.none())
    last_day = forms.DateField(label=_("最后工作日"), widget=DATE)
    reason = forms.CharField(label=_("离职原因"), max_length=200, required=False)
    successor = forms.ModelChoiceField(label=_("默认接手人（可选）"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, people, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
        self.fields["successor"].queryset = colleagues
        if people.count() == 1:
            self.fields["user"].initial = people.first().pk


class WaiveForm(forms.Form):
    line = forms.ChoiceField(label=_("交接项"), choices=())
    reason = forms.CharField(label=_("豁免原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(p.key, p.label) for p in handover.providers()]


class ResolveForm(forms.Form):
    line = forms.ChoiceField(label=_("交接项"), choices=())
    to_user = forms.ModelChoiceField(label=_("接手同事"), queryset=User.objects.none(), required=False)
    reason = forms.CharField(label=_("作废原因"), max_length=200, required=False)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(p.key, p.label) for p in handover.providers() if p.resolve != handover.ELSEWHERE]
        self.fields["to_user"].queryset = colleagues


class TransferForm(forms.Form):
    user = forms.ModelChoiceField(label=_("人员"), queryset=User.objects.none())
    to_branch = forms.ModelChoiceField(label=_("调入分公司"), queryset=Branch.objects.none())
    to_roles = forms.MultipleChoiceField(label=_("新角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE)
    customers_follow = forms.BooleanField(label=_("客户随人调动（默认留在原分公司）"), required=False)
    successor = forms.ModelChoiceField(label=_("原岗位接替人（审批转交给他/她）"), queryset=User.objects.none(),
                                       required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, people, branches, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
        self.fields["to_branch"].queryset = branches
        self.fields["successor"].queryset = colleagues
        self.fields["effective_on"].initial = timezone.localdate()


class InvitationAcceptForm(forms.Form):
    password1 = forms.CharField(label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("再次输入"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise forms.ValidationError(_("两次输入的密码不一致。"))
        return data
