"""Test doubles: an e-mail backend whose behaviour a test scripts, one failure at a time."""

from __future__ import annotations

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

SCRIPT: list = []  # exceptions to raise, one per send; empty = deliver to mail.outbox


class ScriptedBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        if SCRIPT:
            raise SCRIPT.pop(0)
        mail.outbox.extend(email_messages)
        return len(email_messages)


SCRIPTED = "marketing.notifications.tests.helpers.ScriptedBackend"
