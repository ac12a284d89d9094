"""Pure renderers of a compiled summary (``summary.compile_summary`` output): xlsx and PDF.

xlsx: user text is always written as a string cell, so "=..." never becomes a formula.
PDF: Chinese in the embedded CJK TrueType font of marketing/exports.py (STSong-Light fallback); many small
tables rather than one huge one."""

from __future__ import annotations

import io
from decimal import Decimal
from functools import lru_cache
from xml.sax.saxutils import escape

from marketing.exports import CJK_FONT, as_text, cjk_font

from .summary import NO_TARGET, current, has_target, is_behind, pace_ratio, pct, rate_pct, ratio_of

STATE_COLUMN_TITLES = ["地区", "分公司", "销售人数", "当日回款", "本月累计回款", "月度目标", "完成率", "日报状态"]
# After the eight columns of 汇总: hospitality deducted from sales (issue 13).
HOSPITALITY_COLUMN_TITLES = ["本月招待费", "扣减后业绩"]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"


# 时间进度 (issue #20): added after the existing columns, never between them.
PACE_COLUMN_TITLES = ["时间进度", "落后于时间进度"]
RATE_NOTE = "完成率 = 有目标分公司的本月累计回款 ÷ 其月度目标之和；无目标分公司计入回款合计，不计入完成率。"


YUAN = "（元）"
MONEY_TITLES = {"当日回款", "本月累计回款", "月度目标", "本月招待费", "扣减后业绩", "有目标分公司本月累计回款"}


def with_units(titles) -> list[str]:
    """Column titles as printed: every money column says its unit (issue #20). The imports
    read such headers too (``imports._norm`` drops （元）)."""
    return [f"{t}{YUAN}" if t in MONEY_TITLES else t for t in titles]


def title_line(data: dict) -> str:
    """The title row above each sheet's header and the PDF's page header."""
    return f"{data['tenant']} 分公司动态日报汇总 · 业务日期 {data['business_day']} · 金额单位：元"


LINE_HEIGHT_PT = 15  # one line of 11 pt text in Excel / LibreOffice


