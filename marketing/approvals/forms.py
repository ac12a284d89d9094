from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketing.models import User
from marketing.roles import Role

from .models import StepKind, StepMode, StepScope
from .registry import (
    OP_LABELS,
    OPS_BY_TYPE,
    StepSpec,
    build_condition,
    condition_fields,
    condition_rows,
    validate_condition,
)

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
    groups.append((_("指定人员"), [("people:", _("指定人员（在“人员”中选择，可多选）"))]))
    return groups


def member_choices(tenant) -> list:
    if tenant is None:
        return []
    people = User.objects.filter(membership__tenant=tenant, membership__is_active=True, is_active=True)
    return [(str(u.pk), u.display_name) for u in people.order_by("full_name", "username")]


CONDITION_ROWS = 3
MATCH_CHOICES = [("all", _("同时满足以下全部条件")), ("any", _("满足以下任一条件"))]
BOOL_VALUES = [("bool:true", _("是")), ("bool:false", _("否"))]


class ChainStepForm(forms.Form):
    """One step of the chain editor. Who signs is one dropdown; the condition is up to three
    rows of field / operator / value dropdowns (a number box for numeric fields) -- the stored
    expression is built from them, nobody types one."""

    name = forms.CharField(label=_("步骤名称"), max_length=60)
    kind = forms.ChoiceField(label=_("步骤类型"), choices=StepKind.choices)
    approver = forms.ChoiceField(label=_("处理人"), choices=())
    role = forms.ChoiceField(label=_("备选角色"), choices=[("", _("（无）")), *Role.choices], required=False,
                             help_text=_("岗位无人任职时由该角色处理"))
    people = forms.MultipleChoiceField(label=_("人员"), choices=(), required=False,
                                       widget=forms.SelectMultiple(attrs={"size": 3}),
                                       help_text=_("处理人选“指定人员”时使用"))
    scope = forms.ChoiceField(label=_("范围"), choices=StepScope.choices)
    mode = forms.ChoiceField(label=_("签署方式"), choices=StepMode.choices)
    checklist = forms.CharField(label=_("核对项"), max_length=300, required=False, help_text=_("用逗号分隔"))
    match = forms.ChoiceField(label=_("条件"), choices=MATCH_CHOICES, required=False)
    # A stored expression the rows cannot show (mixes and/or): kept as it is unless rows are set.
    condition = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, doc_type=None, tenant=None, **kwargs):
        self.doc_type = doc_type
        super().__init__(*args, **kwargs)
        self.fields["approver"].choices = approver_choices(tenant)
        self.fields["people"].choices = member_choices(tenant)
        self.cond_fields = condition_fields(doc_type, tenant) if doc_type is not None else {}
        field_choices = [("", _("（不设条件）"))] + [(n, f.label) for n, f in self.cond_fields.items()]
        value_choices = [(_("是/否"), BOOL_VALUES)] + [
            (f.label, [(f"{n}:{v}", label) for v, label in f.choices])
            for n, f in self.cond_fields.items() if f.type == "choice" and f.choices
        ]
        for i in range(CONDITION_ROWS):
            self.fields[f"c{i}_field"] = forms.ChoiceField(label=_("字段"), choices=field_choices, required=False)
            self.fields[f"c{i}_op"] = forms.ChoiceField(label=_("比较"), choices=list(OP_LABELS.items()),
                                                        required=False)
            self.fields[f"c{i}_values"] = forms.MultipleChoiceField(
                label=_("值"), choices=value_choices, required=False,
                widget=forms.SelectMultiple(attrs={"size": 3}),
                help_text=_("是/否或选项；“属于其中之一”可多选"),
            )
            self.fields[f"c{i}_number"] = forms.DecimalField(label=_("数值"), required=False, max_digits=16,
                                                             decimal_places=4)
            self.fields[f"c{i}_text"] = forms.CharField(label=_("文字"), required=False, max_length=40)

    # Template helpers: the fixed part, and the condition rows as (field, op, values, number, text).
    def main_fields(self):
        return [self[n] for n in ("name", "kind", "approver", "role", "people", "scope", "mode", "checklist")]

    def condition_rows(self):
        return [tuple(self[f"c{i}_{part}"] for part in ("field", "op", "values", "number", "text"))
                for i in range(CONDITION_ROWS)]

    def has_changed(self):
        # A step exists when it has a name: the blank extra row's preset selects do not count.
        return bool((self.data.get(self.add_prefix("name")) or "").strip()) if self.is_bound else super().has_changed()

    def clean_checklist(self):
        raw = self.cleaned_data.get("checklist", "")
        return tuple(i.strip() for i in raw.replace("，", ",").split(",") if i.strip())

    def _row(self, i, data):
        name = data.get(f"c{i}_field")
        if not name:
            return None
        spec = self.cond_fields.get(name)
        if spec is None:
            self.add_error(f"c{i}_field", _("该字段不能用于条件。"))
            return None
        op = data.get(f"c{i}_op") or "=="
        if op not in OPS_BY_TYPE.get(spec.type, ("==", "!=")):
            self.add_error(f"c{i}_op", _("“%(f)s”不能用“%(o)s”比较。") % {"f": spec.label, "o": OP_LABELS[op]})
            return None
        if spec.type in ("number", "money"):
            number = data.get(f"c{i}_number")
            if number is None:
                self.add_error(f"c{i}_number", _("请填写用于比较的数值。"))
                return None
            return name, op, number
        picked = data.get(f"c{i}_values") or []
        if spec.type == "bool":
            chosen = [v.split(":", 1)[1] == "true" for v in picked if v.startswith("bool:")]
            if len(chosen) != 1:
                self.add_error(f"c{i}_values", _("请选择“是”或“否”。"))
                return None
            return name, op, chosen[0]
        if spec.type == "choice":
            allowed = {str(v) for v, _label in spec.choices}
            chosen = [v.split(":", 1)[1] for v in picked if v.startswith(f"{name}:")]
            chosen = [v for v in chosen if v in allowed]
            if not chosen or (op != "in" and len(chosen) != 1):
                self.add_error(f"c{i}_values", _("请为“%(f)s”选择一个值（“属于其中之一”可多选）。") % {"f": spec.label})
                return None
            return name, op, tuple(chosen) if op == "in" else chosen[0]
        text = (data.get(f"c{i}_text") or "").strip()
        if not re.fullmatch(r"[\w.\-]+", text):
            self.add_error(f"c{i}_text", _("请填写一个词（不含空格和符号）。"))
            return None
        return name, op, text

    def clean(self):
        data = super().clean()
        rows = [row for i in range(CONDITION_ROWS) if (row := self._row(i, data)) is not None]
        if rows:
            data["condition"] = build_condition(rows, match=data.get("match") or "all")
        else:
            data["condition"] = (data.get("condition") or "").strip()
        if self.doc_type is not None and data["condition"]:
            try:
                validate_condition(data["condition"], self.doc_type)
            except ValidationError as exc:
                self.add_error(None, exc)
        if data.get("kind") == StepKind.VERIFY and not data.get("checklist"):
            self.add_error("checklist", _("核对步骤至少需要一个核对项。"))
        if data.get("approver") == "people:" and not data.get("people"):
            self.add_error("people", _("请选择至少一位处理人。"))
        return data

    def spec(self) -> StepSpec:
        d = self.cleaned_data
        kind, _sep, value = d["approver"].partition(":")
        role = value if kind == "role" else (d.get("role") or "" if kind == "position" else "")
        return StepSpec(name=d["name"], role=role, kind=d["kind"], scope=d["scope"], mode=d["mode"],
                        condition=d["condition"], checklist=d["checklist"],
                        position=value if kind == "position" else "",
                        user_ids=tuple(int(v) for v in d.get("people") or ()) if kind == "people" else ())


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
        if not self.specs():
            raise ValidationError(_("流程至少需要一个步骤。"))

    def specs(self) -> list[StepSpec]:
        """The steps in the order shown (no sort numbers: the editor moves rows up and down)."""
        return [f.spec() for f in self.forms if f.has_changed() and f.is_valid()]


