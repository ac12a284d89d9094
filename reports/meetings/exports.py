"""The pack as xlsx (one sheet per table) and as PDF (A4 landscape, the CJK font of every PDF
in the product, page numbers and the month in the header). Pure renderers of
``pack.compile_pack`` output (after ``pack.visible_names`` for the reader). User text is
always a string cell; rates hold the unrounded ratio formatted 0.0 %; amounts in 元."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from marketing.exports import CJK_FONT, as_text, cjk_font

from ..exports import wrap_text
from ..summary import pct

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _yes(v) -> str:
    return _("是") if v else ""


def sections(data: dict) -> list[tuple[str, str, list[tuple[str, str, str]], list[dict]]]:
    """(sheet name, heading, [(key, label, kind)], rows) in the pack's order: last month's
    actions open it."""
    pace = data.get("pace") or {}
    targets = [{**r, "pace": pace.get("ratio")} for r in data.get("targets", [])]
    collections = [*data.get("regions", []), *([{**data["total"], "region": _("公司合计")}] if data.get("total") else [])]
    return [
        ("上月待办", _("上次例会待办事项及完成情况"), [
            ("item", _("议题"), "text"), ("title", _("待办事项"), "text"), ("owner", _("负责人"), "text"),
            ("due_on", _("完成期限"), "text"), ("status_label", _("状态"), "text"), ("note", _("完成说明"), "text")],
         data.get("previous_actions", [])),
        ("目标管理表", _("每月销售业绩目标管理表"), [
            ("rank", _("排名"), "int"), ("region", _("地区"), "text"), ("branch", _("分公司"), "text"),
            ("target", _("月度目标（元）"), "money"), ("mtd", _("本月回款（元）"), "money"),
            ("rate", _("完成率"), "pct"), ("pace", _("时间进度"), "pct"), ("behind", _("落后于时间进度"), "bool")],
         targets),
        ("销售人员目标", _("销售人员目标（已审阅的销售月度考核目标；回款按分公司统计，无个人完成率）"), [
            ("rank", _("排名"), "int"), ("branch", _("分公司"), "text"), ("name", _("销售"), "text"),
            ("target", _("目标金额（元）"), "money"), ("contracts_signed", _("本月签约合同"), "int"),
            ("visits", _("本月拜访"), "int")],
         data.get("salespeople", [])),
        ("客户进度管理表", _("客户销售业绩进度管理表（无进展客户为下月重点客户候选）"), [
            ("branch", _("分公司"), "text"), ("name", _("客户"), "text"), ("owner", _("负责人"), "text"),
            ("stage", _("阶段"), "text"), ("visits", _("本月拜访"), "int"), ("last_visit", _("最近拜访"), "text"),
            ("last_progress", _("最近进展"), "text"), ("no_progress", _("无进展"), "bool")],
         data.get("customers", [])),
        ("回款与目标", _("回款与目标（应收帐款回收情况）"), [
            ("region", _("地区"), "text"), ("target", _("月度目标（元）"), "money"), ("mtd", _("本月回款（元）"), "money"),
            ("rate", _("完成率"), "pct"), ("behind", _("落后于时间进度"), "bool")],
         collections),
        ("应收账龄", _("应收账款账龄（截至月末，按分公司）"), [
            ("branch", _("分公司"), "text"), ("current", _("未到期"), "money"), ("d1_30", _("1–30天"), "money"),
            ("d31_60", _("31–60天"), "money"), ("d61_90", _("61–90天"), "money"), ("d91_180", _("91–180天"), "money"),
            ("d180p", _("180天以上"), "money"), ("doubtful", _("呆账"), "money"), ("bad", _("坏账"), "money"),
            ("total", _("未收合计"), "money")],
         data.get("receivables", [])),
        ("季度年度统计", _("季度、年度销售统计（累计至月末）"), [
            ("period", _("期间"), "text"), ("region", _("地区"), "text"), ("branch", _("分公司"), "text"),
            ("target", _("累计目标（元）"), "money"), ("collections", _("累计回款（元）"), "money"),
            ("rate", _("完成率"), "pct"), ("signed", _("签约合同"), "int")],
         data.get("periods", [])),
        ("市场活动", _("本月市场活动（营销费用审批记录）"), [
            ("planned_date", _("计划日期"), "text"), ("number", _("申请编号"), "text"), ("branch", _("分公司"), "text"),
            ("activity", _("活动名称"), "text"), ("kind", _("类型"), "text"), ("amount", _("费用（元）"), "money"),
            ("status", _("审批状态"), "text"), ("purpose", _("活动内容及用途"), "text")],
         data.get("activities", [])),
    ]


def pack_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for sheet, heading, cols, rows in sections(data):
        ws = wb.create_sheet(sheet)
        as_text(ws.cell(row=1, column=1), f"{data['tenant']} · {data['month']} · {heading}").font = Font(bold=True)
        for c, (_k, label, _kind) in enumerate(cols, start=1):
            as_text(ws.cell(row=2, column=c), label).font = Font(bold=True)
            ws.column_dimensions[ws.cell(row=2, column=c).column_letter].width = 40 if _kind == "text" and _k in (
                "last_progress", "purpose", "title") else 16
        for r, row in enumerate(rows, start=3):
            for c, (key, _label, kind) in enumerate(cols, start=1):
                cell, value = ws.cell(row=r, column=c), row.get(key)
                if value is None or value == "":
                    as_text(cell, "")
                elif kind == "money":
                    cell.value, cell.number_format = float(Decimal(value)), "#,##0.00"
                elif kind == "pct":
                    cell.value, cell.number_format = float(Decimal(value)), "0.0%"
                elif kind == "int":
                    cell.value = int(value)
                elif kind == "bool":
                    as_text(cell, _yes(value))
                else:
                    as_text(cell, value).alignment = Alignment(wrap_text=True, vertical="top")
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "2:2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_text(value, kind) -> str:
    if value is None or value == "":
        return ""
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "pct":
        return pct(str(value))
    if kind == "bool":
        return _yes(value)
    return str(value)


def pack_pdf(data: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    cjk_font()
    body = ParagraphStyle("b", fontName=CJK_FONT, fontSize=8, leading=10)
    head = ParagraphStyle("h", fontName=CJK_FONT, fontSize=12, leading=16, spaceBefore=6, spaceAfter=4)
    title = ParagraphStyle("t", fontName=CJK_FONT, fontSize=16, leading=20, spaceAfter=6)
    pace = (data.get("pace") or {}).get("pct") or "—"
    header = _("%(tenant)s 市场部月例会资料 · %(month)s · 时间进度 %(pace)s") % {
        "tenant": data["tenant"], "month": data["month"], "pace": pace}

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont(CJK_FONT, 8)
        w, h = landscape(A4)
        canvas.drawString(12 * mm, h - 8 * mm, header)
        canvas.drawRightString(w - 12 * mm, 7 * mm, _("第 %(n)d 页") % {"n": doc.page})
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=14 * mm, bottomMargin=12 * mm, title=header)
    width = landscape(A4)[0] - 24 * mm
    story = [Paragraph(escape(_("市场部月例会资料 %(month)s") % {"month": data["month"]}), title)]
    for _sheet, heading, cols, rows in sections(data):
        story.append(Paragraph(escape(heading), head))
        if not rows:
            story += [Paragraph(escape(_("（无）")), body), Spacer(1, 4)]
            continue
        wide = {"last_progress", "purpose", "title", "item"}
        weights = [3 if k in wide else 1 for k, _l, _t in cols]
        col_widths = [width * w / sum(weights) for w in weights]
        table_rows = [[Paragraph(escape(label), body) for _k, label, _t in cols]]
        # cells are pre-wrapped plain strings (reports.exports.wrap_text): Paragraphs cost ~1 ms each,
        # and a 500-branch pack has thousands of cells
        inner = [w - 6 for w in col_widths]
        table_rows += [["\n".join(wrap_text(_cell_text(r.get(k), kind), inner[c], 8))
                        for c, (k, _l, kind) in enumerate(cols)] for r in rows]
        # many small tables: a long customer list must not become one huge flowable
        for start in range(1, len(table_rows), 60):
            chunk = [table_rows[0], *table_rows[start:start + 60]]
            t = Table(chunk, colWidths=col_widths, repeatRows=1)
            t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), CJK_FONT, 8), ("LEADING", (0, 0), (-1, -1), 10),
                                   ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d1e0")),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2fa")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(t)
        story.append(Spacer(1, 6))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
