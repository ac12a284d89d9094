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


def contracts_xlsx(contracts) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "合同台账"
    header(ws, ["合同编号", "产品", "状态", "分公司", "领取人", "入库日期", "派发日期", "领取日期", "签约日期", "作废日期",
                "作废原因"], {1: 18, 4: 14})
    for row, c in enumerate(contracts, start=2):
        put(ws, row, [c.number, c.product.code, c.get_state_display(), c.branch.name if c.branch else "总部",
                      c.holder_name, _d(c.stocked_on), _d(c.dispatched_on), _d(c.received_on), _d(c.signed_on),
                      _d(c.voided_on), c.void_reason])
    return save(wb)


def _d(day) -> str:
    return day.isoformat() if day else ""


def requests_xlsx(requests) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "合同申领"
    header(ws, ["申领编号", "分公司", "产品", "份数", "申请人", "状态", "动销率", "达标线", "系统建议", "计划派发日期",
                "超标准批准理由"], {1: 16})
    for row, r in enumerate(requests, start=2):
        put(ws, row, [r.number, r.branch.name, r.product.code, r.quantity, r.applicant.display_name,
                      r.get_status_display(), r.rate_display, "" if r.bar is None else f"{r.bar * 100:.0f}%",
                      r.get_recommendation_display(), _d(r.planned_dispatch_on), r.override_reason])
    return save(wb)


USAGE_COLUMNS = ["地区", "产品", "销售领取", "在途使用", "客户已签", "回收作废", "剩余有效", "套餐总量", "签约量占比"]


def usage_xlsx(*, as_of, rows, branch_rows, costs) -> bytes:
    """Sheet 合同使用情况: exactly USAGE_COLUMNS, one row per (地区, 产品) sorted by region then product,
    签约量占比 a number formatted as a percentage. Then 分公司明细 and 各地区使用合同成本."""
    wb = Workbook()
    ws = wb.active
    ws.title = "合同使用情况"
    header(ws, USAGE_COLUMNS, {1: 14, 2: 14})
    for i, r in enumerate(rows, start=2):
        put(ws, i, [r["group"], r["product"], r["received"], r["in_use"], r["signed"], r["voided"], r["remaining"],
                    r["total"]])
        cell = ws.cell(row=i, column=9)
        cell.value = float(r["ratio"])
        cell.number_format = "0.00%"
    detail = wb.create_sheet("分公司明细")
    header(detail, ["地区", "分公司", "产品", "销售领取", "在途使用", "客户已签", "回收作废", "剩余有效", "套餐总量", "签约量占比"])
    for i, r in enumerate(branch_rows, start=2):
        put(detail, i, [r["region"], r["group"], r["product"], r["received"], r["in_use"], r["signed"], r["voided"],
                        r["remaining"], r["total"]])
        cell = detail.cell(row=i, column=10)
        cell.value = float(r["ratio"])
        cell.number_format = "0.00%"
    cost = wb.create_sheet("各地区使用合同成本")
    header(cost, ["地区", "产品", "印刷批次", "印刷厂", "单价", "份数", "金额"], {3: 36})
    for i, r in enumerate(costs, start=2):
        put(cost, i, [r["region"], r["product"], r["batch"], r["printer"], r["unit_cost"], r["copies"], r["amount"]])
        cost.cell(row=i, column=7).number_format = "#,##0.00"
    info = wb.create_sheet("说明")
    as_text(info.cell(row=1, column=1), f"统计截止日 {as_of:%Y-%m-%d}")
    as_text(info.cell(row=2, column=1), "在途使用 = 销售领取 − 客户已签 − 回收作废；签约量占比 = 客户已签 ÷ 套餐总量")
    return save(wb)


def compress_ranges(numbers: list[str]) -> list[tuple[str, str, int]]:
    """Consecutive numbers of one prefix as (first, last, count) runs."""
    import re

    runs: list[list] = []
    for n in numbers:
        m = re.match(r"^(.*?)(\d+)$", n)
        prefix, value = (m.group(1), int(m.group(2))) if m else (n, None)
        if runs and value is not None and runs[-1][0] == prefix and runs[-1][2] is not None \
                and runs[-1][2] + 1 == value:
            runs[-1][2] = value
            runs[-1][3] = n
            runs[-1][4] += 1
        else:
            runs.append([prefix, value, value, n, 1, n])
    return [(r[5], r[3], r[4]) for r in runs]


