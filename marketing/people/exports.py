"""The handover certificate (离职交接单), PDF in Chinese with the same CJK font as the daily
summary PDF (marketing.exports.cjk_font). Fed by the view with the selector output."""

from __future__ import annotations

import io

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from marketing.exports import cjk_font

STATUS = {"done": "已完成", "waived": "已豁免", "open": "未完成"}


def certificate_pdf(*, departure, lines, records, signatures, tz) -> bytes:
    font = cjk_font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName=font, fontSize=9.5, leading=13)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title="离职交接单")
    user = departure.user

    def p(text):
        return Paragraph(str(text).replace("&", "&amp;").replace("<", "&lt;"), body)

    def table(rows, widths):
        t = Table([[p(c) for c in r] for r in rows], colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    story = [Paragraph(f"{departure.tenant.name} 离职交接单", title), Spacer(1, 4 * mm)]
    story.append(table([
        ["姓名", user.display_name, "所属分公司", departure.branch.name if departure.branch else "总部"],
        ["提交日期", departure.filed_on.isoformat(), "最后工作日", departure.last_day.isoformat()],
        ["离职原因", departure.reason or "—", "状态", departure.get_status_display()],
    ], [25 * mm, 60 * mm, 25 * mm, 70 * mm]))
    story += [Spacer(1, 4 * mm), p("交接清单")]
    rows = [["交接项", "剩余", "状态", "说明"]]
    for line in lines:
        note = line.detail
        if line.waiver is not None:
            note = f"{line.waiver.reason}（{line.waiver.waived_by.display_name} 豁免）"
        rows.append([line.provider.label, str(line.count), STATUS[line.status], note or ""])
    story.append(table(rows, [60 * mm, 18 * mm, 20 * mm, 82 * mm]))
    story += [Spacer(1, 4 * mm), p("交接去向（交给了谁）")]
    rows = [["时间", "交接项", "数量", "接收人", "说明", "办理人"]]
    for r in records:
        rows.append([timezone.localtime(r.created_at, tz).strftime("%Y-%m-%d %H:%M"), r.line, str(r.count),
                     r.to_user.display_name if r.to_user_id else "—", r.detail,
                     r.actor.display_name if r.actor_id else "系统"])
    if len(rows) == 1:
        rows.append(["—", "—", "0", "—", "无", "—"])
    story.append(table(rows, [28 * mm, 22 * mm, 14 * mm, 26 * mm, 64 * mm, 26 * mm]))
    story += [Spacer(1, 4 * mm), p("交接签字")]
    rows = [["步骤", "签字人", "时间", "意见"]]
    for s in signatures:
        rows.append([s["step"], s["who"], s["when"], s["comment"]])
    if len(rows) == 1:
        rows.append(["—", "尚未签字", "—", "—"])
    story.append(table(rows, [40 * mm, 40 * mm, 35 * mm, 65 * mm]))
    story += [Spacer(1, 6 * mm), p("离职人员签字：____________    日期：____________")]
    doc.build(story)
    return buffer.getvalue()
