"""xlsx (and PDF) renderers of contracts/. User text goes through ``as_text`` (formula-safe)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from marketing.exports import as_text

HEADER_FILL = PatternFill("solid", fgColor="DDE6F3")


def header(ws, labels, widths=None) -> None:
    for col, label in enumerate(labels, start=1):
        cell = as_text(ws.cell(row=1, column=col), label)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = (widths or {}).get(col, max(10, len(str(label)) * 2 + 2))
    ws.freeze_panes = "A2"


def put(ws, row: int, values) -> None:
    """Numbers stay numbers; everything else is text."""
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        if isinstance(value, bool) or value is None or not isinstance(value, int | float):
            from decimal import Decimal

            if isinstance(value, Decimal):
                cell.value = float(value)
                continue
            as_text(cell, value)
        else:
            cell.value = value


def save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def products_xlsx(products) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "延保产品"
    header(ws, ["产品代码", "产品名称", "状态", "现行版本", "适用车型", "期限（月）", "里程上限（公里）", "建议售价", "动销率达标线"])
    for row, p in enumerate(products, start=2):
        v = p.current_version
        put(ws, row, [p.code, p.name, p.get_status_display(), f"v{v.number}" if v else "—",
                      v.vehicle_type if v else "", v.term_months if v else "", v.mileage_display if v else "",
                      v.price if v else "", f"{p.sell_through_bar * 100:.0f}%"])
    return save(wb)
