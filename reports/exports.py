"""Pure renderers of a compiled summary (``summary.compile_summary`` output): xlsx and PDF.

xlsx: user text is always written as a string cell, so "=..." never becomes a formula.
PDF: Chinese via reportlab's built-in CID font STSong-Light (no font files); many small
tables rather than one huge one."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

STATE_COLUMN_TITLES = ["地区", "分公司", "销售人数", "当日回款", "本月累计回款", "月度目标", "完成率", "日报状态"]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"


def _num(value: str | None):
    return None if value is None else float(Decimal(value))


def _text_cell(ws, row: int, col: int, value) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = "" if value is None else str(value)
    cell.data_type = "s"  # never a formula, whatever the text starts with


def summary_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF9")

    def header(ws, titles):
        for col, title in enumerate(titles, 1):
            cell = ws.cell(row=1, column=col, value=title)
            cell.font, cell.fill = bold, fill
        ws.freeze_panes = "A2"

    def figures(ws, r, start_col, item):
        ws.cell(row=r, column=start_col, value=item["headcount"])
        for offset, key in enumerate(("day_amount", "mtd", "target"), 1):
            c = ws.cell(row=r, column=start_col + offset, value=_num(item[key]))
            c.number_format = MONEY_FORMAT
        c = ws.cell(row=r, column=start_col + 4, value=_num(item["rate"]))
        c.number_format = PERCENT_FORMAT

    ws = wb.active
    ws.title = "汇总"
    header(ws, STATE_COLUMN_TITLES)
    for r, row in enumerate(data["rows"], 2):
        _text_cell(ws, r, 1, row["region"])
        _text_cell(ws, r, 2, row["branch"])
        figures(ws, r, 3, row)
        _text_cell(ws, r, 8, row["state_label"] + (f"（{row['late_by']}）" if row["late_by"] else ""))
    for col, width in zip("ABCDEFGH", (12, 16, 10, 14, 16, 14, 10, 16), strict=True):
        ws.column_dimensions[col].width = width

    if data.get("total"):
        ws2 = wb.create_sheet("合计")
        header(ws2, ["地区", "分公司数", "销售人数", "当日回款", "本月累计回款", "月度目标", "完成率"])
        r = 2
        for reg in data["regions"]:
            _text_cell(ws2, r, 1, reg["region"])
            ws2.cell(row=r, column=2, value=reg["branches"])
            figures(ws2, r, 3, reg)
            r += 1
        _text_cell(ws2, r, 1, "公司合计")
        ws2.cell(row=r, column=1).font = bold
        ws2.cell(row=r, column=2, value=data["total"]["branches"])
        figures(ws2, r, 3, data["total"])

    ws3 = wb.create_sheet("完成率排名")
    header(ws3, ["名次", "地区", "分公司", "本月累计回款", "月度目标", "完成率"])
    for r, item in enumerate(data["ranking"], 2):
        ws3.cell(row=r, column=1, value=item["rank"])
        _text_cell(ws3, r, 2, item["region"])
        _text_cell(ws3, r, 3, item["branch"])
        for col, key in ((4, "mtd"), (5, "target")):
            ws3.cell(row=r, column=col, value=_num(item[key])).number_format = MONEY_FORMAT
        ws3.cell(row=r, column=6, value=_num(item["rate"])).number_format = PERCENT_FORMAT

    ws4 = wb.create_sheet("未报分公司")
    header(ws4, ["地区", "分公司", "日报状态"])
    for r, item in enumerate(data["not_filed"], 2):
        _text_cell(ws4, r, 1, item["region"])
        _text_cell(ws4, r, 2, item["branch"])
        _text_cell(ws4, r, 3, item["state_label"])

    ws5 = wb.create_sheet("日报内容")
    header(ws5, ["地区", "分公司", "今日动态", "客户拜访数", "当日签单量", "新签经销商/修理厂", "问题与需求", "明日计划"])
    wrap = Alignment(wrap_text=True, vertical="top")
    r = 2
    for row in data["rows"]:
        rep = row["report"]
        if not rep:
            continue
        _text_cell(ws5, r, 1, row["region"])
        _text_cell(ws5, r, 2, row["branch"])
        _text_cell(ws5, r, 3, rep["narrative"])
        ws5.cell(row=r, column=4, value=rep["customer_visits"])
        ws5.cell(row=r, column=5, value=rep["contracts_signed"])
        _text_cell(ws5, r, 6, "；".join(f"{p['kind']} {p['name']}（{p['city']}，{p['contact']}）" for p in rep["partners"]))
        _text_cell(ws5, r, 7, rep["problems"])
        _text_cell(ws5, r, 8, rep["next_plan"])
        for col in (3, 6, 7, 8):
            ws5.cell(row=r, column=col).alignment = wrap
        r += 1
    for col, width in zip("ABCDEFGH", (10, 14, 50, 10, 10, 30, 30, 30), strict=True):
        ws5.column_dimensions[col].width = width

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def _money_text(value: str | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def _pct_text(value: str | None) -> str:
    return "" if value is None else f"{Decimal(value) * 100:.1f}%"


def summary_pdf(data: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    base = ParagraphStyle("base", fontName=_FONT, fontSize=9, leading=13, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=base, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), _FONT, 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF9")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#C9D2E3")),
            ("ALIGN", (2, 1), (-2, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )
    widths = [28 * mm, 38 * mm, 20 * mm, 32 * mm, 36 * mm, 32 * mm, 22 * mm, 40 * mm]
    story = [
        Paragraph(escape(f"{data['tenant']} 分公司动态日报汇总"), h1),
        Paragraph(escape(f"业务日期 {data['business_day']} · 统计月份 {data['month']}"), small),
    ]

    def fig(item):
        return [str(item["headcount"]), _money_text(item["day_amount"]), _money_text(item["mtd"]),
                _money_text(item["target"]), _pct_text(item["rate"])]

    groups: dict[str, list] = {}
    for row in data["rows"]:
        groups.setdefault(row["region"], []).append(row)
    subtotals = {r["region"]: r for r in data.get("regions") or []}
    for region, rows in groups.items():
        story.append(Paragraph(escape(region), h2))
        table = [STATE_COLUMN_TITLES]
        for row in rows:
            label = row["state_label"] + (f"（{row['late_by']}）" if row["late_by"] else "")
            table.append([row["region"], row["branch"], *fig(row), label])
        if region in subtotals:
            table.append([region, "小计", *fig(subtotals[region]), ""])
        for start in range(0, len(table) - 1, 40):  # small tables: long regions split
            chunk = [table[0], *table[1 + start : 41 + start]]
            story.append(Table(chunk, colWidths=widths, style=style, repeatRows=1))
    if data.get("total"):
        story.append(Paragraph("公司合计", h2))
        story.append(Table([STATE_COLUMN_TITLES, ["全部", "合计", *fig(data["total"]), ""]], colWidths=widths, style=style))
    if data["ranking"]:
        story.append(Paragraph("完成率排名", h2))
        ranking = [["名次", "地区", "分公司", "本月累计回款", "月度目标", "完成率"]]
        ranking += [[str(r["rank"]), r["region"], r["branch"], _money_text(r["mtd"]), _money_text(r["target"]),
                     _pct_text(r["rate"])] for r in data["ranking"]]
        for start in range(0, len(ranking) - 1, 50):
            chunk = [ranking[0], *ranking[1 + start : 51 + start]]
            story.append(Table(chunk, colWidths=[16 * mm, 30 * mm, 40 * mm, 36 * mm, 36 * mm, 24 * mm], style=style, repeatRows=1))
    story.append(Paragraph("未报分公司", h2))
    not_filed = "、".join(f"{r['branch']}（{r['state_label']}）" for r in data["not_filed"]) or "无"
    story.append(Paragraph(escape(not_filed), base))
    story.append(Paragraph("各分公司日报", h2))
    for row in data["rows"]:
        rep = row["report"]
        if not rep:
            continue
        lines = [
            f"<b>{escape(row['region'])} · {escape(row['branch'])}</b>"
            + (" （截止后有修订）" if rep["amended"] else ""),
            f"客户拜访数 {rep['customer_visits']} · 当日签单量 {rep['contracts_signed']}",
            "今日动态：" + escape(rep["narrative"]).replace("\n", "<br/>"),
        ]
        if rep["partners"]:
            lines.append("新签：" + escape("；".join(f"{p['kind']} {p['name']}（{p['city']}）" for p in rep["partners"])))
        if rep["problems"]:
            lines.append("问题与需求：" + escape(rep["problems"]).replace("\n", "<br/>"))
        if rep["next_plan"]:
            lines.append("明日计划：" + escape(rep["next_plan"]).replace("\n", "<br/>"))
        story.append(Paragraph("<br/>".join(lines), base))
        story.append(Spacer(1, 4 * mm))

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=f"{data['business_day']} 日报汇总")
    doc.build(story)
    return out.getvalue()
