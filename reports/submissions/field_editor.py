"""The rule editor's template builder: the fields of a rule as rows of inputs (code, name,
type, required, help; a table field's columns as rows beneath it), with buttons to add,
move and delete fields and columns. No script needed: every button posts the form, the
editor re-renders it with the change applied, nothing typed is lost, and nothing is saved
until "保存". Validation speaks per field ("字段 2：…").

Posted names: ``f-count``; per field ``f-<i>-key|label|type|required|help`` and
``f-<i>-ccount``; per column ``f-<i>-c-<j>-key|label|type``. Action buttons: ``_field_add``,
``_field_move`` = ``<i>:up|down``, ``_field_delete`` = ``<i>``, ``_col_add`` = ``<i>``,
``_col_delete`` = ``<i>:<j>``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import COLUMN_TYPES, FieldType

ACTIONS = ("_field_add", "_field_move", "_field_delete", "_col_add", "_col_delete")
MAX_FIELDS = 40
MAX_COLUMNS = 20
REQUIRED_WORDS = ("1", "on", "true")


def _blank_column() -> dict:
    return {"key": "", "label": "", "type": FieldType.TEXT}


def _blank_field() -> dict:
    return {"key": "", "label": "", "type": FieldType.TEXT, "required": False, "help": "", "columns": []}


def _int(raw, default: int = 0, upper: int = MAX_FIELDS) -> int:
    try:
        return max(0, min(int(raw), upper))
    except (TypeError, ValueError):
        return default


class FieldEditor:
    prefix = "f"

    def __init__(self, data=None, *, fields: list[dict] | None = None):
        self.bound = data is not None
        self.errors: list[str] = []
        self.action = next((a for a in ACTIONS if data is not None and a in data), None)
        if data is None:
            self.rows = [{**_blank_field(), **f, "columns": [dict(c) for c in f.get("columns", [])]}
                         for f in fields or []]
            if not self.rows:
                self.rows = [_blank_field()]
        else:
            self.rows = self._read(data)
            if self.action:
                self._apply(self.action, data.get(self.action, ""))
        for row in self.rows:  # a table always offers one empty column slot to fill in
            if row["type"] == FieldType.TABLE and not any(self._blank_col(c) for c in row["columns"]):
                row["columns"].append(_blank_column())
        self._cleaned: list[dict] | None = None

    # --- reading the post -------------------------------------------------------------------
    def _read(self, data) -> list[dict]:
        rows = []
        for i in range(_int(data.get(f"{self.prefix}-count"))):
            p = f"{self.prefix}-{i}"
            row = {
                "key": (data.get(f"{p}-key") or "").strip()[:40],
                "label": (data.get(f"{p}-label") or "").strip()[:80],
                "type": data.get(f"{p}-type") or FieldType.TEXT,
                "required": (data.get(f"{p}-required") or "").lower() in REQUIRED_WORDS,
                "help": (data.get(f"{p}-help") or "").strip()[:200],
                "columns": [],
            }
            for j in range(_int(data.get(f"{p}-ccount"), upper=MAX_COLUMNS)):
                c = f"{p}-c-{j}"
                row["columns"].append({
                    "key": (data.get(f"{c}-key") or "").strip()[:40],
                    "label": (data.get(f"{c}-label") or "").strip()[:80],
                    "type": data.get(f"{c}-type") or FieldType.TEXT,
                })
            rows.append(row)
        return rows

    def _apply(self, action: str, value: str) -> None:
        index, _sep, rest = str(value).partition(":")
        i = _int(index, default=-1, upper=len(self.rows))
        if action == "_field_add" and len(self.rows) < MAX_FIELDS:
            self.rows.append(_blank_field())
        elif action == "_field_delete" and 0 <= i < len(self.rows):
            del self.rows[i]
        elif action == "_field_move" and 0 <= i < len(self.rows):
            j = i - 1 if rest == "up" else i + 1
            if 0 <= j < len(self.rows):
                self.rows[i], self.rows[j] = self.rows[j], self.rows[i]
        elif action == "_col_add" and 0 <= i < len(self.rows) and len(self.rows[i]["columns"]) < MAX_COLUMNS:
            self.rows[i]["type"] = FieldType.TABLE
            self.rows[i]["columns"].append(_blank_column())
        elif action == "_col_delete" and 0 <= i < len(self.rows):
            j = _int(rest, default=-1, upper=MAX_COLUMNS)
            if 0 <= j < len(self.rows[i]["columns"]):
                del self.rows[i]["columns"][j]

    @staticmethod
    def _blank_col(c: dict) -> bool:
        return not c["key"] and not c["label"]

    # --- validation -------------------------------------------------------------------------
    def is_valid(self) -> bool:
        if self.action:
            return False
        fields, errors, keys = [], [], set()
        kept = [r for r in self.rows if r["key"] or r["label"]]
        for n, row in enumerate(kept, start=1):
            where = _("字段 %(n)d") % {"n": n}
            key = row["key"] or f"field_{n}"
            if not key.isidentifier():
                errors.append(_("%(where)s：编码只能用字母、数字、汉字和下划线，且不能以数字开头") % {"where": where})
                continue
            if key in keys:
                errors.append(_("%(where)s：编码 %(key)s 重复") % {"where": where, "key": key})
                continue
            if row["type"] not in FieldType.values:
                errors.append(_("%(where)s：请选择类型") % {"where": where})
                continue
            keys.add(key)
            spec = {"key": key, "label": row["label"] or key, "type": row["type"], "required": row["required"],
                    "help": row["help"]}
            if row["type"] == FieldType.TABLE:
                cols, col_keys = [], set()
                for m, col in enumerate([c for c in row["columns"] if not self._blank_col(c)], start=1):
                    ckey = col["key"] or f"col_{m}"
                    if not ckey.isidentifier() or ckey in col_keys:
                        errors.append(_("%(where)s 第 %(m)d 列：编码无效或重复") % {"where": where, "m": m})
                        continue
                    if col["type"] not in {t.value for t in COLUMN_TYPES}:
                        errors.append(_("%(where)s 第 %(m)d 列：表格列不能用这种类型") % {"where": where, "m": m})
                        continue
                    col_keys.add(ckey)
                    cols.append({"key": ckey, "label": col["label"] or ckey, "type": col["type"]})
                if not cols:
                    errors.append(_("%(where)s：表格至少需要一列") % {"where": where})
                spec["columns"] = cols
            fields.append(spec)
        if not fields and not errors:
            errors.append(_("请至少填写一个字段。"))
        self.errors = errors
        self._cleaned = fields if not errors else None
        return not errors

    @property
    def cleaned_fields(self) -> list[dict]:
        if self._cleaned is None:
            raise ValueError("call is_valid() first")
        return self._cleaned

    # --- rendering --------------------------------------------------------------------------
    def context(self) -> dict:
        types = [(t.value, t.label) for t in FieldType]
        column_types = [(t.value, t.label) for t in COLUMN_TYPES]
        rows = []
        for i, row in enumerate(self.rows):
            rows.append({**row, "i": i, "first": i == 0, "last": i == len(self.rows) - 1,
                         "columns": [{**c, "j": j} for j, c in enumerate(row["columns"])],
                         "ccount": len(row["columns"])})
        return {"rows": rows, "count": len(self.rows), "types": types, "column_types": column_types,
                "errors": self.errors, "can_add": len(self.rows) < MAX_FIELDS}
