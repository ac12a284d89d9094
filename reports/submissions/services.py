"""Every write of the submissions app: one function per state change, atomic, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.approvals.models import FlowStatus
from marketing.audit import audit_record
from marketing.models import Branch, Membership
from marketing.selectors import visible_branches
from reports.workcal import WorkCalendar

from . import cadence, selectors
from .models import (
    Check,
    Feed,
    RevisionKind,
    Submission,
    SubmissionRevision,
    SubmissionRule,
    SubmissionStatus,
    SubmitterScope,
)

RULE_FIELDS = [
    "code", "name", "description", "fields", "submitter_roles", "scope", "cadence", "weekdays", "month_day",
    "period_month",
    "deadline_time", "shift_to_working_day", "remind_minutes_before", "reviewer_roles", "digest_roles",
    "digest_delay_minutes", "prefill", "source_code", "feed", "submit_check", "shared_library", "review_on_engine", "is_active",
    "sort_order",
]


def _snapshot(rule: SubmissionRule) -> dict:
    return {f: (str(getattr(rule, f)) if isinstance(getattr(rule, f), dt.time) else getattr(rule, f)) for f in RULE_FIELDS}


@transaction.atomic
def rule_save(*, tenant, actor, rule: SubmissionRule, expected_version: int | None = None, request=None) -> SubmissionRule:
    """Create or change a rule. ``expected_version`` refuses a save from a stale tab."""
    before = None
    if rule.pk:
        current = SubmissionRule.objects.select_for_update().get(tenant=tenant, pk=rule.pk)
        if expected_version is not None and current.version != expected_version:
            raise ValidationError(_("该规则已被他人修改，请刷新后再保存（您的输入已保留）。"), code="stale")
        before = _snapshot(current)
        rule.version = current.version + 1
    rule.tenant = tenant
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ValidationError(_("编码已被其他规则使用。"), code="duplicate_code")
    audit_record(tenant=tenant, actor=actor, verb="submissions.rule_saved", obj=rule, before=before,
                 after=_snapshot(rule), request=request)
    return rule


def may_submit_for(membership: Membership, rule: SubmissionRule, branch: Branch | None) -> bool:
    if not selectors.is_submitter(membership, rule):
        return False
    if rule.scope == SubmitterScope.BRANCH:
        return branch is not None and visible_branches(membership=membership).filter(pk=branch.pk).exists()
    return branch is None


def _lock_or_create(*, rule: SubmissionRule, period: dt.date, branch: Branch | None, user, due) -> tuple[Submission, bool]:
    lookup = {"tenant": rule.tenant, "rule": rule, "period": period}
    if rule.scope == SubmitterScope.BRANCH:
        lookup["branch"] = branch
    else:
        lookup.update(branch=None, submitter=user)
    existing = Submission.objects.select_for_update(of=("self",)).filter(**lookup).order_by("pk").first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Submission.objects.create(**{"submitter": user, **lookup}, due_at=due, data={}), True
    except IntegrityError:  # a parallel first save won: work on its row
        return Submission.objects.select_for_update(of=("self",)).get(**lookup), False


@transaction.atomic
def submission_save(
    *, membership: Membership, rule: SubmissionRule, period: dt.date, branch: Branch | None, data: dict,
    submit: bool, expected_version: int | None = None, request=None, now: dt.datetime | None = None,
) -> Submission:
    """Save (draft) or submit one period's submission. A returned submission is rewritten
    as the next revision; an accepted one may be changed and goes back to review."""
    now = now or timezone.now()
    tenant = membership.tenant
    if not may_submit_for(membership, rule, branch):
        raise PermissionDenied
    cal = WorkCalendar(tenant)
    if not cadence.is_period(rule, period, cal):
        raise ValidationError(_("%(day)s 不是该规则的填报期次。") % {"day": period}, code="bad_period")
    due = cadence.due_at(rule, period, cal)
    sub, created = _lock_or_create(rule=rule, period=period, branch=branch, user=membership.user, due=due)
    if not created and expected_version is not None and sub.version != expected_version:
        raise ValidationError(_("该报表已在其他页面或由他人保存过，请刷新后再提交（您的输入已保留）。"), code="stale")
    flow = engine_flow(sub) if rule.review_on_engine and not created else None
    if flow is not None and flow.status == FlowStatus.IN_PROGRESS:
        raise ValidationError(_("该报表正在审批中，请先在审批记录中撤回后再修改（您的输入已保留）。"), code="in_approval")
    if submit and rule.submit_check == Check.REGION_TARGET:
        check_region_target(membership=membership, period=period, data=data)
    if submit and rule.submit_check == Check.EVERY_PERSON:
        check_every_person(rule=rule, data=data)
    was_accepted = sub.status == SubmissionStatus.ACCEPTED
    before = {"status": sub.status, "revision": sub.revision, "data": sub.data}
    if sub.status == SubmissionStatus.ACCEPTED:
        SubmissionRevision.objects.create(
            tenant=tenant, submission=sub, revision=sub.revision, kind=RevisionKind.ACCEPTED, data=sub.data,
            submitted_at=sub.submitted_at, reviewed_by=sub.reviewed_by or membership.user,
            reviewed_at=sub.reviewed_at or now, comment=sub.review_comment,
        )
        sub.revision += 1
        submit = True  # a change to an accepted submission is always sent for review again
    elif sub.status == SubmissionStatus.RETURNED and submit:
        sub.revision += 1
    sub.data = data
    sub.search_text = flatten_text(rule, data)
    sub.submitter = membership.user
    if submit:
        sub.status = SubmissionStatus.SUBMITTED
        sub.submitted_at = now
        sub.first_submitted_at = sub.first_submitted_at or now
        sub.reviewed_by = None
        sub.reviewed_at = None
    elif sub.status not in (SubmissionStatus.RETURNED, SubmissionStatus.SUBMITTED):
        sub.status = SubmissionStatus.DRAFT
    sub.version += 1
    sub.save()
    audit_record(
        tenant=tenant, actor=membership.user, verb="submissions.submitted" if submit else "submissions.draft_saved",
        obj=sub, before=None if created else before,
        after={"status": sub.status, "revision": sub.revision, "data": sub.data}, request=request,
    )
    if submit and rule.review_on_engine:
        from marketing.approvals.services import approval_start

        approval_start(document=sub, actor=membership.user, request=request, reopen_approved=was_accepted)
    return sub


def engine_flow(sub: Submission):
    """The approval flow of a submission whose rule is reviewed on the engine (or None)."""
    from marketing.approvals.models import ApprovalFlow

    from .approval import KEY

    return ApprovalFlow.objects.filter(tenant_id=sub.tenant_id, document_type=KEY, object_id=sub.pk).first()


@transaction.atomic
def submission_review(
    *, membership: Membership, submission: Submission, accept: bool, comment: str = "",
    expected_version: int | None = None, request=None, now: dt.datetime | None = None,
) -> Submission:
    now = now or timezone.now()
    sub = Submission.objects.select_for_update(of=("self",)).select_related("rule", "branch").get(
        tenant=membership.tenant, pk=submission.pk
    )
    if sub.rule.review_on_engine and engine_flow(sub) is not None:
        raise ValidationError(_("该报表按审批流程审阅，请在审批待办中处理。"), code="on_engine")
    if not selectors.is_reviewer(membership, sub.rule):
        raise PermissionDenied
    if not selectors.visible_submissions(membership=membership, rule=sub.rule).filter(pk=sub.pk).exists():
        raise PermissionDenied  # a reviewer limited to branches reviews those branches only
    if sub.submitter_id == membership.user_id:
        raise ValidationError(_("不能审阅自己提交的报表。"), code="self_review")
    if expected_version is not None and sub.version != expected_version:
        raise ValidationError(_("该报表在您打开后已被修改，请刷新后再审阅。"), code="stale")
    if sub.status != SubmissionStatus.SUBMITTED:
        raise ValidationError(_("只有已提交、待审阅的报表可以审阅。"), code="not_submitted")
    comment = comment.strip()
    if not accept and not comment:
        raise ValidationError(_("退回重写时请写明意见。"), code="comment_required")
    before = {"status": sub.status}
    if accept:
        sub.status = SubmissionStatus.ACCEPTED
    else:
        SubmissionRevision.objects.create(
            tenant=sub.tenant, submission=sub, revision=sub.revision, kind=RevisionKind.RETURNED, data=sub.data,
            submitted_at=sub.submitted_at, reviewed_by=membership.user, reviewed_at=now, comment=comment,
        )
        sub.status = SubmissionStatus.RETURNED
    sub.reviewed_by = membership.user
    sub.reviewed_at = now
    sub.review_comment = comment
    sub.version += 1
    sub.save()
    audit_record(
        tenant=sub.tenant, actor=membership.user,
        verb="submissions.accepted" if accept else "submissions.returned", obj=sub, before=before,
        after={"status": sub.status, "comment": comment}, request=request,
    )
    if accept and sub.rule.feed == Feed.MONTHLY_TARGETS:
        _feed_monthly_target(submission=sub, actor=membership.user, request=request)
    return sub


# --- the approval engine's outcome (rules with review_on_engine; see approval.py) ----------


def _engine_outcome(sub: Submission, actor, *, status: str, verb: str, comment: str = "") -> None:
    now = timezone.now()
    before = {"status": sub.status}
    if status == SubmissionStatus.RETURNED:  # 签否: the drafter rewrites; this version stays visible
        SubmissionRevision.objects.create(
            tenant=sub.tenant, submission=sub, revision=sub.revision, kind=RevisionKind.RETURNED, data=sub.data,
            submitted_at=sub.submitted_at, reviewed_by=actor, reviewed_at=now, comment=comment,
        )
    sub.status = status
    if status != SubmissionStatus.DRAFT:
        sub.reviewed_by, sub.reviewed_at, sub.review_comment = actor, now, comment
    sub.version += 1
    sub.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "version", "updated_at"])
    audit_record(tenant=sub.tenant, actor=actor, verb=verb, obj=sub, before=before,
                 after={"status": status, "comment": comment, "via": "approval_engine"})


def on_engine_approved(sub: Submission, actor) -> None:
    """The chain's last signature: the plan is accepted (签准) and feeds what it feeds."""
    _engine_outcome(sub, actor, status=SubmissionStatus.ACCEPTED, verb="submissions.accepted")
    if sub.rule.feed == Feed.MONTHLY_TARGETS:
        _feed_monthly_target(submission=sub, actor=actor)


