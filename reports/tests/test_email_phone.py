"""The summary e-mail as a GM reads it on a 390 px phone (issue #20): a key-figures block on
top, the subject carrying the company figure, branches grouped under region headings with
name, 完成率 and status together, an absolute link to the page, the unit in every money
header, and the HTML within the webmail clipping budget."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from marketing.models import Branch
from reports import mailing
from reports.models import DailySummary
from reports.summary import aggregate, compile_summary, ranking, wan_text

from .helpers import at, file_report
from .test_rates import D, _setup  # A1 103.7 %, A2 无目标, A3 40.0 %, total 82.5 %, 时间进度 71.4 %

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots"))
LONG = "乌鲁木齐经济技术开发区第二分公司"


def _sent(org):
    with org.scope():
        _setup(org)
        file_report(org, "A1", D, now=at(2026, 11, 20, 17))
        return mailing.summary_send(tenant=org.tenant, business_day=D, now=at(2026, 11, 23, 10))


def test_wan_text():
    assert wan_text("212800.00") == "21.28" and wan_text("12345678.90") == "1,234.57" and wan_text("49.99") == "0.00"
    assert wan_text("50.00") == "0.01"  # half up


def test_key_figures_subject_link_and_groups(org_a, settings):
    settings.SITE_URL = "https://desk.example.com"
    row = _sent(org_a)
    msg = mail.outbox[-1]
    # the subject carries the company figure
    assert msg.subject == "【日报汇总】甲公司 2026-11-20 · 完成率 82.5%（时间进度 71.4%） · 累计回款 21.28 万元"
    html = msg.alternatives[0][0]
    key = html[html.index('class="sm-kpi"'):html.index("</table>", html.index('class="sm-kpi"'))]
    # 212,800.00 元 this month, 92,800.00 元 on the day; A2 and A3 have not filed
    assert "本月累计回款<b>21.28 万元</b>" in key and "完成率 / 时间进度<b>82.5% / 71.4%</b>" in key
    assert "当日回款<b>9.28 万元</b>" in key and "未报分公司<b>2 家</b>" in key
    assert html.index('class="sm-kpi"') < html.index('class="sm-t"')  # on top, before the table
    link = f"https://desk.example.com/reports/summaries/{row.pk}/"
    assert f'href="{link}"' in html and f"在系统中查看完整汇总：{link}" in msg.body
    # grouped under region headings, 地区 not repeated per row
    assert html.count('<tr class="rg"><th colspan="3" scope="rowgroup">甲一区</th></tr>') == 1
    assert '<th scope="col">地区</th>' not in html
    # every money header says its unit
    assert "当日回款（元）· 本月累计回款（元）/ 月度目标（元）· 本月招待费（元）· 扣减后业绩（元）" in html
    assert "金额单位：元" in msg.body and "本月累计回款 21.28 万元" in msg.body


def test_html_stays_within_budget_and_says_what_it_left_out(org_a):
    """500 branches with long reports: the HTML drops the texts, then the money lines, never
    a branch's name, 完成率 or status (webmail clips bodies over ~100 KB)."""
    with org_a.scope():
        _setup(org_a)
        data = compile_summary(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 23, 10))
    template = data["rows"][0]
    report = {"narrative": "上午拜访4S店两家，下午与修理厂洽谈合作。" * 20, "customer_visits": 5, "contracts_signed": 1,
              "problems": "", "next_plan": "", "amended": False, "partners": []}
    rows = [{**template, "branch_id": 10_000 + i, "code": f"X{i:03d}", "branch": f"第{i}分公司", "region": f"第{i // 25}大区",
             "report": report} for i in range(500)]
    regions, total = aggregate(rows)
    rows = [{**r, "target": "1000000.00", "ratio": str(Decimal(i) / 400), "rate": "0"} for i, r in enumerate(rows)]
    regions, total = aggregate(rows)
    big = {**data, "rows": rows, "regions": regions, "total": total, "ranking": ranking(rows),
           "not_filed": [{"branch": r["branch"], "region": r["region"], "state_label": "未报"} for r in rows[::3]]}
    message = mailing.build_summary_message(tenant=org_a.tenant, data=big, recipients=["x@alpha.test"], msg_id="<t@x>")
    html = message.alternatives[0][0]
    assert len(html.encode()) <= mailing.HTML_BUDGET
    assert all(f"<td>第{i}分公司</td>" in html for i in range(500))
    assert "500 份日报的内容见附件 PDF 或系统页面" in html
    assert "…… 其余 480 家见附件 xlsx / PDF" in html and "<li value=\"1\">第499分公司" in html
    assert "<li value=\"500\">第0分公司" in html
    small = mailing.build_summary_message(tenant=org_a.tenant, data=data, recipients=["x@alpha.test"], msg_id="<t@x>")
    assert "见附件 PDF 或系统页面" not in small.alternatives[0][0]


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium at /usr/bin/chromium")
def test_phone_shows_name_rate_and_status_without_scrolling(org_a):
    playwright = pytest.importorskip("playwright.sync_api")
    with org_a.scope():
        Branch.objects.filter(pk=org_a.branches["A3"].pk).update(name=LONG)
    row = _sent(org_a)
    html = mail.outbox[-1].alternatives[0][0]
    with org_a.scope():
        names = [r["branch"] for r in DailySummary.objects.get(pk=row.pk).data["rows"]]
    assert LONG in names
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.set_content(html)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "summary-email-390.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to scroll sideways
        cells = page.evaluate("""() => [...document.querySelectorAll('table.sm-t tr.b')].map(tr =>
            [...tr.cells].map(td => { const r = td.getBoundingClientRect();
                return {text: td.innerText.trim(), left: r.left, right: r.right, width: r.width}; }))""")
        browser.close()
    by_name = {c[0]["text"]: c for c in cells}
    for name in names:
        cols = by_name[name]
        assert all(c["width"] > 0 and c["left"] >= 0 and c["right"] <= 390 for c in cols), (name, cols)
        assert cols[1]["text"] and cols[2]["text"], cols  # 完成率 (or 无目标) and status filled
    assert by_name["甲一分公司"][1]["text"] == "103.7%" and by_name["甲一分公司"][2]["text"] == "按时"
    assert by_name[LONG][1]["text"].startswith("40.0%") and "落后于时间进度" in by_name[LONG][1]["text"]
    assert by_name["甲二分公司"][1]["text"] == "无目标"
