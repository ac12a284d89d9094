"""The one way hospitality sends e-mail. Today: Django's mail backend after the transaction
commits, from the tenant's marketing mailbox, one message per recipient. (The platform outbox
replaces the body of this function; callers do not change.)"""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction

log = logging.getLogger(__name__)


def send_hospitality_mail(*, tenant, users, subject: str, body: str) -> int:
    """Queue one e-mail per user with an address; returns how many were queued."""
    recipients = sorted({u.email for u in users if getattr(u, "email", "")})
    if not recipients:
        return 0
    sender = tenant.marketing_mailbox
    subject, body = str(subject), str(body)

    def deliver():
        for address in recipients:
            try:
                EmailMessage(subject, body, sender, [address]).send(fail_silently=False)
            except OSError:  # the mail server is down: the record is kept, the mail is lost
                log.exception("hospitality mail to %s failed", address)

    transaction.on_commit(deliver)
    return len(recipients)
