from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketing.models import User
from marketing.roles import Role

from .models import StepKind, StepMode, StepScope
from .registry import StepSpec, validate_condition

ACTIONS = [
    ("approve", _("同意")),
    ("reject", _("驳回")),
    ("return", _("退回")),
    ("transfer", _("转交")),
    ("withdraw", _("撤回")),
    ("comment", _("评论")),
]


class ActionForm(forms.Form):
    """One POST endpoint for every action on a flow. Only ids and text come from the client;
    the service decides whether the move is legal (a forged ``action`` or ``task`` is refused)."""

    action = forms.ChoiceField(choices=ACTIONS)
    task = forms.IntegerField(required=False)
    version = forms.IntegerField(required=False)
    comment = forms.CharField(label=_("意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    to_position = forms.IntegerField(label=_("退回到"), required=False, min_value=1)
    to_user = forms.IntegerField(label=_("转交给"), required=False)
    checklist = forms.MultipleChoiceField(required=False, choices=())
    attachment = forms.FileField(label=_("附件"), required=False)

    def __init__(self, *args, checklist_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].choices = [(c, c) for c in checklist_items]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in {"approve", "reject", "return", "transfer"} and not data.get("task"):
            raise ValidationError(_("表单已过期，请刷新页面。"))
        return data


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(label=_("代理人"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("事由"), max_length=120, required=False)

    def __init__(self, *args, tenant, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = (
            User.objects.filter(membership__tenant=tenant, membership__is_active=True, is_active=True)
            .exclude(pk=user.pk)
            .order_by("full_name", "username")
        )

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        return data


def approver_choices(tenant) -> list:
    """One dropdown for who signs: a role, a position (岗位) or a named person."""
    from .selectors import positions

    groups = [(_("角色"), [(f"role:{value}", label) for value, label in Role.choices])]
    if tenant is not None:
        groups.append((_("岗位"), [(f"position:{p.name}", p.name) for p in positions(tenant=tenant)]))
        people = User.objects.filter(membership__tenant=tenant, membership__is_active=True, is_active=True)
        groups.append((_("指定人员"), [(f"user:{u.pk}", u.display_name)
                                     for u in people.order_by("full_name", "username")]))
    return groups


class ChainStepForm(forms.Form):
    name = forms.CharField(label=_("步骤名称"), max_length=60)
    kind = forms.ChoiceField(label=_("步骤类型"), choices=StepKind.choices)
    approver = forms.ChoiceField(label=_("处理人"), choices=())
    role = forms.ChoiceField(label=_("备选角色"), choices=[("", _("（无）")), *Role.choices], required=False,
                             help_text=_("岗位无人任职时由该角色处理"))
    scope = forms.ChoiceField(label=_("范围"), choices=StepScope.choices)
    mode = forms.ChoiceField(label=_("签署方式"), choices=StepMode.choices)
    condition = forms.CharField(label=_("条件"), max_length=200, required=False,
                                widget=forms.TextInput(attrs={"placeholder": _("（无条件）")}))
    checklist = forms.CharField(label=_("核对项"), max_length=300, required=False,
                                help_text=_("用逗号分隔"))

    def __init__(self, *args, doc_type=None, tenant=None, **kwargs):
        self.doc_type = doc_type
        super().__init__(*args, **kwargs)
        self.fields["approver"].choices = approver_choices(tenant)

    def has_changed(self):
        # A step exists when it has a name: the blank extra row's preset selects do not count.
        return bool((self.data.get(self.add_prefix("name")) or "").strip()) if self.is_bound else super().has_changed()

    def clean_condition(self):
        value = self.cleaned_data.get("condition", "").strip()
        if self.doc_type is not None:
            validate_condition(value, self.doc_type)
        return value

    def clean_checklist(self):
        raw = self.cleaned_data.get("checklist", "")
        return tuple(i.strip() for i in raw.replace("，", ",").split(",") if i.strip())

    def clean(self):
        data = super().clean()
        if data.get("kind") == StepKind.VERIFY and not data.get("checklist"):
            self.add_error("checklist", _("核对步骤至少需要一个核对项。"))
        return data

    def spec(self) -> StepSpec:
        d = self.cleaned_data
        kind, _sep, value = d["approver"].partition(":")
        role = value if kind == "role" else (d.get("role") or "" if kind == "position" else "")
        return StepSpec(name=d["name"], role=role, kind=d["kind"], scope=d["scope"], mode=d["mode"],
                        condition=d["condition"], checklist=d["checklist"],
                        position=value if kind == "position" else "",
                        user_id=int(value) if kind == "user" else None)


class _BaseChainFormSet(forms.BaseFormSet):
    def __init__(self, *args, doc_type=None, tenant=None, **kwargs):
        self.doc_type = doc_type
        self.tenant = tenant
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"doc_type": self.doc_type, "tenant": self.tenant}

    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]
        if not kept:
            raise ValidationError(_("流程至少需要一个步骤。"))


ChainFormSet = forms.formset_factory(
    ChainStepForm, formset=_BaseChainFormSet, extra=1, can_delete=True, can_order=True, max_num=20,
    validate_max=True,
)


def approver_value(spec: StepSpec) -> str:
    if spec.user_id:
        return f"user:{spec.user_id}"
    if spec.position:
        return f"position:{spec.position}"
    return f"role:{spec.role}"


def spec_initial(spec: StepSpec) -> dict:
    return {"name": spec.name, "kind": spec.kind, "approver": approver_value(spec),
            "role": spec.role if spec.position else "", "scope": spec.scope, "mode": spec.mode,
            "condition": spec.condition, "checklist": ", ".join(spec.checklist)}


class PositionForm(forms.Form):
    name = forms.CharField(label=_("岗位名称"), max_length=60)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, max_value=32767, required=False, initial=0)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class HolderForm(forms.Form):
    """Who holds the position, and where: leave both empty for tenant-wide."""

    user = forms.ModelChoiceField(label=_("人员"), queryset=User.objects.none())
    region = forms.ModelChoiceField(label=_("地区"), queryset=None, required=False, empty_label=_("（全公司）"))
    branch = forms.ModelChoiceField(label=_("分公司"), queryset=None, required=False, empty_label=_("（不限）"),
                                    help_text=_("地区和分公司只选其一；都不选表示全公司。"))

    def __init__(self, *args, tenant, **kwargs):
        from marketing.models import Branch, Region

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            membership__tenant=tenant, membership__is_active=True, is_active=True
        ).order_by("full_name", "username")
        self.fields["region"].queryset = Region.objects.filter(tenant=tenant)
        self.fields["branch"].queryset = Branch.objects.filter(tenant=tenant).select_related("region")

    def clean(self):
        data = super().clean()
        if data.get("region") and data.get("branch"):
            self.add_error("branch", _("地区和分公司只选其一。"))
        return data
