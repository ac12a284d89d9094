"""Pure renderers of the approval forms: the xlsx list of one form's requests (every user
text written as a string, never a formula) and the PDF of one request with its signatures."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from marketing.exports import as_text, cjk_font

from .display import text_of
from .models import FieldType

FIXED = ["编号", "标题", "申请人", "分公司", "状态", "表单版本", "提交时间"]


def _all_fields(rows) -> list[dict]:
    """Columns: every field of every version among the rows, in first-seen order (a request
    filed on an older version leaves the newer fields empty, and vice versa)."""
    seen: dict[str, dict] = {}
    for req in rows:
        for f in req.version.fields:
            seen.setdefault(f["key"], f)
    return list(seen.values())


def requests_xlsx(template, rows, *, names, tz) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = template.code[:31]
    fields = _all_fields(rows)
    ws.append(FIXED + [f["label"] for f in fields])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, req in enumerate(rows, start=2):
        fixed = [req.number, req.title, req.applicant.display_name, req.branch.name if req.branch else "",
                 req.get_status_display(), f"v{req.version.number}"]
        for c, value in enumerate(fixed, start=1):
            as_text(ws.cell(row=r, column=c), value)
        when = ws.cell(row=r, column=len(fixed) + 1)
        if req.submitted_at:
            when.value = timezone.localtime(req.submitted_at, tz).replace(tzinfo=None)
            when.number_format = "yyyy-mm-dd hh:mm"
        for c, f in enumerate(fields, start=len(FIXED) + 1):
            cell = ws.cell(row=r, column=c)
            value = req.values.get(f["key"])
            if f["type"] in (FieldType.MONEY, FieldType.NUMBER) and value not in (None, ""):
                cell.value = Decimal(value)
                cell.number_format = "#,##0.00" if f["type"] == FieldType.MONEY else "General"
            else:
                as_text(cell, text_of(f, value, names) if value is not None else None)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def request_pdf(req, *, tenant, rows, steps, tz) -> bytes:
    font = cjk_font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    cell = ParagraphStyle("c", fontName=font, fontSize=9.5, leading=13)
    small = ParagraphStyle("s", fontName=font, fontSize=8, leading=11, textColor=colors.grey)

    def p(text, style=cell):
        return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"{req.template.name} {req.number}")
    story = [p(tenant.name, title), p(f"{req.template.code} {req.template.name}", title), Spacer(1, 4 * mm),
             p(f"编号：{req.number}　　状态：{req.get_status_display()}　　表单版本：v{req.version.number}", small),
             Spacer(1, 2 * mm)]
    head = [[p("标题"), p(req.title)], [p("申请人"), p(req.applicant.display_name)],
            [p("分公司"), p(req.branch.name if req.branch else "—")]]
    body = head + [[p(item["field"]["label"]), p(item["text"] or "—")] for item in rows]
    t = Table(body, colWidths=[40 * mm, 138 * mm])
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                           ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f4f7")),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [t, Spacer(1, 5 * mm), p("审批签字", ParagraphStyle("h", fontName=font, fontSize=12, leading=16)),
              Spacer(1, 2 * mm)]
    sign_rows = [[p("步骤"), p("签字人"), p("意见"), p("日期")]]
    for step in steps:
        for task in step.tasks.all():
            if task.status not in ("approved", "rejected", "returned"):
                continue
            who = task.assignee.display_name
            if task.on_behalf:
                who += f"（{task.acted_by.display_name} 代）"
            decision = {"approved": "同意", "rejected": "驳回", "returned": "退回"}[task.status]
            when = timezone.localtime(task.decided_at, tz).strftime("%Y-%m-%d %H:%M") if task.decided_at else ""
            sign_rows.append([p(step.name), p(who), p("\n".join(x for x in [decision, task.comment] if x)), p(when)])
    signs = Table(sign_rows, colWidths=[36 * mm, 36 * mm, 76 * mm, 30 * mm], repeatRows=1)
    signs.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7"))]))
    story.append(signs)
    doc.build(story)
    return buf.getvalue()
