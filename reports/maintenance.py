"""Housekeeping of import jobs: nothing stays "running" for ever, and the uploaded files
(which can hold personal data: the HR roster's phone numbers) are deleted after
``settings.IMPORT_FILE_RETENTION_DAYS`` days. Run by ``reports.tasks.purge_import_files``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record

from .models import ImportJob, ImportStatus

STALE_AFTER = dt.timedelta(minutes=30)  # a running step that has not reported progress for this long
RUNNING = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.APPLYING)


def retention() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "IMPORT_FILE_RETENTION_DAYS", 7))


def purge_import_files(*, tenant, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    stale = 0
    stuck = ImportJob.objects.filter(tenant=tenant, status__in=RUNNING).filter(
        Q(heartbeat_at__lt=now - STALE_AFTER) | Q(heartbeat_at__isnull=True, created_at__lt=now - STALE_AFTER)
    )
    for pk in stuck.values_list("pk", flat=True):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=pk)
            if job.status not in RUNNING:
                continue
            before = job.status
            job.status = ImportStatus.FAILED
            job.errors = [{"row": None, "messages": [
                _("处理中断（超过 %(m)d 分钟没有进展，处理进程可能已停止），没有导入任何数据。请重新上传。") % {
                    "m": STALE_AFTER.seconds // 60}]}]
            job.finished_at = now
            job.save(update_fields=["status", "errors", "finished_at"])
            audit_record(tenant=tenant, actor=None, verb="reports.import_failed", obj=job,
                         before={"status": before}, after={"status": job.status, "reason": "stale"})
            stale += 1
    purged = 0
    old = ImportJob.objects.filter(tenant=tenant, file_purged_at__isnull=True, created_at__lt=now - retention())
    for pk in old.values_list("pk", flat=True):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=pk)
            fields = ["content", "file_purged_at", "preview"]
            job.content, job.file_purged_at, job.preview = b"", now, []
            if job.status == ImportStatus.READY:  # never confirmed: it cannot be applied without its file
                job.status = ImportStatus.FAILED
                job.errors = [{"row": None, "messages": [
                    _("原始文件已按保留期限（%(d)d 天）删除，未导入。请重新上传。") % {"d": retention().days}]}]
                job.finished_at = now
                fields += ["status", "errors", "finished_at"]
            job.save(update_fields=fields)
            audit_record(tenant=tenant, actor=None, verb="reports.import_file_purged", obj=job,
                         after={"retention_days": retention().days, "status": job.status})
            purged += 1
    return {"stale": stale, "purged": purged}
