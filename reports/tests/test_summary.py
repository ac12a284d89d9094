import datetime as dt
import io
from decimal import Decimal

import pypdf
from openpyxl import load_workbook

from marketing import services as org_services
from reports import imports, services
from reports.exports import summary_pdf, summary_xlsx
from reports.models import ImportKind
from reports.summary import compile_summary

from .helpers import at, file_report

D = dt.date(2026, 11, 30)  # Monday, last day of the month


def _money(org, rows):
    imports.apply_rows(tenant=org.tenant, kind=ImportKind.COLLECTIONS,
                       rows=[{"branch_id": org.branches[c].pk, "day": d, "amount": Decimal(a)} for c, d, a in rows])


def _roster(org, rows):
    imports.apply_rows(tenant=org.tenant, kind=ImportKind.ROSTER, rows=[
        {"branch_id": org.branches[c].pk, "name": n, "position": p, "hire_date": h, "leave_date": lv, "phone": ""}
        for c, n, p, h, lv in rows])


def _row(data, code):
    return next(r for r in data["rows"] if r["code"] == code)


def test_figures_month_boundaries_headcount_targets(org_a):
    with org_a.scope():
        t = org_a.tenant
        _money(org_a, [
            ("A1", dt.date(2026, 10, 31), "999.00"),  # previous month: not in month-to-date
            ("A1", dt.date(2026, 11, 1), "100.00"),
            ("A1", D, "50.25"),
            ("A1", dt.date(2026, 12, 1), "777.00"),  # after D
            ("A2", dt.date(2026, 11, 10), "300.00"),
        ])
        services.target_set(tenant=t, branch=org_a.branches["A1"], month=D, amount=Decimal("1000"), actor=None)
        _roster(org_a, [
            ("A1", "甲", "销售", dt.date(2025, 1, 1), None),
            ("A1", "乙", "业务员", D, None),  # hired on D: counts
            ("A1", "丙", "销售", dt.date(2025, 1, 1), D),  # left on D: does not count
            ("A1", "丁", "出纳", dt.date(2025, 1, 1), None),  # not a sales position
            ("A1", "戊", "销售", dt.date(2026, 12, 1), None),  # hired after D
        ])
        file_report(org_a, "A1", D, now=at(2026, 12, 1, 9, 59, 59))
        data = compile_summary(tenant=t, business_day=D, now=at(2026, 12, 1, 10))
    a1, a2, a3 = _row(data, "A1"), _row(data, "A2"), _row(data, "A3")
    assert (a1["headcount"], a1["day_amount"], a1["mtd"], a1["target"], a1["rate"]) == (2, "50.25", "150.25", "1000.00", "0.1503")
    assert a1["state"] == "on_time" and a1["report"]["narrative"] == "今日拜访客户"
    assert (a2["headcount"], a2["mtd"], a2["target"], a2["rate"], a2["state"]) == (0, "300.00", None, None, "missing")
    assert a3["day_amount"] == "0.00" and a3["headcount"] == 0
    assert [r["region"] for r in data["regions"]] == ["甲一区", "甲二区"]
    assert data["regions"][0]["mtd"] == "450.25" and data["total"]["mtd"] == "450.25"
    # S000-20: only A1 has a target, so the rate is A1's 150.25 / 1000 (A2's 300 counts in mtd only)
    assert data["regions"][0]["rate"] == "0.1503" and data["total"]["rate"] == "0.1503"
    assert [r["branch"] for r in data["ranking"]] == ["甲一分公司"]
    assert {r["branch"] for r in data["not_filed"]} == {"甲二分公司", "甲三分公司"}


def test_first_day_of_month_starts_from_zero(org_a):
    with org_a.scope():
        _money(org_a, [("A1", dt.date(2026, 11, 30), "500.00"), ("A1", dt.date(2026, 12, 1), "20.00")])
        data = compile_summary(tenant=org_a.tenant, business_day=dt.date(2026, 12, 1), now=at(2026, 12, 2, 10))
    assert _row(data, "A1")["mtd"] == "20.00"


def test_inactive_branch_is_left_out(org_a):
    with org_a.scope():
        org_services.branch_update(branch=org_a.branches["A3"], actor=None, is_active=False)
        data = compile_summary(tenant=org_a.tenant, business_day=D, now=at(2026, 12, 1, 10))
    assert [r["code"] for r in data["rows"]] == ["A1", "A2"]


def test_xlsx_and_pdf(org_a):
    with org_a.scope():
        _money(org_a, [("A1", D, "1234.50")])
        services.target_set(tenant=org_a.tenant, branch=org_a.branches["A1"], month=D, amount=Decimal("10000"), actor=None)
        file_report(org_a, "A1", D, now=at(2026, 12, 1, 9), narrative="=HYPERLINK(\"http://x\")")
        data = compile_summary(tenant=org_a.tenant, business_day=D, now=at(2026, 12, 1, 10))
    wb = load_workbook(io.BytesIO(summary_xlsx(data)))
    assert wb.sheetnames[0] == "汇总"
    ws = wb["汇总"]
    rows = list(ws.iter_rows(values_only=True))
    # the eight columns of 汇总 as they were, then hospitality (issue 13; pinned in expenses/hospitality/tests)
    assert rows[0][0] == "甲公司 分公司动态日报汇总 · 业务日期 2026-11-30 · 金额单位：元"  # title row (issue #20)
    assert rows[1][:8] == ("地区", "分公司", "销售人数", "当日回款（元）", "本月累计回款（元）", "月度目标（元）", "完成率", "日报状态")
    assert rows[1][8:] == ("本月招待费（元）", "扣减后业绩（元）", "时间进度", "落后于时间进度")
    assert [r[1] for r in rows[2:]] == ["甲一分公司", "甲二分公司", "甲三分公司"]
    assert rows[2][3] == 1234.5 and rows[2][6] == 0.12345 and ws["G3"].number_format.endswith("%")
    assert rows[3][6] == "无目标"
    texts = wb["日报内容"]
    assert texts["C3"].data_type == "s" and texts["C3"].value.startswith("=HYPERLINK")
    reader = pypdf.PdfReader(io.BytesIO(summary_pdf(data)))
    assert len(reader.pages) >= 1
    fonts = {str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    from marketing.exports import CJK_TTF_PATH

    assert any("WenQuanYi" in f for f in fonts) if CJK_TTF_PATH else "/STSong-Light" in fonts
    assert "甲一分公司" in "".join(page.extract_text() for page in reader.pages)
