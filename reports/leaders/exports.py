"""The xlsx download of one chart's figures: the same columns and rows as its JSON and table.
Text is always a string cell (``marketing.exports.as_text``: "=..." stays text); money and
counts are numbers; rates hold the UNROUNDED ratio formatted 0.0 % (Excel shows what the
page shows: one rounding rule, half up)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import pgettext

from marketing.exports import as_text

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _write_table(ws, start_row: int, columns: list[dict], rows: list[dict]) -> int:
    from openpyxl.styles import Font

    for c, col in enumerate(columns, start=1):
        as_text(ws.cell(row=start_row, column=c), col["label"]).font = Font(bold=True)
    r = start_row
    for row in rows:
        r += 1
        for c, col in enumerate(columns, start=1):
            cell = ws.cell(row=r, column=c)
            value = row.get(col["key"])
            kind = col["kind"]
            if value is None:
                as_text(cell, "")
            elif kind == "money":
                cell.value, cell.number_format = float(Decimal(value)), "#,##0.00"
            elif kind == "pct":
                cell.value, cell.number_format = float(Decimal(value)), "0.0%"
            elif kind == "int":
                cell.value = int(value)
            elif kind == "bool":
                as_text(cell, pgettext("dashboard", "是") if value else "")
            else:
                as_text(cell, value)
    return r


def chart_xlsx(data: dict, *, tenant_name: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = data["chart"][:31]
    meta = data["meta"]
    as_text(ws.cell(row=1, column=1), f"{tenant_name} · {data['title']} · {meta['month']}")
    as_text(ws.cell(row=2, column=1), pgettext("dashboard", "截至 %(day)s · 时间进度 %(pace)s") % {"day": meta["as_of"],
                                                                         "pace": meta["pace"]["pct"] or "—"})
    last = _write_table(ws, 4, data["columns"], data["rows"])
    if data.get("regions"):
        _write_table(ws, last + 2, data["region_columns"], data["regions"])
    for c in range(1, len(data["columns"]) + 1):
        ws.column_dimensions[ws.cell(row=4, column=c).column_letter].width = 16
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
