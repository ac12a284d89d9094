"""经营看板 (issue 20): every chart's JSON per reach (branch GM: their branches; executives:
all) with exact figures, the table/xlsx figures, filters, reach 404s and constant queries."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from reports.tests.helpers import at, file_report
from reports.tests.test_rates import _setup  # Nov 2026: A1 103.7 %, A2 no target, A3 40.0 %

MONDAY = at(2026, 11, 23, 10)  # the 16th of November's 21 working days


def _get(client, chart, **params):
    return client.get(reverse(f"reports:leaders:chart_{chart}"), params)


@pytest.fixture
def november(org_a):
    with org_a.scope():
        _setup(org_a)
    with time_machine.travel(MONDAY, tick=False):
        yield


def test_ranking_per_reach_with_exact_figures(org_a, client_as, november):
    data = _get(client_as(org_a.users["gm"]), "ranking", month="2026-11").json()
    assert data["meta"]["pace"] == {"elapsed": 16, "total": 21, "ratio": str(Decimal(16) / Decimal(21)), "pct": "76.2%"}
    assert data["meta"]["as_of"] == "2026-11-23"
    rows = [(r["rank"], r["branch"], r["mtd"], r["target"], r["rate"], r["rate_pct"], r["behind"]) for r in data["rows"]]
    assert rows == [
        (1, "甲一分公司", "103700.00", "100000.00", "1.0370", "103.7%", False),
        (2, "甲三分公司", "20000.00", "50000.00", "0.4000", "40.0%", True),
        (None, "甲二分公司", "89100.00", None, None, "", False),  # 无目标: listed last, not ranked
    ]
    regions = [(g["region"], g["mtd"], g["target"], g["rate"], g["behind"]) for g in data["regions"]]
    assert regions == [("甲一区", "192800.00", "100000.00", "1.0370", False),
                       ("甲二区", "20000.00", "50000.00", "0.4000", True)]
    assert data["total"] == {"mtd": "212800.00", "target": "150000.00", "rate": "0.8247", "behind": False,
                             "rate_pct": "82.5%"}

    # the branch GM of A1 sees A1 only: no other branch's figure, no company total beyond A1
    mine = _get(client_as(org_a.users["bgm"]), "ranking", month="2026-11").json()
    assert [(r["branch"], r["mtd"]) for r in mine["rows"]] == [("甲一分公司", "103700.00")]
    assert [(g["region"], g["mtd"]) for g in mine["regions"]] == [("甲一区", "103700.00")]
    assert "甲二分公司" not in str(mine) and "甲三分公司" not in str(mine)


def test_trend_cumulative_against_target_pace(org_a, client_as, november):
    data = _get(client_as(org_a.users["exec"]), "trend", month="2026-11").json()
    rows = {r["day"]: r for r in data["rows"]}
    assert len(rows) == 21 and data["target"] == "150000.00"
    assert rows["2026-11-02"] == {"day": "2026-11-02", "cumulative": "100000.00", "pace_amount": "7142.86",
                                  "rate": str(Decimal(100000) / Decimal(150000)), "rate_pct": "66.7%"}
    assert rows["2026-11-03"]["cumulative"] == "120000.00"
    assert rows["2026-11-20"]["cumulative"] == "212800.00" and rows["2026-11-20"]["pace_amount"] == "107142.86"
    assert rows["2026-11-23"]["cumulative"] == "212800.00"
    assert rows["2026-11-24"]["cumulative"] is None  # after today: no figure yet
    assert rows["2026-11-30"]["pace_amount"] == "150000.00"
    # A1's GM: A1's collections against A1's target only
    mine = {r["day"]: r for r in _get(client_as(org_a.users["bgm"]), "trend", month="2026-11").json()["rows"]}
    assert mine["2026-11-20"]["cumulative"] == "103700.00" and mine["2026-11-30"]["pace_amount"] == "100000.00"


def test_region_filter_and_branch_drill_down(org_a, client_as, november, org_b):
    client = client_as(org_a.users["gm"])
    ra2 = org_a.regions["RA2"].pk
    data = _get(client, "ranking", month="2026-11", region=ra2).json()
    assert [r["branch"] for r in data["rows"]] == ["甲三分公司"] and data["meta"]["region"] == ra2
    a2 = org_a.branches["A2"].pk
    data = _get(client, "trend", month="2026-11", branch=a2).json()
    assert data["meta"]["branch_name"] == "甲二分公司" and data["target"] is None
    assert {r["day"]: r["cumulative"] for r in data["rows"]}["2026-11-20"] == "89100.00"
    # outside the reader's reach, or another tenant's: 404, the same answer
    assert _get(client_as(org_a.users["bgm"]), "trend", branch=a2).status_code == 404
    assert _get(client_as(org_a.users["bgm"]), "trend", region=ra2).status_code == 404
    assert _get(client, "trend", branch=org_b.branches["B1"].pk).status_code == 404
    # bad input: a clear message, not a 500
    bad = _get(client, "trend", month="2026-13")
    assert bad.status_code == 400 and "YYYY-MM" in bad.json()["error"]
    assert _get(client, "trend", branch="x").status_code == 400
    assert _get(client, "trend", branch=str(2**70)).status_code == 400


def test_filing_rate_last_30_working_days(org_a, client_as, november):
    with org_a.scope():
        file_report(org_a, "A1", dt.date(2026, 11, 19), now=at(2026, 11, 19, 18))
        file_report(org_a, "A2", dt.date(2026, 11, 19), now=at(2026, 11, 20, 11), user="bgm2")  # late
        file_report(org_a, "A1", dt.date(2026, 11, 20), now=at(2026, 11, 20, 19))
        file_report(org_a, "A3", dt.date(2026, 11, 20), now=at(2026, 11, 20, 19), user="allroles", submit=False)
    data = _get(client_as(org_a.users["gm"]), "filing", month="2026-11").json()
    assert len(data["rows"]) == 30 and data["rows"][-1]["day"] == "2026-11-20"
    assert data["rows"][0]["day"] == "2026-10-12"  # 30 working days back (15 in November, 15 in October)
    last = {r["day"]: r for r in data["rows"]}
    assert last["2026-11-19"] == {"day": "2026-11-19", "expected": 3, "filed": 2, "on_time": 1,
                                  "rate": str(Decimal(2) / Decimal(3)), "on_time_rate": str(Decimal(1) / Decimal(3)),
                                  "rate_pct": "66.7%", "on_time_rate_pct": "33.3%"}
    assert last["2026-11-20"]["filed"] == 1  # the draft does not count
    assert data["total"]["filed"] == 3 and data["total"]["expected"] == 90
    mine = {r["day"]: r for r in _get(client_as(org_a.users["bgm"]), "filing", month="2026-11").json()["rows"]}
    assert mine["2026-11-19"]["expected"] == 1 and mine["2026-11-19"]["rate"] == "1"


def test_hospitality_over_sales_by_region(org_a, client_as, charged):
    data = _get(client_as(org_a.users["gm"]), "hospitality", month="2026-03").json()
    # A1 348 + 300 + 200 (assessed, March meals) + A2 150 over collections 10,000 + 2,000 + 5,000
    assert data["rows"] == [
        {"region_id": org_a.regions["RA1"].pk, "region": "甲一区", "hospitality": "998.00", "sales": "17000.00",
         "rate": str(Decimal("998.00") / Decimal("17000.00")), "rate_pct": "5.9%"},
        {"region_id": org_a.regions["RA2"].pk, "region": "甲二区", "hospitality": "0.00", "sales": "0.00",
         "rate": None, "rate_pct": ""},
    ]
    mine = _get(client_as(org_a.users["bgm"]), "hospitality", month="2026-03").json()
    assert [(r["hospitality"], r["sales"], r["rate_pct"]) for r in mine["rows"]] == [("848.00", "12000.00", "7.1%")]


def test_sell_through_by_region(org_a, client_as, contracts_usage):
    # A1: 10 dispatched, 3 signed, 1 voided; A2: 4 dispatched (甲一区); A3: 5 dispatched, 2 signed (甲二区)
    data = _get(client_as(org_a.users["gm"]), "sell_through").json()
    assert [(r["region"], r["dispatched"], r["signed"], r["voided"], r["rate"]) for r in data["rows"]] == [
        ("甲一区", 14, 3, 1, str(Decimal(3) / Decimal(13))), ("甲二区", 5, 2, 0, str(Decimal(2) / Decimal(5)))]
    assert data["total"]["rate"] == str(Decimal(5) / Decimal(18))
    mine = _get(client_as(org_a.users["bgm"]), "sell_through").json()
    assert [(r["region"], r["dispatched"], r["rate_pct"]) for r in mine["rows"]] == [("甲一区", 10, "33.3%")]


@pytest.fixture
def charged(org_a):
    from expenses.hospitality.tests import test_deduction

    yield from _unwrap(test_deduction.charged)(org_a)


@pytest.fixture
def contracts_usage(org_a):
    from contracts.tests import test_usage

    yield from _unwrap(test_usage.setup)(org_a)


def _unwrap(fixture):
    """The function behind another module's fixture (pytest forbids calling fixtures directly)."""
    import inspect

    func = getattr(fixture, "_get_wrapped_function", None)
    func = func() if func else getattr(fixture, "__wrapped__", fixture)

    def gen(*args):
        result = func(*args)
        if inspect.isgenerator(result):
            yield from result
        else:
            yield result

    return gen


