"""Upload checks: extension *and* first bytes, and a size cap. Material pictures are JPG/PNG
(5 MB); uniform templates also take the design and office formats marketing publishes
(PDF, Office incl. PowerPoint, ZIP packages, PSD/AI) up to 50 MB."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ZIP = [b"PK\x03\x04"]
OLE = [b"\xd0\xcf\x11\xe0"]
IMAGE_SIGNATURES = {"png": [b"\x89PNG\r\n\x1a\n"], "jpg": [b"\xff\xd8\xff"], "jpeg": [b"\xff\xd8\xff"]}
LIBRARY_SIGNATURES = {
    **IMAGE_SIGNATURES,
    "pdf": [b"%PDF-"], "ai": [b"%PDF-", b"%!PS"], "psd": [b"8BPS"],
    "docx": ZIP, "xlsx": ZIP, "pptx": ZIP, "zip": ZIP, "doc": OLE, "xls": OLE, "ppt": OLE,
}
IMAGE_MAX_BYTES = 5 * 1024 * 1024
LIBRARY_MAX_BYTES = 50 * 1024 * 1024


def _check(upload, signatures: dict, max_bytes: int, kinds: str) -> None:
    name = getattr(upload, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in signatures:
        raise ValidationError(_("不支持的文件类型“%(name)s”，只接受 %(kinds)s。"),
                              params={"name": name, "kinds": kinds}, code="bad_file_type")
    size = getattr(upload, "size", 0) or 0
    if size > max_bytes:
        raise ValidationError(_("文件“%(name)s”超过 %(mb)s MB。"), params={"name": name, "mb": max_bytes // 2**20},
                              code="file_too_large")
    if size == 0:
        raise ValidationError(_("文件“%(name)s”是空的。"), params={"name": name}, code="empty_file")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in signatures[ext]):
        raise ValidationError(_("文件“%(name)s”的内容与扩展名不符。"), params={"name": name},
                              code="bad_file_content")


def validate_image(upload) -> None:
    _check(upload, IMAGE_SIGNATURES, IMAGE_MAX_BYTES, "JPG、PNG")


def validate_library_file(upload) -> None:
    _check(upload, LIBRARY_SIGNATURES, LIBRARY_MAX_BYTES, "PDF、图片、Word、Excel、PowerPoint、ZIP、PSD、AI")


IMAGE_ACCEPT = ",".join(f".{e}" for e in IMAGE_SIGNATURES)
LIBRARY_ACCEPT = ",".join(f".{e}" for e in LIBRARY_SIGNATURES)
