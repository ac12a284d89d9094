"""Files and transactions: a file exists exactly when its row does.

* ``save_on_commit(fieldfile, filename, content)`` names the file now (the ``upload_to``
  path, unique) and writes the bytes only when the surrounding transaction commits. A
  rolled-back create leaves nothing on disk.
* ``delete_on_commit(fieldfile)`` removes the file only after the row's deletion commits;
  a rolled-back delete keeps the file its row still points to.
* ``sweep_orphan_files()`` (daily, ``marketing/celery.py``) deletes stored files under
  ``tenants/`` that no row references and that are older than a grace period -- what a
  crash between commit and write, or a failed delete, could leave behind.

The one remaining window: between the commit and the end of the write (same thread, right
after the commit) a download of the new row finds no file yet; download views answer 404
for a missing file instead of failing."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

# (app_label.Model, field name) of every FileField whose files live under tenants/.
FILE_FIELDS = [("expenses.ExpenseAttachment", "file"), ("marketing.ApprovalComment", "attachment")]
ROOT = "tenants"


def save_on_commit(fieldfile, filename: str, content) -> str:
    name = fieldfile.field.generate_filename(fieldfile.instance, filename)
    if hasattr(content, "seek"):
        content.seek(0)
    data = content.read()
    storage = fieldfile.storage
    fieldfile.name = name
    fieldfile._committed = True  # the model's save must not write it again

    def write():
        saved = storage.save(name, ContentFile(data))
        if saved != name:  # upload_to names are unique; a clash would point the row elsewhere
            log.error("stored file %s under another name %s", name, saved)

    transaction.on_commit(write)
    return name


def delete_on_commit(fieldfile) -> None:
    name, storage = fieldfile.name, fieldfile.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _walk(storage, folder: str):
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for f in files:
        yield f"{folder}/{f}"
    for d in dirs:
        yield from _walk(storage, f"{folder}/{d}")


def sweep_orphan_files(*, older_than: dt.timedelta = dt.timedelta(hours=6), now=None) -> list[str]:
    """Delete unreferenced files under ``tenants/`` older than ``older_than``; return them."""
    from django.apps import apps
    from django.core.files.storage import default_storage
    from django_scopes import scopes_disabled

    now = now or timezone.now()
    referenced: set[str] = set()
    with scopes_disabled():
        for label, field in FILE_FIELDS:
            model = apps.get_model(label)
            referenced.update(model._base_manager.exclude(**{field: ""}).values_list(field, flat=True))
    removed = []
    for name in _walk(default_storage, ROOT):
        if name in referenced:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified)
        if now - modified >= older_than:
            default_storage.delete(name)
            removed.append(name)
    if removed:
        log.warning("swept %s orphan files", len(removed))
    return removed