ChainFormSet = forms.formset_factory(ChainStepForm, formset=_BaseChainFormSet, extra=0, max_num=20,
                                     validate_max=True)

STEP_FIELDS = ["name", "kind", "approver", "role", "people", "scope", "mode", "checklist", "match", "condition"] + [
    f"c{i}_{part}" for i in range(CONDITION_ROWS) for part in ("field", "op", "values", "number", "text")
]


def chain_rows_from_post(post, prefix="steps") -> list[dict]:
    """The editor's rows as posted, in order, each a dict of raw values (lists for multi-selects)."""
    try:
        total = min(int(post.get(f"{prefix}-TOTAL_FORMS", 0)), 20)
    except ValueError:
        total = 0
    rows = []
    for i in range(total):
        row = {}
        for name in STEP_FIELDS:
            key = f"{prefix}-{i}-{name}"
            row[name] = post.getlist(key) if name.endswith("_values") or name == "people" else post.get(key, "")
        rows.append(row)
    return rows


def chain_post_from_rows(rows, prefix="steps"):
    """A QueryDict binding the formset to ``rows`` (after a move / add / remove)."""
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
    data[f"{prefix}-INITIAL_FORMS"] = "0"
    data[f"{prefix}-MIN_NUM_FORMS"] = "0"
    data[f"{prefix}-MAX_NUM_FORMS"] = "20"
    for i, row in enumerate(rows):
        for name, value in row.items():
            if isinstance(value, list):
                data.setlist(f"{prefix}-{i}-{name}", value)
            else:
                data[f"{prefix}-{i}-{name}"] = value
    return data


