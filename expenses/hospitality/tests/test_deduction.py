"""Deducted from sales (招待费将从销售额中直接扣减): the month-to-date company share per branch
and salesperson by meal month, the monthly report, and the daily summary's two columns after
its eight of 汇总 — with exact figures."""

import datetime as dt
import io
from decimal import Decimal as D

import pypdf
import pytest
from openpyxl import load_workbook

from expenses.hospitality import selectors
from expenses.hospitality.report import monthly_report
from marketing.demo import membership_of
from reports import imports
from reports.exports import summary_pdf, summary_xlsx
from reports.mailing import build_summary_message
from reports.models import ImportKind
from reports.summary import compile_summary, decorate

from .helpers import TUESDAY, approve, approved_app, at, claim, line, venue

WED, THU, FRI = (TUESDAY + dt.timedelta(days=n) for n in (1, 2, 3))


@pytest.fixture
def charged(org_a):
    """A1 (sales): WED claim 348.00 company (assessed), THU claim 300.00 (paid); FRI claim 200.00
    assessed but after the business day; A1 submitted-only 100.00 (not yet assessed); A2 (sales2)
    WED 150.00 company; a February meal of 999.00 in A1 (another month)."""
    v = venue(org_a)
    hz = venue(org_a, name="杭州饭店", city="杭州")  # A2's city (a venue elsewhere is a business trip)
    with at(dt.date(2026, 2, 24)):
        feb = approved_app(org_a, v, visit_date=dt.date(2026, 2, 25))
    with at(dt.date(2026, 2, 25), 21):
        approve(org_a, claim(org_a, feb, [line("dish", "999.00", 3)]), "finance")
    with at(TUESDAY):
        wed = approved_app(org_a, v)
        thu = approved_app(org_a, v, visit_date=THU)
        fri = approved_app(org_a, v, visit_date=FRI)
        pending = approved_app(org_a, v, visit_date=THU)
        a2 = approved_app(org_a, hz, approver="bgm2", persona="sales2", branch="A2")
    with at(WED, 21):
        # 2 diners -> 3 dishes; 5 for 580.00 -> 232.00 personal, 348.00 company
        approve(org_a, claim(org_a, wed, [line("dish", "580.00", 5)]), "finance")
        approve(org_a, claim(org_a, a2, [line("dish", "150.00", 2), line("drink", "40.00")], persona="sales2"),
                "finance")
    with at(THU, 21):
        c = approve(org_a, claim(org_a, thu, [line("dish", "300.00", 3)]), "finance")
        claim(org_a, pending, [line("dish", "100.00", 1)])
    with at(FRI, 9):
        from expenses.hospitality import services

        with org_a.scope():
            services.claim_mark_paid(claim=c, actor=org_a.users["finance"], paid_on=FRI, reference="PZ-1")
    with at(FRI, 21):
        approve(org_a, claim(org_a, fri, [line("dish", "200.00", 2)]), "finance")
    with org_a.scope():
        imports.apply_rows(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, rows=[
            {"branch_id": org_a.branches["A1"].pk, "day": TUESDAY, "amount": D("10000.00")},
            {"branch_id": org_a.branches["A2"].pk, "day": WED, "amount": D("5000.00")},
            {"branch_id": org_a.branches["A1"].pk, "day": FRI + dt.timedelta(days=3), "amount": D("2000.00")},
        ])


def test_month_to_date_company_share_by_branch_and_salesperson(org_a, charged):
    a1, a2 = org_a.branches["A1"].pk, org_a.branches["A2"].pk
    with org_a.scope():
        assert selectors.company_share_by_branch(tenant=org_a.tenant, day=THU) == {a1: D("648.00"), a2: D("150.00")}
        assert selectors.company_share_by_branch(tenant=org_a.tenant, day=WED) == {a1: D("348.00"), a2: D("150.00")}
        assert selectors.company_share_by_branch(tenant=org_a.tenant, day=FRI)[a1] == D("848.00")
        assert selectors.company_share_by_branch(tenant=org_a.tenant, day=dt.date(2026, 2, 28)) == {a1: D("999.00")}
        people = selectors.company_share_by_salesperson(tenant=org_a.tenant, day=THU)
    assert people == {(a1, org_a.users["sales"].pk): D("648.00"), (a2, org_a.users["sales2"].pk): D("150.00")}


