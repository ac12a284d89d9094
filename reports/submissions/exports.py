"""xlsx of a rule's submissions (the digest attachment and the list export). User text is
always a string cell (formula-safe); customer ids appear as names only for readers who
may see them (masked otherwise)."""

from __future__ import annotations

import io
import re

from marketing.exports import as_text

from .models import FieldType, SubmissionRule


def _flatten(rule: SubmissionRule, data: dict, labels: dict) -> list[str]:
    customers, people = labels.get("customers", {}), labels.get("people", {})

    def show(kind, value):
        if value in (None, ""):
            return ""
        if kind == FieldType.CUSTOMER:
            return customers.get(value, "＊＊")
        if kind == FieldType.PERSON:
            return people.get(value, str(value))
        return str(value)

    out = []
    for spec in rule.fields or []:
        value = data.get(spec["key"])
        if spec.get("type") == FieldType.TABLE:
            rows = []
            for row in value or []:
                rows.append("，".join(show(c.get("type"), row.get(c["key"])) for c in spec.get("columns", [])))
            out.append("\n".join(rows))
        elif spec.get("type") == FieldType.ATTACHMENT:
            continue
        else:
            out.append(show(spec.get("type"), value))
    return out


def sheet_title(name: str) -> str:
    """An Excel sheet title: at most 31 characters, none of []:*?/\\ (客户拜访/跟踪状况表)."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'")[:31]
    return cleaned or "Sheet"


def submissions_xlsx(*, rule: SubmissionRule, rows: list[dict], labels: dict | None = None) -> bytes:
    """``rows``: dicts with who, period, status, submitted_at, data."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    labels = labels or {}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(rule.name))
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    headers = ["期次", "分公司/填报人", "状态", "提交时间"] + [
        f.get("label", f["key"]) for f in rule.fields or [] if f.get("type") != FieldType.ATTACHMENT
    ]
    for index in range(len(headers)):
        ws.column_dimensions[chr(ord("A") + min(index, 25))].width = 14 if index < 4 else 36
    header_cells = []
    for title in headers:
        cell = as_text(WriteOnlyCell(ws), title)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        values = [row["period"], row["who"], row["status"], row["submitted_at"]] + _flatten(rule, row["data"], labels)
        cells = []
        for value in values:
            cell = as_text(WriteOnlyCell(ws), value)
            cell.alignment = wrap
            cells.append(cell)
        ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def board_rows(*, rule: SubmissionRule, board: dict, tz) -> list[dict]:
    out = []
    for r in board["rows"]:
        who = r.branch.name if r.branch else (r.user.display_name if r.user else "")
        sub = r.submission
        out.append({
            "period": board["period"].isoformat(), "who": who, "status": r.label,
            "submitted_at": sub.submitted_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if sub and sub.submitted_at else "",
            "data": sub.data if sub and sub.status != "draft" else {},
        })
    return out


def digest_xlsx(*, rule: SubmissionRule, board: dict) -> bytes:
    """The digest goes to the rule's recipients, who see the whole rule: names are shown;
    customer ids are resolved for the tenant (digest recipients are leaders of the rule)."""
    from . import prefill

    rows = board_rows(rule=rule, board=board, tz=rule.tenant.zone)
    datas = [r["data"] for r in rows]
    customer_ids = prefill.customer_ids_in(rule, datas)
    people_ids = set()
    for spec in rule.fields or []:
        if spec.get("type") == FieldType.PERSON:
            people_ids |= {d.get(spec["key"]) for d in datas if isinstance(d.get(spec["key"]), int)}
        for c in spec.get("columns", []):
            if c.get("type") == FieldType.PERSON:
                people_ids |= {row.get(c["key"]) for d in datas for row in d.get(spec["key"]) or []
                               if isinstance(row.get(c["key"]), int)}
    from customers.models import Customer

    customers = {pk: prefill.mask_name(name) for pk, name in
                 Customer.objects.filter(tenant=rule.tenant, pk__in=customer_ids).values_list("pk", "name")}
    labels = {"customers": customers, "people": prefill.people_labels(tenant=rule.tenant, ids=people_ids)}
    return submissions_xlsx(rule=rule, rows=rows, labels=labels)


def trip_checkins_xlsx(*, rows, tz) -> bytes:
    """出差汇报: one row per check-in (S003-04). Every user-typed cell is text (formula-safe)."""
    from django.utils.translation import gettext as _
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("出差汇报")
    ws.append([_("日期"), _("汇报时间"), _("出差人"), _("分公司"), _("目的地"), _("出差期间"), _("每日应汇报"),
               _("业务进展"), _("所在地点")])
    for r in rows:
        trip = r.trip
        ws.append([r.local_date.isoformat(), r.reported_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), None,
                   None, None, f"{trip.start_date:%Y-%m-%d} ~ {trip.end_date:%Y-%m-%d}", trip.checkins_per_day,
                   None, None])
        line = ws.max_row
        as_text(ws.cell(row=line, column=3), trip.traveller.display_name)
        as_text(ws.cell(row=line, column=4), trip.branch.name if trip.branch_id else "")
        as_text(ws.cell(row=line, column=5), trip.destination)
        as_text(ws.cell(row=line, column=8), r.progress)
        as_text(ws.cell(row=line, column=9), r.location)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
