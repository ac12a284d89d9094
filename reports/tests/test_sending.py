import datetime as dt
import io
import re
import smtplib
import threading
from unittest import mock

import pypdf
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from openpyxl import load_workbook

from marketing.models import Tenant
from marketing.tenancy import tenant_scope
from reports import mailing, services, tasks
from reports.models import DailySummary, ReminderLog, SummaryStatus

from .helpers import at, file_report

D = dt.date(2026, 11, 20)  # Friday -> sent Monday 23rd 10:00


def _send(org, **kw):
    with org.scope():
        return mailing.summary_send(tenant=org.tenant, business_day=D, now=kw.pop("now", at(2026, 11, 23, 10)), **kw)


def test_summary_email_parts_and_attachments(org_a):
    with org_a.scope():
        file_report(org_a, "A1", D, now=at(2026, 11, 23, 9))
    row = _send(org_a)
    assert row.status == SummaryStatus.SENT
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.from_email == "marketing@alpha.test"
    # branch GM and above, not sales/finance
    assert "bgm@alpha.test" in msg.to and "gm@alpha.test" in msg.to and "sales@alpha.test" not in msg.to
    assert msg.extra_headers["Message-ID"] == "<daily-summary.alpha.20261120.1@alpha.test>"
    assert "甲一分公司" in msg.body and "未报分公司" in msg.body
    html, mime = msg.alternatives[0]
    assert mime == "text/html" and "<link" not in html and "style=" in html
    assert all(src.startswith("cid:") for src in re.findall(r'<img[^>]* src="([^"]*)"', html))  # inline only, nothing remote
    names = {a[0]: a for a in msg.attachments}
    wb = load_workbook(io.BytesIO(names["daily-summary-2026-11-20.xlsx"][1]))
    assert wb.worksheets[0].title == "汇总" and wb.worksheets[0].max_row == 5
    assert len(pypdf.PdfReader(io.BytesIO(names["daily-summary-2026-11-20.pdf"][1])).pages) >= 1


def test_sent_once_even_when_task_delivered_twice(org_a):
    assert _send(org_a).status == SummaryStatus.SENT
    assert _send(org_a) is None
    tasks.send_summary(org_a.tenant.pk, D.isoformat())
    assert len(mail.outbox) == 1


def test_dispatcher_acts_at_local_send_time_and_only_once(org_a, org_b):
    with time_machine.travel(at(2026, 11, 23, 9, 59), tick=False):
        assert tasks.dispatch_summaries() == 0
    with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):
        assert tasks.dispatch_summaries() == 2  # one per tenant
        assert tasks.dispatch_summaries() == 0  # second beat: the rows exist
    with time_machine.travel(at(2026, 11, 22, 10, 0), tick=False):  # Sunday
        assert tasks.dispatch_summaries() == 0
    with org_a.scope():
        assert list(DailySummary.objects.values_list("business_day", "status")) == [(D, SummaryStatus.SENT)]
    assert sorted(m.from_email for m in mail.outbox) == ["marketing@alpha.test", "marketing@beta.test"]


def test_dispatcher_uses_each_tenants_time_zone(org_a, org_b):
    Tenant.objects.filter(pk=org_a.tenant.pk).update(time_zone="Asia/Tokyo")  # one hour ahead
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        assert tasks.dispatch_summaries() == 1
    assert [m.from_email for m in mail.outbox] == ["marketing@alpha.test"]


def test_smtp_failure_retries_with_backoff_then_fails_visibly(org_a):
    with mock.patch("django.core.mail.message.EmailMessage.send", side_effect=smtplib.SMTPServerDisconnected("down")):
        row = _send(org_a)
        assert row.status == SummaryStatus.RETRYING and row.next_attempt_at == at(2026, 11, 23, 10, 1)
        assert _send(org_a, now=at(2026, 11, 23, 10, 0, 30)) is None  # not yet due
        now = at(2026, 11, 23, 10, 1)
        for _attempt in range(mailing.MAX_ATTEMPTS - 1):
            row = _send(org_a, now=now)
            now = row.next_attempt_at or now
    assert row.status == SummaryStatus.FAILED and row.attempts == mailing.MAX_ATTEMPTS and "down" in row.last_error
    assert _send(org_a, now=now + dt.timedelta(hours=1)) is None  # failed stays failed until resend
    with org_a.scope():
        mailing.summary_request_resend(summary=row, actor=org_a.users["mspec"])
        with pytest.raises(ValidationError, match="正在发送中"):  # a second click finds it queued
            mailing.summary_request_resend(summary=row, actor=org_a.users["mspec"])
    assert _send(org_a, now=now + dt.timedelta(hours=2)).status == SummaryStatus.SENT
    assert mail.outbox[-1].extra_headers["Message-ID"].endswith(".2@alpha.test>")


