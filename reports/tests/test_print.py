"""The summary prints (issue #20): every xlsx sheet has a title row (company, business day,
unit) above its header, A4 landscape, one page wide, the header repeated on every page; the
日报内容 rows are tall enough for their wrapped text; every money header of the xlsx and the
PDF says its unit; the PDF has the business day and the page number on every page."""

import io

import pypdf
from openpyxl import load_workbook

from reports import imports
from reports.exports import LINE_HEIGHT_PT, MONEY_TITLES, summary_pdf, summary_xlsx, wrapped_lines
from reports.models import ImportKind
from reports.summary import aggregate, compile_summary

from .helpers import at, file_report
from .test_rates import D, _setup

TITLE = "甲公司 分公司动态日报汇总 · 业务日期 2026-11-20 · 金额单位：元"
LONG = "上午拜访4S店两家，下午与修理厂洽谈合作，客户对新政策反馈积极。" * 10  # 310 characters


def _data(org):
    with org.scope():
        _setup(org)
        file_report(org, "A1", D, now=at(2026, 11, 20, 17), narrative=LONG)
        file_report(org, "A3", D, now=at(2026, 11, 20, 17), narrative="短")
        return compile_summary(tenant=org.tenant, business_day=D, now=at(2026, 11, 23, 10))


def test_every_sheet_prints_with_title_row_and_repeated_header(org_a):
    wb = load_workbook(io.BytesIO(summary_xlsx(_data(org_a))))
    # 新增指标: other apps' columns (the partners register's signings) on a sheet of their own.
    assert [n for n in wb.sheetnames if n != "新增指标"] == ["汇总", "合计", "完成率排名", "未报分公司", "日报内容"]
    for ws in wb.worksheets:
        assert ws["A1"].value == TITLE and ws["A1"].font.b, ws.title
        assert ws.print_title_rows == "$2:$2" and ws.freeze_panes == "A3", ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        header = [c.value for c in ws[2] if c.value]
        assert not MONEY_TITLES & set(header), (ws.title, header)  # no money column without its unit
    assert [c.value for c in wb["汇总"][2]][3:6] == ["当日回款（元）", "本月累计回款（元）", "月度目标（元）"]
    assert [c.value for c in wb["合计"][2]][7] == "有目标分公司本月累计回款（元）"


def test_report_rows_fit_their_wrapped_text(org_a):
    ws = load_workbook(io.BytesIO(summary_xlsx(_data(org_a))))["日报内容"]
    assert [ws.cell(row=r, column=2).value for r in (3, 4)] == ["甲一分公司", "甲三分公司"]
    # 310 full-width characters (4S: two half-width) in a 50-unit column: 618 units / 49 a line -> 13 lines
    assert wrapped_lines(LONG, 50) == 13
    assert ws.row_dimensions[3].height == 13 * LINE_HEIGHT_PT + 4
    assert ws.row_dimensions[4].height == 1 * LINE_HEIGHT_PT + 4  # 短 / 继续跟进: one line each
    assert ws["C3"].alignment.wrap_text


def test_imports_read_headers_with_units_below_a_title_row(org_a):
    """The title row and the （元） units do not stop the import's header search."""
    ws = load_workbook(io.BytesIO(summary_xlsx(_data(org_a))))["汇总"]
    rows = [[c.value for c in row] for row in ws.iter_rows(max_row=imports.HEADER_SEARCH_ROWS)]
    found = [imports._match_header(ImportKind.TARGETS, r) for r in rows]
    assert found[0] == {} and found[1] == {"branch": 1, "amount": 5}


def test_pdf_header_has_business_day_and_page_numbers(org_a):
    data = _data(org_a)
    template = data["rows"][0]
    rows = [{**template, "code": f"X{i:03d}", "branch": f"第{i}分公司", "region": f"第{i // 25}大区"} for i in range(120)]
    regions, total = aggregate(rows)
    reader = pypdf.PdfReader(io.BytesIO(summary_pdf({**data, "rows": rows, "regions": regions, "total": total})))
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text()
        assert TITLE in text and f"第 {number} 页" in text, number
    first = reader.pages[0].extract_text()
    assert "当日回款（元）" in first and "本月累计回款（元）" in first and "扣减后业绩（元）" in first
