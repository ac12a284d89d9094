"""Reminders before a rule's deadline and the compiled digest after it. Both are
exactly-once: a row with a unique constraint is claimed before anything is sent."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from marketing.audit import audit_record
from marketing.notifications.links import absolute
from marketing.notifications.models import Purpose, register_kind
from marketing.notifications.services import notify
from marketing.selectors import users_with_roles

from . import cadence, selectors
from .exports import digest_xlsx
from .models import DigestStatus, SubmissionDigest, SubmissionReminder, SubmissionRule, SubmitterScope

log = logging.getLogger(__name__)
register_kind("submissions.reminder", _("计划/报表提醒"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def deliver(messages: list[EmailMultiAlternatives]) -> int:
    """The one place this app hands mail to the mail system."""
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages)


def reminders_send(*, rule: SubmissionRule, period: dt.date, now: dt.datetime | None = None) -> int:
    """Remind every submitter who has not submitted this period. One reminder per person."""
    from django.urls import reverse

    now = now or timezone.now()
    data = selectors.board(rule=rule, period=period, now=now)
    targets = []
    for row in data["rows"]:
        if row.key not in ("pending", "missing"):
            continue
        if rule.scope == SubmitterScope.BRANCH:
            targets += list(users_with_roles(tenant=rule.tenant, roles=rule.submitter_roles, branch=row.branch))
        elif row.user is not None:
            targets.append(row.user)
    sent = 0
    for user in {u.pk: u for u in targets if u.email}.values():
        link = reverse("submissions:submit", args=[rule.pk]) + f"?period={period.isoformat()}"
        with override("zh-hans"):
            subject = _("【提醒】%(rule)s 将于 %(due)s 截止") % {
                "rule": rule.name, "due": data["due_at"].astimezone(rule.tenant.zone).strftime("%m-%d %H:%M")}
            line = _("%(rule)s（期次 %(period)s）尚未提交，截止时间 %(due)s。") % {
                "rule": rule.name, "period": period,
                "due": data["due_at"].astimezone(rule.tenant.zone).strftime("%Y-%m-%d %H:%M")}
            try:
                with transaction.atomic():  # the claim and the outbox rows (e-mail / chat): together or not at all
                    SubmissionReminder.objects.create(tenant=rule.tenant, rule=rule, period=period, user=user, sent_at=now)
                    notify(tenant=rule.tenant, kind="submissions.reminder", users=[user], subject=subject, lines=[line],
                           link=link, link_label=_("填报"), purpose=Purpose.REMINDERS,
                           dedupe_key=f"submission-reminder:{rule.pk}:{period.isoformat()}:{user.pk}")
            except IntegrityError:
                continue
        sent += 1
    return sent


def digest_claim(*, rule: SubmissionRule, period: dt.date, now: dt.datetime) -> SubmissionDigest | None:
    try:
        with transaction.atomic():
            return SubmissionDigest.objects.create(tenant=rule.tenant, rule=rule, period=period, claimed_at=now)
    except IntegrityError:
        return None


def digest_recipients(rule: SubmissionRule) -> list[str]:
    if not rule.digest_roles:
        return []
    users = users_with_roles(tenant=rule.tenant, roles=rule.digest_roles)
    return sorted({u.email for u in users if u.email})


def build_digest(*, rule: SubmissionRule, period: dt.date, now: dt.datetime, recipients: list[str]) -> EmailMultiAlternatives:
    from django.urls import reverse

    data = selectors.board(rule=rule, period=period, now=now)
    link = absolute(reverse("submissions:rule", args=[rule.pk]) + f"?period={period.isoformat()}")
    with override("zh-hans"):
        context = {"board": data, "rule": rule, "link": link, "period_label": cadence.period_label(rule, period)}
        subject = _("【报表汇总】%(rule)s %(period)s") % {"rule": rule.name, "period": cadence.period_label(rule, period)}
        text = render_to_string("submissions/email/digest.txt", context)
        html = render_to_string("submissions/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=rule.tenant.marketing_mailbox, to=recipients,
        headers={"Message-ID": f"<submissions.{rule.tenant.slug}.{rule.code}.{period:%Y%m%d}@branchdesk>"},
    )
    message.attach_alternative(html, "text/html")
    message.attach(f"{rule.code}-{period:%Y%m%d}.xlsx", digest_xlsx(rule=rule, board=data), XLSX)
    return message


def digest_send(*, rule: SubmissionRule, period: dt.date, now: dt.datetime | None = None) -> SubmissionDigest | None:
    """Send the period's digest once. Returns the row, or None when it was already claimed."""
    now = now or timezone.now()
    row = digest_claim(rule=rule, period=period, now=now)
    if row is None:
        return None
    return _deliver(row, rule=rule, period=period, now=now)


