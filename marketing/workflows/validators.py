"""The one place that knows the field types of an approval form (审批表单).

* ``validate_schema(fields)`` checks what the admin built (keys, labels, types, options,
  table columns) and returns it normalised; refusals are ``ValidationError`` with a code.
* ``clean_values(fields, raw, *, tenant, membership=None)`` checks what an applicant entered
  against one version's fields and returns ``(values, errors)``: JSON-safe values (decimals
  as strings, dates ISO, relations as ids) and ``{field key: message}``.
* ``condition_values(fields, values, *, branch_codes)`` is what the approval engine tests
  conditions against (numbers as ``Decimal``, a choice as its option, a branch as its code).

A field: ``{"key", "label", "type", "required", "help", "options": [..], "columns": [..]}``;
a table column: ``{"key", "label", "type"}`` with ``type`` one of ``COLUMN_TYPES``."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import FieldType

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OPTION_RE = re.compile(r"^[\w.\-]{1,30}$")  # one word: a condition compares it as such
COLUMN_TYPES = (FieldType.TEXT, FieldType.NUMBER, FieldType.MONEY, FieldType.DATE)
MAX_FIELDS = 40
MAX_OPTIONS = 30
MAX_COLUMNS = 10
MAX_ROWS = 50
MAX_TEXT = 200
MAX_LONG_TEXT = 5000
MAX_NUMBER = Decimal(10) ** 15
MAX_PEOPLE = 20
MAX_FILES = 5
# Types a step condition may test (the chain editor offers these fields).
CONDITION_TYPES = {FieldType.NUMBER: "number", FieldType.MONEY: "money", FieldType.CHOICE: "choice",
                   FieldType.BRANCH: "choice"}
RESERVED_KEYS = {"branch", "region"}  # the engine's own condition fields


def _refuse(message, code, **params):
    raise ValidationError(message, code=code, params=params or None)


# --- the admin's schema --------------------------------------------------------------------


def _clean_label(label, what) -> str:
    label = (label or "").strip()
    if not label:
        _refuse(_("请填写%(what)s的名称。"), "label_required", what=what)
    if len(label) > 40:
        _refuse(_("“%(l)s”的名称不能超过 40 个字。"), "label_too_long", l=label[:40])
    return label


def validate_schema(fields: list[dict]) -> list[dict]:
    if not fields:
        _refuse(_("表单至少需要一个字段。"), "no_fields")
    if len(fields) > MAX_FIELDS:
        _refuse(_("表单最多 %(n)s 个字段。"), "too_many_fields", n=MAX_FIELDS)
    out, keys = [], set()
    for f in fields:
        label = _clean_label(f.get("label"), _("字段"))
        key = (f.get("key") or "").strip()
        if not KEY_RE.match(key) or key in RESERVED_KEYS:
            _refuse(_("字段“%(l)s”的标识无效（小写字母开头，字母、数字或下划线）。"), "bad_key", l=label)
        if key in keys:
            _refuse(_("字段标识“%(k)s”重复。"), "duplicate_key", k=key)
        keys.add(key)
        kind = f.get("type")
        if kind not in FieldType.values:
            _refuse(_("字段“%(l)s”的类型无效。"), "bad_type", l=label)
        help_text = (f.get("help") or "").strip()
        if len(help_text) > 200:
            _refuse(_("字段“%(l)s”的说明不能超过 200 个字。"), "help_too_long", l=label)
        clean = {"key": key, "label": label, "type": kind, "required": bool(f.get("required")), "help": help_text}
        if kind == FieldType.CHOICE:
            options = [str(o).strip() for o in (f.get("options") or []) if str(o).strip()]
            if not options:
                _refuse(_("单选字段“%(l)s”至少需要一个选项。"), "no_options", l=label)
            if len(options) > MAX_OPTIONS:
                _refuse(_("单选字段“%(l)s”最多 %(n)s 个选项。"), "too_many_options", l=label, n=MAX_OPTIONS)
            if len(set(options)) != len(options):
                _refuse(_("单选字段“%(l)s”的选项重复。"), "duplicate_option", l=label)
            bad = [o for o in options if not OPTION_RE.match(o) or o.lower() in {"true", "false", "是", "否"}]
            if bad:
                _refuse(_("选项“%(o)s”无效：不能包含空格或符号（最多 30 个字），也不能单写“是”“否”（请写“需要印刷”“无需印刷”这样的词）。"),
                        "bad_option", o=bad[0][:30])
            clean["options"] = options
        if kind == FieldType.TABLE:
            columns = f.get("columns") or []
            if not columns:
                _refuse(_("明细表“%(l)s”至少需要一列。"), "no_columns", l=label)
            if len(columns) > MAX_COLUMNS:
                _refuse(_("明细表“%(l)s”最多 %(n)s 列。"), "too_many_columns", l=label, n=MAX_COLUMNS)
            clean_cols, col_keys = [], set()
            for i, c in enumerate(columns, start=1):
                c_label = _clean_label(c.get("label"), _("列"))
                c_key = (c.get("key") or f"c{i}").strip()
                if not KEY_RE.match(c_key) or c_key in col_keys:
                    _refuse(_("明细表“%(l)s”的列标识无效或重复。"), "bad_column_key", l=label)
                col_keys.add(c_key)
                if c.get("type") not in COLUMN_TYPES:
                    _refuse(_("明细表“%(l)s”的列“%(c)s”类型无效。"), "bad_column_type", l=label, c=c_label)
                clean_cols.append({"key": c_key, "label": c_label, "type": c["type"]})
            clean["columns"] = clean_cols
        out.append(clean)
    return out


# --- an applicant's values -----------------------------------------------------------------


class _Bad(Exception):
    pass


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return all(_blank(v) for v in value)
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    return False


def _text(value, limit):
    value = str(value).replace("\x00", "").strip()
    if len(value) > limit:
        raise _Bad(_("不能超过 %(n)s 个字。") % {"n": limit})
    return value


def _decimal(value, places):
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise _Bad(_("请输入数字。"))
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise _Bad(_("数字超出范围。"))
    if number.as_tuple().exponent < -places:
        raise _Bad(_("最多 %(n)s 位小数。") % {"n": places})
    return number


def _money(value):
    number = _decimal(value, 2)
    if number < 0:
        raise _Bad(_("金额不能为负数。"))
    return format(number.quantize(Decimal("0.01")), "f")


def _date(value):
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise _Bad(_("请输入有效日期（年-月-日）。"))
    if not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise _Bad(_("日期超出范围。"))
    return day.isoformat()


def _ids(value) -> list[int]:
    items = value if isinstance(value, list | tuple) else [value]
    out = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > 18:
            raise _Bad(_("选择无效。"))
        out.append(int(text))
    return list(dict.fromkeys(out))


def _column(col, value):
    kind = col["type"]
    if kind == FieldType.NUMBER:
        return format(_decimal(value, 4).normalize(), "f")
    if kind == FieldType.MONEY:
        return _money(value)
    if kind == FieldType.DATE:
        return _date(value)
    return _text(value, MAX_TEXT)


def _value(field, value, *, tenant, membership):
    kind = field["type"]
    if kind == FieldType.TEXT:
        return _text(value, MAX_TEXT)
    if kind == FieldType.TEXTAREA:
        return _text(value, MAX_LONG_TEXT)
    if kind == FieldType.NUMBER:
        return format(_decimal(value, 4).normalize(), "f")
    if kind == FieldType.MONEY:
        return _money(value)
    if kind == FieldType.DATE:
        return _date(value)
    if kind == FieldType.DATERANGE:
        if not isinstance(value, list | tuple) or len(value) != 2 or _blank(value[0]) or _blank(value[1]):
            raise _Bad(_("请填写开始和结束日期。"))
        start, end = _date(value[0]), _date(value[1])
        if end < start:
            raise _Bad(_("结束日期不能早于开始日期。"))
        return [start, end]
    if kind == FieldType.CHOICE:
        value = str(value).strip()
        if value not in field.get("options", []):
            raise _Bad(_("请选择列出的选项之一。"))
        return value
    if kind == FieldType.PEOPLE:
        from marketing.models import User

        ids = _ids(value)
        if len(ids) > MAX_PEOPLE:
            raise _Bad(_("最多选择 %(n)s 人。") % {"n": MAX_PEOPLE})
        found = set(User.objects.filter(pk__in=ids, membership__tenant=tenant, membership__is_active=True,
                                        is_active=True).values_list("pk", flat=True))
        if set(ids) - found:
            raise _Bad(_("请选择本公司在职的人员。"))
        return ids
    if kind == FieldType.BRANCH:
        from marketing.models import Branch

        ids = _ids(value)
        if len(ids) != 1 or not Branch.objects.filter(tenant=tenant, pk=ids[0]).exists():
            raise _Bad(_("请选择本公司的分公司。"))
        return ids[0]
    if kind in (FieldType.CUSTOMER, FieldType.PARTNER):
        # One record the filer may see (their customer reach / the partners they may read), or
        # any of the tenant's when no member is given (a service call without a reader).
        if kind == FieldType.CUSTOMER:
            from customers.models import Customer as model
            from customers.selectors import customer_list as visible

            message = _("请选择您可查看的客户。")
        else:
            from customers.partners.models import Partner as model
            from customers.partners.selectors import partners_visible as visible

            message = _("请选择您可查看的合作伙伴。")
        ids = _ids(value)
        qs = visible(membership=membership) if membership is not None else model.objects.filter(tenant=tenant)
        if len(ids) != 1 or not qs.filter(pk=ids[0]).exists():
            raise _Bad(message)
        return ids[0]
    if kind == FieldType.ATTACHMENT:
        # Values are [{"id", "name"}] of stored files (the service stores new uploads first).
        items = value if isinstance(value, list) else []
        if len(items) > MAX_FILES:
            raise _Bad(_("最多上传 %(n)s 个文件。") % {"n": MAX_FILES})
        return [{"id": int(i["id"]), "name": str(i["name"])[:200]} for i in items]
    if kind == FieldType.TABLE:
        rows = value if isinstance(value, list) else []
        rows = [r for r in rows if isinstance(r, dict) and not _blank(r)]
        if len(rows) > MAX_ROWS:
            raise _Bad(_("明细最多 %(n)s 行。") % {"n": MAX_ROWS})
        out = []
        for n, row in enumerate(rows, start=1):
            clean = {}
            for col in field["columns"]:
                cell = row.get(col["key"])
                if _blank(cell):
                    raise _Bad(_("第 %(n)s 行“%(c)s”未填写。") % {"n": n, "c": col["label"]})
                try:
                    clean[col["key"]] = _column(col, cell)
                except _Bad as exc:
                    raise _Bad(_("第 %(n)s 行“%(c)s”：%(e)s") % {"n": n, "c": col["label"], "e": exc})
            out.append(clean)
        return out
    raise _Bad(_("未知的字段类型。"))


def clean_values(fields: list[dict], raw: dict, *, tenant, membership=None) -> tuple[dict, dict]:
    values, errors = {}, {}
    for field in fields:
        value = raw.get(field["key"])
        if _blank(value):
            if field.get("required"):
                errors[field["key"]] = _("此项必填。")
            continue
        try:
            cleaned = _value(field, value, tenant=tenant, membership=membership)
        except _Bad as exc:
            errors[field["key"]] = str(exc)
            continue
        if field.get("required") and field["type"] == FieldType.MONEY and Decimal(cleaned) <= 0:
            # A required amount (a budget, an order's value) is one to approve: zero is not one.
            errors[field["key"]] = _("请填写大于 0 的金额。")
            continue
        if not _blank(cleaned):
            values[field["key"]] = cleaned
        elif field.get("required"):
            errors[field["key"]] = _("此项必填。")
    return values, errors


def condition_values(fields: list[dict], values: dict, *, branch_codes: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields:
        kind, value = field["type"], values.get(field["key"])
        if kind not in CONDITION_TYPES:
            continue
        if value is None:
            out[field["key"]] = None
        elif kind in (FieldType.NUMBER, FieldType.MONEY):
            out[field["key"]] = Decimal(value)
        elif kind == FieldType.BRANCH:
            out[field["key"]] = branch_codes.get(value)
        else:
            out[field["key"]] = value
    return out


def table_total(field: dict, rows: list[dict]) -> dict[str, Decimal]:
    """Sum of each money/number column of a table (shown under the table and in the export)."""
    sums = {}
    for col in field.get("columns", []):
        if col["type"] in (FieldType.MONEY, FieldType.NUMBER):
            sums[col["key"]] = sum((Decimal(r[col["key"]]) for r in rows if r.get(col["key"])), Decimal(0))
    return sums
