"""The monthly pack's receivables ageing beside collections (S003-22, S001-07) and its quarterly
and yearly sales statistics (S001-25), with exact figures; the page and the xlsx carry both."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reports import imports
from reports import services as report_services
from reports.meetings import services
from reports.models import ImportKind
from reports.receivables.models import Receivable
from reports.tests.helpers import at
from reports.tests.test_rates import _setup

NOV = dt.date(2026, 11, 1)
NOV30 = dt.date(2026, 11, 30)


@pytest.fixture
def long_periods(org_a):
    """November as in test_rates, plus October (A1: 40,000 collected against 60,000) and March
    (A3: 5,000 collected, no target); receivables aged at 30 November."""
    with org_a.scope():
        _setup(org_a)
        imports.apply_rows(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, rows=[
            {"branch_id": org_a.branches["A1"].pk, "day": dt.date(2026, 10, 15), "amount": Decimal("40000.00")},
            {"branch_id": org_a.branches["A3"].pk, "day": dt.date(2026, 3, 9), "amount": Decimal("5000.00")},
        ])
        report_services.target_set(tenant=org_a.tenant, branch=org_a.branches["A1"], month=dt.date(2026, 10, 1),
                                   amount=Decimal("60000"), actor=None)

        def line(code, doc, amount, due, received="0", flag="", status="open"):
            Receivable.objects.create(tenant=org_a.tenant, branch=org_a.branches[code], document=doc,
                                      debtor_name=f"客户{doc}", amount=Decimal(amount), received=Decimal(received),
                                      due_date=due, flag=flag, status=status)

        line("A1", "R1", "1000", dt.date(2026, 12, 5), received="200")  # not yet due at 11-30: 800
        line("A1", "R2", "300", dt.date(2026, 11, 20))                  # 10 days: 1-30
        line("A1", "R3", "450", dt.date(2026, 8, 1))                    # 121 days: 91-180
        line("A3", "R4", "2000", dt.date(2026, 5, 1), received="500", flag="doubtful")  # 呆账 1,500
        line("A3", "R5", "700", dt.date(2026, 4, 1), received="700", status="settled")  # not counted


def _pack(org):
    with org.scope():
        return services.pack_generate(tenant=org.tenant, month=NOV, now=at(2026, 12, 1, 8, 10), send=False)


def test_S003_22_pack_ages_receivables_at_month_end_beside_collections(org_a, long_periods):
    rows = {r["branch"]: r for r in _pack(org_a).data["receivables"]}
    assert set(rows) == {"甲一分公司", "甲三分公司", "公司合计"}
    a1 = rows["甲一分公司"]
    assert (a1["current"], a1["d1_30"], a1["d91_180"], a1["doubtful"], a1["total"], a1["lines"]) == (
        "800.00", "300.00", "450.00", "0.00", "1550.00", 3)
    a3 = rows["甲三分公司"]
    assert (a3["doubtful"], a3["total"], a3["lines"]) == ("1500.00", "1500.00", 1)
    total = rows["公司合计"]
    assert (total["current"], total["doubtful"], total["total"], total["lines"]) == ("800.00", "1500.00", "3050.00", 4)


def test_S001_25_pack_quarter_and_year_to_month_end(org_a, long_periods):
    rows = {(r["period"].split()[0], r["branch"]): r for r in _pack(org_a).data["periods"]}
    q_a1 = rows[("本季度累计", "甲一分公司")]
    # Q4 to 30 November: 40,000 + 103,700 against 60,000 + 100,000
    assert (q_a1["collections"], q_a1["target"], q_a1["rate"]) == ("143700.00", "160000.00", "0.898125")
    assert "2026Q4（截至2026-11-30）" in q_a1["period"]
    q_total = rows[("本季度累计", "公司合计")]
    # the company's rate counts targeted branches only (S000-20): (143,700 + 20,000) / 210,000
    assert (q_total["collections"], q_total["target"]) == ("252800.00", "210000.00")
    assert Decimal(q_total["rate"]).quantize(Decimal("0.0001")) == Decimal("0.7795")
    y_a3 = rows[("本年度累计", "甲三分公司")]
    assert (y_a3["collections"], y_a3["target"], y_a3["rate"]) == ("25000.00", "50000.00", "0.5")
    assert ("本季度累计", "甲三分公司") in rows and rows[("本季度累计", "甲三分公司")]["collections"] == "20000.00"
    y_a2 = rows[("本年度累计", "甲二分公司")]
    assert (y_a2["collections"], y_a2["target"], y_a2["rate"]) == ("89100.00", None, None)


def test_pack_page_and_xlsx_carry_ageing_and_long_periods(org_a, long_periods, client_as):
    row = _pack(org_a)
    client = client_as(org_a.users["gm"])
    page = client.get(reverse("meetings:pack", args=[row.pk])).content.decode()
    assert "应收账款账龄（截至月末，按分公司）" in page and "季度、年度销售统计（累计至月末）" in page
    wb = load_workbook(io.BytesIO(client.get(reverse("meetings:pack_file", args=[row.pk, "xlsx"])).content))
    assert wb.sheetnames.index("应收账龄") == wb.sheetnames.index("回款与目标") + 1
    ageing = list(wb["应收账龄"].iter_rows(min_row=2, values_only=True))
    assert ageing[0][:3] == ("分公司", "未到期", "1–30天")
    assert ageing[-1] == ("公司合计", 800.0, 300.0, 0.0, 0.0, 450.0, 0.0, 1500.0, 0.0, 3050.0)
    periods = list(wb["季度年度统计"].iter_rows(min_row=3, values_only=True))
    a1q = next(r for r in periods if r[0].startswith("本季度累计") and r[2] == "甲一分公司")
    assert a1q[3:] == (160000.0, 143700.0, 0.898125, 0)
