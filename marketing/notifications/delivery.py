"""The worker side of the outbox: claim a row, send it, record what happened.

Temporary failures (SMTP 4xx, connection errors, timeouts, HTTP 5xx/429, platform rate
limits) go back to the queue with exponential backoff (1, 2, 4 ... 60 minutes) until
``MAX_ATTEMPTS``; permanent ones (SMTP 5xx, a refused or invalid address, a rejected
webhook) are recorded as failed at once. An e-mail whose end-of-data answer never came is
"unconfirmed" and is not retried automatically (docs/notifications.md, "Timeouts")."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone

from .chat import ChatError, ChatPost
from .chat import send as chat_send
from .models import Channel, Message, Status
from .smtp import DeliveryUnconfirmed

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=15)  # a SENDING row older than this belongs to a dead worker
TEMPORARY, PERMANENT, UNCONFIRMED = "temporary", "permanent", "unconfirmed"


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def classify(exc: BaseException) -> str:
    if isinstance(exc, DeliveryUnconfirmed):
        return UNCONFIRMED
    if isinstance(exc, ChatError):
        return TEMPORARY if exc.temporary else PERMANENT
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return TEMPORARY if any(400 <= c < 500 for c in codes) else PERMANENT
    if isinstance(exc, smtplib.SMTPResponseException):
        return PERMANENT if 500 <= exc.smtp_code < 600 else TEMPORARY
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):  # timeouts, refused/reset connections, DNS
        return TEMPORARY
    return PERMANENT  # SMTPNotSupportedError, a bad address (ValueError), a bug: retrying will not help


def message_id_for(message: Message) -> str:
    domain = (message.tenant.marketing_mailbox.split("@")[-1] or "localhost").strip()
    return f"<outbox.{message.tenant.slug}.{message.pk}@{domain}>"


def claim(*, message_id: int, now: dt.datetime) -> Message | None:
    """One conditional UPDATE: exactly one worker moves a due row to SENDING."""
    won = Message.objects.filter(pk=message_id, status=Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not won:
        return None
    return Message.objects.select_related("tenant", "webhook").get(pk=message_id)


def _send_email(message: Message) -> None:
    msg_id = message.message_id or message_id_for(message)
    Message.objects.filter(pk=message.pk).update(message_id=msg_id)
    email = EmailMessage(
        subject=message.subject, body=message.body, from_email=message.tenant.marketing_mailbox,
        to=[message.to_address], headers={"Message-ID": msg_id, "X-Branchdesk-Kind": message.kind},
    )
    get_connection(fail_silently=False).send_messages([email])


def _send_chat(message: Message) -> None:
    hook = message.webhook
    if hook is None or not hook.is_active:
        raise ChatError("群机器人已删除或停用", temporary=False)
    data = message.data or {}
    post = ChatPost(
        title=message.subject, lines=message.body.splitlines(), link=message.link,
        link_label=data.get("link_label") or "打开", mention_ids=list(data.get("mention_ids") or []),
        mention_mobiles=list(data.get("mention_mobiles") or []), card=bool(data.get("card")),
    )
    chat_send(platform=hook.platform, url=hook.url, secret=hook.secret, post=post)


def deliver(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Send one row if it is due and this call wins it. Never raises on a send failure."""
    now = now or timezone.now()
    message = claim(message_id=message_id, now=now)
    if message is None:
        return "skipped"
    try:
        (_send_email if message.channel == Channel.EMAIL else _send_chat)(message)
    except Exception as exc:  # noqa: BLE001 -- every failure is recorded on the row
        outcome = classify(exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("outbox %s (%s) attempt %s: %s %s", message.pk, message.kind, message.attempts, outcome, error,
                    exc_info=outcome == PERMANENT and not isinstance(exc, ChatError | smtplib.SMTPException))
        if outcome == TEMPORARY and message.attempts < MAX_ATTEMPTS:
            fields = {"status": Status.PENDING, "next_attempt_at": now + backoff(message.attempts)}
        elif outcome == UNCONFIRMED:
            fields = {"status": Status.UNCONFIRMED, "next_attempt_at": None}
        else:
            fields = {"status": Status.FAILED, "next_attempt_at": None}
        Message.objects.filter(pk=message.pk, status=Status.SENDING).update(last_error=error, **fields)
        return fields["status"]
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    return Status.SENT


def due_ids(*, tenant, now: dt.datetime, limit: int = 500) -> list[int]:
    """Rows the dispatcher should (re)queue: due pending rows, and SENDING rows whose worker
    died (lease over) -- those go back to pending, same Message-ID."""
    Message.objects.filter(tenant=tenant, status=Status.SENDING, claimed_at__lt=now - LEASE).update(
        status=Status.PENDING, next_attempt_at=None
    )
    return list(
        Message.objects.filter(tenant=tenant, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at").values_list("pk", flat=True)[:limit]
    )


def max_email_seconds() -> float:
    """The longest one e-mail send can take with the configured timeouts."""
    return float(settings.EMAIL_SEND_DEADLINE) + float(settings.EMAIL_DATA_TIMEOUT)
