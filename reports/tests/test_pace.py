"""时间进度 beside 完成率 in the daily summary (issue #20): working days of the month up to and
including the business day ÷ the month's working days, stored with the snapshot, and the
branches and regions whose rate is below it marked 落后于时间进度 on the page, the e-mail (HTML
and text), the xlsx (unrounded cell, after the existing columns) and the PDF."""

import io
from decimal import Decimal

import pypdf
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from reports import mailing

from .helpers import at
from .test_rates import D, _setup  # Friday 2026-11-20; A1 103.7 %, A2 无目标, A3 40.0 %, total 82.5 %


def test_pace_and_behind_marks_everywhere(org_a, client_as):
    with org_a.scope():
        _setup(org_a)
        row = mailing.summary_send(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 23, 10))
    # November 2026: 21 working days, the 20th is the 15th of them -> 71.4 %
    assert row.data["pace"] == {"elapsed": 15, "total": 21, "ratio": str(Decimal(15) / Decimal(21))}
    msg = mail.outbox[-1]
    html = msg.alternatives[0][0]
    assert "时间进度 <b>71.4%</b>" in html and "第 15/21 个工作日" in html
    # behind: A3 (40.0 %) and its region 甲二区 (40.0 %); not A1 (103.7 %), not 无目标 A2, not the total (82.5 %)
    assert html.count("落后于时间进度") == 2
    assert "时间进度 71.4%" in msg.body and msg.body.count("落后于时间进度") == 2
    a3_line = next(line for line in msg.body.splitlines() if line.startswith("- 甲三分公司"))
    assert "40.0%（落后于时间进度）" in a3_line

    files = {a[0]: a[1] for a in msg.attachments}
    wb = load_workbook(io.BytesIO(files["daily-summary-2026-11-20.xlsx"]))
    rows = list(wb["汇总"].iter_rows(values_only=True))
    assert rows[1][10:] == ("时间进度", "落后于时间进度")  # rows[0]: the title row
    assert {r[1]: (r[10], r[11]) for r in rows[2:]} == {
        "甲一分公司": (15 / 21, None), "甲二分公司": (15 / 21, None), "甲三分公司": (15 / 21, "落后")}
    assert wb["汇总"].cell(row=3, column=11).number_format == "0.0%"
    totals = list(wb["合计"].iter_rows(values_only=True))
    assert [(t[0], t[-1]) for t in totals[2:5]] == [("甲一区", None), ("甲二区", "落后"), ("公司合计", None)]

    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(files["daily-summary-2026-11-20.pdf"])).pages)
    assert "时间进度 71.4%" in text and "40.0% 落后" in text and "103.7% 落后" not in text

    page = client_as(org_a.users["gm"]).get(reverse("reports:summary_detail", args=[row.pk])).content.decode()
    assert "71.4%" in page and page.count("落后于时间进度") == 2


def test_snapshot_without_pace_shows_no_marks(org_a):
    """Summaries stored before 时间进度 existed render as they were: no figure, no mark."""
    from reports.exports import summary_xlsx
    from reports.summary import compile_summary, decorate

    with org_a.scope():
        _setup(org_a)
        data = compile_summary(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 23, 10))
    del data["pace"]
    shown = decorate(data)
    assert shown["pace_pct"] == "" and not any(r["behind"] for r in shown["rows"])
    rows = list(load_workbook(io.BytesIO(summary_xlsx(data)))["汇总"].iter_rows(values_only=True))
    assert all(r[10] is None and r[11] is None for r in rows[2:])
