"""Pure renderers: xlsx list export and the PDF customer card. They take selector output
and the "made for" stamp; they do not query on their own beyond what was prefetched.

Every file names the person and the time it was made for (a leaked copy is traceable).
User text is written as literal strings: a name starting with '=' stays text."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from marketing.exports import CJK_FONT, as_text, cjk_font

from .crypto import mask_phone
from .stages import stage_set

FONT = CJK_FONT


def _text_cell(ws, row: int, col: int, value) -> Cell:
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, str):
        as_text(cell, value)
    else:
        cell.value = value
    return cell


def customers_xlsx(*, customers, made_for: str, made_at: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("客户档案")
    stamp = _("机密 · 仅供 %(user)s 使用 · 导出时间 %(time)s") % {"user": made_for, "time": made_at}
    _text_cell(ws, 1, 1, stamp).font = Font(bold=True, color="B91C1C")
    headers = [
        _("客户名称"), _("行业"), _("阶段"), _("分公司"), _("负责销售"), _("电话"), _("地址"),
        _("主要股东及股份"), _("客户特点"), _("经营状况"), _("标签"), _("更新时间"),
    ]
    for col, title in enumerate(headers, start=1):
        _text_cell(ws, 2, col, title).font = Font(bold=True)
    row = 3
    stages = None
    for c in customers:
        stages = stages or stage_set(c.tenant_id)
        values = [
            c.name, c.get_industry_display(), stages.label(c.stage), c.branch.name, c.owner.display_name,
            mask_phone(c.phone), c.address,
            "；".join(f"{s.get('name', '')} {s.get('stake', '')}%" for s in c.shareholders or []),
            c.characteristics, c.business_situation, "、".join(t.name for t in c.tags.all()),
            c.updated_at.strftime("%Y-%m-%d %H:%M"),
        ]
        for col, value in enumerate(values, start=1):
            _text_cell(ws, row, col, str(value))
        row += 1
    _text_cell(ws, row + 1, 1, stamp)
    ws.oddFooter.center.text = stamp
    for col, width in zip("ABCDEFGHIJKL", [28, 14, 10, 12, 10, 14, 30, 24, 30, 30, 16, 16], strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def visits_xlsx(*, visits, made_for: str, made_at: str) -> bytes:
    """目标客户基本信息情况统计表 (seed 002): one row per visit."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("拜访记录")
    stamp = _("机密 · 仅供 %(user)s 使用 · 导出时间 %(time)s") % {"user": made_for, "time": made_at}
    _text_cell(ws, 1, 1, stamp).font = Font(bold=True, color="B91C1C")
    headers = [_("日期"), _("客户名称"), _("分公司"), _("方式"), _("拜访人"), _("同行人员"), _("了解到的需求"),
               _("方案"), _("结果"), _("下一步"), _("下次跟进日期"), _("分析师")]
    for col, title in enumerate(headers, start=1):
        _text_cell(ws, 2, col, title).font = Font(bold=True)
    row = 3
    for v in visits:
        values = [f"{v.visited_on:%Y-%m-%d}", v.customer.name, v.customer.branch.name, v.get_visit_type_display(),
                  v.visited_by.display_name, v.companions, v.needs, v.proposal, v.outcome, v.next_step,
                  f"{v.next_date:%Y-%m-%d}" if v.next_date else "",
                  v.analyst.display_name if v.analyst_id else ""]  # S002-07
        for col, value in enumerate(values, start=1):
            _text_cell(ws, row, col, str(value))
        row += 1
    _text_cell(ws, row + 1, 1, stamp)
    ws.oddFooter.center.text = stamp
    for col, width in zip("ABCDEFGHIJKL", [12, 28, 12, 10, 10, 12, 30, 30, 24, 20, 14, 10], strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def complaints_xlsx(*, complaints, made_for: str, made_at: str) -> bytes:
    """客户投诉记录 (S001-27): one row per complaint, stamped like every archive export."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("客户投诉")
    stamp = _("机密 · 仅供 %(user)s 使用 · 导出时间 %(time)s") % {"user": made_for, "time": made_at}
    _text_cell(ws, 1, 1, stamp).font = Font(bold=True, color="B91C1C")
    headers = [_("投诉日期"), _("客户名称"), _("分公司"), _("投诉人"), _("投诉内容"), _("处理部门"), _("处理人"),
               _("状态"), _("处理结果"), _("办结日期")]
    for col, title in enumerate(headers, start=1):
        _text_cell(ws, 2, col, title).font = Font(bold=True)
    row = 3
    for c in complaints:
        values = [f"{c.received_on:%Y-%m-%d}", c.customer.name, c.customer.branch.name, c.complainant, c.content,
                  c.get_department_display(), c.handler.display_name, c.get_status_display(), c.outcome,
                  f"{c.closed_on:%Y-%m-%d}" if c.closed_on else ""]
        for col, value in enumerate(values, start=1):
            _text_cell(ws, row, col, str(value))
        row += 1
    _text_cell(ws, row + 1, 1, stamp)
    ws.oddFooter.center.text = stamp
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _styles():
    cjk_font()
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=4),
        "h": ParagraphStyle("h", parent=base, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4),
        "stamp": ParagraphStyle("stamp", parent=base, fontSize=8, textColor=colors.HexColor("#b91c1c")),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _grid(rows, style, widths) -> Table:
    table = Table([[_p(v, style) for v in r] for r in rows], colWidths=widths, repeatRows=0)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#cbd5e1")),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f5f9")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def customer_card_pdf(*, customer, contacts, visits, made_for: str, made_at: str) -> bytes:
    """The printable card (客户档案卡). Full personal values: printing is a logged read by a
    role allowed to export. Each page carries the made-for stamp in its footer."""
    st = _styles()
    stamp = _("机密 · 仅供 %(user)s 使用 · 打印时间 %(time)s") % {"user": made_for, "time": made_at}
    buf = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.HexColor("#b91c1c"))
        canvas.drawString(15 * mm, 10 * mm, f"{stamp} · {_('第 %(n)s 页') % {'n': doc.page}}")
        canvas.restoreState()

    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=18 * mm, title=customer.name, author=made_for)
    story = [_p(_("客户档案卡：%(name)s") % {"name": customer.name}, st["title"]), _p(stamp, st["stamp"]), Spacer(1, 4)]
    shareholders = "；".join(f"{s.get('name', '')} {s.get('stake', '')}%" for s in customer.shareholders or [])
    story.append(_grid([
        [_("行业"), customer.get_industry_display(), _("阶段"), customer.stage_label],
        [_("分公司"), customer.branch.name, _("负责销售"), customer.owner.display_name],
        [_("电话"), customer.phone, _("地址"), customer.address],
        [_("主要股东及股份"), shareholders, _("标签"), customer.tag_names],
    ], st["base"], [24 * mm, 66 * mm, 24 * mm, 66 * mm]))
    story.append(_grid([
        [_("客户特点"), customer.characteristics],
        [_("经营状况"), customer.business_situation],
    ], st["base"], [24 * mm, 156 * mm]))
    story.append(_p(_("决策人与影响者"), st["h"]))
    for c in contacts:
        story.append(_grid([
            [_("姓名"), c.name, _("角色"), c.get_purchase_role_display()],
            [_("性别"), c.get_gender_display(), _("出生年份"), c.birth_year or ""],
            [_("学历"), c.get_education_display(), _("电话"), c.phone],
            [_("住址"), c.address, _("家庭情况"), c.family],
            [_("性格与爱好"), c.personality, _("其他"), c.notes],
        ], st["base"], [24 * mm, 66 * mm, 24 * mm, 66 * mm]))
        story.append(Spacer(1, 4))
    if visits:
        story.append(_p(_("拜访记录"), st["h"]))
        # Many small tables, not one huge one: long histories paginate cleanly.
        for v in visits:
            story.append(_grid([
                [_("日期"), f"{v.visited_on:%Y-%m-%d} · {v.get_visit_type_display()} · {v.visited_by.display_name}"],
                [_("需求"), v.needs], [_("方案"), v.proposal], [_("结果"), v.outcome],
                [_("下一步"), f"{v.next_step} {v.next_date or ''}".strip()],
            ], st["base"], [24 * mm, 156 * mm]))
            story.append(Spacer(1, 3))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
