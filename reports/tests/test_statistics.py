"""Seed 002's 周/月统计表 computed from the product's own data (S002-20 销售情况周统计表,
S002-21 销售情况月统计表, S002-22 营销人员工作周统计表, S002-23 营销人员工作月统计表)."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from contracts.tests.helpers import approved_product, dispatched, make_batch, numbers_of, receive, sign
from customers.models import Customer, Visit
from reports.models import Collection, MonthlyTarget
from reports.statistics import pct, period_for, sales_statistics, staff_statistics

SH = ZoneInfo("Asia/Shanghai")


def at(day, hour=9):
    return time_machine.travel(dt.datetime(2026, 11, day, hour, 0, tzinfo=SH), tick=False)


@pytest.fixture
def november(org_a):
    """Week 2026-11-02..08 and the rest of November, in tenant A."""
    with at(2):
        product = approved_product(org_a)
        make_batch(org_a, product)
        _req, dispatch = dispatched(org_a, product, 5)
    numbers = numbers_of(org_a, dispatch)
    with at(4):
        receive(org_a, numbers[0], numbers[2])  # 3 contracts to the A1 salesperson
    with at(6):
        sign(org_a, numbers[0])
        sign(org_a, numbers[1])
    with at(10):
        sign(org_a, numbers[2])  # next week
    with org_a.scope():
        a1, a2 = org_a.branches["A1"], org_a.branches["A2"]
        for branch, day, amount in ((a1, 2, "10000"), (a1, 8, "5000.50"), (a1, 9, "7000"), (a2, 3, "2000")):
            Collection.objects.create(tenant=org_a.tenant, branch=branch, day=dt.date(2026, 11, day),
                                      amount=Decimal(amount))
        MonthlyTarget.objects.create(tenant=org_a.tenant, branch=a1, month=dt.date(2026, 11, 1),
                                     amount=Decimal("34999.99"))
        sales = org_a.users["sales"]
        c1 = Customer.objects.create(tenant=org_a.tenant, name="宁波丰田4S", branch=a1, owner=sales)
        c2 = Customer.objects.create(tenant=org_a.tenant, name="余姚修理厂", branch=a1, owner=sales)
        Customer.objects.filter(pk=c1.pk).update(created_at=dt.datetime(2026, 11, 3, 10, 0, tzinfo=SH))
        # 23:30 on Sunday the 8th in Shanghai is still that week (15:30 UTC).
        Customer.objects.filter(pk=c2.pk).update(created_at=dt.datetime(2026, 11, 8, 23, 30, tzinfo=SH))
        for customer, day in ((c1, 3), (c1, 5), (c2, 5), (c2, 12)):
            Visit.objects.create(tenant=org_a.tenant, customer=customer, visited_on=dt.date(2026, 11, day),
                                 visited_by=sales)
    return org_a


def branches_of(org):
    from marketing.models import Branch

    return Branch.objects.filter(tenant=org.tenant)


@pytest.mark.django_db
def test_s002_20_s002_22_weekly_sales_and_staff_statistics(november, django_assert_max_num_queries):
    org = november
    with org.scope():
        week = period_for("week", dt.date(2026, 11, 5))
        assert (week.start, week.end, week.label) == (dt.date(2026, 11, 2), dt.date(2026, 11, 8), "2026-11-02 ~ 11-08")
        with django_assert_max_num_queries(6):
            sales = sales_statistics(tenant=org.tenant, branches=branches_of(org), period=week)
        rows = {r.branch.code: r for r in sales["rows"]}
        assert (rows["A1"].collections, rows["A1"].signed, rows["A1"].new_customers, rows["A1"].visits) == (
            Decimal("15000.50"), 2, 2, 3)
        assert (rows["A2"].collections, rows["A2"].signed, rows["A3"].collections) == (Decimal("2000"), 0, Decimal("0"))
        assert rows["A1"].ratio is None  # a week has no target
        assert (sales["total"].collections, sales["total"].signed, sales["total"].visits) == (Decimal("17000.50"), 2, 3)
        with django_assert_max_num_queries(8):
            staff = staff_statistics(tenant=org.tenant, branches=branches_of(org), period=week)
        people = {r.user.username: r for r in staff["rows"]}
        me = people[org.users["sales"].username]
        assert (me.visits, me.customers_visited, me.new_customers, me.contracts_received, me.contracts_signed) == (
            3, 2, 2, 3, 2)
        assert me.branches == ["甲一分公司"]
        assert people[org.users["sales2"].username].visits == 0


@pytest.mark.django_db
def test_s002_21_s002_23_monthly_statistics_with_target_and_rate(november):
    org = november
    with org.scope():
        month = period_for("month", dt.date(2026, 11, 20))
        sales = sales_statistics(tenant=org.tenant, branches=branches_of(org), period=month)
        a1 = next(r for r in sales["rows"] if r.branch.code == "A1")
        assert (a1.collections, a1.target, a1.signed, a1.visits) == (Decimal("22000.50"), Decimal("34999.99"), 3, 4)
        # 22000.50 / 34999.99 = 62.8586 %: rounded once, half up.
        assert pct(a1.ratio) == "62.9%"
        # The company rate counts only branches with a target (S000-20): A1's 62.9 %, not A1+A2.
        assert pct(sales["total_ratio"]) == "62.9%" and sales["total"].collections == Decimal("24000.50")
        me = next(r for r in staff_statistics(tenant=org.tenant, branches=branches_of(org), period=month)["rows"]
                  if r.user == org.users["sales"])
        assert (me.visits, me.contracts_signed) == (4, 3)


@pytest.mark.django_db
def test_statistics_page_reach_and_xlsx(november, org_b, client_as):
    org = november
    url = "/reports/statistics/?kind=month&day=2026-11-20"
    page = client_as(org.users["bgm"]).get(url).content.decode()
    assert "甲一分公司" in page and "甲二分公司" not in page  # a branch GM: own branches only
    assert "62.9%" in page and "22,000.50" in page
    assert client_as(org.users["sales"]).get(url).status_code == 403
    assert "甲一分公司" not in client_as(org_b.users["allroles"]).get(url).content.decode()
    assert client_as(org.users["gm"]).get("/reports/statistics/?day=2026-13-01").status_code == 400
    response = client_as(org.users["gm"]).get(url + "&format=xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["销售情况月统计表"]
    assert ws["A1"].value == "甲公司 销售情况月统计表 2026-11（金额单位：元）"
    assert [c.value for c in ws[2]][:5] == ["地区", "分公司", "回款（元）", "目标（元）", "完成率"]
    a1 = next(row for row in ws.iter_rows(min_row=3, values_only=True) if row[1] == "甲一分公司")
    assert a1[2] == 22000.5 and a1[3] == 34999.99 and abs(a1[4] - 22000.50 / 34999.99) < 1e-12
    assert ws.cell(3, 5).number_format == "0.0%" or ws.cell(4, 5).number_format == "0.0%"
    staff = wb["营销人员工作月统计表"]
    assert [c.value for c in staff[2]][0] == "姓名"


@pytest.mark.django_db
def test_s001_25_quarterly_and_yearly_statistics(november):
    """S001-25 季度、年度统计报表: the period's target is the sum of its months' targets."""
    org = november
    with org.scope():
        MonthlyTarget.objects.create(tenant=org.tenant, branch=org.branches["A1"], month=dt.date(2026, 12, 1),
                                     amount=Decimal("40000"))
        MonthlyTarget.objects.create(tenant=org.tenant, branch=org.branches["A1"], month=dt.date(2027, 1, 1),
                                     amount=Decimal("99999"))  # next year: not counted
        quarter = period_for("quarter", dt.date(2026, 11, 20))
        year = period_for("year", dt.date(2026, 11, 20))
        assert (quarter.start, quarter.end, quarter.label) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026Q4")
        assert (year.start, year.end, year.label) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026")
        for period in (quarter, year):
            a1 = next(r for r in sales_statistics(tenant=org.tenant, branches=branches_of(org), period=period)["rows"]
                      if r.branch.code == "A1")
            assert (a1.collections, a1.target) == (Decimal("22000.50"), Decimal("74999.99"))
            assert pct(a1.ratio) == "29.3%"  # 22000.50 / 74999.99 = 29.334 %
        assert period_for("quarter", dt.date(2026, 3, 31)).end == dt.date(2026, 3, 31)
        assert period_for("quarter", dt.date(2026, 5, 1)).start == dt.date(2026, 4, 1)
