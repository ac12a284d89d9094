"""Reminders before the deadline and the digest after it, each exactly once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from marketing.models import Membership
from reports.submissions import mailing, services
from reports.submissions.models import DigestStatus, SubmissionDigest, SubmissionRule
from reports.submissions.tasks import dispatch_submissions

SH = ZoneInfo("Asia/Shanghai")


def rule(org, code):
    return SubmissionRule.objects.get(tenant=org.tenant, code=code)


@pytest.mark.django_db
def test_reminders_go_to_those_who_have_not_submitted_once(org_a, django_capture_on_commit_callbacks):
    # reminders go through the outbox (marketing/notifications): sent after commit
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        r = rule(org_a, "weekly_plan")
        services.submission_save(membership=Membership.objects.get(user=org_a.users["sales"]), rule=r,
                                 period=dt.date(2026, 10, 9), branch=None, data={"key_work": "x", "visits": []},
                                 submit=True, now=dt.datetime(2026, 10, 9, 9, 0, tzinfo=SH))
        now = dt.datetime(2026, 10, 9, 10, 30, tzinfo=SH)
        assert mailing.reminders_send(rule=r, period=dt.date(2026, 10, 9), now=now) == 2  # sales2, allroles
        assert mailing.reminders_send(rule=r, period=dt.date(2026, 10, 9), now=now) == 0
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == sorted([org_a.users["sales2"].email, org_a.users["allroles"].email])
    assert "/plans/rules/" in mail.outbox[0].body and "period=2026-10-09" in mail.outbox[0].body


@pytest.mark.django_db
def test_digest_is_sent_once_with_xlsx_to_the_rule_recipients(org_a):
    """S003-24: the director's compilation; here the weekly plan digest to the director."""
    with org_a.scope():
        r = rule(org_a, "weekly_plan")
        now = dt.datetime(2026, 10, 9, 12, 40, tzinfo=SH)
        row = mailing.digest_send(rule=r, period=dt.date(2026, 10, 9), now=now)
        assert row.status == DigestStatus.SENT
        assert mailing.digest_send(rule=r, period=dt.date(2026, 10, 9), now=now) is None
        assert SubmissionDigest.objects.filter(rule=r).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([org_a.users["mdirector"].email, org_a.users["allroles"].email])
    assert message.attachments[0][0] == "weekly_plan-20261009.xlsx"
    assert "周工作计划表" in message.subject


@pytest.mark.django_db
def test_dispatcher_queues_reminders_in_the_window_and_digest_after_the_delay(org_a, settings,
                                                                            django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with org_a.scope():
        rule(org_a, "weekly_plan")
    # 10:30 Friday: inside the 120-minute reminder window of the 12:00 deadline.
    with django_capture_on_commit_callbacks(execute=True):
        result = dispatch_submissions(dt.datetime(2026, 10, 9, 10, 30, tzinfo=SH).isoformat())
    assert result["reminders"] >= 1
    reminded = len(mail.outbox)
    assert reminded >= 3  # every salesperson of tenant A that has an e-mail
    # 12:31: the digest (delay 30 minutes) is due; a second run queues nothing new.
    first = dispatch_submissions(dt.datetime(2026, 10, 9, 12, 31, tzinfo=SH).isoformat())
    second = dispatch_submissions(dt.datetime(2026, 10, 9, 12, 32, tzinfo=SH).isoformat())
    assert first["digests"] >= 1 and second["digests"] == 0
    with org_a.scope():
        assert SubmissionDigest.objects.filter(rule__code="weekly_plan", period=dt.date(2026, 10, 9)).count() == 1


@pytest.mark.django_db
def test_digest_of_a_rule_with_a_slash_in_its_name(org_a):
    """客户拜访/跟踪状况表: Excel refuses '/' in a sheet title; the digest must still go out."""
    with org_a.scope():
        r = rule(org_a, "visit_sheet")
        row = mailing.digest_send(rule=r, period=dt.date(2026, 10, 9), now=dt.datetime(2026, 10, 9, 23, 30, tzinfo=SH))
        assert row.status == DigestStatus.SENT, row.error
    import io

    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(mail.outbox[0].attachments[0][1])).sheetnames == ["客户拜访-跟踪状况表"]
