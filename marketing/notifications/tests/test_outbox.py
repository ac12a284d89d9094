"""The outbox: transactional write, retries with backoff, permanent failures, the failure
page and its audited resend, and no crashing request when the mail server is down."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from expenses.tests.helpers import flow_of, make_expense, pending
from marketing.models import AuditEvent
from marketing.notifications import delivery
from marketing.notifications.models import Channel, Message, Status
from marketing.notifications.services import message_resend, notify
from marketing.notifications.tasks import dispatch_outbox

from .helpers import SCRIPT, SCRIPTED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def scripted(settings):
    settings.EMAIL_BACKEND = SCRIPTED
    SCRIPT.clear()
    yield
    SCRIPT.clear()


def _queue(org, user_key="gm", **kw):
    with org.scope():
        return notify(tenant=org.tenant, kind="test", users=[org.users[user_key]], subject="测试", lines=["正文"],
                      link="/approvals/", **kw)


def test_rolled_back_change_leaves_no_message(org_a, django_capture_on_commit_callbacks):
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(tenant=org_a.tenant, kind="test", users=[org_a.users["gm"]], subject="s", lines=["x"])
            assert Message.objects.count() == 1
            raise RuntimeError("the change failed")
        assert Message.objects.count() == 0
    assert callbacks == [] and mail.outbox == []


def test_a_real_service_writes_its_notice_in_its_own_transaction(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a)
    with org_a.scope():
        rows = list(Message.objects.filter(kind="approval_pending"))
    assert rows and all(r.status == Status.SENT for r in rows)
    assert {r.to_address for r in rows} == {m.to[0] for m in mail.outbox}
    flow = flow_of(org_a, expense)
    assert all(f"https://desk.example.test/approvals/{flow.pk}/" in r.body for r in rows) or all(
        r.link.endswith(flow.url) for r in rows)


def test_temporary_failure_retries_with_exponential_backoff(org_a, django_capture_on_commit_callbacks):
    SCRIPT.extend([smtplib.SMTPResponseException(451, b"try later"), ConnectionRefusedError(111, "refused")])
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = _queue(org_a)
    with org_a.scope():
        row.refresh_from_db()
        assert row.status == Status.PENDING and row.attempts == 1 and "451" in row.last_error
        first_due = row.next_attempt_at
        assert first_due - row.claimed_at == dt.timedelta(minutes=1)
        # not due yet: nothing happens
        assert delivery.deliver(message_id=row.pk, now=first_due - dt.timedelta(seconds=1)) == "skipped"
        assert delivery.deliver(message_id=row.pk, now=first_due) == Status.PENDING  # connection refused
        row.refresh_from_db()
        assert row.attempts == 2 and row.next_attempt_at == first_due + dt.timedelta(minutes=2)
        assert delivery.deliver(message_id=row.pk, now=row.next_attempt_at) == Status.SENT
        row.refresh_from_db()
        assert row.status == Status.SENT and row.attempts == 3 and row.last_error == ""
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<outbox.alpha.{row.pk}@alpha.test>"


def test_backoff_grows_and_caps():
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 4, 7, 12)] == [60, 120, 240, 480, 3600, 3600]


def test_temporary_failures_end_in_failed_after_the_last_attempt(org_a):
    (row,) = _queue(org_a)
    now = timezone.now()
    with org_a.scope():
        Message.objects.filter(pk=row.pk).update(attempts=delivery.MAX_ATTEMPTS - 1)
        SCRIPT.append(TimeoutError("timed out"))
        assert delivery.deliver(message_id=row.pk, now=now) == Status.FAILED
        row.refresh_from_db()
        assert row.attempts == delivery.MAX_ATTEMPTS and "timed out" in row.last_error


@pytest.mark.parametrize("exc", [
    smtplib.SMTPResponseException(550, b"mailbox unavailable"),
    smtplib.SMTPRecipientsRefused({"gm@alpha.test": (550, b"no such user")}),
    smtplib.SMTPSenderRefused(553, b"sender rejected", "marketing@alpha.test"),
])
def test_permanent_failure_is_recorded_not_retried(org_a, exc):
    (row,) = _queue(org_a)
    with org_a.scope():
        SCRIPT.append(exc)
        assert delivery.deliver(message_id=row.pk) == Status.FAILED
        row.refresh_from_db()
        assert row.status == Status.FAILED and row.next_attempt_at is None and row.attempts == 1
        assert delivery.due_ids(tenant=org_a.tenant, now=timezone.now() + dt.timedelta(days=1)) == []


def test_refused_recipient_with_4xx_is_temporary(org_a):
    (row,) = _queue(org_a)
    with org_a.scope():
        SCRIPT.append(smtplib.SMTPRecipientsRefused({"gm@alpha.test": (452, b"mailbox full")}))
        assert delivery.deliver(message_id=row.pk) == Status.PENDING


def test_bad_address_is_failed_at_once(org_a):
    with org_a.scope():
        user = org_a.users["gm"]
        user.email = "not-an-address"
        user.save(update_fields=["email"])
        (row,) = notify(tenant=org_a.tenant, kind="test", users=[user], subject="s", lines=["x"])
        assert row.status == Status.FAILED and "not-an-address" in row.last_error


def test_dispatcher_requeues_due_retries_and_dead_workers(org_a):
    (row,) = _queue(org_a)
    (stale,) = _queue(org_a, user_key="exec")
    now = timezone.now()
    with org_a.scope():
        Message.objects.filter(pk=row.pk).update(attempts=1, next_attempt_at=now - dt.timedelta(seconds=5))
        Message.objects.filter(pk=stale.pk).update(status=Status.SENDING, claimed_at=now - delivery.LEASE - dt.timedelta(minutes=1))
    assert dispatch_outbox() >= 2  # eager: both are sent now
    with org_a.scope():
        assert set(Message.objects.filter(pk__in=[row.pk, stale.pk]).values_list("status", flat=True)) == {Status.SENT}


def test_two_workers_one_send(org_a):
    (row,) = _queue(org_a)
    with org_a.scope():
        now = timezone.now()
        assert delivery.claim(message_id=row.pk, now=now) is not None
        assert delivery.claim(message_id=row.pk, now=now) is None


def test_no_crash_and_nothing_lost_when_smtp_is_down(org_a, client_as, settings, django_capture_on_commit_callbacks):
    """The approver's click succeeds with the mail server unreachable; the notices wait."""
    settings.EMAIL_BACKEND = "marketing.notifications.smtp.EmailBackend"
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", s.getsockname()[1]
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["mspec"])[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(org_a.users["mspec"]).post(
            reverse("approvals:act", args=[flow.pk]),
            {"action": "approve", "task": task.pk, "version": flow.version, "comment": "同意"})
    assert response.status_code == 302
    with org_a.scope():
        rows = list(Message.objects.filter(channel=Channel.EMAIL))
        assert rows and all(r.status == Status.PENDING and r.next_attempt_at for r in rows)
        assert all("Connection" in r.last_error or "refused" in r.last_error.lower() for r in rows)


def test_no_crash_when_the_broker_is_down(org_a, monkeypatch, django_capture_on_commit_callbacks):
    from marketing.notifications import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_message, "delay", broken)
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = _queue(org_a)
    with org_a.scope():
        row.refresh_from_db()
        assert row.status == Status.PENDING  # the dispatcher will pick it up
        assert row.pk in delivery.due_ids(tenant=org_a.tenant, now=timezone.now())


