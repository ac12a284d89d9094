"""A resend says what it is (issue 8, seed rule S000-21): when figures changed since the first
send, the e-mail is 更正版 and lists each change; otherwise it says it is a plain resend."""

import datetime as dt
import io
from decimal import Decimal

import pypdf
import time_machine
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from reports import corrections, imports, mailing, services
from reports.models import DailySummary, ImportKind, SummaryStatus

from .helpers import at

D = dt.date(2026, 11, 20)


def _collect(org, code, amount):
    imports.apply_rows(tenant=org.tenant, kind=ImportKind.COLLECTIONS,
                       rows=[{"branch_id": org.branches[code].pk, "day": D, "amount": Decimal(amount)}])


def _send(org, *, force=False, now=None):
    now = now or at(2026, 11, 23, 10)
    with org.scope(), time_machine.travel(now, tick=False):
        return mailing.summary_send(tenant=org.tenant, business_day=D, force=force, now=now)


def test_resend_after_a_target_change_is_marked_and_lists_changes(org_a, client_as):
    with org_a.scope():
        _collect(org_a, "A1", "1037.00")
        services.target_set(tenant=org_a.tenant, branch=org_a.branches["A1"], month=D, amount=Decimal("1000"), actor=None)
    first = _send(org_a)
    assert first.status == SummaryStatus.SENT
    with org_a.scope():
        first.refresh_from_db()
        assert first.first_figures["rows"]["A1"]["rate"] == "1.0370"
        assert first.first_sent_at is not None
    assert "更正版" not in mail.outbox[0].subject and "更正版" not in mail.outbox[0].body
    with org_a.scope():  # the target is corrected, A2 gets collections
        services.target_set(tenant=org_a.tenant, branch=org_a.branches["A1"], month=D, amount=Decimal("2000"), actor=None)
        _collect(org_a, "A2", "50.00")
    row = _send(org_a, force=True, now=at(2026, 11, 23, 11))
    assert row.status == SummaryStatus.SENT and row.generation == 2
    msg = mail.outbox[-1]
    assert msg.subject.startswith("【更正版】")
    assert msg.extra_headers["Message-ID"].endswith(".2@alpha.test>")
    html = msg.alternatives[0][0]
    for body in (msg.body, html):
        assert "更正版" in body and "2026-11-23 10:00" in body  # when the replaced version went out
    assert "- 甲一分公司 月度目标: 1,000.00 -> 2,000.00" in msg.body
    assert "- 甲一分公司 完成率: 103.7% -> 51.9%" in msg.body
    assert "- 甲二分公司 本月累计回款: 0.00 -> 50.00" in msg.body
    assert "- 公司合计 本月累计回款: 1,037.00 -> 1,087.00" in msg.body
    xlsx = {a[0]: a[1] for a in msg.attachments}["daily-summary-2026-11-20.xlsx"]
    sheet = list(load_workbook(io.BytesIO(xlsx))["更正内容"].iter_rows(values_only=True))
    assert ("甲一分公司", "月度目标", "1,000.00", "2,000.00") in sheet
    pdf = {a[0]: a[1] for a in msg.attachments}["daily-summary-2026-11-20.pdf"]
    pdf_text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "更正版" in pdf_text and "1,000.00 → 2,000.00" in pdf_text
    with org_a.scope():
        row.refresh_from_db()
        # the first send stays the reference: a third send compares with it, not with the 2nd
        assert row.first_figures["rows"]["A1"]["target"] == "1000.00"
    page = client_as(org_a.users["mspec"]).get(reverse("reports:summary_detail", args=[row.pk])).content.decode()
    assert "更正版" in page and "51.9%" in page
    # with the tenant's "branch GMs get all branches" off, a branch GM's view lists only the
    # changes of their own branch
    type(org_a.tenant).objects.filter(pk=org_a.tenant.pk).update(summary_all_branches_to_branch_gm=False)
    bgm = client_as(org_a.users["bgm2"]).get(reverse("reports:summary_detail", args=[row.pk])).content.decode()
    assert "甲二分公司" in bgm and "甲一分公司" not in bgm


def test_resend_without_changes_says_it_is_a_resend(org_a):
    with org_a.scope():
        _collect(org_a, "A1", "10.00")
    _send(org_a)
    row = _send(org_a, force=True, now=at(2026, 11, 23, 11))
    msg = mail.outbox[-1]
    assert row.generation == 2 and msg.subject.startswith("【重发】")
    assert "更正版" not in msg.body and "重发：数字与 2026-11-23 10:00 首次发送的版本相同" in msg.body


def test_failed_first_generation_is_not_a_reference(org_a, monkeypatch):
    """A summary that never went out cannot be "corrected": the first successful send is."""
    with org_a.scope():
        DailySummary.objects.create(tenant=org_a.tenant, business_day=D, status=SummaryStatus.FAILED,
                                    claimed_at=at(2026, 11, 23, 10), attempts=5)
    row = _send(org_a, force=True)
    assert row.status == SummaryStatus.SENT and row.generation == 2
    assert not mail.outbox[-1].subject.startswith(("【更正版】", "【重发】"))
    with org_a.scope():
        row.refresh_from_db()
    assert row.first_figures["rows"]["A1"]["mtd"] == "0.00"


def test_changes_lists_added_and_removed_branches_and_report_edits():
    base = {"rows": [{"code": "X", "branch": "X", "region": "R", "headcount": 1, "day_amount": "1.00", "mtd": "1.00",
                      "target": None, "rate": None, "state_label": "按时", "report": {"narrative": "a"}}],
            "rate_rule": 2, "regions": [], "total": None}
    later = {**base, "rows": [{**base["rows"][0], "report": {"narrative": "b"}},
                              {**base["rows"][0], "code": "Y", "branch": "Y"}]}
    diff = corrections.changes(corrections.figures(base), corrections.figures(later))
    assert {"what": "X", "field": "日报内容", "old": "首次发送版本", "new": "已修订"} in diff
    assert {"what": "Y", "field": "分公司", "old": "—", "new": "新增"} in diff
    assert corrections.changes(corrections.figures(later), corrections.figures(base))[-1] == {
        "what": "Y", "field": "分公司", "old": "在列", "new": "不再列出"}
