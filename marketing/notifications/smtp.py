"""The SMTP backend every e-mail goes through (outbox and daily summary), with timeouts
aligned to the exactly-once design (docs/notifications.md, "Timeouts").

Three bounds:
- every socket operation before the end of the message (connect, EHLO, AUTH, MAIL, RCPT,
  writing the data) waits at most ``EMAIL_TIMEOUT`` seconds, and all of them together at
  most ``EMAIL_SEND_DEADLINE`` seconds: a failure there means the server has *not* been
  handed the message, so a retry cannot duplicate it;
- after the final ``.`` the client waits ``EMAIL_DATA_TIMEOUT`` seconds for the server's
  answer (RFC 5321 4.5.3.2 suggests 10 minutes; servers queue the message first and reply
  in seconds, so 5 minutes is generous). If that answer never comes, the outcome is unknown:
  the server may have accepted the message. That raises ``DeliveryUnconfirmed``, which the
  callers record as "unconfirmed" and do *not* retry automatically;
- ``EMAIL_SEND_DEADLINE + EMAIL_DATA_TIMEOUT`` is below the send leases (outbox and daily
  summary) and the Celery task time limit, so no second worker takes over a send that is
  still waiting for its answer (``tests`` pin the inequality)."""

from __future__ import annotations

import smtplib
import time

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend


class DeliveryUnconfirmed(smtplib.SMTPException):
    """The whole message was handed over but the server's answer to it never arrived."""


class _Bounded:
    """Mixin for ``smtplib.SMTP`` / ``SMTP_SSL``: a deadline for everything before the final
    dot, a longer timeout for the answer to it, and a distinct error when that answer is lost."""

    def __init__(self, *args, **kwargs):
        self._deadline = time.monotonic() + float(getattr(settings, "EMAIL_SEND_DEADLINE", 120))
        self._awaiting_data_reply = False
        super().__init__(*args, **kwargs)

    def _bound_socket(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            self.close()
            raise smtplib.SMTPServerDisconnected("SMTP send deadline passed before the message was handed over")
        if self.sock is not None and self.timeout is not None:
            self.sock.settimeout(min(float(self.timeout), remaining))

    def send(self, s):
        self._awaiting_data_reply = False
        self._bound_socket()
        super().send(s)
        # smtplib's data() writes the quoted message ending in CRLF "." CRLF in one send().
        self._awaiting_data_reply = isinstance(s, bytes | bytearray) and bytes(s[-5:]) == b"\r\n.\r\n"

    def getreply(self):
        if not self._awaiting_data_reply:
            if self.sock is not None:
                self._bound_socket()
            return super().getreply()
        self._awaiting_data_reply = False
        if self.sock is not None:
            self.sock.settimeout(float(getattr(settings, "EMAIL_DATA_TIMEOUT", 300)))
        try:
            return super().getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise DeliveryUnconfirmed(
                f"the server did not answer the end of the message ({exc}); it may have been delivered"
            ) from exc


class BoundedSMTP(_Bounded, smtplib.SMTP):
    pass


class BoundedSMTPSSL(_Bounded, smtplib.SMTP_SSL):
    pass


class EmailBackend(DjangoSMTPBackend):
    """``EMAIL_BACKEND = "marketing.notifications.smtp.EmailBackend"`` (docker-compose)."""

    @property
    def connection_class(self):
        return BoundedSMTPSSL if self.use_ssl else BoundedSMTP
