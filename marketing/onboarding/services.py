"""Every write of the checklist: start, confirm an item, skip a step (with its reason) or undo
the skip, the test send of the daily summary, and the opening-balance imports (upload, confirm).
Keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record

from .models import MarkKind, OpeningImport, OpeningKind, OpeningStatus, SetupMark, TenantSetup
from .steps import STEP_KEYS, TEST_KIND, chain_types


def setup_start(*, tenant, actor=None) -> TenantSetup:
    """The tenant moves in through the checklist (``create_tenant`` calls this). Idempotent."""
    with transaction.atomic():
        setup, created = TenantSetup.objects.get_or_create(tenant=tenant)
        if created:
            audit_record(tenant=tenant, actor=actor, verb="onboarding.start", obj=setup)
    return setup


def _allowed_items(step: str, today: dt.date) -> set[str] | None:
    if step == "calendar":
        return {str(today.year), str(today.year + 1)}
    if step == "approvals":
        return {t.key for t in chain_types()}
    if step == "deadline":
        return {""}
    return None


@transaction.atomic
def step_confirm(*, tenant, actor, step: str, item: str = "", request=None) -> SetupMark:
    """The admin confirms what the step shows (a calendar year, a default approval chain, the
    deadline and recipients). Confirming again changes nothing."""
    allowed = _allowed_items(step, timezone.localdate(timezone=tenant.zone))
    if allowed is None or item not in allowed:
        raise ValidationError(_("该项目不能在开通向导中确认。"), code="bad_item")
    mark, created = SetupMark.objects.get_or_create(tenant=tenant, step=step, item=item, kind=MarkKind.CONFIRMED,
                                                    defaults={"actor": actor})
    if created:
        audit_record(tenant=tenant, actor=actor, verb="onboarding.step_confirm", obj=mark,
                     after={"step": step, "item": item}, request=request)
    return mark


@transaction.atomic
def step_skip(*, tenant, actor, step: str, reason: str, request=None) -> SetupMark:
    spec = STEP_KEYS.get(step)
    if spec is None or not spec.skippable:
        raise ValidationError(_("该步骤不能跳过。"), code="not_skippable")
    reason = (reason or "").strip()[:300]
    if not reason:
        raise ValidationError(_("请填写跳过的原因。"), code="reason_required")
    mark = SetupMark.objects.select_for_update().filter(tenant=tenant, step=step, item="",
                                                        kind=MarkKind.SKIPPED).first()
    before = {"reason": mark.reason} if mark else None
    if mark is None:
        mark = SetupMark.objects.create(tenant=tenant, step=step, item="", kind=MarkKind.SKIPPED, reason=reason,
                                        actor=actor)
    elif mark.reason != reason:
        mark.reason, mark.actor = reason, actor
        mark.save(update_fields=["reason", "actor"])
    else:
        return mark
    audit_record(tenant=tenant, actor=actor, verb="onboarding.step_skip", obj=mark, before=before,
                 after={"step": step, "reason": reason}, request=request)
    return mark


@transaction.atomic
def step_unskip(*, tenant, actor, step: str, request=None) -> None:
    mark = SetupMark.objects.select_for_update().filter(tenant=tenant, step=step, item="",
                                                        kind=MarkKind.SKIPPED).first()
    if mark is None:
        return
    audit_record(tenant=tenant, actor=actor, verb="onboarding.step_unskip", obj=mark,
                 before={"step": step, "reason": mark.reason}, request=request)
    mark.delete()


@transaction.atomic
def test_summary_send(*, tenant, actor, request=None):
    """The daily summary of the last working day, as the robots' card text, to the admin alone
    through the outbox (never to the real recipients)."""
    from marketing.notifications.services import notify
    from reports.mailing import summary_card_lines
    from reports.summary import compile_summary
    from reports.workcal import WorkCalendar

    if not actor.email:
        raise ValidationError(_("您的账号没有邮箱地址：请先在“修改个人信息”中填写邮箱，再测试发送。"), code="no_email")
    today = timezone.localdate(timezone=tenant.zone)
    day = WorkCalendar(tenant).previous_working(today)
    data = compile_summary(tenant=tenant, business_day=day)
    lines = [_("这是开通向导的测试发送，只发给您本人；正式汇总按设置的时间发给汇总收件人。"),
             _("业务日：%(d)s") % {"d": day}, *summary_card_lines(data)]
    rows = notify(tenant=tenant, kind=TEST_KIND, users=[actor],
                  subject=_("【测试】日报汇总 %(t)s %(d)s") % {"t": tenant.name, "d": day}, lines=lines,
                  link=reverse("reports:summaries"), link_label=_("查看日报汇总"), greeting=True)
    audit_record(tenant=tenant, actor=actor, verb="onboarding.test_send", obj=None,
                 after={"business_day": day, "messages": len(rows)}, request=request)
    return rows


# --- opening imports ------------------------------------------------------------------------


def _check(tenant, kind, content, filename, as_of):
    from contracts import opening

    if kind == OpeningKind.CONTRACTS:
        if not filename.lower().endswith((".xlsx", ".xlsm")):
            check = opening.Check()
            check.error(None, [_("文件类型不正确：请上传 Excel .xlsx 文件。")])
            return check
        return opening.check_contracts(tenant=tenant, content=content, as_of=as_of)
    return opening.pricelist_opening_check(tenant=tenant, content=content, filename=filename)


@transaction.atomic
def opening_upload(*, tenant, kind: str, filename: str, content: bytes, as_of: dt.date, actor,
                   request=None) -> OpeningImport:
    """Store the file with its validation: READY (preview + reconciliation totals) or INVALID."""
    if kind not in OpeningKind.values:
        raise ValidationError(_("未知的数据类型。"), code="bad_kind")
    check = _check(tenant, kind, content, filename, as_of)
    job = OpeningImport.objects.create(
        tenant=tenant, kind=kind, filename=filename[:200], content=content,
        sha256=hashlib.sha256(content).hexdigest(), as_of=as_of, created_by=actor,
        status=OpeningStatus.READY if check.ok else OpeningStatus.INVALID, total_rows=check.total,
        error_rows=check.error_count, errors=check.errors, preview=check.preview, totals=check.totals,
        result={"new": check.new, "unchanged": check.unchanged} if kind == OpeningKind.CONTRACTS else {},
    )
    audit_record(tenant=tenant, actor=actor, verb="onboarding.opening_upload", obj=job,
                 after={"kind": kind, "filename": job.filename, "sha256": job.sha256, "as_of": as_of,
                        "status": job.status, "rows": check.total, "error_rows": check.error_count}, request=request)
    return job


@transaction.atomic
def opening_confirm(*, job: OpeningImport, actor, request=None) -> OpeningImport:
    """READY -> DONE, all or nothing: the file is checked again inside the transaction (the
    ledger may have moved since the preview); any bad row turns the job INVALID instead."""
    from contracts import opening

    job = OpeningImport.objects.select_for_update().get(pk=job.pk)
    if job.status != OpeningStatus.READY:
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认导入。") % {"s": job.get_status_display()},
                              code="not_ready")
    content = bytes(job.content)
    if job.kind == OpeningKind.CONTRACTS:
        check = opening.apply_contracts(tenant=job.tenant, actor=actor, content=content, as_of=job.as_of,
                                        source=f"opening:{job.pk}")
        outcome = {"new": check.new, "unchanged": check.unchanged,
                   "batches": sum(len(r) for r in check.runs.values()) if check.new else 0}
    else:
        check = _check(job.tenant, job.kind, content, job.filename, job.as_of)
        outcome = None
        if check.ok:
            outcome = opening.pricelist_opening_apply(tenant=job.tenant, actor=actor, rows=check.rows,
                                                      effective_on=job.as_of)
    if not check.ok:
        job.status, job.errors, job.error_rows = OpeningStatus.INVALID, check.errors, check.error_count
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "error_rows", "finished_at"])
        audit_record(tenant=job.tenant, actor=actor, verb="onboarding.opening_invalid", obj=job,
                     after={"error_rows": check.error_count}, request=request)
        return job
    job.status, job.finished_at, job.result = OpeningStatus.DONE, timezone.now(), {**job.result, **outcome}
    job.save(update_fields=["status", "finished_at", "result"])
    audit_record(tenant=job.tenant, actor=actor, verb="onboarding.opening_apply", obj=job,
                 before={"status": OpeningStatus.READY}, after={"status": job.status, **outcome}, request=request)
    return job


def opening_run_file(*, tenant, kind: str, path, as_of: dt.date, actor=None) -> OpeningImport:
    """For the commands: upload + confirm in one go; the whole file or nothing."""
    with open(path, "rb") as fh:
        content = fh.read()
    job = opening_upload(tenant=tenant, kind=kind, filename=str(path).rsplit("/", 1)[-1], content=content,
                         as_of=as_of, actor=actor)
    if job.status == OpeningStatus.READY:
        job = opening_confirm(job=job, actor=actor)
    return job
