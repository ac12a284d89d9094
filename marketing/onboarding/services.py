"""Every write of the checklist: start, confirm an item, skip a step (with its reason) or undo
the skip, the test send of the daily summary, and the opening-balance imports (upload, confirm).
Keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record

from .models import MarkKind, OpeningImport, OpeningKind, OpeningStatus, SetupMark, TenantSetup
from .steps import STEP_KEYS, TEST_KIND, chain_types

log = logging.getLogger(__name__)
# a check that reported no progress for this long is taken over by the next delivery of its task
# (the check writes nothing but the job row; the apply needs no such rule: see opening_apply)
STALE_CHECK = dt.timedelta(minutes=10)


def setup_start(*, tenant, actor=None) -> TenantSetup:
    """The tenant moves in through the checklist (``create_tenant`` calls this). Idempotent."""
    with transaction.atomic():
        setup, created = TenantSetup.objects.get_or_create(tenant=tenant)
        if created:
            audit_record(tenant=tenant, actor=actor, verb="onboarding.start", obj=setup)
    return setup


def setup_complete(*, tenant, actor=None) -> bool:
    """Every required step is settled: the home card stops showing (and computing) the checklist.
    Once only (a conditional update); the checklist page itself stays live."""
    with transaction.atomic():
        changed = TenantSetup.objects.filter(tenant=tenant, completed_at__isnull=True).update(
            completed_at=timezone.now())
        if changed:
            audit_record(tenant=tenant, actor=actor, verb="onboarding.complete",
                         obj=TenantSetup.objects.get(tenant=tenant))
    return bool(changed)


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


def _check(tenant, kind, content, filename, as_of, progress=None):
    from contracts import opening

    if kind == OpeningKind.CONTRACTS:
        if not filename.lower().endswith((".xlsx", ".xlsm")):
            check = opening.Check()
            check.error(None, [_("文件类型不正确：请上传 Excel .xlsx 文件。")])
            return check
        return opening.check_contracts(tenant=tenant, content=content, as_of=as_of, progress=progress)
    return opening.pricelist_opening_check(tenant=tenant, content=content, filename=filename)


def _progress_key(job_id: int) -> str:
    return f"onboarding:opening:{job_id}:progress"


def live_progress(job: OpeningImport) -> OpeningImport:
    """While the apply task runs, its rows-done count lives in the cache (the task writes inside
    one transaction, so a row update would not be seen until it ends). For the progress page."""
    if job.status == OpeningStatus.APPLYING:
        seen = cache.get(_progress_key(job.pk))
        if seen:
            job.processed_rows, job.total_rows = seen[0], max(seen[1], job.total_rows)
    return job


def _check_progress(job: OpeningImport):
    def progress(done: int, total: int) -> None:  # autocommit: the page sees it at once
        OpeningImport.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=max(done, total),
                                                       heartbeat_at=timezone.now())
    return progress


def _apply_progress(job: OpeningImport):
    def progress(done: int, total: int) -> None:
        cache.set(_progress_key(job.pk), (done, max(done, job.total_rows or total)), 24 * 3600)
    return progress


@transaction.atomic
def opening_create(*, tenant, kind: str, filename: str, content: bytes, as_of: dt.date, actor,
                   request=None) -> OpeningImport:
    """Store the uploaded file as a PENDING job (the check runs in ``opening_check``)."""
    if kind not in OpeningKind.values:
        raise ValidationError(_("未知的数据类型。"), code="bad_kind")
    job = OpeningImport.objects.create(
        tenant=tenant, kind=kind, filename=filename[:200], content=content, status=OpeningStatus.PENDING,
        sha256=hashlib.sha256(content).hexdigest(), as_of=as_of, created_by=actor, heartbeat_at=timezone.now())
    audit_record(tenant=tenant, actor=actor, verb="onboarding.opening_upload", obj=job,
                 after={"kind": kind, "filename": job.filename, "sha256": job.sha256, "as_of": as_of}, request=request)
    return job


def opening_upload(*, tenant, kind: str, filename: str, content: bytes, as_of: dt.date, actor,
                   request=None) -> OpeningImport:
    """The browser upload: store the job and queue its check (after commit)."""
    from .tasks import check_opening

    with transaction.atomic():
        job = opening_create(tenant=tenant, kind=kind, filename=filename, content=content, as_of=as_of,
                             actor=actor, request=request)
        transaction.on_commit(lambda: check_opening.delay(tenant.pk, job.pk))
    return job


def _fail(job: OpeningImport, exc: BaseException) -> OpeningImport:
    """Any unexpected error ends the job FAILED with a message (nothing is written: the apply
    transaction is rolled back before this runs); a job is never left running."""
    log.exception("opening import %s (%s) failed", job.pk, job.kind)
    message = _("处理文件时出错（%(err)s），没有导入任何数据。请检查文件后重新上传；如仍失败请联系管理员。") % {
        "err": type(exc).__name__}
    with transaction.atomic():
        job = OpeningImport.objects.select_for_update().defer("content").get(pk=job.pk)
        if job.is_final:
            return job
        before = job.status
        job.status, job.errors, job.error_rows = OpeningStatus.FAILED, [{"row": None, "messages": [message]}], 1
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "error_rows", "finished_at"])
        audit_record(tenant=job.tenant, actor=None, verb="onboarding.opening_failed", obj=job,
                     before={"status": before}, after={"status": job.status, "error": message})
    return job


def opening_check(*, job: OpeningImport) -> OpeningImport:
    """The check task's body: PENDING -> CHECKING (claimed under select_for_update, so a
    duplicated task does nothing) -> READY (preview + reconciliation totals) or INVALID; any
    unexpected error: FAILED. Outside one big transaction, so the progress writes are seen."""
    with transaction.atomic():
        job = OpeningImport.objects.select_for_update().defer("content").get(pk=job.pk)
        stale = (job.status == OpeningStatus.CHECKING and job.heartbeat_at is not None
                 and job.heartbeat_at < timezone.now() - STALE_CHECK)  # a redelivery after a dead worker
        if job.status != OpeningStatus.PENDING and not stale:
            return job
        job.status, job.heartbeat_at, job.processed_rows = OpeningStatus.CHECKING, timezone.now(), 0
        job.save(update_fields=["status", "heartbeat_at", "processed_rows"])
    try:
        content = bytes(OpeningImport.objects.filter(pk=job.pk).values_list("content", flat=True).get())
        check = _check(job.tenant, job.kind, content, job.filename, job.as_of, progress=_check_progress(job))
        with transaction.atomic():
            job = OpeningImport.objects.select_for_update().defer("content").get(pk=job.pk)
            if job.status != OpeningStatus.CHECKING:
                return job
            job.status = OpeningStatus.READY if check.ok else OpeningStatus.INVALID
            job.total_rows = job.processed_rows = check.total
            job.error_rows, job.errors, job.preview, job.totals = check.error_count, check.errors, check.preview, \
                check.totals
            job.result = {"new": check.new, "unchanged": check.unchanged} if job.kind == OpeningKind.CONTRACTS else {}
            if not check.ok:
                job.finished_at = timezone.now()
            job.save(update_fields=["status", "total_rows", "processed_rows", "error_rows", "errors", "preview",
                                    "totals", "result", "finished_at"])
            audit_record(tenant=job.tenant, actor=None, verb="onboarding.opening_check", obj=job,
                         after={"status": job.status, "rows": check.total, "error_rows": check.error_count})
        return job
    except Exception as exc:
        return _fail(job, exc)


@transaction.atomic
def opening_confirm(*, job: OpeningImport, actor, request=None, enqueue: bool = True) -> OpeningImport:
    """The admin confirmed the preview: READY -> APPLYING, claimed under select_for_update (a
    double click, or two tabs, finds it APPLYING and is refused: nothing is queued twice); the
    apply task is queued after commit (``enqueue=False``: the caller runs ``opening_apply``)."""
    job = OpeningImport.objects.select_for_update().defer("content").get(pk=job.pk)
    if job.status != OpeningStatus.READY:
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认导入。") % {"s": job.get_status_display()},
                              code="not_ready")
    job.status, job.confirmed_by, job.processed_rows = OpeningStatus.APPLYING, actor, 0
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "confirmed_by", "processed_rows", "heartbeat_at"])
    audit_record(tenant=job.tenant, actor=actor, verb="onboarding.opening_confirm", obj=job,
                 before={"status": OpeningStatus.READY}, after={"status": job.status}, request=request)
    if enqueue:
        from .tasks import apply_opening

        tenant_id, job_id = job.tenant_id, job.pk
        transaction.on_commit(lambda: apply_opening.delay(tenant_id, job_id))
    return job


def opening_apply(*, job: OpeningImport) -> OpeningImport:
    """The apply task's body: APPLYING -> DONE, all or nothing, exactly once. The job row stays
    locked (select_for_update) for the whole write and turns DONE in the same transaction, so a
    duplicated or redelivered task waits, then finds it DONE and writes nothing; a worker that
    dies mid-way rolls everything back and leaves it APPLYING for the redelivery (acks_late).
    The file is checked again in the same pass (the ledger may have moved since the preview): a
    bad row turns the job INVALID with nothing written; an unexpected error: FAILED."""
    from contracts import opening

    try:
        with transaction.atomic():
            job = OpeningImport.objects.select_for_update().get(pk=job.pk)
            if job.status != OpeningStatus.APPLYING:
                return job
            actor, content = job.confirmed_by, bytes(job.content)
            outcome = None
            try:
                if job.kind == OpeningKind.CONTRACTS:
                    check = opening.apply_contracts(tenant=job.tenant, actor=actor, content=content, as_of=job.as_of,
                                                    source=f"opening:{job.pk}", progress=_apply_progress(job))
                    outcome = {"new": check.new, "unchanged": check.unchanged}
                else:
                    check = _check(job.tenant, job.kind, content, job.filename, job.as_of)
                    if check.ok:
                        with transaction.atomic():
                            outcome = opening.pricelist_opening_apply(tenant=job.tenant, actor=actor, rows=check.rows,
                                                                      effective_on=job.as_of)
            except ValidationError as exc:  # refused as a whole (already published, number taken meanwhile)
                check = opening.Check(total=job.total_rows)
                check.error(None, exc.messages)
            job.finished_at, job.processed_rows = timezone.now(), check.total
            if not check.ok:
                job.status, job.errors, job.error_rows = OpeningStatus.INVALID, check.errors, check.error_count
                job.save(update_fields=["status", "errors", "error_rows", "finished_at", "processed_rows"])
                audit_record(tenant=job.tenant, actor=actor, verb="onboarding.opening_invalid", obj=job,
                             after={"error_rows": check.error_count})
                return job
            job.status, job.result = OpeningStatus.DONE, {**job.result, **outcome}
            job.save(update_fields=["status", "finished_at", "result", "processed_rows"])
            audit_record(tenant=job.tenant, actor=actor, verb="onboarding.opening_apply", obj=job,
                         before={"status": OpeningStatus.APPLYING}, after={"status": job.status, **outcome})
        return job
    except Exception as exc:
        return _fail(job, exc)
    finally:
        cache.delete(_progress_key(job.pk))


def opening_run_file(*, tenant, kind: str, path, as_of: dt.date, actor=None) -> OpeningImport:
    """For the commands: upload, check and apply in this process; the whole file or nothing."""
    with open(path, "rb") as fh:
        content = fh.read()
    job = opening_create(tenant=tenant, kind=kind, filename=str(path).rsplit("/", 1)[-1], content=content,
                         as_of=as_of, actor=actor)
    job = opening_check(job=job)
    if job.status == OpeningStatus.READY:
        job = opening_apply(job=opening_confirm(job=job, actor=actor, enqueue=False))
    return job


# --- organisation from an xlsx (组织架构: 地区, 地区代码, 分公司, 分公司代码, 城市) ---------------

ORG_COLUMNS = {"region": ("地区", "大区", "地区名称", "region"), "region_code": ("地区代码", "region_code"),
               "branch": ("分公司", "分公司名称", "branch"), "branch_code": ("分公司代码", "branch_code"),
               "city": ("城市", "city")}


def org_check(*, tenant, content: bytes) -> tuple[list[dict], list[dict]]:
    """(rows to create, errors). An existing region or branch (same code) is left as it is."""
    import re

    from contracts import opening
    from marketing.models import Branch, Region
    from marketing.xlsx import Limits

    check = opening.Check()
    code_re = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
    regions = {r.code: r for r in Region.objects.filter(tenant=tenant)}
    branches = {b.code: b for b in Branch.objects.filter(tenant=tenant).select_related("region")}
    plan, seen = [], {}
    for row_no, raw in opening._rows(content, check, columns=ORG_COLUMNS, required=tuple(ORG_COLUMNS)[:4],
                                     limits=Limits(max_rows=5000)):
        messages = []
        text = {k: ("" if raw.get(k) is None else str(raw.get(k)).strip()) for k in ORG_COLUMNS}
        for k in ("region", "region_code", "branch", "branch_code"):
            if not text[k]:
                messages.append(_("%(c)s为空。") % {"c": ORG_COLUMNS[k][0]})
        for k in ("region_code", "branch_code"):
            if text[k] and not code_re.match(text[k]):
                messages.append(_("%(c)s只能包含字母、数字、-和_：%(v)s") % {"c": ORG_COLUMNS[k][0], "v": text[k]})
        if text["branch_code"] in seen:
            messages.append(_("分公司代码 %(c)s 与第 %(r)s 行重复。") % {"c": text["branch_code"], "r": seen[text["branch_code"]]})
        existing = branches.get(text["branch_code"])
        if existing is not None and existing.region.code != text["region_code"]:
            messages.append(_("分公司 %(b)s 已属于地区 %(r)s。") % {"b": existing.name, "r": existing.region.name})
        seen[text["branch_code"]] = row_no
        if messages:
            check.error(row_no, messages)
        else:
            plan.append({**text, "row": row_no, "exists": existing is not None,
                         "region_exists": text["region_code"] in regions})
        check.total += 1
    if not check.total and not check.error_count:
        check.error(None, [_("文件为空：没有数据行。")])
    return plan, check.errors


@transaction.atomic
def org_import(*, tenant, actor, content: bytes, request=None) -> dict:
    """Create the regions and branches the file names that do not exist yet; all or nothing;
    the same file again creates nothing."""
    from marketing import services as platform
    from marketing.models import Region

    plan, errors = org_check(tenant=tenant, content=content)
    if errors:
        return {"errors": errors, "regions": 0, "branches": 0}
    regions = {r.code: r for r in Region.objects.select_for_update().filter(tenant=tenant)}
    made_regions = made_branches = 0
    for i, row in enumerate(plan):
        region = regions.get(row["region_code"])
        if region is None:
            region = platform.region_create(tenant=tenant, actor=actor, request=request, name=row["region"][:60],
                                            code=row["region_code"], sort_order=len(regions))
            regions[region.code] = region
            made_regions += 1
        if not row["exists"]:
            platform.branch_create(tenant=tenant, actor=actor, request=request, region=region,
                                   name=row["branch"][:60], code=row["branch_code"], city=row["city"][:40],
                                   sort_order=i)
            made_branches += 1
    return {"errors": [], "regions": made_regions, "branches": made_branches}


# --- accounts from the roster (roles by 岗位) ------------------------------------------------

# 岗位 (as HR writes it) -> role; a position not listed gets no account (HQ staff are added by hand)
POSITION_ROLES = {"分公司总经理": "branch_gm", "分总": "branch_gm", "总经理": "branch_gm", "出纳": "branch_cashier",
                  "分公司出纳": "branch_cashier", "大区经理": "regional_manager", "销售": "salesperson",
                  "业务员": "salesperson", "销售经理": "salesperson", "销售顾问": "salesperson",
                  "营销人员": "salesperson"}


def roster_plan(*, tenant) -> dict:
    """Who would get an account: employed roster entries whose 岗位 maps to a role and who have
    no account of that name in that branch yet. With the reconciliation per branch and role."""
    from collections import Counter

    from marketing.models import BranchUserObjectPermission, Membership
    from marketing.roles import Role
    from reports.models import RosterEntry

    today = timezone.localdate(timezone=tenant.zone)
    named = {}
    for m in Membership.objects.filter(tenant=tenant).select_related("user"):
        named.setdefault(m.user.full_name, set()).add(m.user_id)
    grants = {}
    for user_id, branch_id in BranchUserObjectPermission.objects.filter(
            tenant=tenant, permission__codename="act_for_branch").values_list("user_id", "content_object_id"):
        grants.setdefault(user_id, set()).add(branch_id)
    create, unmapped, existing = [], Counter(), 0
    per = Counter()
    for e in RosterEntry.objects.filter(tenant=tenant).select_related("branch").order_by("branch__sort_order", "pk"):
        if e.leave_date and e.leave_date <= today:
            continue
        role = POSITION_ROLES.get(e.position.strip())
        if role is None:
            unmapped[e.position] += 1
            continue
        if any(e.branch_id in grants.get(uid, ()) for uid in named.get(e.name, ())):
            existing += 1
            continue
        create.append({"entry": e, "role": role, "role_label": Role(role).label})
        per[(e.branch.name, str(Role(role).label))] += 1
    return {"create": create, "per_branch_role": sorted(per.items()), "unmapped": sorted(unmapped.items()),
            "existing": existing}


@transaction.atomic
def accounts_from_roster(*, tenant, actor, request=None) -> int:
    """One account per planned roster entry, role by 岗位, assigned to its branch, no password
    (the admin sets one, or the company sign-in is used). Again: creates nobody twice."""
    from django_scopes import scopes_disabled

    from marketing import services as platform
    from marketing.models import User

    made = 0
    for item in roster_plan(tenant=tenant)["create"]:
        e = item["entry"]
        phone = "".join(ch for ch in (e.phone or "") if ch.isdigit())
        base = f"{tenant.slug}-{phone}" if phone else f"{tenant.slug}-{e.branch.code.lower()}-{e.pk}"
        username, n = base[:150], 1
        with scopes_disabled():
            while User.objects.filter(username__iexact=username).exists():
                n += 1
                username = f"{base[:140]}-{n}"
        platform.user_create(tenant=tenant, actor=actor, username=username, password=None, full_name=e.name,
                             phone=phone[:20], title=e.position[:60], roles=[item["role"]], branches=[e.branch],
                             request=request)
        made += 1
    audit_record(tenant=tenant, actor=actor, verb="onboarding.accounts_from_roster", obj=None, after={"created": made},
                 request=request)
    return made


# --- invitations for the roster-made accounts (the people app's one-time links) -------------


def invitations_available() -> bool:
    from django.apps import apps

    return apps.is_installed("marketing.people")


def accounts_to_invite(*, tenant):
    """Active members who cannot sign in with a password yet (the accounts made from the roster
    have none), each with the state of their last invitation link. Two queries (plus the page)."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from marketing.models import Membership

    return (Membership.objects.filter(tenant=tenant, is_active=True,
                                      user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .select_related("user").order_by("user__full_name", "pk"))


def invitation_states(*, tenant, users) -> dict[int, str]:
    """user id -> "pending" (an unused link still valid), "used", "expired" (the last one)."""
    from marketing.people.models import Invitation

    now, out = timezone.now(), {}
    for inv in Invitation.objects.filter(tenant=tenant, user__in=users).order_by("user_id", "-created_at", "-id"):
        if inv.user_id in out:
            continue
        out[inv.user_id] = ("used" if inv.used_at else "expired" if inv.revoked_at or inv.expires_at <= now
                            else "pending")
    return out
