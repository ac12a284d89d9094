"""Content-Security-Policy: the header is set, and no template relies on what it forbids."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
UNNONCED_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src|nonce)=)[^>]*>", re.IGNORECASE)


def _templates():
    for path in ROOT.rglob("*.html"):
        if ".venv" in path.parts or "staticfiles" in path.parts or "var" in path.parts:
            continue
        yield path


def test_csp_header_with_a_fresh_nonce_per_response(org_a, client_as):
    client = client_as(org_a.users["admin"])
    first = client.get("/")
    second = client.get("/")
    policy = first["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "frame-ancestors 'none'" in policy
    assert policy != second["Content-Security-Policy"]


def test_login_page_has_the_policy_too(db, client):
    assert "object-src 'none'" in client.get("/login/")["Content-Security-Policy"]


def test_templates_use_no_inline_handlers_or_unnonced_scripts():
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        if INLINE_HANDLER.search(text) or UNNONCED_SCRIPT.search(text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], f"use data-confirm or <script nonce=...> in: {offenders}"