RESEND_STUCK_AFTER = dt.timedelta(minutes=30)


@transaction.atomic
def digest_request_resend(*, digest: SubmissionDigest, actor, request=None, now: dt.datetime | None = None) -> SubmissionDigest:
    """The rule page's "resend" button: a sent or failed digest is queued again (recipients as
    the rule has them now). A digest being sent is refused, unless it has been "sending" for
    30 minutes (its worker died): then it may be queued again."""
    now = now or timezone.now()
    row = SubmissionDigest.objects.select_for_update().get(tenant=digest.tenant, pk=digest.pk)
    if row.status == DigestStatus.SENDING and now - row.claimed_at < RESEND_STUCK_AFTER:
        raise ValidationError(_("该汇总正在发送中，请稍后再试。"), code="busy")
    before = {"status": row.status, "resends": row.resends}
    row.status = DigestStatus.QUEUED
    row.resends += 1
    row.claimed_at = now
    row.save(update_fields=["status", "resends", "claimed_at"])
    audit_record(tenant=row.tenant, actor=actor, verb="submissions.digest_resend", obj=row, before=before,
                 after={"status": row.status, "resends": row.resends}, request=request)
    from .tasks import resend_submission_digest

    transaction.on_commit(lambda: resend_submission_digest.delay(row.pk))
    return row


def digest_resend(*, digest_id: int, now: dt.datetime | None = None) -> SubmissionDigest | None:
    """The worker's half of a resend: only the task that flips QUEUED -> SENDING sends (a
    duplicated message finds the row taken and sends nothing)."""
    now = now or timezone.now()
    taken = SubmissionDigest.objects.filter(pk=digest_id, status=DigestStatus.QUEUED).update(
        status=DigestStatus.SENDING, claimed_at=now, error="")
    if not taken:
        return None
    row = SubmissionDigest.objects.select_related("rule", "rule__tenant").get(pk=digest_id)
    return _deliver(row, rule=row.rule, period=row.period, now=now)


def _deliver(row: SubmissionDigest, *, rule: SubmissionRule, period: dt.date, now: dt.datetime) -> SubmissionDigest:
    recipients = digest_recipients(rule)
    row.recipients = recipients
    if not recipients:
        row.status = DigestStatus.SENT
        row.error = _("没有收件人")
        row.sent_at = now
        row.save(update_fields=["recipients", "status", "error", "sent_at"])
        return row
    try:
        deliver([build_digest(rule=rule, period=period, now=now, recipients=recipients)])
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and shown, never retried silently
        log.exception("submission digest failed")
        row.status = DigestStatus.FAILED
        row.error = str(exc)[:2000]
        row.save(update_fields=["recipients", "status", "error"])
        return row
    row.status = DigestStatus.SENT
    row.sent_at = timezone.now()
    row.error = ""
    row.save(update_fields=["recipients", "status", "sent_at", "error"])
    audit_record(tenant=rule.tenant, actor=None, verb="submissions.digest_sent", obj=row,
                 after={"rule": rule.code, "period": period.isoformat(), "recipients": len(recipients)})
    return row


def due_work(*, rules, now: dt.datetime) -> tuple[list[tuple[SubmissionRule, dt.date]], list[tuple[SubmissionRule, dt.date]]]:
    """(reminders, digests) due now for ``rules``: reminders inside the window before the
    deadline; digests once the deadline + delay has passed (within a day, so a stopped beat
    does not mail a month of old digests when it comes back)."""
    from reports.workcal import WorkCalendar

    calendars: dict[int, WorkCalendar] = {}
    reminders, digests = [], []
    for rule in rules:
        cal = calendars.setdefault(rule.tenant_id, WorkCalendar(rule.tenant))
        period = cadence.current_period(rule, now, cal)
        due = cadence.due_at(rule, period, cal)
        if due - dt.timedelta(minutes=rule.remind_minutes_before) <= now < due:
            reminders.append((rule, period))
        for past in cadence.previous_periods(rule, period, cal, 2):
            at = cadence.due_at(rule, past, cal) + dt.timedelta(minutes=rule.digest_delay_minutes)
            if rule.digest_roles and at <= now < at + dt.timedelta(days=1):
                digests.append((rule, past))
    return reminders, digests
