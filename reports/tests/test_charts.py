"""Charts in the summary e-mail (issue #20): two inline PNG images in a multipart/related part
with the HTML, referenced by cid:, with alt text and the table below (a client that blocks
images still shows the numbers); drawn at 2x for 600 CSS px in the embedded CJK font; the PDF
carries the same images; a chart that fails is left out with a note, never sent blank."""

import email
import io
import os
import re
from email import policy
from pathlib import Path
from unittest import mock

import pypdf
import pytest
from django.core import mail

from marketing.exports import CJK_TTF_PATH
from reports import charts, mailing
from reports.summary import compile_summary

from .helpers import at
from .test_rates import D, _setup  # 甲一区 103.7 %, 甲二区 40.0 % (behind), 时间进度 71.4 %

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots"))
needs_font = pytest.mark.skipif(not CJK_TTF_PATH, reason="needs the CJK TrueType font")


def _data(org):
    with org.scope():
        _setup(org)
        return compile_summary(tenant=org.tenant, business_day=D, now=at(2026, 11, 23, 10))


def _mime(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def test_trend_figures(org_a):
    trend = _data(org_a)["trend"]
    assert len(trend["days"]) == 21 and trend["days"][0] == "2026-11-02" and trend["target"] == "150000.00"
    # A1 100,000 on 11-02, A3 20,000 on 11-03, A1 3,700 on 11-20 (A2 has no target: not counted)
    assert trend["collected"][:2] == ["100000.00", "120000.00"] and trend["collected"][-1] == "123700.00"
    assert len(trend["collected"]) == 15  # 11-20 is the 15th working day
    assert trend["pace"][14] == "107142.86" and trend["pace"][-1] == "150000.00"  # 150,000 x 15/21


@needs_font
def test_mime_structure_cid_alt_text_and_table(org_a):
    data = _data(org_a)
    message = mailing.build_summary_message(tenant=org_a.tenant, data=data, recipients=["x@alpha.test"], msg_id="<t@x>")
    root = _mime(message)
    assert root.get_content_type() == "multipart/mixed"
    alternative = root.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html" and len(images) == 2
    html = html_part.get_content()
    cids = []
    for image in images:
        assert image.get_content_type() == "image/png" and image.get_content_disposition() == "inline"
        cid = image["Content-ID"].strip("<>")
        cids.append(cid)
        png = image.get_content()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png[16:20], "big")
        assert width == 1200  # 600 CSS px at 2x
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{cid}.png").write_bytes(png)
    assert cids == ["summary-regions", "summary-trend"]
    tags = re.findall(r"<img [^>]*>", html)
    assert [re.search(r'src="([^"]+)"', t).group(1) for t in tags] == ["cid:summary-regions", "cid:summary-trend"]
    alts = [re.search(r'alt="([^"]+)"', t).group(1) for t in tags]
    assert alts[0] == "各地区完成率与时间进度：时间进度 71.4%；甲一区 103.7%，甲二区 40.0%（落后）"
    assert alts[1] == ("本月累计回款与目标进度：截至 2026-11-20 累计 123,700.00 元，按时间进度应达 107,142.86 元"
                       "（月度目标 150,000.00 元）")
    assert all('width="600"' in t for t in tags)
    # the table follows the images: the numbers are there when images are blocked
    assert html.index("cid:summary-trend") < html.index('<table class="sm-t">') < html.index("<td>甲一分公司</td>")
    # nor are the charts listed as attachments
    assert [a[0] for a in message.attachments] == ["daily-summary-2026-11-20.xlsx", "daily-summary-2026-11-20.pdf"]
    assert len(html.encode()) < mailing.HTML_BUDGET


@needs_font
def test_pdf_carries_the_same_charts(org_a):
    data = _data(org_a)
    drawn = charts.summary_charts(data)
    message = mailing.build_summary_message(tenant=org_a.tenant, data=data, recipients=["x@alpha.test"], msg_id="<t@x>")
    pdf = pypdf.PdfReader(io.BytesIO({a[0]: a[1] for a in message.attachments}["daily-summary-2026-11-20.pdf"]))
    images = list(pdf.pages[0].images)
    assert len(images) == 2
    assert sorted((i.image.width, i.image.height) for i in images) == sorted((c.width, c.height) for c in drawn)


def test_a_failing_chart_is_left_out_with_a_note(org_a):
    data = _data(org_a)
    with mock.patch.object(charts, "trend_chart", side_effect=RuntimeError("boom")):
        message = mailing.build_summary_message(tenant=org_a.tenant, data=data, recipients=["x@alpha.test"],
                                                msg_id="<t@x>")
    html = message.alternatives[0][0]
    assert "cid:summary-trend" not in html and "图表「本月累计回款与目标进度」未能生成，数字见下表。" in html
    parts = [p for p in _mime(message).walk() if p.get_content_type() == "image/png"]
    assert [p["Content-ID"] for p in parts] == (["<summary-regions>"] if CJK_TTF_PATH else [])


def test_no_font_no_charts_but_a_note(org_a):
    data = _data(org_a)
    with mock.patch.object(charts, "_font", return_value=None):
        message = mailing.build_summary_message(tenant=org_a.tenant, data=data, recipients=["x@alpha.test"],
                                                msg_id="<t@x>")
    html = message.alternatives[0][0]
    assert "<img" not in html and html.count("未生成：服务器缺少中文字体") == 2
    assert not [p for p in _mime(message).walk() if p.get_content_type() == "multipart/related"]


def test_restricted_view_has_no_company_charts(org_a):
    from reports.summary import restrict

    data = restrict(_data(org_a), {org_a.branches["A1"].pk})
    assert data["trend"] is None and charts.summary_charts(data) == []


def test_summary_send_attaches_charts(org_a):
    with org_a.scope():
        _setup(org_a)
        mailing.summary_send(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 23, 10))
    html = mail.outbox[-1].alternatives[0][0]
    assert ("cid:summary-regions" in html) == bool(CJK_TTF_PATH)
