"""Encryption at rest for uploaded files (the HR roster with phone numbers, finance's
sheets): AES-256-GCM with a key derived (HKDF-SHA256) from ``settings.FIELD_ENCRYPTION_KEY``
-- the same environment secret, the same primitive and the same rotation variable
(``FIELD_ENCRYPTION_KEY_PREVIOUS``) as the customer archive's fields
(``customers/crypto.py``), with its own derived key (purpose ``upload-encryption``), so a
file blob can never be decrypted as a customer field or the other way round.

Blob format: ``BDF1`` || nonce(12) || ciphertext || tag(16). The associated data names
what the blob is (e.g. ``reports.import:<tenant id>``): a blob copied to another tenant's
row does not decrypt."""

from __future__ import annotations

import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"BDF1"


@cache
def _key(master: str) -> bytes:
    if not master:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"branchdesk-files", info=b"upload-encryption").derive(
        master.encode()
    )


def _previous() -> list[str]:
    raw = getattr(settings, "FIELD_ENCRYPTION_KEY_PREVIOUS", None) or os.environ.get("FIELD_ENCRYPTION_KEY_PREVIOUS", "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def is_encrypted(blob: bytes) -> bool:
    return bytes(blob[:4]) == MAGIC


def encrypt_bytes(plain: bytes, *, context: str) -> bytes:
    nonce = os.urandom(12)
    return MAGIC + nonce + AESGCM(_key(settings.FIELD_ENCRYPTION_KEY)).encrypt(nonce, plain, context.encode())


def decrypt_bytes(blob: bytes, *, context: str) -> bytes:
    blob = bytes(blob)
    if not is_encrypted(blob):
        raise ValueError("not an encrypted file blob")
    nonce, body = blob[4:16], blob[16:]
    for master in (settings.FIELD_ENCRYPTION_KEY, *_previous()):
        try:
            return AESGCM(_key(master)).decrypt(nonce, body, context.encode())
        except InvalidTag:
            continue
    raise ValueError("file blob does not decrypt with the current or previous keys")