def on_engine_rejected(sub: Submission, actor, reason: str) -> None:
    _engine_outcome(sub, actor, status=SubmissionStatus.RETURNED, verb="submissions.returned", comment=reason)


def on_engine_withdrawn(sub: Submission, actor) -> None:
    """The submitter took it back to change it: a draft again (the first submission time stays,
    so lateness is still judged on the first hand-in)."""
    _engine_outcome(sub, actor, status=SubmissionStatus.DRAFT, verb="submissions.withdrawn")


def flatten_text(rule: SubmissionRule, data: dict) -> str:
    """Free text of a submission for searching (ids of customers/people are left out, so a
    search cannot find a customer the reader may not see)."""
    from .models import FieldType

    parts = []
    for spec in rule.fields or []:
        value = data.get(spec["key"])
        if spec.get("type") in (FieldType.TEXT, FieldType.TEXTAREA):
            parts.append(str(value or ""))
        elif spec.get("type") == FieldType.TABLE:
            text_cols = [c["key"] for c in spec.get("columns", []) if c.get("type") == FieldType.TEXT]
            parts += [str(row.get(c) or "") for row in value or [] for c in text_cols]
    return "\n".join(p for p in parts if p)[:20000]


def region_branch_targets(*, membership: Membership, month: dt.date) -> list[tuple[Branch, Decimal]]:
    """The month's targets of the branches a regional manager covers (0 where none is set)."""
    from reports.models import MonthlyTarget

    branches = list(visible_branches(membership=membership).filter(is_active=True).order_by("sort_order", "code"))
    amounts = dict(MonthlyTarget.objects.filter(tenant=membership.tenant, branch__in=branches, month=month)
                   .values_list("branch_id", "amount"))
    return [(b, amounts.get(b.pk, Decimal("0"))) for b in branches]