def test_xlsx_matches_json_and_is_formula_safe(org_a, client_as, november):
    with org_a.scope():
        branch = org_a.branches["A1"]
        branch.name = "=HYPERLINK(\"http://x\")"
        branch.save(update_fields=["name"])
    resp = _get(client_as(org_a.users["gm"]), "ranking_xlsx", month="2026-11")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert rows[0] == ("排名", "分公司", "地区", "本月累计回款（元）", "月度目标（元）", "完成率", "落后于时间进度")
    assert rows[1] == (1, "=HYPERLINK(\"http://x\")", "甲一区", 103700.0, 100000.0, 1.037, None)
    assert ws.cell(row=5, column=2).data_type == "s"  # text, not a live formula
    assert ws.cell(row=5, column=6).number_format == "0.0%"
    assert rows[2][1:] == ("甲三分公司", "甲二区", 20000.0, 50000.0, 0.4, "是")


# per request, session and membership included; the chart's own share is 2-4 (see the selectors)
MAX_QUERIES = {"trend": 8, "ranking": 8, "filing": 7, "hospitality": 8, "sell_through": 7, "periods": 9}


@pytest.mark.parametrize("chart", ["trend", "ranking", "filing", "hospitality", "sell_through", "periods"])
def test_queries_do_not_grow_with_branches(org_a, client_as, november, chart):
    def count(user):
        client = client_as(user)
        client.get(reverse("reports:leaders:chart_trend"))  # warm the session/membership caches
        with CaptureQueriesContext(connection) as ctx:
            assert _get(client, chart, month="2026-11").status_code == 200
        return len(ctx.captured_queries)

    one, three = count(org_a.users["bgm"]), count(org_a.users["gm"])
    assert one == three  # 1 branch or 3: the same number
    assert three <= MAX_QUERIES[chart], three