def test_stale_claim_from_killed_worker_is_taken_over_with_same_message_id(org_a):
    with org_a.scope():
        DailySummary.objects.create(tenant=org_a.tenant, business_day=D, status=SummaryStatus.SENDING,
                                    claimed_at=at(2026, 11, 23, 10), attempts=1)
    assert _send(org_a, now=at(2026, 11, 23, 10, 5)) is None  # the worker may still be alive
    row = _send(org_a, now=at(2026, 11, 23, 10, 20))
    assert row.status == SummaryStatus.SENT and row.generation == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == "<daily-summary.alpha.20261120.1@alpha.test>"


def test_send_command(org_a, capsys):
    call_command("send_daily_summary", "--tenant", "alpha", "--day", "2026-11-20")
    assert "sent summary for 2026-11-20" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already exists"):
        call_command("send_daily_summary", "--tenant", "alpha", "--day", "2026-11-20")
    call_command("send_daily_summary", "--tenant", "alpha", "--day", "2026-11-20", "--force")
    assert len(mail.outbox) == 2
    with pytest.raises(CommandError, match="not a working day"):
        call_command("send_daily_summary", "--tenant", "alpha", "--day", "2026-11-21")


def test_recipients_adjustable(org_a):
    with org_a.scope():
        services.recipient_set(tenant=org_a.tenant, user=org_a.users["bgm2"], include=False, actor=org_a.users["admin"])
        services.recipient_set(tenant=org_a.tenant, user=org_a.users["mspec"], include=True, actor=org_a.users["admin"])
    _send(org_a)
    assert "bgm2@alpha.test" not in mail.outbox[0].to and "mspec@alpha.test" in mail.outbox[0].to


def test_reminders_once_per_branch_between_reminder_time_and_deadline(org_a, org_b, django_capture_on_commit_callbacks):
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        file_report(org_a, "A1", D, now=at(2026, 11, 23, 8))
        assert mailing.reminders_send(tenant=org_a.tenant, now=at(2026, 11, 23, 9, 29)) == 0
        assert mailing.reminders_send(tenant=org_a.tenant, now=at(2026, 11, 23, 9, 30)) == 2
        assert mailing.reminders_send(tenant=org_a.tenant, now=at(2026, 11, 23, 9, 31)) == 0
        assert mailing.reminders_send(tenant=org_a.tenant, now=at(2026, 11, 24, 10, 0)) == 0  # past deadline
        assert ReminderLog.objects.count() == 2
    # one outbox row (one e-mail) per branch and filer
    assert sorted(m.to for m in mail.outbox) == [["allroles@alpha.test"], ["allroles@alpha.test"], ["bgm2@alpha.test"]]
    assert all("日报尚未提交" in m.subject for m in mail.outbox)
    with time_machine.travel(at(2026, 11, 23, 9, 45), tick=False):
        assert tasks.dispatch_reminders() == 2  # both tenants are in their reminder window


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exactly_once_with_concurrent_workers_on_postgres(require_postgres, org_a):
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            tenant = Tenant.objects.get(pk=org_a.tenant.pk)
            with tenant_scope(tenant):
                results.append(mailing.summary_send(tenant=tenant, business_day=D, now=at(2026, 11, 23, 10)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mail.outbox) == 1
    assert sum(1 for r in results if r is not None) == 1


def test_no_summary_on_holidays_and_make_up_days_follow_the_calendar(org_a, org_b):
    with time_machine.travel(at(2026, 10, 1, 10, 0), tick=False):  # National Day
        assert tasks.dispatch_summaries() == 0
    with time_machine.travel(at(2026, 10, 8, 10, 0), tick=False):  # first working day after the week
        tasks.dispatch_summaries()
    with time_machine.travel(at(2026, 10, 10, 10, 0), tick=False):  # make-up Saturday
        tasks.dispatch_summaries()
    with time_machine.travel(at(2026, 10, 12, 10, 0), tick=False):  # Monday covers the Saturday
        tasks.dispatch_summaries()
    with org_a.scope():
        days = sorted(DailySummary.objects.values_list("business_day", flat=True))
    assert days == [dt.date(2026, 9, 30), dt.date(2026, 10, 9), dt.date(2026, 10, 10)]


def test_unexpected_error_is_recorded_as_failed_not_left_sending(org_a):
    with mock.patch("reports.mailing.summary_xlsx", side_effect=RuntimeError("bug")):
        row = _send(org_a)
    assert row.status == SummaryStatus.FAILED and "RuntimeError: bug" in row.last_error
    assert len(mail.outbox) == 0


def test_worker_dying_every_time_ends_failed(org_a):
    with org_a.scope():
        DailySummary.objects.create(tenant=org_a.tenant, business_day=D, status=SummaryStatus.SENDING,
                                    claimed_at=at(2026, 11, 23, 10), attempts=mailing.MAX_ATTEMPTS)
    assert _send(org_a, now=at(2026, 11, 23, 11)) is None
    with org_a.scope():
        assert DailySummary.objects.get().status == SummaryStatus.FAILED
