"""Issue 9: an SMTP server that answers the final dot after the client timeout must not
cause a duplicate. The answer to the end of the message is awaited longer, and when it is
lost the send is "unconfirmed" -- recorded, shown, never retried automatically. Failures
before the message is handed over stay temporary (safe to retry)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from marketing.notifications import delivery
from marketing.notifications.models import Status
from marketing.notifications.services import notify
from reports import mailing
from reports.models import DailySummary, SummaryStatus
from reports.tests.helpers import at

from .fake_smtp import FakeSMTP

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    def use(server):
        settings.EMAIL_BACKEND = "marketing.notifications.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
        settings.EMAIL_TIMEOUT, settings.EMAIL_SEND_DEADLINE, settings.EMAIL_DATA_TIMEOUT = 0.5, 2, 0.5
    return use


def test_timeouts_are_inside_the_leases_and_the_task_limit():
    """The whole send fits in the leases, so no dispatcher takes over a send still waiting."""
    worst = delivery.max_email_seconds()
    assert worst == django_settings.EMAIL_SEND_DEADLINE + django_settings.EMAIL_DATA_TIMEOUT
    assert django_settings.EMAIL_DATA_TIMEOUT > django_settings.EMAIL_TIMEOUT  # the end of data waits longest
    assert worst < delivery.LEASE.total_seconds()
    assert worst < mailing.LEASE.total_seconds()
    assert worst < django_settings.CELERY_TASK_TIME_LIMIT


def _queue(org):
    with org.scope():
        (row,) = notify(tenant=org.tenant, kind="test", users=[org.users["gm"]], subject="s", lines=["x"])
    return row


def test_a_prompt_server_delivers(org_a, smtp):
    with FakeSMTP("ok") as server:
        smtp(server)
        row = _queue(org_a)
        with org_a.scope():
            assert delivery.deliver(message_id=row.pk) == Status.SENT
    assert len(server.received) == 1 and b"Message-ID: <outbox.alpha." in server.received[0]


def test_late_answer_to_the_final_dot_is_unconfirmed_and_not_retried(org_a, smtp):
    with FakeSMTP("late_dot", delay=1.5) as server:
        smtp(server)
        row = _queue(org_a)
        with org_a.scope():
            assert delivery.deliver(message_id=row.pk) == Status.UNCONFIRMED
            row.refresh_from_db()
            assert "may have been delivered" in row.last_error
            # the dispatcher never picks it up again: one copy reached the server, no second
            assert row.pk not in delivery.due_ids(tenant=org_a.tenant, now=timezone.now() + dt.timedelta(days=1))
    assert len(server.received) == 1


def test_stall_before_the_message_is_handed_over_is_temporary(org_a, smtp):
    with FakeSMTP("stall_rcpt", delay=1.5) as server:
        smtp(server)
        row = _queue(org_a)
        with org_a.scope():
            assert delivery.deliver(message_id=row.pk) == Status.PENDING
            row.refresh_from_db()
            assert row.next_attempt_at is not None
    assert server.received == []


def test_summary_whose_final_dot_is_answered_late_is_not_sent_twice(org_a, smtp, settings):
    """The daily summary: exactly once. A late answer leaves it FAILED with the explanation
    (visible, resend is a person's decision), and the dispatcher does not send it again."""
    with FakeSMTP("late_dot", delay=1.5) as server:
        smtp(server)
        now = at(2026, 11, 23, 10, 0)
        with org_a.scope():
            row = mailing.summary_send(tenant=org_a.tenant, business_day=dt.date(2026, 11, 20), now=now)
            assert row.status == SummaryStatus.FAILED and "结果未确认" in row.last_error
            assert mailing.due_summaries(tenant=org_a.tenant, now=now + dt.timedelta(hours=2)) == []
            assert mailing.summary_send(tenant=org_a.tenant, business_day=dt.date(2026, 11, 20),
                                        now=now + dt.timedelta(hours=2)) is None
            assert DailySummary.objects.get(pk=row.pk).generation == 1
    assert len(server.received) == 1
    assert mail.outbox == []
