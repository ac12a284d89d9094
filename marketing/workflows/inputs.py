"""Turning posted HTML inputs into the shapes the services take (no validation here: that
is ``validators``). Builder rows: ``f-<i>-key/label/type/required/help/options/columns`` and
``f-count``; request values: ``v-<key>`` (``-start``/``-end`` for a date range,
``-<row>-<col>`` and ``-rows`` for a table)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from .models import FieldType

MAX_ROWS_POSTED = 40
COLUMN_TYPE_WORDS = {"文本": FieldType.TEXT, "数字": FieldType.NUMBER, "金额": FieldType.MONEY, "日期": FieldType.DATE,
                     "text": FieldType.TEXT, "number": FieldType.NUMBER, "money": FieldType.MONEY,
                     "date": FieldType.DATE}
COLUMN_WORDS = {FieldType.TEXT: "文本", FieldType.NUMBER: "数字", FieldType.MONEY: "金额", FieldType.DATE: "日期"}
_KEY_NUM = re.compile(r"^f(\d+)$")


def _count(post, name, limit=MAX_ROWS_POSTED) -> int:
    raw = post.get(name, "")
    return min(int(raw), limit) if raw.isdigit() else 0


def columns_from_text(text: str) -> list[dict]:
    """Lines ``名称:类型`` (类型 文本/数字/金额/日期; 文本 when left out) -> columns."""
    columns = []
    for i, line in enumerate([ln.strip() for ln in (text or "").splitlines() if ln.strip()], start=1):
        label, _sep, kind = line.replace("：", ":").rpartition(":") if ":" in line.replace("：", ":") else (line, "", "")
        kind = kind.strip()
        columns.append({"key": f"c{i}", "label": label.strip() or line,
                        "type": COLUMN_TYPE_WORDS.get(kind, "bad" if kind else FieldType.TEXT)})
    return columns


def columns_to_text(columns) -> str:
    return "\n".join(f"{c['label']}:{COLUMN_WORDS.get(c['type'], c['type'])}" for c in columns or [])


def builder_rows(post) -> list[dict]:
    rows = []
    for i in range(_count(post, "f-count")):
        p = f"f-{i}-"
        kind = post.get(p + "type", FieldType.TEXT)
        row = {"key": post.get(p + "key", "").strip(), "label": post.get(p + "label", "").strip(), "type": kind,
               "required": post.get(p + "required") == "on", "help": post.get(p + "help", "").strip()}
        if kind == FieldType.CHOICE:
            row["options"] = [o.strip() for o in post.get(p + "options", "").splitlines() if o.strip()]
        if kind == FieldType.TABLE:
            row["columns"] = columns_from_text(post.get(p + "columns", ""))
        rows.append(row)
    return rows


def next_key(rows) -> str:
    used = [int(m.group(1)) for r in rows if (m := _KEY_NUM.match(r.get("key", "")))]
    return f"f{max(used, default=0) + 1}"


def apply_op(op: str, rows: list[dict]) -> list[dict]:
    """The builder's row buttons: add / up:i / down:i / remove:i."""
    verb, _sep, index = op.partition(":")
    i = int(index) if index.isdigit() else -1
    if verb == "add" and len(rows) < MAX_ROWS_POSTED:
        rows.append({"key": next_key(rows), "label": "", "type": FieldType.TEXT, "required": False, "help": ""})
    elif verb == "up" and 0 < i < len(rows):
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and 0 <= i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    elif verb == "remove" and 0 <= i < len(rows):
        rows.pop(i)
    return rows


def request_raw(fields, post, files) -> tuple[dict, dict]:
    raw, uploads = {}, {}
    for f in fields:
        name, kind = f"v-{f['key']}", f["type"]
        if kind == FieldType.DATERANGE:
            raw[f["key"]] = [post.get(name + "-start", ""), post.get(name + "-end", "")]
        elif kind == FieldType.PEOPLE:
            raw[f["key"]] = post.getlist(name)
        elif kind == FieldType.ATTACHMENT:
            uploads[f["key"]] = files.getlist(name)[:10]
        elif kind == FieldType.TABLE:
            rows = []
            for r in range(_count(post, name + "-rows", 50)):
                rows.append({c["key"]: post.get(f"{name}-{r}-{c['key']}", "") for c in f["columns"]})
            raw[f["key"]] = rows
        else:
            raw[f["key"]] = post.get(name, "")
    return raw, uploads


def table_rows_wanted(fields, post, values) -> dict[str, int]:
    """How many input rows each table shows: what was posted (plus one for "添加一行"), else
    the stored rows, else two."""
    op = post.get("op", "") if post is not None else ""
    out = {}
    for f in fields:
        if f["type"] != FieldType.TABLE:
            continue
        n = _count(post, f"v-{f['key']}-rows", 50) if post is not None else 0
        if not n:
            n = max(len(values.get(f["key"], []) or []), 2)
        if op == f"addrow:{f['key']}":
            n = min(n + 1, 50)
        out[f["key"]] = n
    return out


TYPE_HELP = {
    FieldType.CHOICE: _("每行一个选项；选项是一个词（不含空格），审批条件按它判断。"),
    FieldType.TABLE: _("每行一列：“列名:类型”，类型为 文本、数字、金额 或 日期（不写为文本）。"),
}