def check_region_target(*, membership: Membership, period: dt.date, data: dict) -> None:
    """S001-14: the region's target for the next month is set from the company plan and may
    not be lower than what its branches' targets add up to."""
    month = target_month(period)
    rows = region_branch_targets(membership=membership, month=month)
    total = sum((amount for _b, amount in rows), Decimal("0"))
    try:
        region = Decimal(str(data.get("region_target") or "0"))
    except InvalidOperation:
        region = Decimal("0")
    if region < total:
        detail = "、".join(f"{b.name} ¥{amount:,.2f}" for b, amount in rows if amount)
        raise ValidationError(
            _("本区域 %(month)s 目标 ¥%(region)s 低于所辖分公司目标之和 ¥%(total)s（%(detail)s）。") % {
                "month": f"{month:%Y-%m}", "region": f"{region:,.2f}", "total": f"{total:,.2f}", "detail": detail},
            code="region_below_branches",
        )


def check_every_person(*, rule: SubmissionRule, data: dict) -> None:
    """S002-11: the month's tasks are assigned to every person: each active submitter of the
    source rule (every salesperson) needs a row with a task in the rule's task table (the
    first table with a person column)."""
    source = SubmissionRule.objects.filter(tenant=rule.tenant, code=rule.source_code).first()
    table, person = rule.person_table()
    if source is None or table is None:
        return
    others = [c["key"] for c in table["columns"] if c["key"] != person]
    tasked = {row.get(person) for row in data.get(table["key"]) or []
              if isinstance(row, dict) and any(str(row.get(k) or "").strip() for k in others)}
    missing = [u for _b, u in selectors.expected_submitters(rule=source) if u is not None and u.pk not in tasked]
    if missing:
        raise ValidationError(
            _("以下人员尚未分配任务：%(names)s。") % {"names": "、".join(u.display_name for u in missing)},
            code="person_without_task",
        )


