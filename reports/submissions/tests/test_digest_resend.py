"""A failed (or sent) digest is resent from the rule page: queued once per click, sent once
per queued resend even if the task message is duplicated, refused while it is being sent."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from marketing.models import AuditEvent
from reports.submissions import mailing
from reports.submissions.models import DigestStatus, SubmissionDigest, SubmissionRule

PERIOD = dt.date(2026, 10, 9)


def failed_digest(org):
    rule = SubmissionRule.objects.get(tenant=org.tenant, code="weekly_plan")
    return SubmissionDigest.objects.create(tenant=org.tenant, rule=rule, period=PERIOD, status=DigestStatus.FAILED,
                                           claimed_at=timezone.now() - dt.timedelta(hours=2), error="SMTP 421")


@pytest.mark.django_db
def test_resend_queues_once_and_a_duplicated_task_sends_once(org_a, django_capture_on_commit_callbacks):
    with org_a.scope():
        digest = failed_digest(org_a)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            mailing.digest_request_resend(digest=digest, actor=org_a.users["mdirector"])
        assert len(queued) == 1
        digest.refresh_from_db()
        assert (digest.status, digest.resends) == (DigestStatus.QUEUED, 1)
        assert AuditEvent.objects.filter(verb="submissions.digest_resend").count() == 1
        mail.outbox.clear()
        first = mailing.digest_resend(digest_id=digest.pk)
        again = mailing.digest_resend(digest_id=digest.pk)  # the same message delivered twice
        assert first.status == DigestStatus.SENT and first.error == "" and again is None
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject.startswith("【报表汇总】")
        assert sorted(mail.outbox[0].to) == sorted(first.recipients)


@pytest.mark.django_db
def test_resend_refused_while_sending_unless_stuck(org_a):
    with org_a.scope():
        digest = failed_digest(org_a)
        digest.status, digest.claimed_at = DigestStatus.SENDING, timezone.now() - dt.timedelta(minutes=5)
        digest.save()
        with pytest.raises(ValidationError) as exc:
            mailing.digest_request_resend(digest=digest, actor=org_a.users["mdirector"])
        assert exc.value.code == "busy"
        digest.claimed_at = timezone.now() - dt.timedelta(minutes=31)  # its worker died
        digest.save()
        assert mailing.digest_request_resend(digest=digest, actor=org_a.users["mdirector"]).status == DigestStatus.QUEUED


@pytest.mark.django_db
def test_resend_button_reach(org_a, org_b, client_as):
    with org_a.scope():
        digest = failed_digest(org_a)
    url = reverse("submissions:digest_resend", args=[digest.pk])
    page = client_as(org_a.users["mdirector"]).get(reverse("submissions:rule", args=[digest.rule_id]) + "?period=2026-10-09")
    assert "SMTP 421" in page.content.decode() and url in page.content.decode()
    assert client_as(org_a.users["sales"]).post(url).status_code == 403
    assert client_as(org_b.users["allroles"]).post(url).status_code == 404
    r = client_as(org_a.users["mdirector"]).post(url)
    assert r.status_code == 302 and "period=2026-10-09" in r["Location"]
    digest.refresh_from_db()
    assert digest.status in (DigestStatus.QUEUED, DigestStatus.SENT)  # the eager test broker may have sent it
    assert digest.resends == 1