def test_monthly_report(org_a, charged, client_as):
    with org_a.scope():
        data = monthly_report(membership=membership_of(org_a.users["finance"]), month=dt.date(2026, 3, 1))
    rows = {r["branch"]: r for r in data["rows"]}
    a1 = rows["甲一分公司"]
    # 4 applications in March for A1; 4 claims (one still with finance); assessed: 348 + 300 + 200
    assert (a1["applications"], a1["claims"], a1["company"], a1["personal"], a1["pending"]) == (
        4, 4, D("848.00"), D("232.00"), D("100.00"))
    assert a1["sales"] == D("12000.00") and a1["ratio_pct"] == "7.07%"  # 848 ÷ 12000
    a2 = rows["甲二分公司"]
    assert (a2["company"], a2["personal"], a2["ratio_pct"]) == (D("150.00"), D("40.00"), "3.00%")
    assert [p["name"] for p in a1["people"]] == ["甲一销售"]
    assert data["total"]["company"] == D("998.00") and data["total"]["ratio_pct"] == "5.87%"  # 998 ÷ 17000
    # a branch GM sees their own branch only
    with org_a.scope():
        mine = monthly_report(membership=membership_of(org_a.users["bgm2"]), month=dt.date(2026, 3, 1))
    assert [r["branch"] for r in mine["rows"]] == ["甲二分公司"]
    page = client_as(org_a.users["finance"]).get("/hospitality/report/", {"month": "2026-03"})
    assert page.status_code == 200 and "848.00" in page.content.decode()
    xlsx = client_as(org_a.users["finance"]).get("/hospitality/report/", {"month": "2026-03", "format": "xlsx"})
    ws = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [c.value for c in ws[2]][:3] == ["甲一分公司", "（分公司合计）", 4]
    assert client_as(org_a.users["sales"]).get("/hospitality/report/").status_code == 403


def test_daily_summary_gains_hospitality_after_its_eight_columns(org_a, charged):
    with org_a.scope():
        data = compile_summary(tenant=org_a.tenant, business_day=THU, now=dt.datetime(2026, 3, 13, 10, 0,
                                                                                       tzinfo=org_a.tenant.zone))
    rows = {r["branch"]: r for r in data["rows"]}
    # 本月累计回款 up to Thursday: A1 10000.00, A2 5000.00; 招待费: 648.00 / 150.00
    assert (rows["甲一分公司"]["mtd"], rows["甲一分公司"]["hospitality"], rows["甲一分公司"]["net_mtd"]) == (
        "10000.00", "648.00", "9352.00")
    assert (rows["甲二分公司"]["hospitality"], rows["甲二分公司"]["net_mtd"]) == ("150.00", "4850.00")
    assert (rows["甲三分公司"]["hospitality"], rows["甲三分公司"]["net_mtd"]) == ("0.00", "0.00")
    region = {r["region"]: r for r in data["regions"]}["甲一区"]
    assert (region["hospitality"], region["net_mtd"]) == ("798.00", "14202.00")
    assert (data["total"]["hospitality"], data["total"]["net_mtd"]) == ("798.00", "14202.00")

    ws = load_workbook(io.BytesIO(summary_xlsx(data)))["汇总"]
    header = [c.value for c in ws[2]]  # row 1: the title row (issue #20)
    assert header[:10] == ["地区", "分公司", "销售人数", "当日回款（元）", "本月累计回款（元）", "月度目标（元）", "完成率", "日报状态",
                           "本月招待费（元）", "扣减后业绩（元）"]  # 时间进度 columns follow (reports/tests/test_pace.py)
    first = [c.value for c in ws[3]]
    assert first[1] == "甲一分公司" and first[4] == 10000.0 and first[8:10] == [648.0, 9352.0]

    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(summary_pdf(data))).pages)
    assert "本月招待费" in text and "9,352.00" in text and "14,202.00" in text

    message = build_summary_message(tenant=org_a.tenant, data=decorate(data), recipients=["x@alpha.test"],
                                    msg_id="<t@x>")
    body = message.body
    html = message.alternatives[0][0]
    assert "本月招待费 648.00 / 扣减后业绩 9,352.00" in body
    assert "扣减后业绩" in html and "9,352.00" in html and "14,202.00" in html


def test_older_stored_summaries_still_render(org_a):
    """A summary compiled before this change has no hospitality keys: renderers show blanks."""
    with org_a.scope():
        data = compile_summary(tenant=org_a.tenant, business_day=THU)
    for item in [*data["rows"], *data["regions"], data["total"]]:
        item.pop("hospitality"), item.pop("net_mtd")
    ws = load_workbook(io.BytesIO(summary_xlsx(data)))["汇总"]
    assert [c.value for c in ws[3]][8:10] == [None, None]
    assert summary_pdf(data)[:4] == b"%PDF"
