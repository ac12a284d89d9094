"""Encryption at rest for personal details, and the keyed hash that keeps exact phone
search working. Both keys are derived (HKDF) from ``settings.FIELD_ENCRYPTION_KEY``, which
comes from the environment; the database holds only ciphertext and HMAC digests.

Ciphertext format: ``v1:`` + urlsafe base64(nonce(12) || AES-GCM(ciphertext || tag)).
The version prefix lets a future key rotation tell old rows from new ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "v1:"


@cache
def _derive(purpose: bytes, master: str) -> bytes:
    if not master:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"customers", info=purpose).derive(master.encode())


def _aead(master: str | None = None) -> AESGCM:
    return AESGCM(_derive(b"field-encryption", master or settings.FIELD_ENCRYPTION_KEY))


def previous_keys() -> list[str]:
    """Keys being rotated out (``FIELD_ENCRYPTION_KEY_PREVIOUS``, comma-separated, from the
    environment): still accepted for reading until ``rotate_customer_key`` has re-encrypted
    every row with the current key."""
    raw = getattr(settings, "FIELD_ENCRYPTION_KEY_PREVIOUS", None) or os.environ.get("FIELD_ENCRYPTION_KEY_PREVIOUS", "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    nonce = os.urandom(12)
    blob = nonce + _aead().encrypt(nonce, plain.encode("utf-8"), b"customers")
    return PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    blob = base64.urlsafe_b64decode(token[len(PREFIX) :])
    try:
        return _aead().decrypt(blob[:12], blob[12:], b"customers").decode("utf-8")
    except InvalidTag:
        for old in previous_keys():
            try:
                return _aead(old).decrypt(blob[:12], blob[12:], b"customers").decode("utf-8")
            except InvalidTag:
                continue
        raise


def normalize_phone(value: str) -> str:
    """Digits only, a leading +86 / 0086 dropped: '138-0013-8000' and '+86 13800138000' match."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def phone_hash(value: str) -> str:
    """HMAC-SHA256 of the normalised phone number: equal numbers, equal digests; without
    the key the digest cannot be reversed by enumerating the (small) phone number space."""
    digits = normalize_phone(value)
    if not digits:
        return ""
    key = _derive(b"phone-search", settings.FIELD_ENCRYPTION_KEY)
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def mask_phone(value: str) -> str:
    """138****5678: keeps the prefix and the last four digits, enough to tell numbers apart."""
    if not value:
        return ""
    if len(value) >= 8:
        return value[:3] + "****" + value[-4:]
    return "*" * max(len(value) - 2, 1) + value[-2:]


def mask_text(value: str, keep: int = 6) -> str:
    """An address keeps its first few characters (city, district); the rest is hidden."""
    if not value:
        return ""
    return value[:keep] + "****" if len(value) > keep else "****"


class EncryptedTextField(models.TextField):
    """A text column that holds only ciphertext. Python code sees plain text; lookups on
    the column are meaningless (use the companion hash column for exact search)."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