def dispatch_pdf(dispatch, numbers: list[str], *, tenant_name: str) -> bytes:
    """合同派发单 (Chinese): header, the runs of numbers, then every number in a grid of small tables."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from marketing.exports import cjk_font

    font = cjk_font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=15)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title="合同派发单")
    req = dispatch.request
    story = [Paragraph(f"{_esc(tenant_name)} 合同派发单", title), Spacer(1, 6)]
    info = [["申领编号", req.number, "派发日期", dispatch.dispatched_on.isoformat()],
            ["分公司", dispatch.branch.name, "产品", f"{dispatch.product.code} {dispatch.product.name}"],
            ["份数", str(dispatch.quantity), "派发人", dispatch.dispatched_by.display_name],
            ["编号", f"{dispatch.first_number} – {dispatch.last_number}", "确认收货",
             dispatch.confirmed_on.isoformat() if dispatch.confirmed_on else "（待分公司确认）"]]
    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF2F8")),
                        ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#EEF2F8"))])
    story += [Table([[_cell(c, body) for c in r] for r in info], colWidths=[22 * mm, 63 * mm, 22 * mm, 63 * mm],
                    style=style), Spacer(1, 8)]
    story.append(Paragraph("编号段", body))
    runs = [["起", "止", "份数"]] + [[a, b, str(n)] for a, b, n in compress_ranges(numbers)]
    run_style = TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
                            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey)])
    for i in range(0, len(runs), 40):
        story.append(Table(runs[i:i + 40] if i == 0 else [runs[0]] + runs[i:i + 40], style=run_style,
                           colWidths=[60 * mm, 60 * mm, 30 * mm]))
    story += [Spacer(1, 8), Paragraph("合同编号明细", body)]
    per_row, rows_per_table = 5, 40
    grid = [numbers[i:i + per_row] for i in range(0, len(numbers), per_row)]
    for i in range(0, len(grid), rows_per_table):
        chunk = [r + [""] * (per_row - len(r)) for r in grid[i:i + rows_per_table]]
        story.append(Table(chunk, style=TableStyle([("FONTNAME", (0, 0), (-1, -1), font),
                                                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                                                    ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey)]),
                           colWidths=[34 * mm] * per_row))
    story += [Spacer(1, 12), Paragraph("分公司收货签字：________________　　日期：____________", body)]
    doc.build(story)
    return buf.getvalue()


def _esc(text) -> str:
    from xml.sax.saxutils import escape

    return escape(str(text))


def _cell(value, style):
    from reportlab.platypus import Paragraph

    return Paragraph(_esc(value), style)


def versions_xlsx(versions) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "产品设计审批"
    header(ws, ["产品代码", "版本", "名称", "申请分公司", "申请人", "期限（月）", "里程上限", "建议售价", "状态", "提交时间",
                "预估单位成本", "开发与推广投入", "预计销量", "预计投入", "预计产出", "投入产出比"])
    for row, v in enumerate(versions, start=2):
        put(ws, row, [v.product.code, v.number, v.name, v.branch.name, v.applicant.display_name, v.term_months,
                      v.mileage_display, v.price, v.get_status_display(),
                      v.submitted_at.strftime("%Y-%m-%d %H:%M") if v.submitted_at else "",
                      # S001-20: the cost estimate and its input-output ratio, blank when not given
                      v.estimated_unit_cost, v.development_cost, v.expected_sales, v.estimated_input,
                      v.estimated_output, v.input_output_ratio])
    return save(wb)


def batches_xlsx(batches) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "印刷批次"
    header(ws, ["合同编号起", "合同编号止", "产品", "份数", "印刷厂", "单价", "入库日期", "印刷单",
                "台账金额", "印刷厂报价", "印刷厂账单", "账单−报价", "结账", "确认结账人", "核对说明"], {1: 18, 2: 18})
    for row, b in enumerate(batches, start=2):
        # S000-09: the ledger's cost beside the printer's quote and bill, and the settlement
        put(ws, row, [b.first_number, b.last_number, b.product.code, b.copies, b.printer, b.unit_cost,
                      _d(b.received_on), b.print_order.number if b.print_order else "",
                      b.ledger_amount, b.quote_amount, b.bill_amount, b.bill_minus_quote,
                      b.settled_at.strftime("%Y-%m-%d %H:%M") if b.settled_at else "未结账",
                      b.settled_by.display_name if b.settled_by else "", b.settlement_note])
    return save(wb)


def print_orders_xlsx(orders) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "印刷单"
    header(ws, ["印刷单号", "产品", "数量", "状态", "下单日期", "计划派发日期", "下单人"])
    for row, o in enumerate(orders, start=2):
        put(ws, row, [o.number, o.product.code, o.quantity, o.get_status_display(), _d(o.ordered_on),
                      _d(o.expected_on), o.created_by.display_name if o.created_by else ""])
    return save(wb)
