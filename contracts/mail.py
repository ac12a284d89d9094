"""The one place contracts/ sends e-mail from. Today it goes through Django's normal mail path
after the transaction commits (a rolled-back action sends nothing); when the common outbox
lands, only this function changes."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import transaction


def send_notice(*, tenant, to, subject: str, body: str) -> None:
    """Queue one e-mail from the tenant's marketing mailbox to the given addresses."""
    recipients = sorted({addr for addr in to if addr})
    if not recipients:
        return
    sender = tenant.marketing_mailbox
    transaction.on_commit(lambda: EmailMessage(str(subject), str(body), sender, recipients).send(fail_silently=True))


def emails_of(users) -> list[str]:
    return [u.email for u in users if u.email and u.is_active]


def mail_language():
    """E-mails go to other people: write them in the product's language (Chinese), not in the
    language the acting user happens to browse in. Use: ``with mail_language(): ...``."""
    from django.conf import settings
    from django.utils import translation

    return translation.override(settings.LANGUAGE_CODE)


def absolute(url: str) -> str:
    from django.conf import settings

    return f"{getattr(settings, 'SITE_URL', '').rstrip('/')}{url}"
