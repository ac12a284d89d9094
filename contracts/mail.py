"""The one place contracts/ sends e-mail from: the common outbox
(``marketing.notifications``, docs/notifications.md). Called inside the service's transaction:
the rows are written there (a rollback leaves none) and sent by the worker after commit, with
retries and the failure page of the outbox."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketing.notifications.models import register_kind
from marketing.notifications.services import notify_emails

KIND = "contracts.notice"
register_kind(KIND, _("延保产品与合同通知"))


def send_notice(*, tenant, to, subject: str, body: str) -> None:
    """E-mail the given addresses (the body's links are already absolute)."""
    recipients = sorted({addr for addr in to if addr})
    if not recipients:
        return
    notify_emails(tenant=tenant, kind=KIND, addresses=recipients, subject=str(subject),
                  lines=str(body).rstrip("\n").split("\n"))


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
