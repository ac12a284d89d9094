"""Attachment checks shared by the approval machinery and the documents on it: a short list
of office/scan formats, checked by extension *and* by the file's first bytes, and a size cap."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

_SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "xlsx": [b"PK\x03\x04"],
    "docx": [b"PK\x03\x04"],
    "xls": [b"\xd0\xcf\x11\xe0"],
    "doc": [b"\xd0\xcf\x11\xe0"],
}
ALLOWED_EXTENSIONS = tuple(_SIGNATURES)


def validate_attachment(upload) -> None:
    name = getattr(upload, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in _SIGNATURES:
        raise ValidationError(
            _("不支持的文件类型“%(name)s”，只接受 PDF、图片（JPG/PNG）、Excel 和 Word 文件。"),
            params={"name": name}, code="bad_file_type",
        )
    size = getattr(upload, "size", 0) or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("文件“%(name)s”超过 10 MB。"), params={"name": name}, code="file_too_large",
        )
    if size == 0:
        raise ValidationError(_("文件“%(name)s”是空的。"), params={"name": name}, code="empty_file")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in _SIGNATURES[ext]):
        raise ValidationError(
            _("文件“%(name)s”的内容与扩展名不符。"), params={"name": name}, code="bad_file_content",
        )