def display_width(text: str) -> int:
    """Width in Excel column units: a CJK (full-width) character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped cell of ``width`` column units needs (each paragraph at least one)."""
    usable = max(int(width) - 1, 1)
    return sum(max(1, -(-display_width(para) // usable)) for para in (text or "").splitlines() or [""])


def _num(value: str | None):
    return None if value is None else float(Decimal(value))


def _ratio_num(item: dict):
    """The unrounded 完成率 for an xlsx cell (formatted 0.0 %, so Excel rounds it once)."""
    ratio = ratio_of(item)
    return None if ratio is None else float(ratio)


def summary_xlsx(data: dict) -> bytes:
    """Write-only workbook (streams rows; several times faster than the cell API at 500
    branches). Every user-supplied string is forced to a string cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    data = current(data)
    pace = pace_ratio(data)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF9")
    wrap = Alignment(wrap_text=True, vertical="top")

    from openpyxl.worksheet.properties import PageSetupProperties

    heading = Font(bold=True, size=13)

    def sheet(title, headers, widths):
        """A sheet that prints: title row (company, business day, unit) above the header,
        A4 landscape, fit to one page wide, the header repeated on every page."""
        ws = wb.create_sheet(title)
        for index, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + index)].width = width
        ws.freeze_panes = "A3"
        ws.print_title_rows = "2:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.oddHeader.right.text = "&P / &N"
        caption = WriteOnlyCell(ws, value=title_line(data))
        caption.font = heading
        ws.append([caption])
        cells = []
        for h in with_units(headers):
            c = WriteOnlyCell(ws, value=h)
            c.font, c.fill = bold, fill
            cells.append(c)
        ws.append(cells)
        return ws

    def text(ws, value, wrapped=False):
        c = as_text(WriteOnlyCell(ws), value)
        if wrapped:
            c.alignment = wrap
        return c

    def number(ws, value, fmt):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = fmt
        return c

    def pace_cells(ws, item, branch=False):
        """时间进度 (unrounded, shown 0.0%) and the 落后 mark, after the existing columns."""
        return [number(ws, pace, PERCENT_FORMAT), text(ws, "落后" if is_behind(item, pace, branch=branch) else "")]

    def figures(ws, item, branch=False):
        rate = (text(ws, NO_TARGET) if branch and not has_target(item)
                else number(ws, _ratio_num(item), PERCENT_FORMAT))
        return [item["headcount"], *(number(ws, _num(item[k]), MONEY_FORMAT) for k in ("day_amount", "mtd", "target")),
                rate]

    ws = sheet("汇总", STATE_COLUMN_TITLES + HOSPITALITY_COLUMN_TITLES + PACE_COLUMN_TITLES,
               (12, 16, 10, 14, 16, 14, 10, 16, 14, 16, 10, 16))
    for row in data["rows"]:
        label = row["state_label"] + (f"（{row['late_by']}）" if row["late_by"] else "")
        ws.append([text(ws, row["region"]), text(ws, row["branch"]), *figures(ws, row, branch=True), text(ws, label),
                   *(number(ws, _num(row.get(k)), MONEY_FORMAT) for k in ("hospitality", "net_mtd")),
                   *pace_cells(ws, row, branch=True)])

    if data.get("total"):
        ws = sheet("合计", ["地区", "分公司数", "销售人数", "当日回款", "本月累计回款", "月度目标", "完成率",
                          "有目标分公司本月累计回款", "无目标分公司数", *PACE_COLUMN_TITLES], (14, 10, 10, 14, 16, 14, 10, 22, 14, 10, 16))
        for reg in data["regions"]:
            ws.append([text(ws, reg["region"]), reg["branches"], *figures(ws, reg),
                       number(ws, _num(reg["mtd_targeted"]), MONEY_FORMAT), reg["no_target"], *pace_cells(ws, reg)])
        total = text(ws, "公司合计")
        total.font = bold
        ws.append([total, data["total"]["branches"], *figures(ws, data["total"]),
                   number(ws, _num(data["total"]["mtd_targeted"]), MONEY_FORMAT), data["total"]["no_target"],
                   *pace_cells(ws, data["total"])])
        ws.append([])
        ws.append([text(ws, RATE_NOTE)])

    if data.get("extra_columns"):  # other apps' columns (EXTRA_COLUMN_PROVIDERS), on a sheet of their own
        ws = sheet("新增指标", ["地区", "分公司", *data["extra_columns"]], (14, 16, *([14] * len(data["extra_columns"]))))
        for row in data["rows"]:
            ws.append([text(ws, row["region"]), text(ws, row["branch"]), *row.get("extra", [])])
        for reg in data.get("regions") or []:
            ws.append([text(ws, reg["region"]), text(ws, "小计"), *reg.get("extra", [])])
        if data.get("total"):
            ws.append([text(ws, "公司合计"), text(ws, ""), *data["total"].get("extra", [])])

    if data.get("correction"):
        ws = sheet("更正内容", ["项目", "指标", "首次发送", "现为"], (20, 14, 16, 16))
        for c in data["correction"]["changes"]:
            ws.append([text(ws, c["what"]), text(ws, c["field"]), text(ws, c["old"]), text(ws, c["new"])])

    ws = sheet("完成率排名", ["名次", "地区", "分公司", "本月累计回款", "月度目标", "完成率"], (8, 12, 16, 16, 14, 10))
    for item in data["ranking"]:
        ws.append([item["rank"], text(ws, item["region"]), text(ws, item["branch"]),
                   number(ws, _num(item["mtd"]), MONEY_FORMAT), number(ws, _num(item["target"]), MONEY_FORMAT),
                   number(ws, _ratio_num(item), PERCENT_FORMAT)])

    ws = sheet("未报分公司", ["地区", "分公司", "日报状态"], (12, 16, 12))
    for item in data["not_filed"]:
        ws.append([text(ws, item["region"]), text(ws, item["branch"]), text(ws, item["state_label"])])

    widths = (10, 14, 50, 10, 10, 30, 30, 30)
    ws = sheet("日报内容", ["地区", "分公司", "今日动态", "客户拜访数", "当日签单量", "新签经销商/修理厂", "问题与需求", "明日计划"],
               widths)
    line = 2  # the title row and the header
    for row in data["rows"]:
        rep = row["report"]
        if not rep:
            continue
        partners = "；".join(f"{p['kind']} {p['name']}（{p['city']}，{p['contact']}）" for p in rep["partners"])
        line += 1
        # Excel does not grow a row for wrapped text it did not lay out itself: set the height
        # the longest wrapped cell needs, so printed lines do not overlap (issue #20)
        lines = max(wrapped_lines(text, widths[i]) for i, text in
                    ((2, rep["narrative"]), (5, partners), (6, rep["problems"]), (7, rep["next_plan"])))
        ws.row_dimensions[line].height = min(lines * LINE_HEIGHT_PT + 4, 409)  # 409 pt: Excel's maximum
        ws.append([text(ws, row["region"]), text(ws, row["branch"]), text(ws, rep["narrative"], True),
                   rep["customer_visits"], rep["contracts_signed"], text(ws, partners, True),
                   text(ws, rep["problems"], True), text(ws, rep["next_plan"], True)])

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_FONT = CJK_FONT


def _register_font() -> None:
    cjk_font()


def _money_text(value: str | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def _pct_text(value: str | None) -> str:
    return pct(value)


@lru_cache(maxsize=8192)
def _char_width(char: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(char, _FONT, size)


def wrap_text(text: str, width: float, size: float) -> list[str]:
    """Greedy line breaking by character width: CJK text has no spaces to break at, and
    reportlab's CJK paragraph wrapper is the slow part of a 500-branch PDF."""
    lines: list[str] = []
    for para in (text or "").splitlines() or [""]:
        line, used = [], 0.0
        for char in para:
            w = _char_width(char, size)
            if used + w > width and line:
                lines.append("".join(line))
                line, used = [], 0.0
            line.append(char)
            used += w
        lines.append("".join(line))
    return lines


def _text_block_class():
    from reportlab.lib import colors
    from reportlab.platypus import Flowable

    class TextBlock(Flowable):
        """One branch's report text: a heading line and pre-wrapped body lines. Splits across
        pages like a paragraph."""

        size, leading, head_size = 9, 13, 10.5

        def __init__(self, head: str | None, body: list[str], width: float, wrapped: list[str] | None = None):
            super().__init__()
            self.head, self.width = head, width
            self.lines = wrapped if wrapped is not None else [ln for b in body for ln in wrap_text(b, width, self.size)]
            self.spaceAfter = 8

        def _head_height(self):
            return self.leading + 3 if self.head else 0

        def wrap(self, availWidth, availHeight):
            self.height = self._head_height() + len(self.lines) * self.leading
            return self.width, self.height

        def split(self, availWidth, availHeight):
            fit = int((availHeight - self._head_height()) // self.leading)
            if fit < 2 or fit >= len(self.lines):
                return []
            return [TextBlock(self.head, [], self.width, self.lines[:fit]),
                    TextBlock(None, [], self.width, self.lines[fit:])]

        def draw(self):
            canv = self.canv
            y = self.height
            if self.head:
                y -= self.leading
                canv.setFillColor(colors.HexColor("#1846a3"))
                canv.setFont(_FONT, self.head_size)
                canv.drawString(0, y + 2, self.head)
                y -= 3
                canv.setFillColor(colors.black)
            canv.setFont(_FONT, self.size)
            for line in self.lines:
                y -= self.leading
                canv.drawString(0, y + 3, line)

    return TextBlock


def _chart_flowables(charts, doc_width: float, note_style) -> list:
    """The charts side by side (each half the page width), notes for those not drawn."""
    from reportlab.platypus import Image, Paragraph, Table

    images = []
    for chart in charts or []:
        if chart.png:
            width = doc_width / 2 - 6
            height = width * chart.height / chart.width
            if height > 150 * 72 / 25.4:  # many regions: keep the chart within one page (150 mm)
                width, height = width * (150 * 72 / 25.4) / height, 150 * 72 / 25.4
            images.append(Image(io.BytesIO(chart.png), width=width, height=height))
    out = [Paragraph(escape(c.note), note_style) for c in charts or [] if not c.png]
    if images:
        out.insert(0, Table([images], colWidths=[doc_width / 2] * len(images), hAlign="LEFT",
                            style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return out


def summary_pdf(data: dict, charts=None) -> bytes:
    """``charts``: the e-mail's rendered charts (``charts.summary_charts``), so the PDF carries
    the same images; drawn here when not given (the page's download)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Table, TableStyle

    data = current(data)
    pace = pace_ratio(data)
    _register_font()
    TextBlock = _text_block_class()  # noqa: N806
    base = ParagraphStyle("base", fontName=_FONT, fontSize=9, leading=13, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=base, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    common = [
        ("FONT", (0, 0), (-1, -1), _FONT, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF9")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#C9D2E3")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style = TableStyle([*common, ("ALIGN", (2, 1), (6, -1), "RIGHT"), ("ALIGN", (8, 1), (9, -1), "RIGHT")])
    ranking_style = TableStyle([*common, ("ALIGN", (3, 1), (-1, -1), "RIGHT")])
    widths = [22 * mm, 30 * mm, 16 * mm, 28 * mm, 30 * mm, 28 * mm, 18 * mm, 32 * mm, 26 * mm, 30 * mm]
    titles = with_units(STATE_COLUMN_TITLES + HOSPITALITY_COLUMN_TITLES)
    doc_width = landscape(A4)[0] - 24 * mm
    story = [
        Paragraph(escape(f"{data['tenant']} 分公司动态日报汇总"), h1),
        Paragraph(escape(f"业务日期 {data['business_day']} · 统计月份 {data['month']}"
                         + (f" · 时间进度 {_pct_text(str(pace))}（第 {data['pace']['elapsed']}/{data['pace']['total']} 个工作日）"
                            if pace is not None else "")), small),
    ]
    if charts is None:
        from .charts import summary_charts

        charts = summary_charts(data)
    story += _chart_flowables(charts, doc_width, small)
    if data.get("correction"):
        first_at = (data.get("resend") or {}).get("first_sent_at") or ""
        story.append(Paragraph(escape(f"更正版：本汇总替代 {first_at} 首次发送的版本，以下内容有变化"), h2))
        story += [Paragraph(escape(f"{c['what']} {c['field']}：{c['old']} → {c['new']}"), base)
                  for c in data["correction"]["changes"]]

    def fig(item, branch=False):
        rate = NO_TARGET if branch and not has_target(item) else rate_pct(item)
        if not branch and item.get("no_target") and item.get("targeted"):
            rate += "*"
        if is_behind(item, pace, branch=branch):
            rate += " 落后"
        return [str(item["headcount"]), _money_text(item["day_amount"]), _money_text(item["mtd"]),
                _money_text(item["target"]), rate]

    def hosp(item):
        return [_money_text(item.get("hospitality")), _money_text(item.get("net_mtd"))]

    groups: dict[str, list] = {}
    for row in data["rows"]:
        groups.setdefault(row["region"], []).append(row)
    subtotals = {r["region"]: r for r in data.get("regions") or []}
    for region, rows in groups.items():
        story.append(Paragraph(escape(region), h2))
        table = [titles]
        for row in rows:
            label = row["state_label"] + (f"（{row['late_by']}）" if row["late_by"] else "")
            table.append([row["region"], row["branch"], *fig(row, branch=True), label, *hosp(row)])
        if region in subtotals:
            table.append([region, "小计", *fig(subtotals[region]), "", *hosp(subtotals[region])])
        for start in range(0, len(table) - 1, 40):  # small tables: long regions split
            chunk = [table[0], *table[1 + start : 41 + start]]
            story.append(Table(chunk, colWidths=widths, style=style, repeatRows=1, hAlign="LEFT"))
    if data.get("total"):
        story.append(KeepTogether([
            Paragraph("公司合计", h2),
            Table([titles, ["全部", "合计", *fig(data["total"]), "", *hosp(data["total"])]], colWidths=widths, style=style,
                  hAlign="LEFT"),
            Paragraph(escape("* " + RATE_NOTE), small),
        ]))
    if data.get("extra_columns"):  # other apps' figures (EXTRA_COLUMN_PROVIDERS), as in the xlsx's 新增指标
        story.append(Paragraph("新增指标", h2))
        extra = [["地区", "分公司", *data["extra_columns"]]]
        extra += [[row["region"], row["branch"], *map(str, row.get("extra", []))] for row in data["rows"]]
        extra += [[reg["region"], "小计", *map(str, reg.get("extra", []))] for reg in data.get("regions") or []]
        if data.get("total"):
            extra.append(["公司合计", "", *map(str, data["total"].get("extra", []))])
        extra_widths = [30 * mm, 40 * mm, *([32 * mm] * len(data["extra_columns"]))]
        for start in range(0, len(extra) - 1, 40):
            chunk = [extra[0], *extra[1 + start : 41 + start]]
            story.append(Table(chunk, colWidths=extra_widths, style=ranking_style, repeatRows=1, hAlign="LEFT"))
    if data["ranking"]:
        story.append(Paragraph("完成率排名", h2))
        ranking = [with_units(["名次", "地区", "分公司", "本月累计回款", "月度目标", "完成率"])]
        ranking += [[str(r["rank"]), r["region"], r["branch"], _money_text(r["mtd"]), _money_text(r["target"]),
                     rate_pct(r)] for r in data["ranking"]]
        for start in range(0, len(ranking) - 1, 50):
            chunk = [ranking[0], *ranking[1 + start : 51 + start]]
            story.append(Table(chunk, colWidths=[16 * mm, 30 * mm, 40 * mm, 36 * mm, 36 * mm, 24 * mm], style=ranking_style,
                               repeatRows=1, hAlign="LEFT"))
    story.append(Paragraph("未报分公司", h2))
    not_filed = "、".join(f"{r['branch']}（{r['state_label']}）" for r in data["not_filed"]) or "无"
    story.append(Paragraph(escape(not_filed), base))
    story.append(Paragraph("各分公司日报", h2))
    for row in data["rows"]:
        rep = row["report"]
        if not rep:
            continue
        head = f"{row['region']} · {row['branch']}" + ("（截止后有修订）" if rep["amended"] else "")
        body = [f"客户拜访数 {rep['customer_visits']} · 当日签单量 {rep['contracts_signed']}", "今日动态：" + rep["narrative"]]
        if rep["partners"]:
            body.append("新签：" + "；".join(f"{p['kind']} {p['name']}（{p['city']}）" for p in rep["partners"]))
        if rep["problems"]:
            body.append("问题与需求：" + rep["problems"])
        if rep["next_plan"]:
            body.append("明日计划：" + rep["next_plan"])
        story.append(TextBlock(head, body, width=doc_width))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=16 * mm, bottomMargin=12 * mm, title=f"{data['business_day']} 日报汇总")
    header = title_line(data)

    def page_header(canvas, doc):  # every page: company, business day, unit; page number
        canvas.saveState()
        canvas.setFont(_FONT, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        top = landscape(A4)[1] - 9 * mm
        canvas.drawString(12 * mm, top, header)
        canvas.drawRightString(landscape(A4)[0] - 12 * mm, top, f"第 {doc.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=page_header, onLaterPages=page_header)
    return out.getvalue()
