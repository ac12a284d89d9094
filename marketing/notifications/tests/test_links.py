"""Every message carries an absolute link (SITE_URL) that opens its item -- through the
login page when the reader is signed out -- and time-zone-correct schedules."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import TEST_PASSWORD
from customers.tests.conftest import make_customer
from expenses.tests.helpers import flow_of, make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.digest import digest_due
from marketing.tasks import dispatch_approval_digests
from reports import mailing
from reports.tests.helpers import at

pytestmark = pytest.mark.django_db
SITE = "https://desk.example.test"


def links(message) -> list[str]:
    return re.findall(re.escape(SITE) + r"[^\s<>\"]+", message.body)


def assert_opens(path: str, user) -> None:
    """Signed out: the login page, remembering the item. After signing in: the item."""
    anonymous = Client().get(path)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == reverse("login") + "?next=" + quote(path, safe="/")
    client = Client()
    response = client.post(reverse("login") + "?next=" + quote(path, safe="/"),
                           {"username": user.username, "password": TEST_PASSWORD, "next": path})
    assert response.status_code == 302 and response["Location"] == path
    assert client.get(path).status_code == 200


def mails_to(user, marker):
    return [m for m in mail.outbox if m.to == [user.email] and marker in m.subject]


def test_approval_pending_and_rejected_links_open_the_flow(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    (notice,) = mails_to(org_a.users["mspec"], "待审批")
    assert links(notice) == [SITE + flow.url]
    assert_opens(flow.url, org_a.users["mspec"])
    task = pending(org_a, expense, org_a.users["mspec"])[0]
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        approvals.approval_reject(task=task, actor=org_a.users["mspec"], reason="预算不清楚")
    (rejected,) = mails_to(org_a.users["sales"], "已驳回")
    assert links(rejected) == [SITE + flow.url] and "预算不清楚" in rejected.body
    assert_opens(flow.url, org_a.users["sales"])


def test_finished_link_opens_the_flow(org_a, django_capture_on_commit_callbacks):
    from expenses.tests.helpers import approve_through

    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a)
        approve_through(org_a, expense)
    flow = flow_of(org_a, expense)
    (done,) = mails_to(org_a.users["sales"], "已通过")
    assert links(done) == [SITE + flow.url]
    cc = [m for m in mail.outbox if "抄送" in m.subject]
    assert all(links(m) == [SITE + flow.url] for m in cc)


def test_digest_links_open_the_inbox_and_each_item(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    mail.outbox.clear()
    with time_machine.travel(at(2026, 12, 2, 8, 31), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert dispatch_approval_digests() >= 1
    (digest,) = mails_to(org_a.users["mspec"], "审批日报")
    assert links(digest) == [SITE + flow.url, SITE + reverse("approvals:inbox")]
    assert_opens(reverse("approvals:inbox"), org_a.users["mspec"])


def test_reminder_link_opens_the_filing_form_for_that_branch_and_day(org_a, django_capture_on_commit_callbacks):
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        assert mailing.reminders_send(tenant=org_a.tenant, now=at(2026, 11, 23, 9, 30)) == 3
    (reminder,) = mails_to(org_a.users["bgm2"], "日报提醒")
    (url,) = links(reminder)
    path = url.removeprefix(SITE)
    assert path == reverse("reports:file") + f"?branch={org_a.branches['A2'].pk}&day=2026-11-20"
    assert_opens(path, org_a.users["bgm2"])


def test_read_alert_link_opens_the_access_log_for_that_user(org_a, client_as, django_capture_on_commit_callbacks):
    org_a.tenant.customer_read_alert_per_hour = 1
    org_a.tenant.save()
    customers = [make_customer(org_a, name=f"客户{i}") for i in range(2)]
    client = client_as(org_a.users["exec"])
    with django_capture_on_commit_callbacks(execute=True):
        for c in customers:
            client.get(reverse("customers:detail", args=[c.pk]))
    (alert,) = mails_to(org_a.users["gm"], "超量查阅")
    (url,) = links(alert)
    path = url.removeprefix(SITE)
    assert path.startswith(reverse("customers:access_log") + f"?user={org_a.users['exec'].pk}&since=")
    assert_opens(path, org_a.users["gm"])


def test_daily_summary_links_to_its_page(org_a):
    with org_a.scope():
        row = mailing.summary_send(tenant=org_a.tenant, business_day=dt.date(2026, 11, 20), now=at(2026, 11, 23, 10))
    (message,) = mail.outbox
    path = reverse("reports:summary_detail", args=[row.pk])
    assert f"{SITE}{path}" in message.body
    assert f'href="{SITE}{path}"' in message.alternatives[0][0]
    assert_opens(path, org_a.users["gm"])


# --- time-zone-correct schedules --------------------------------------------------------------


def test_digest_runs_at_0830_on_the_tenants_clock(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a)
    shanghai_0830 = dt.datetime(2026, 12, 2, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    assert not digest_due(tenant=org_a.tenant, now=shanghai_0830 - dt.timedelta(minutes=1))
    assert digest_due(tenant=org_a.tenant, now=shanghai_0830)
    assert not digest_due(tenant=org_a.tenant, now=shanghai_0830 + dt.timedelta(hours=1))
    with time_machine.travel(shanghai_0830 - dt.timedelta(minutes=1), tick=False):
        assert dispatch_approval_digests() == 0
    with time_machine.travel(shanghai_0830 + dt.timedelta(minutes=1), tick=False):
        first = dispatch_approval_digests()
        assert first >= 1
        assert dispatch_approval_digests() == 0  # claimed: once a day
    # The same tenant in New York: 08:30 there is 13:30 UTC, the Shanghai slot does nothing.
    org_a.tenant.time_zone = "America/New_York"
    org_a.tenant.save(update_fields=["time_zone"])
    next_day = shanghai_0830 + dt.timedelta(days=1)
    with time_machine.travel(next_day + dt.timedelta(minutes=1), tick=False):
        assert dispatch_approval_digests() == 0
    with time_machine.travel(dt.datetime(2026, 12, 3, 13, 31, tzinfo=dt.UTC), tick=False):
        assert dispatch_approval_digests() == first


def test_digest_time_is_the_tenants_setting(org_a, client_as):
    """The 08:30 digest is a tenant setting (issue #16): 07:45 Shanghai time, set on the
    company settings page, moves the window; the default stays 08:30."""
    assert org_a.tenant.approval_digest_time == dt.time(8, 30)
    org_a.tenant.approval_digest_time = dt.time(7, 45)
    org_a.tenant.save(update_fields=["approval_digest_time"])
    at_0745 = dt.datetime(2026, 12, 2, 23, 45, tzinfo=dt.UTC)  # 07:45 on Dec 3 in Shanghai
    assert digest_due(tenant=org_a.tenant, now=at_0745)
    assert not digest_due(tenant=org_a.tenant, now=at_0745 - dt.timedelta(minutes=1))
    assert not digest_due(tenant=org_a.tenant, now=at_0745 + dt.timedelta(hours=1))
    assert not digest_due(tenant=org_a.tenant, now=dt.datetime(2026, 12, 3, 0, 50, tzinfo=dt.UTC))  # 08:50: past the window
