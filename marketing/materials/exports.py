"""xlsx renderers, fed by selector output. Every text cell goes through ``as_text`` (stored as a
string, never a formula: a material named ``=HYPERLINK(...)`` stays that text)."""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from marketing.exports import as_text

XLSX_MAX_ROWS = 20000


def _sheet(title: str, headers: list[str], rows, widths: list[int]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            if value is None or isinstance(value, str):
                as_text(cell, value)
            elif isinstance(value, bool):
                as_text(cell, "是" if value else "否")
            else:
                cell.value = value
                if hasattr(value, "hour"):
                    cell.number_format = "yyyy-mm-dd hh:mm"
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _local(value, tz):
    return timezone.localtime(value, tz).replace(tzinfo=None) if value else None


STOCK_HEADERS = ["物料编码", "物料名称", "单位", "库存", "低库存提醒线", "低库存", "启用", "可申请范围"]


def stock_xlsx(materials, *, scope_of) -> bytes:
    rows = ([m.code, m.name, m.unit, m.on_hand, m.low_stock_threshold, m.is_low, m.active, scope_of(m)]
            for m in materials)
    return _sheet("总部物料库存", STOCK_HEADERS, rows, [14, 24, 8, 10, 12, 8, 8, 30])


MOVEMENT_HEADERS = ["时间", "物料编码", "物料名称", "类型", "数量变动", "变动后库存", "说明", "请购单号", "经办人"]


def movements_xlsx(moves, *, tz) -> bytes:
    rows = ([_local(m.created_at, tz), m.material.code, m.material.name, m.get_kind_display(), m.delta,
             m.balance_after, m.reason, m.shipment.request.number if m.shipment_id else "", m.actor.display_name]
            for m in moves)
    return _sheet("库存流水", MOVEMENT_HEADERS, rows, [17, 14, 24, 10, 10, 10, 30, 16, 10])


REQUEST_HEADERS = ["请购单号", "分公司", "申请人", "申请时间", "状态", "物料编码", "物料名称", "单位", "申请数量",
                   "已发数量", "用途", "申请说明"]


def requests_xlsx(requests, *, tz) -> bytes:
    """One row per request line (a request of three materials is three rows)."""

    def rows():
        for req in requests:
            for line in req.lines.all():
                yield [req.number, req.branch.name, req.applicant.display_name, _local(req.created_at, tz),
                       req.get_status_display(), line.material.code, line.material.name, line.material.unit,
                       line.quantity, line.dispatched, line.reason, req.note]

    return _sheet("物料请购", REQUEST_HEADERS, rows(), [16, 14, 10, 17, 12, 14, 24, 8, 10, 10, 24, 30])