def test_page_per_role(org_a, client_as, org_b):
    page = client_as(org_a.users["bgm"]).get(reverse("reports:leaders:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    for chart in ("trend", "ranking", "filing", "hospitality", "sell_through"):
        assert reverse(f"reports:leaders:chart_{chart}") in html
    assert "vendor/echarts/echarts.min.js" in html and "<script>" not in html  # no inline script (CSP)
    assert "甲三分公司" not in html and "甲二区" not in html  # the region filter lists their own regions only
    assert client_as(org_a.users["sales"]).get(reverse("reports:leaders:dashboard")).status_code == 403
    assert client_as(org_a.users["sales"]).get(reverse("reports:leaders:chart_trend")).status_code == 403
    bad = client_as(org_a.users["gm"]).get(reverse("reports:leaders:dashboard"), {"month": "junk"})
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()
    assert client_as(org_a.users["gm"]).get(reverse("reports:leaders:dashboard"),
                                            {"branch": org_b.branches["B1"].pk}).status_code == 404


def test_english(org_a, client_as, november):
    client = client_as(org_a.users["gm"], language="en")
    assert "Leaders&#x27; dashboard" in client.get(reverse("reports:leaders:dashboard")).content.decode()
    data = _get(client, "ranking", month="2026-11").json()
    assert data["title"] == "Completion ranking by region and branch" and data["columns"][0]["label"] == "Rank"


def test_S001_25_quarter_and_year_to_date_per_region(org_a, client_as, november):
    """S001-25: quarterly and yearly statistics on the dashboard. Quarter Q4 = October + November
    up to today (23 Nov); the year adds March. Targets are the months' targets up to November
    (December's is not yet due); collections after today and A2 (no target) stay out of the rate."""
    from reports import imports, services
    from reports.models import ImportKind

    a1, a2, a3 = (org_a.branches[k] for k in ("A1", "A2", "A3"))
    with org_a.scope():
        imports.apply_rows(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, rows=[
            {"branch_id": a1.pk, "day": dt.date(2026, 10, 15), "amount": Decimal("50000.00")},
            {"branch_id": a3.pk, "day": dt.date(2026, 3, 10), "amount": Decimal("30000.00")},
            {"branch_id": a2.pk, "day": dt.date(2026, 10, 9), "amount": Decimal("900.00")},
            {"branch_id": a1.pk, "day": dt.date(2026, 11, 25), "amount": Decimal("7777.00")},  # after today
            {"branch_id": a1.pk, "day": dt.date(2025, 12, 31), "amount": Decimal("1000.00")},  # last year
        ])
        services.target_set(tenant=org_a.tenant, branch=a1, month=dt.date(2026, 10, 1), amount=Decimal("80000"), actor=None)
        services.target_set(tenant=org_a.tenant, branch=a3, month=dt.date(2026, 3, 1), amount=Decimal("40000"), actor=None)
        services.target_set(tenant=org_a.tenant, branch=a1, month=dt.date(2026, 12, 1), amount=Decimal("99000"), actor=None)
    data = _get(client_as(org_a.users["gm"]), "periods", month="2026-11").json()
    assert (data["meta"]["quarter"], data["meta"]["year"]) == ("2026Q4", "2026")
    rows = [(r["region"], r["quarter_amount"], r["quarter_target"], r["quarter_rate"],
             r["year_amount"], r["year_target"], r["year_rate"]) for r in data["rows"]]
    assert rows == [
        # A1 153,700 / 180,000 (A2's 90,000 collected, no target: in the amount, not the rate)
        ("甲一区", "243700.00", "180000.00", "0.8539", "243700.00", "180000.00", "0.8539"),
        # A3: Q4 20,000 / 50,000; the year adds March 30,000 / 40,000 -> 50,000 / 90,000
        ("甲二区", "20000.00", "50000.00", "0.4000", "50000.00", "90000.00", "0.5556"),
    ]
    t = data["total"]
    assert (t["quarter_amount"], t["quarter_target"], t["quarter_rate"]) == ("263700.00", "230000.00", "0.7552")  # (153,700 + 20,000) / 230,000
    assert (t["year_amount"], t["year_target"], t["year_rate"]) == ("293700.00", "270000.00", "0.7544")  # (153,700 + 50,000) / 270,000
    # the branch GM of A1: A1 only
    mine = _get(client_as(org_a.users["bgm"]), "periods", month="2026-11").json()
    assert [(r["region"], r["quarter_amount"], r["year_rate"]) for r in mine["rows"]] == [("甲一区", "153700.00", "0.8539")]
    # the xlsx carries the same figures
    wb = load_workbook(io.BytesIO(client_as(org_a.users["gm"]).get(
        reverse("reports:leaders:chart_periods_xlsx"), {"month": "2026-11"}).content))
    cells = [c for row in wb.active.iter_rows(values_only=True) for c in row]
    assert "甲二区" in cells and any(str(c).startswith("55.6") or c in (Decimal("0.5556"), 0.5556) for c in cells), cells
