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


def pricelist_xlsx(price_list, matrix: dict) -> bytes:
    """Sheet 1: the printable matrix (product × vehicle class rows, one column per term), with a
    title line; sheet 2: 明细, one row per tier -- the same columns the draft import reads."""
    from openpyxl.worksheet.page import PageMargins

    wb = Workbook()
    ws = wb.active
    ws.title = "产品体系报价表"
    terms = matrix["terms"]
    labels = ["产品代码", "产品名称", "适用车型", "里程上限（公里）", "车辆级别"] + [f"{t}个月（元）" for t in terms]
    title = f"产品体系报价表 第 {price_list.version} 版"
    if price_list.effective_on:
        title += f"　生效日期 {price_list.effective_on:%Y-%m-%d}"
    else:
        title += "　（草稿）"
    as_text(ws.cell(row=1, column=1), title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(labels), 2))
    for col, label in enumerate(labels, start=1):
        cell = as_text(ws.cell(row=2, column=col), label)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = [12, 28, 22, 14, 16][col - 1] if col <= 5 else 14
    for r, row in enumerate(matrix["rows"], start=3):
        p = row["product"]
        v = p.current_version
        put(ws, r, [p.code, p.name, v.vehicle_type if v else "", v.mileage_display if v else "", row["vehicle_class"]])
        for c, price in enumerate(row["cells"], start=6):
            cell = ws.cell(row=r, column=c)
            if price is not None:
                cell.value = float(price)
                cell.number_format = "#,##0.00"
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    flat = wb.create_sheet("明细")
    header(flat, ["产品代码", "车辆级别", "期限（月）", "价格"], {1: 14, 2: 18, 3: 12, 4: 14})
    r = 2
    for row in matrix["rows"]:
        for term, price in zip(terms, row["cells"], strict=True):
            if price is None:
                continue
            put(flat, r, [row["product"].code, row["vehicle_class"], term, price])
            r += 1
    return save(wb)
