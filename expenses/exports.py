"""Pure renderers: xlsx list and the PDF form of one request. Fed by selector output."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from marketing.exports import as_text, cjk_font

XLSX_HEADERS = [
    "申请编号", "分公司", "申请人", "活动名称", "活动类型", "相关合同金额", "费用金额", "费用比例", "比例上限",
    "收款人", "开户银行", "银行账号", "计划日期", "状态", "提交时间", "发放日期", "付款凭证号",
]




def expenses_xlsx(rows, *, tz) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "营销费用申请"
    ws.append(XLSX_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, e in enumerate(rows, start=2):
        values = [
            e.number, e.branch.name, e.applicant.display_name, e.activity, e.get_activity_kind_display(),
            e.contract_amount, e.amount, e.ratio, e.ratio_limit, e.payee_name, e.payee_bank, e.payee_account,
            e.planned_date, e.get_status_display(),
            timezone.localtime(e.submitted_at, tz).replace(tzinfo=None) if e.submitted_at else None,
            e.paid_on, e.payment_reference,
        ]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, Decimal):
                cell.value = value
                cell.number_format = "0.00%" if c in (8, 9) else "#,##0.00"
            elif value is None or isinstance(value, str):
                as_text(cell, value)
            else:
                cell.value = value
                cell.number_format = "yyyy-mm-dd hh:mm" if hasattr(value, "hour") else "yyyy-mm-dd"
    for col, width in zip("ABCDEFGHIJKLMNOPQ", [14, 12, 10, 24, 10, 14, 12, 10, 10, 18, 18, 22, 12, 12, 17, 12, 16],
                          strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _font() -> str:
    return cjk_font()


def expense_pdf(expense, *, tenant, steps, tz) -> bytes:
    """The paper form it replaces: the request's fields, then one row per signature
    (step, person, decision, date, comment; on whose behalf)."""
    font = _font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    cell = ParagraphStyle("c", fontName=font, fontSize=9.5, leading=13)
    small = ParagraphStyle("s", fontName=font, fontSize=8, leading=11, textColor=colors.grey)

    def p(text, style=cell):
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"营销费用申请表 {expense.number}")
    story = [p(tenant.name, title), p("营销费用申请表", title), Spacer(1, 4 * mm),
             p(f"编号：{expense.number}　　状态：{expense.get_status_display()}", small), Spacer(1, 2 * mm)]
    if expense.has_contract:
        ratio = f"{expense.ratio * 100:.2f}%（上限 {expense.ratio_limit * 100:.2f}%）"
        contract = f"¥{expense.contract_amount:,.2f}"
    else:
        ratio, contract = "不适用", "无相关合同"
    fields = [
        [p("申请分公司"), p(expense.branch.name), p("申请人"), p(expense.applicant.display_name)],
        [p("活动名称"), p(expense.activity), p("活动类型"), p(expense.get_activity_kind_display())],
        [p("活动内容及用途"), p(expense.purpose), "", ""],
        [p("相关合同金额"), p(contract), p("申请费用金额"), p(f"¥{expense.amount:,.2f}")],
        [p("费用比例"), p(ratio), p("计划日期"), p(expense.planned_date.isoformat())],
        [p("收款人/单位"), p(expense.payee_name), p("开户银行"), p(expense.payee_bank)],
        [p("银行账号"), p(expense.payee_account), p("发放"),
         p(f"{expense.paid_on:%Y-%m-%d} {expense.payment_reference}" if expense.paid_on else "—")],
    ]
    t = Table(fields, colWidths=[28 * mm, 60 * mm, 28 * mm, 62 * mm])
    t.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("SPAN", (1, 2), (3, 2)),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f4f7")),
        ("BACKGROUND", (2, 0), (2, 1), colors.HexColor("#f2f4f7")),
        ("BACKGROUND", (2, 3), (2, -1), colors.HexColor("#f2f4f7")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
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
            decision = {"approved": "同意" if step.kind != "record" else "已备案", "rejected": "驳回",
                        "returned": "退回"}[task.status]
            checks = "　".join(k + ("√" if v else "×") for k, v in (task.checklist_values or {}).items())
            opinion = "\n".join(x for x in [decision, checks, task.comment] if x)
            when = timezone.localtime(task.decided_at, tz).strftime("%Y-%m-%d %H:%M") if task.decided_at else ""
            sign_rows.append([p(step.name), p(who), p(opinion), p(when)])
    signs = Table(sign_rows, colWidths=[36 * mm, 36 * mm, 76 * mm, 30 * mm], repeatRows=1)
    signs.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story += [signs, Spacer(1, 6 * mm),
              p(f"打印时间：{timezone.localtime(timezone.now(), tz):%Y-%m-%d %H:%M}", small)]
    doc.build(story)
    return buf.getvalue()
