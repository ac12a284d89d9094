"""Absolute links for messages. ``SITE_URL`` (settings, from the environment) is the public
address people open; every message links to the item itself. A reader who is not signed in
is sent by the item's view to the login page with ``?next=<the item>`` and lands on the
item after signing in (``tenant_view`` does that), on a phone as on a desktop."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def site_url() -> str:
    return (getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000").rstrip("/")


def absolute(path: str) -> str:
    """``/expenses/22/`` -> ``https://desk.example.com/expenses/22/``; absolute URLs pass."""
    if not path:
        return site_url() + "/"
    if path.startswith(("http://", "https://")):
        return path
    return site_url() + (path if path.startswith("/") else "/" + path)


def login_then(path: str) -> str:
    """An explicit "sign in, then open ``path``" link (for pages that are not behind
    ``tenant_view`` and would not redirect by themselves)."""
    return absolute(reverse("login") + "?" + urlencode({"next": path}))