def target_month(period: dt.date) -> dt.date:
    """Monthly targets submitted by the 26th are for the next month (seed 004 SC-004 timing)."""
    return (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def table_total(data: dict, column: str = "target") -> Decimal:
    total = Decimal("0")
    for table in (v for v in data.values() if isinstance(v, list)):
        for row in table:
            raw = (row or {}).get(column)
            if raw in (None, ""):
                continue
            try:
                total += Decimal(str(raw))
            except InvalidOperation:
                continue
    return total


def _feed_monthly_target(*, submission: Submission, actor, request=None) -> None:
    """Accepted per-salesperson targets become the branch's monthly target: the one source
    the daily summary reads (reports.MonthlyTarget). Audited like every target change."""
    from reports.models import MonthlyTarget

    if submission.branch_id is None:
        return
    month = target_month(submission.period)
    amount = table_total(submission.data)
    row = MonthlyTarget.objects.select_for_update(of=("self",)).filter(
        tenant=submission.tenant, branch=submission.branch, month=month
    ).first()
    before = {"amount": str(row.amount)} if row else None
    if row is None:
        row = MonthlyTarget.objects.create(tenant=submission.tenant, branch=submission.branch, month=month, amount=amount)
    else:
        row.amount = amount
        row.save(update_fields=["amount", "updated_at"])
    audit_record(
        tenant=submission.tenant, actor=actor, verb="reports.target_set_from_submission", obj=row, before=before,
        after={"amount": str(amount), "month": month.isoformat(), "submission": submission.pk}, request=request,
    )


MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def attachment_add(*, submission: Submission, field_key: str, upload, actor) -> None:
    """Store an uploaded file for one attachment field. The file is written only once the
    surrounding transaction commits, so a rolled-back save leaves no file behind."""
    from .models import SubmissionAttachment

    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(_("附件不能超过 20 MB。"), code="too_big")
    name = str(upload.name)[-200:]
    item = SubmissionAttachment(tenant=submission.tenant, submission=submission, field_key=field_key,
                                original_name=name, uploaded_by=actor)
    from marketing.files import save_on_commit

    save_on_commit(item.file, name, upload)  # written when the transaction commits
    item.save()
    audit_record(tenant=submission.tenant, actor=actor, verb="submissions.attachment_added", obj=submission,
                 after={"file": name, "field": field_key})
