"""The ageing report as xlsx: labels are written as text (``marketing.exports.as_text``), so a
debtor or salesperson name typed as ``=HYPERLINK(...)`` stays harmless; figures are numbers."""

from __future__ import annotations

import io

from marketing.exports import as_text

from .selectors import Ageing, bucket_labels


def ageing_xlsx(report: Ageing) -> bytes:
    from django.utils.translation import gettext as _
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    labels = [label for _key, label in bucket_labels()]
    for index, (title, rows) in enumerate(((_("按分公司"), report.branches), (_("按销售"), report.salespeople))):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        as_text(ws.cell(row=1, column=1), _("应收账款账龄（截至 %(d)s）") % {"d": report.as_of.isoformat()})
        header = [_("分公司") if index == 0 else _("销售"), *labels, _("笔数")]
        for col, text in enumerate(header, start=1):
            as_text(ws.cell(row=2, column=col), text).font = Font(bold=True)
        line = 3
        for row in [*rows, report.total]:
            as_text(ws.cell(row=line, column=1), row.label if row is not report.total else _("合计"))
            for col, value in enumerate(row.cells, start=2):
                cell = ws.cell(row=line, column=col, value=float(value))
                cell.number_format = "#,##0.00"
            ws.cell(row=line, column=len(header), value=row.lines)
            line += 1
        ws.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