def blank_row() -> dict:
    return {"name": "", "kind": StepKind.APPROVE, "approver": f"role:{Role.GENERAL_MANAGER}", "role": "",
            "scope": StepScope.TENANT, "mode": StepMode.ANY, "checklist": "", "match": "all", "condition": ""}


def approver_value(spec: StepSpec) -> str:
    if spec.user_ids:
        return "people:"
    if spec.position:
        return f"position:{spec.position}"
    return f"role:{spec.role}"


def spec_initial(spec: StepSpec, fields: dict | None = None) -> dict:
    """A stored step as an editor row (raw values, as a POST would carry them). ``fields``:
    ``condition_fields(doc_type, tenant)``, to put each value in the right box."""
    fields = fields or {}
    row = {"name": spec.name, "kind": spec.kind, "approver": approver_value(spec),
           "role": spec.role if spec.position else "", "people": [str(u) for u in spec.user_ids],
           "scope": spec.scope, "mode": spec.mode, "checklist": ", ".join(spec.checklist), "match": "all", "condition": ""}
    shown = condition_rows(spec.condition)
    if shown is None or len(shown[1]) > CONDITION_ROWS:
        row["condition"] = spec.condition  # kept verbatim; the template says so
        return row
    row["match"] = shown[0]
    for i, (name, op, value) in enumerate(shown[1]):
        row[f"c{i}_field"], row[f"c{i}_op"] = name, op
        kind = getattr(fields.get(name), "type", None)
        if isinstance(value, bool):
            row[f"c{i}_values"] = ["bool:true" if value else "bool:false"]
        elif isinstance(value, tuple):
            row[f"c{i}_values"] = [f"{name}:{v}" for v in value]
        elif kind == "choice":
            row[f"c{i}_values"] = [f"{name}:{value}"]
        elif isinstance(value, Decimal) and kind != "text":
            row[f"c{i}_number"] = str(value)
        else:
            row[f"c{i}_text"] = str(value)
    return row


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


class PreviewForm(forms.Form):
    """A sample request for the route preview: the document type's condition fields, the
    branch it is filed for and who files it."""

    applicant = forms.ModelChoiceField(label=_("申请人"), queryset=User.objects.none(), required=False)
    branch = forms.ModelChoiceField(label=_("分公司"), queryset=None, required=False, empty_label=_("（无）"))

    def __init__(self, *args, doc_type, tenant, **kwargs):
        from marketing.models import Branch

        super().__init__(*args, **kwargs)
        self.fields["applicant"].queryset = User.objects.filter(
            membership__tenant=tenant, membership__is_active=True, is_active=True
        ).order_by("full_name", "username")
        self.fields["branch"].queryset = Branch.objects.filter(tenant=tenant).select_related("region")
        self.sample_fields = {}
        for name, spec in condition_fields(doc_type).items():
            if spec.type in ("number", "money"):
                field = forms.DecimalField(label=spec.label, required=False, max_digits=16, decimal_places=4)
            elif spec.type == "bool":
                field = forms.TypedChoiceField(label=spec.label, required=False, choices=[("0", _("否")), ("1", _("是"))],
                                               coerce=lambda v: v == "1", empty_value=False)
            elif spec.type == "choice":
                field = forms.ChoiceField(label=spec.label, required=False, choices=[("", "—"), *spec.choices])
            else:
                field = forms.CharField(label=spec.label, required=False, max_length=40)
            self.fields[f"f_{name}"] = field
            self.sample_fields[name] = spec

    def values(self) -> dict:
        d = self.cleaned_data
        return {name: d.get(f"f_{name}") for name in self.sample_fields if d.get(f"f_{name}") not in (None, "")}
