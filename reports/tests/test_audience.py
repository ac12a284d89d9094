"""What a branch GM's summary e-mail shows (issue 8, seed rule S000-21): by default (the seed:
one summary to 分总及以上) everyone gets the whole summary; with the tenant setting off, each
branch-scoped recipient gets only what they may see in the app."""

import datetime as dt
import io
from decimal import Decimal

from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from marketing import services as org_services
from reports import imports, mailing, services
from reports.models import ImportKind, SummaryStatus

from .helpers import at, file_report

D = dt.date(2026, 11, 20)


def _prepare(org):
    imports.apply_rows(tenant=org.tenant, kind=ImportKind.COLLECTIONS, rows=[
        {"branch_id": org.branches[c].pk, "day": D, "amount": Decimal(a)} for c, a in (("A1", "100"), ("A2", "200"))])
    services.target_set(tenant=org.tenant, branch=org.branches["A2"], month=D, amount=Decimal("1000"), actor=None)
    file_report(org, "A2", D, now=at(2026, 11, 23, 9), user="bgm2", narrative="甲二机密动态")


def _send(org):
    with org.scope():
        return mailing.summary_send(tenant=org.tenant, business_day=D, now=at(2026, 11, 23, 10))


def test_default_one_summary_to_branch_gm_and_above(org_a):
    with org_a.scope():
        _prepare(org_a)
    assert _send(org_a).status == SummaryStatus.SENT
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert {"bgm@alpha.test", "bgm2@alpha.test", "gm@alpha.test"} <= set(msg.to)
    assert "甲二机密动态" in msg.body and "公司合计" in msg.body


def test_setting_off_each_branch_gm_gets_only_their_branches(org_a):
    with org_a.scope():
        _prepare(org_a)
        org_services.tenant_settings_update(tenant=org_a.tenant, actor=org_a.users["admin"],
                                            data={"summary_all_branches_to_branch_gm": False})
    row = _send(org_a)
    assert row.status == SummaryStatus.SENT
    by_to = {tuple(m.to): m for m in mail.outbox}
    assert len(mail.outbox) == 3
    full = next(m for m in mail.outbox if "gm@alpha.test" in m.to)
    assert "bgm@alpha.test" not in full.to and "bgm2@alpha.test" not in full.to
    assert full.extra_headers["Message-ID"] == row.message_id == "<daily-summary.alpha.20261120.1@alpha.test>"
    assert "甲二机密动态" in full.body and "公司合计" in full.body
    a1 = by_to[("bgm@alpha.test",)]
    assert "甲一分公司" in a1.body and "甲二分公司" not in a1.body and "甲二机密动态" not in a1.body
    assert "公司合计" not in a1.body and "仅显示您负责的分公司" in a1.alternatives[0][0]
    xlsx = {a[0]: a[1] for a in a1.attachments}["daily-summary-2026-11-20.xlsx"]
    wb = load_workbook(io.BytesIO(xlsx))
    assert [c.value for c in wb["汇总"]["B"]][2:] == ["甲一分公司"]  # title row, header and "合计" not in wb.sheetnames
    a2 = by_to[("bgm2@alpha.test",)]
    assert "甲二机密动态" in a2.body and "甲一分公司" not in a2.body
    ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(ids) == 3 and all(i.startswith("<daily-summary.alpha.20261120.1") for i in ids)
    assert sorted(row.recipients) == sorted(a for m in mail.outbox for a in m.to)


def test_tenant_settings_form_shows_the_setting(org_a, client_as):
    page = client_as(org_a.users["admin"]).get(reverse("marketing:settings")).content.decode()
    assert "summary_all_branches_to_branch_gm" in page and "分总接收全部分公司的汇总" in page
