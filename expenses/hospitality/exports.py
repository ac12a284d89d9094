"""Hospitality xlsx (claims, applications, claim lines; monthly report) and the claim PDF.
Every user-entered string is written with ``marketing.exports.as_text`` (never a formula);
the PDF uses the shared CJK font (``marketing.exports.cjk_font``)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone

from marketing.exports import as_text, cjk_font

DETAIL_SHEET = "招待费明细"
DETAIL_COLUMNS = ["编号", "销售", "分公司", "招待日期", "就餐人数", "菜品数", "账单金额", "公司承担", "个人自理", "状态",
                  "招待申请", "场所", "政策版本", "全部自理原因"]
APPLICATION_COLUMNS = ["编号", "销售", "分公司", "招待日期", "紧急申请", "场所", "用餐", "住宿", "预计就餐人数",
                       "客户", "陪同人数", "状态", "补全期限", "政策版本"]
LINE_COLUMNS = ["报销编号", "类别", "说明", "数量", "金额", "公司承担", "个人自理", "自理原因", "财务更正原因"]
MONEY = "#,##0.00"


def _workbook():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)

    def sheet(title, headers):
        ws = wb.create_sheet(title)
        ws.append(headers)
        for c in ws[1]:
            c.font = bold
        ws.freeze_panes = "A2"
        return ws

    return wb, sheet


def _row(ws, values):
    """Append ``values``: str -> text cell (formula-safe), numbers as numbers (money format for
    Decimals), dates as ISO text."""
    from decimal import Decimal

    ws.append([None] * len(values))
    r = ws.max_row
    for i, v in enumerate(values, start=1):
        cell = ws.cell(row=r, column=i)
        if isinstance(v, Decimal):
            cell.value = float(v)
            cell.number_format = MONEY
        elif isinstance(v, int) and not isinstance(v, bool):
            cell.value = v
        elif v is None:
            cell.value = None
        else:
            as_text(cell, v.isoformat() if hasattr(v, "isoformat") else v)


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def hospitality_xlsx(*, claims, applications) -> bytes:
    from .models import ClaimLine, Guest

    wb, sheet = _workbook()
    claims = list(claims)
    ws = sheet(DETAIL_SHEET, DETAIL_COLUMNS)
    for c in claims:
        _row(ws, [c.number, c.applicant.display_name, c.branch.name, c.meal_date, c.diners, c.dish_count,
                  c.bill_total, c.company_share, c.personal_share, c.get_status_display(),
                  c.application.number if c.application_id else "", c.venue_label, f"v{c.policy.version}",
                  c.blanket_reason])
    applications = list(applications)
    guests: dict[int, list[str]] = {}
    for g in Guest.objects.filter(application__in=[a.pk for a in applications]).order_by("position", "id"):
        guests.setdefault(g.application_id, []).append(f"{g.name}（{g.company}，{g.city}）")
    ws = sheet("招待申请", APPLICATION_COLUMNS)
    for a in applications:
        _row(ws, [a.number, a.applicant.display_name, a.branch.name, a.visit_date, "是" if a.is_emergency else "否",
                  str(a.venue), "是" if a.meals else "否", f"{a.room_nights} 间夜" if a.lodging else "否",
                  a.expected_diners, "；".join(guests.get(a.pk, [])) or a.emergency_note, a.companion_count,
                  a.get_status_display(), a.completion_due or "", f"v{a.policy.version}"])
    ws = sheet("报销明细行", LINE_COLUMNS)
    numbers = {c.pk: c.number for c in claims}
    for ln in ClaimLine.objects.filter(claim__in=list(numbers)).order_by("claim_id", "position", "id"):
        _row(ws, [numbers[ln.claim_id], ln.get_kind_display(), ln.description, ln.quantity, ln.amount,
                  ln.company_amount, ln.personal_amount, ln.reason, ln.correction_reason])
    return _save(wb)


def report_xlsx(data: dict) -> bytes:
    wb, sheet = _workbook()
    ws = sheet(f"招待费月报 {data['month']:%Y-%m}",
               ["分公司", "销售", "申请数", "紧急申请", "拒付", "报销数", "公司承担", "个人自理", "审核中金额",
                "本月回款", "招待费占回款"])
    for r in data["rows"]:
        _row(ws, [r["branch"], "（分公司合计）", r["applications"], r["emergency"], r["lapsed"], r["claims"],
                  r["company"], r["personal"], r["pending"], r["sales"],
                  "" if r["ratio"] is None else f"{r['ratio'] * 100:.2f}%"])
        for p in r["people"]:
            _row(ws, [r["branch"], p["name"], p["applications"], p["emergency"], p["lapsed"], p["claims"],
                      p["company"], p["personal"], p["pending"], None, ""])
    t = data["total"]
    _row(ws, ["合计", "", t["applications"], t["emergency"], t["lapsed"], t["claims"], t["company"], t["personal"],
              t["pending"], t["sales"], "" if t["ratio"] is None else f"{t['ratio'] * 100:.2f}%"])
    return _save(wb)


def claim_pdf(claim, *, steps, tz) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = cjk_font()
    title = ParagraphStyle("t", fontName=font, fontSize=15, leading=21, alignment=1)
    cell = ParagraphStyle("c", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("s", fontName=font, fontSize=8, leading=11, textColor=colors.grey)

    def p(text, style=cell):
        return Paragraph(escape(str(text if text is not None else "")).replace("\n", "<br/>"), style)

    grid = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"业务招待费报销单 {claim.number}")
    app = claim.application
    story = [p(claim.tenant.name, title), p("业务招待费报销单", title), Spacer(1, 3 * mm),
             p(f"编号：{claim.number}　　状态：{claim.get_status_display()}　　政策版本：v{claim.policy.version}", small),
             Spacer(1, 2 * mm)]
    head = [
        [p("销售"), p(claim.applicant.display_name), p("分公司"), p(claim.branch.name)],
        [p("招待日期"), p(claim.meal_date.isoformat()), p("招待申请"), p(app.number if app else "无")],
        [p("场所"), p(claim.venue_label), p("就餐人数"),
         p(f"{claim.diners}（批准 {app.expected_diners}）" if app else claim.diners)],
        [p("菜品数"), p(f"{claim.dish_count}（标准 {claim.allowed_dishes}）"), p("超人数说明"),
         p(claim.diners_note or "—")],
    ]
    t = Table(head, colWidths=[24 * mm, 66 * mm, 24 * mm, 68 * mm])
    t.setStyle(TableStyle(grid + [("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f4f7")),
                                  ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#f2f4f7"))]))
    story += [t, Spacer(1, 4 * mm)]
    rows = [[p("类别"), p("说明"), p("数量"), p("金额"), p("公司承担"), p("个人自理"), p("原因")]]
    for ln in claim.lines.all():
        reason = ln.reason + (f"\n财务更正：{ln.correction_reason}" if ln.correction_reason else "")
        rows.append([p(ln.get_kind_display()), p(ln.description), p(ln.quantity), p(f"{ln.amount:,.2f}"),
                     p(f"{ln.company_amount:,.2f}"), p(f"{ln.personal_amount:,.2f}"), p(reason)])
    rows.append([p("合计"), "", "", p(f"{claim.bill_total:,.2f}"), p(f"{claim.company_share:,.2f}"),
                 p(f"{claim.personal_share:,.2f}"), p(claim.blanket_reason)])
    lines = Table(rows, colWidths=[18 * mm, 32 * mm, 12 * mm, 22 * mm, 22 * mm, 22 * mm, 54 * mm], repeatRows=1)
    lines.setStyle(TableStyle(grid + [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7"))]))
    story += [lines, Spacer(1, 4 * mm)]
    sign_rows = [[p("步骤"), p("签字人"), p("意见"), p("日期")]]
    for step in steps:
        for task in step.tasks.all():
            if task.status not in ("approved", "rejected", "returned"):
                continue
            decision = {"approved": "同意", "rejected": "退回", "returned": "退回"}[task.status]
            when = timezone.localtime(task.decided_at, tz).strftime("%Y-%m-%d %H:%M") if task.decided_at else ""
            sign_rows.append([p(step.name), p(task.assignee.display_name),
                              p("\n".join(x for x in [decision, task.comment] if x)), p(when)])
    signs = Table(sign_rows, colWidths=[36 * mm, 36 * mm, 80 * mm, 30 * mm], repeatRows=1)
    signs.setStyle(TableStyle(grid + [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7"))]))
    story += [signs, Spacer(1, 4 * mm)]
    if claim.paid_on:
        story.append(p(f"支付：{claim.paid_on:%Y-%m-%d}　凭证号 {claim.payment_reference}　公司承担 ¥{claim.company_share:,.2f}"
                       f"　个人自理 ¥{claim.personal_share:,.2f}（计入工资扣款）"))
    story.append(p(f"打印时间：{timezone.localtime(timezone.now(), tz):%Y-%m-%d %H:%M}", small))
    doc.build(story)
    return buf.getvalue()
