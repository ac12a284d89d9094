"""The daily summary's 今日新签经销商 / 修理厂 and month to date per region, after the existing
columns, with exact figures (S000-32)."""

import datetime as dt
import io

from django.template.loader import render_to_string
from openpyxl import load_workbook

from customers.partners import services
from reports.exports import summary_xlsx
from reports.summary import compile_summary, decorate

from .conftest import VALID

DAY = dt.date(2026, 11, 18)


def build(make_a, org_a):
    dealer, shop = make_a.dealer, make_a.shop
    # A1 (RA1): a dealer today, a dealer on the 5th, a renewal today (not new), a repair shop today
    make_a.agreement(make_a.partner("一", "A1"), signed_on=DAY)
    make_a.agreement(make_a.partner("二", "A1"), signed_on=dt.date(2026, 11, 5))
    old = make_a.partner("老", "A1", VALID)
    make_a.agreement(old, signed_on=dt.date(2025, 11, 3))
    make_a.agreement(old, signed_on=DAY)
    make_a.agreement(make_a.partner("三", "A1", type=shop), signed_on=DAY)
    # A2 (RA1): a repair shop on the 2nd; October and tomorrow do not count
    make_a.agreement(make_a.partner("四", "A2", type=shop), signed_on=dt.date(2026, 11, 2))
    make_a.agreement(make_a.partner("五", "A2"), signed_on=dt.date(2026, 10, 30))
    # A3 (RA2): a dealer today, cancelled draft does not count
    make_a.agreement(make_a.partner("六", "A3"), signed_on=DAY)
    p7 = make_a.partner("七", "A3")
    with org_a.scope():
        draft = services.agreement_create(partner=p7, actor=org_a.users["mspec"], signed_on=None, starts_on=DAY,
                                          ends_on=DAY, draft=True)
        services.agreement_cancel(agreement=draft, actor=org_a.users["mspec"], reason="x")
    del dealer


def test_exact_figures_per_branch_region_and_company(make_a, org_a, django_assert_max_num_queries):
    build(make_a, org_a)
    with org_a.scope():
        data = compile_summary(tenant=org_a.tenant, business_day=DAY)
    assert data["extra_columns"][-4:] == ["今日新签经销商", "今日新签修理厂", "本月新签经销商", "本月新签修理厂"]
    rows = {r["code"]: r["extra"][-4:] for r in data["rows"]}
    assert rows == {"A1": [1, 1, 2, 1], "A2": [0, 0, 0, 1], "A3": [1, 0, 1, 0]}
    regions = {r["region"]: r["extra"][-4:] for r in data["regions"]}
    assert regions == {"甲一区": [1, 1, 2, 2], "甲二区": [1, 0, 1, 0]}
    assert data["total"]["extra"][-4:] == [2, 1, 3, 2]


def test_columns_come_after_the_existing_ones_everywhere(make_a, org_a):
    build(make_a, org_a)
    with org_a.scope():
        data = compile_summary(tenant=org_a.tenant, business_day=DAY)
    html = render_to_string("reports/email/_summary_body.html", {"d": decorate(data)})
    head = html[html.index("<thead><tr><th"):]
    head = head[:head.index("</thead>")]
    assert head.index("扣减后业绩") < head.index("今日新签经销商") < head.index("本月新签修理厂")
    text = render_to_string("reports/email/summary.txt", {"d": decorate(data)})
    assert "今日新签经销商、今日新签修理厂、本月新签经销商、本月新签修理厂 2、1、3、2" in text
    ws = load_workbook(io.BytesIO(summary_xlsx(data)))["新增指标"]
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0].startswith("甲公司 ")  # the printed title row (company, day, unit) above the header
    assert values[1] == ("地区", "分公司", "今日新签经销商", "今日新签修理厂", "本月新签经销商", "本月新签修理厂")
    assert ("甲一区", "小计", 1, 1, 2, 2) in values and values[-1] == ("公司合计", None, 2, 1, 3, 2)
    # The PDF carries the same figures on a table of their own.
    import pypdf

    from reports.exports import summary_pdf

    pdf_text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(summary_pdf(data))).pages)
    assert "新增指标" in pdf_text and "今日新签经销商" in pdf_text and "本月新签修理厂" in pdf_text


def test_query_count_does_not_grow_with_agreements(make_a, org_a, django_assert_num_queries):
    from customers.partners.summary_columns import figures

    build(make_a, org_a)
    with org_a.scope(), django_assert_num_queries(1):
        figures(tenant=org_a.tenant, business_day=DAY)