# --- the failure page and the resend button ---------------------------------------------------


def _failed(org):
    (row,) = _queue(org)
    with org.scope():
        SCRIPT.append(smtplib.SMTPResponseException(550, b"no"))
        delivery.deliver(message_id=row.pk)
        row.refresh_from_db()
    return row


def test_failure_page_lists_failed_and_pending_filterable_and_paged(org_a, org_b, client_as):
    failed = _failed(org_a)
    (queued,) = _queue(org_a, user_key="exec")
    with org_a.scope():
        sent = Message.objects.create(tenant=org_a.tenant, channel=Channel.EMAIL, kind="test", to_address="x@alpha.test",
                                      subject="已发送的那封", body="b", status=Status.SENT)
    _failed(org_b)
    client = client_as(org_a.users["admin"])
    body = client.get(reverse("notifications:messages")).content.decode()
    assert failed.subject in body and reverse("notifications:message_resend", args=[failed.pk]) in body
    assert f'href="{reverse("notifications:message_detail", args=[queued.pk])}"' in body
    assert "已发送的那封" not in body  # default: what needs attention
    assert "已发送的那封" in client.get(reverse("notifications:messages") + "?status=all").content.decode()
    only_failed = client.get(reverse("notifications:messages") + "?status=failed").content.decode()
    assert reverse("notifications:message_detail", args=[queued.pk]) not in only_failed
    assert client.get(reverse("notifications:messages") + "?page=99").status_code == 200
    assert client.get(reverse("notifications:messages_export") + "?status=all").status_code == 200
    assert client_as(org_a.users["sales"]).get(reverse("notifications:messages")).status_code == 403
    with org_b.scope():
        other = Message.objects.filter(tenant=org_b.tenant).first()
    assert client.post(reverse("notifications:message_resend", args=[other.pk])).status_code == 404
    assert sent.pk


def test_resend_is_audited_and_a_triple_click_resends_once(org_a, client_as, django_capture_on_commit_callbacks):
    row = _failed(org_a)
    client = client_as(org_a.users["admin"])
    url = reverse("notifications:message_resend", args=[row.pk])
    SCRIPT.append(smtplib.SMTPResponseException(451, b"busy"))  # the resent message meets a busy server once
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert client.post(url).status_code == 302
    with org_a.scope():
        row.refresh_from_db()
        assert row.status == Status.PENDING and row.attempts == 1  # one resend, now waiting for its retry
        events = AuditEvent.objects.filter(verb="notifications.message_resend")
        assert events.count() == 1 and events.get().before["status"] == Status.FAILED
        delivery.deliver(message_id=row.pk, now=row.next_attempt_at)
        row.refresh_from_db()
        assert row.status == Status.SENT
    assert len(mail.outbox) == 1


def test_resend_of_a_sent_message_is_refused(org_a):
    (row,) = _queue(org_a)
    with org_a.scope():
        delivery.deliver(message_id=row.pk)
        row.refresh_from_db()
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            message_resend(message=row, actor=org_a.users["admin"])
