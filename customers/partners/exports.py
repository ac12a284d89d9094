"""xlsx renderers fed by selector output; user text is always written as a string (a name
starting with '=' stays text, OWASP formula injection)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from marketing.exports import as_text


def _cell(ws, value, font=None):
    cell = WriteOnlyCell(ws)
    if isinstance(value, str):
        as_text(cell, value)
    elif value is not None:
        cell.value = value
    if font is not None:
        cell.font = font
    return cell


def _book(title: str, headers: list[str], rows, stamp: str, widths: list[int]) -> bytes:
    """Write-only workbook: rows stream out (a 15,000-row register in a couple of seconds)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A4"
    bold = Font(bold=True)
    ws.append([_cell(ws, title, bold)])
    ws.append([_cell(ws, stamp)])
    ws.append([_cell(ws, h, bold) for h in headers])
    for values in rows:
        ws.append([_cell(ws, v if v != "" else None) for v in values])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _d(day):
    return day.isoformat() if day else ""


def partners_xlsx(*, partners, stamp: str) -> bytes:
    """The partner list: one row per partner."""
    headers = [_("名称"), _("类型"), _("统一社会信用代码"), _("校验位说明"), _("地区"), _("服务分公司"), _("城市"),
               _("地址"), _("服务销售"), _("联系人及电话"), _("协议数"), _("最近协议到期")]
    rows = ([p.name, p.type.name, p.credit_code, p.credit_code_override, p.region.name, p.branch.name, p.city,
             p.address, p.salesperson.display_name if p.salesperson else "", p.contacts, p.agreement_count,
             _d(p.latest_end)] for p in partners)
    return _book(_("合作单位名录"), headers, rows, stamp, [28, 10, 22, 18, 10, 14, 10, 30, 10, 24, 8, 12])


def register_xlsx(*, agreements, stamp: str) -> bytes:
    """附表6/附表7 style: one row per agreement with partner, code, region, dates, the original's
    state and location (S000-34)."""
    headers = [_("序号"), _("协议编号"), _("合作单位"), _("类型"), _("统一社会信用代码"), _("地区"), _("签约分公司"),
               _("签约销售"), _("性质"), _("状态"), _("签订日期"), _("合作开始"), _("合作结束"), _("原件状态"),
               _("快递公司"), _("运单号"), _("寄出日期"), _("核对结果"), _("核对备注"), _("归档位置"), _("合作条款摘要")]
    rows = ([i, a.number, a.partner.name, a.partner.type.name, a.partner.credit_code, a.branch.region.name,
             a.branch.name, a.salesperson.display_name if a.salesperson else "", a.get_kind_display(),
             a.get_stage_display(), _d(a.signed_on), _d(a.starts_on), _d(a.ends_on), a.get_original_state_display(),
             a.courier, a.waybill, _d(a.sent_on), a.get_check_result_display() if a.check_result else "",
             a.check_remarks, a.archive_location, a.terms]
            for i, a in enumerate(agreements, start=1))
    return _book(_("合作协议存档登记表"), headers, rows, stamp,
                 [6, 18, 28, 10, 22, 10, 14, 10, 6, 8, 12, 12, 12, 10, 10, 18, 12, 10, 20, 14, 30])
