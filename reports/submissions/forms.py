"""Forms built from a rule's template (typed fields, tables of typed columns), and the rule
editor. Table rows are posted as ``<field>__<row>__<column>``; fully empty rows are dropped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing.forms import TenantModelForm
from marketing.models import User
from marketing.roles import Role

from .models import FieldType, SubmissionRule

MAX_TABLE_ROWS = 200
CUSTOMER_CHOICES_LIMIT = 500
BLANK_ROWS = 3


def _scalar_field(spec: dict, *, customers, people) -> forms.Field:
    kind = spec.get("type", FieldType.TEXT)
    common = {"label": spec.get("label") or spec["key"], "required": bool(spec.get("required")),
              "help_text": spec.get("help", "")}
    if kind == FieldType.TEXTAREA:
        return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind == FieldType.NUMBER:
        return forms.DecimalField(max_digits=14, decimal_places=2, **common)
    if kind == FieldType.MONEY:
        return forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.CUSTOMER:
        return forms.TypedChoiceField(choices=[("", "—")] + customers, coerce=int, empty_value=None, **common)
    if kind == FieldType.PERSON:
        return forms.TypedChoiceField(choices=[("", "—")] + people, coerce=int, empty_value=None, **common)
    if kind == FieldType.ATTACHMENT:
        return forms.FileField(**{**common, "required": False})
    return forms.CharField(max_length=500, **common)


def _cell(kind: str, raw: str, people_ids: set[int], customer_ids: set[int] = frozenset()):
    """Parse one table cell; raises ValidationError with a short message."""
    raw = raw.strip()
    if raw == "":
        return None
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        value = forms.DecimalField(max_digits=14, decimal_places=2).clean(raw)
        if kind == FieldType.MONEY and value < 0:
            raise ValidationError(_("金额不能为负数"))
        return str(value)
    if kind == FieldType.DATE:
        return forms.DateField().clean(raw).isoformat()
    if kind in (FieldType.PERSON, FieldType.CUSTOMER):
        allowed = people_ids if kind == FieldType.PERSON else customer_ids
        message = _("请选择人员") if kind == FieldType.PERSON else _("请选择您可查看的客户")
        try:
            pk = int(raw)
        except ValueError:
            raise ValidationError(message)
        if pk not in allowed:
            raise ValidationError(message)
        return pk
    if len(raw) > 500:
        raise ValidationError(_("不能超过 500 个字符"))
    return raw


class SubmissionForm(forms.Form):
    """``rule.fields`` as a form. ``initial_data`` is a stored ``Submission.data``."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, rule: SubmissionRule, customers=(), people=(), initial_data=None, extra_rows=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.customers = list(customers)
        self.people = list(people)
        self.people_ids = {pk for pk, _label in self.people}
        self.customer_ids = {pk for pk, _label in self.customers}
        initial_data = initial_data or {}
        self.tables: list[dict] = []
        for spec in rule.fields or []:
            key = spec["key"]
            if spec.get("type") == FieldType.TABLE:
                rows = initial_data.get(key) or []
                if self.is_bound:
                    count = self._posted_rows(key)
                    rows = [self._posted_row(spec, i) for i in range(count)]
                blank = BLANK_ROWS + extra_rows
                self.tables.append({
                    "spec": spec, "rows": rows, "errors": [], "count": len(rows) + blank,
                    "render": [
                        [{"col": c, "name": f"{key}__{i}__{c['key']}", "value": "" if row.get(c["key"]) is None
                          else str(row.get(c["key"]))} for c in spec.get("columns", [])]
                        for i, row in enumerate(list(rows) + [{}] * blank)
                    ],
                })
                continue
            self.fields[f"f_{key}"] = _scalar_field(spec, customers=self.customers, people=self.people)
            value = initial_data.get(key)
            if value not in (None, "") and spec.get("type") != FieldType.ATTACHMENT:
                self.initial[f"f_{key}"] = value

    def _posted_rows(self, key: str) -> int:
        try:
            return max(0, min(int(self.data.get(f"{key}__rows", 0)), MAX_TABLE_ROWS))
        except (TypeError, ValueError):
            return 0

    def _posted_row(self, spec: dict, index: int) -> dict:
        return {c["key"]: self.data.get(f"{spec['key']}__{index}__{c['key']}", "") for c in spec.get("columns", [])}

    def clean(self):
        cleaned = super().clean()
        for table in self.tables:
            spec = table["spec"]
            parsed = []
            for number, row in enumerate(table["rows"], start=1):
                if all(str(v).strip() == "" for v in row.values()):
                    continue
                out = {}
                for column in spec.get("columns", []):
                    try:
                        out[column["key"]] = _cell(column.get("type", FieldType.TEXT), str(row.get(column["key"], "")),
                                                   self.people_ids, self.customer_ids)
                    except ValidationError as exc:
                        table["errors"].append(_("第 %(n)d 行「%(col)s」：%(msg)s") % {
                            "n": number, "col": column.get("label", column["key"]), "msg": " ".join(exc.messages)})
                parsed.append(out)
            if spec.get("required") and not parsed:
                table["errors"].append(_("「%(label)s」至少填写一行。") % {"label": spec.get("label", spec["key"])})
            table["parsed"] = parsed
        if any(t["errors"] for t in self.tables):
            raise ValidationError(_("表格中有需要修改的内容，见下方提示。"), code="table")
        return cleaned

    def stored_data(self) -> dict:
        """JSON-ready content: decimals as strings, dates ISO, ids as ints."""
        data = {}
        for spec in self.rule.fields or []:
            key = spec["key"]
            if spec.get("type") == FieldType.TABLE:
                data[key] = next(t["parsed"] for t in self.tables if t["spec"]["key"] == key)
                continue
            if spec.get("type") == FieldType.ATTACHMENT:
                continue
            value = self.cleaned_data.get(f"f_{key}")
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, dt.date):
                value = value.isoformat()
            data[key] = value
        return data

    def attachments(self) -> list[tuple[str, object]]:
        return [
            (spec["key"], self.cleaned_data.get(f"f_{spec['key']}"))
            for spec in self.rule.fields or []
            if spec.get("type") == FieldType.ATTACHMENT and self.cleaned_data.get(f"f_{spec['key']}")
        ]


class ReviewForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("审阅意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)


# --- the rule editor -------------------------------------------------------------------

WEEKDAY_CHOICES = [(0, gettext_lazy("周一")), (1, gettext_lazy("周二")), (2, gettext_lazy("周三")), (3, gettext_lazy("周四")), (4, gettext_lazy("周五")),
                   (5, gettext_lazy("周六")), (6, gettext_lazy("周日"))]


class RuleForm(TenantModelForm):
    role_choices = [(r.value, r.label) for r in Role]
    submitter_roles = forms.MultipleChoiceField(label=gettext_lazy("填报角色"), choices=role_choices, widget=forms.CheckboxSelectMultiple)
    reviewer_roles = forms.MultipleChoiceField(label=gettext_lazy("审阅角色"), choices=role_choices, required=False,
                                               widget=forms.CheckboxSelectMultiple)
    digest_roles = forms.MultipleChoiceField(label=gettext_lazy("汇总接收角色"), choices=role_choices, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    weekdays = forms.TypedMultipleChoiceField(label=gettext_lazy("每周截止日"), choices=WEEKDAY_CHOICES, coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SubmissionRule
        fields = [
            "code", "name", "description", "scope", "submitter_roles", "cadence", "weekdays", "month_day",
            "period_month", "deadline_time", "shift_to_working_day", "remind_minutes_before", "reviewer_roles", "digest_roles",
            "digest_delay_minutes", "prefill", "source_code", "feed", "submit_check", "shared_library", "review_on_engine", "is_active", "sort_order",
        ]
        widgets = {"deadline_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version if self.instance.pk else None
        self.fields["period_month"].required = False  # only quarterly and yearly rules use it

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cadence") == "weekly" and not cleaned.get("weekdays"):
            self.add_error("weekdays", _("每周填报的规则请至少选择一个截止日。"))
        if cleaned.get("period_month") is None:
            cleaned["period_month"] = 12 if cleaned.get("cadence") == "yearly" else 3
        if cleaned.get("cadence") == "quarterly" and cleaned["period_month"] > 3:
            self.add_error("period_month", _("每季度的规则：截止月份是季度内的第几个月，只能填 1–3。"))
        return cleaned

    def as_initial(self, data) -> dict:
        """The posted values as initial values: an editor button re-renders the form with what
        was typed, without showing "required" errors on a rule still being put together."""
        initial = {}
        for name, field in self.fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                initial[name] = data.getlist(name)
            elif isinstance(field, forms.BooleanField):
                initial[name] = name in data
            elif name in data:
                initial[name] = data.get(name)
        return initial


def people_choices(*, tenant, branch=None) -> list[tuple[int, str]]:
    from marketing.selectors import users_with_roles

    if branch is not None:
        users = users_with_roles(tenant=tenant, roles=[r.value for r in Role], branch=branch)
    else:
        users = User.objects.filter(membership__tenant=tenant, membership__is_active=True, is_active=True)
    return [(u.pk, u.display_name) for u in users.only("id", "full_name", "username")[:500]]
