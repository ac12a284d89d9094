"""Every write of the reports app except imports (``imports.py``) and summary sending
(``mailing.py``): filing, partners' paper originals, targets, calendar overrides,
summary recipients. Keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.concurrency import lock_or_create
from marketing.models import Branch, Tenant

from .models import (
    DailyReport,
    MonthlyTarget,
    RecipientOverride,
    ReportAmendment,
    ReportStatus,
    SignedPartner,
    WorkdayOverride,
)
from .workcal import WorkCalendar

# Apps that keep their own record of the day's new partners (customers/partners) append a
# callable ``hook(*, report, actor, request)``; it runs inside report_save's transaction.
PARTNER_HOOKS: list = []

REPORT_FIELDS = ["narrative", "customer_visits", "contracts_signed", "problems", "next_plan"]
PARTNER_FIELDS = ["kind", "name", "city", "contact"]


def _report_state(report: DailyReport) -> dict:
    state = model_snapshot(report, REPORT_FIELDS)
    state["partners"] = [model_snapshot(p, PARTNER_FIELDS) for p in report.partners.order_by("id")]
    return state


def _lock_or_create_report(*, tenant, branch, business_day, actor, due_at) -> DailyReport:
    report = DailyReport.objects.select_for_update().filter(tenant=tenant, branch=branch, business_day=business_day).first()
    if report is not None:
        return report
    try:
        with transaction.atomic():
            return DailyReport.objects.create(
                tenant=tenant, branch=branch, business_day=business_day, created_by=actor, due_at=due_at
            )
    except IntegrityError:
        # Someone else created it a moment ago: lock theirs.
        return DailyReport.objects.select_for_update().get(tenant=tenant, branch=branch, business_day=business_day)


def _sync_partners(report: DailyReport, partners: list[dict]) -> None:
    """Rows with an ``id`` update that partner of this report; rows without one are new;
    this report's partners not listed are removed. The paper flag is kept."""
    existing = {p.pk: p for p in report.partners.all()}
    keep = set()
    for row in partners:
        pk = row.get("id")
        if pk and pk in existing:
            partner = existing[pk]
            for f in PARTNER_FIELDS:
                setattr(partner, f, row[f])
            partner.full_clean()
            partner.save(update_fields=PARTNER_FIELDS)
            keep.add(pk)
        else:
            partner = SignedPartner(tenant_id=report.tenant_id, report=report, branch_id=report.branch_id,
                                    **{f: row[f] for f in PARTNER_FIELDS})
            partner.full_clean()
            partner.save()
    report.partners.exclude(pk__in=keep).filter(pk__in=list(existing)).delete()


@transaction.atomic
def report_save(
    *,
    tenant: Tenant,
    branch: Branch,
    business_day: dt.date,
    actor,
    data: dict,
    partners: list[dict],
    submit: bool,
    now: dt.datetime | None = None,
    request=None,
) -> DailyReport:
    """Create or edit the report of ``branch`` for ``business_day``. ``submit`` files it;
    a draft stays a draft otherwise. A submitted report stays submitted; an edit after its
    deadline is kept as a late amendment (``ReportAmendment``)."""
    now = now or timezone.now()
    if branch.tenant_id != tenant.pk:
        raise ValidationError(_("分公司不属于本租户。"), code="cross_tenant")
    if not branch.is_active:
        raise ValidationError(_("该分公司已停用，不能填报。"), code="branch_inactive")
    calendar = WorkCalendar(tenant)
    if business_day > now.astimezone(tenant.zone).date():
        raise ValidationError(_("不能填报未来日期的日报。"), code="future_day")
    if not calendar.is_working(business_day):
        raise ValidationError(
            _("%(day)s 不是工作日，无需填报日报。"), params={"day": business_day.isoformat()}, code="not_working_day"
        )
    report = _lock_or_create_report(
        tenant=tenant, branch=branch, business_day=business_day, actor=actor, due_at=calendar.due_at(business_day)
    )
    before = _report_state(report)
    was_submitted = report.is_submitted
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    update = [*REPORT_FIELDS, "updated_at"]
    if submit and not was_submitted:
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = now
        report.submitted_by = actor
        update += ["status", "submitted_at", "submitted_by"]
    report.full_clean(exclude=["tenant", "branch", "created_by", "submitted_by"])
    report.save(update_fields=update)
    _sync_partners(report, partners)
    for hook in PARTNER_HOOKS:
        hook(report=report, actor=actor, request=request)
    after = _report_state(report)
    old, new = changed_fields(before, after)
    late_amendment = was_submitted and now >= report.due_at and bool(new)
    if late_amendment:
        ReportAmendment.objects.create(tenant=tenant, report=report, changed_by=actor, before=old, after=new)
        report.amended_at = now
        report.save(update_fields=["amended_at"])
    if submit and not was_submitted:
        verb = "reports.report_submit"
        new = {**new, "submitted_at": now.isoformat(), "late": now >= report.due_at}
    elif late_amendment:
        verb = "reports.report_amend_late"
    elif was_submitted:
        verb = "reports.report_edit"
    else:
        verb = "reports.report_draft"
    if new or verb == "reports.report_submit":
        audit_record(tenant=tenant, actor=actor, verb=verb, obj=report, before=old, after=new, request=request)
    return report


@transaction.atomic
def partner_set_paper_received(*, partner: SignedPartner, actor, received: bool, request=None) -> SignedPartner:
    partner = SignedPartner.objects.select_for_update().get(pk=partner.pk)
    if partner.paper_received == received:
        return partner
    partner.paper_received = received
    partner.paper_received_at = timezone.now() if received else None
    partner.save(update_fields=["paper_received", "paper_received_at"])
    audit_record(
        tenant=partner.tenant, actor=actor, verb="reports.partner_paper", obj=partner,
        before={"paper_received": not received}, after={"paper_received": received}, request=request,
    )
    return partner


@transaction.atomic
def target_set(*, tenant: Tenant, branch: Branch, month: dt.date, amount: Decimal, actor, request=None) -> MonthlyTarget:
    if branch.tenant_id != tenant.pk:
        raise ValidationError(_("分公司不属于本租户。"), code="cross_tenant")
    if amount is None or amount < 0:
        raise ValidationError(_("目标金额不能为负数。"), code="negative_amount")
    month = month.replace(day=1)
    target, created = lock_or_create(MonthlyTarget, tenant=tenant, branch=branch, month=month,
                                     defaults={"amount": amount})
    before = None if created else {"amount": format(target.amount, "f")}
    if not created and target.amount == amount:
        return target
    if not created:
        target.amount = amount
        target.save(update_fields=["amount", "updated_at"])
    audit_record(tenant=tenant, actor=actor, verb="reports.target_set", obj=target, before=before,
                 after={"amount": format(Decimal(amount), "f")}, request=request)
    return target


@transaction.atomic
def override_set(*, tenant: Tenant, day: dt.date, is_working: bool, note: str, actor, request=None) -> WorkdayOverride:
    override, created = lock_or_create(WorkdayOverride, tenant=tenant, day=day,
                                       defaults={"is_working": is_working, "note": note})
    before = None if created else model_snapshot(override, ["is_working", "note"])
    if not created:
        override.is_working, override.note = is_working, note
        override.save(update_fields=["is_working", "note"])
    audit_record(tenant=tenant, actor=actor, verb="reports.calendar_override", obj=override, before=before,
                 after=model_snapshot(override, ["is_working", "note"]), request=request)
    return override


@transaction.atomic
def override_delete(*, override: WorkdayOverride, actor, request=None) -> None:
    override = WorkdayOverride.objects.select_for_update().get(pk=override.pk)
    audit_record(tenant=override.tenant, actor=actor, verb="reports.calendar_override_delete", obj=override,
                 before=model_snapshot(override, ["day", "is_working", "note"]), request=request)
    override.delete()


@transaction.atomic
def recipient_set(*, tenant: Tenant, user, include: bool | None, actor, request=None) -> None:
    """``include`` True adds the user, False leaves them out, None returns to the default."""
    row = RecipientOverride.objects.select_for_update().filter(tenant=tenant, user=user).first()
    before = {"include": row.include} if row else None
    if include is None:
        if row is None:
            return
        row.delete()
    elif row is None:
        row, created = lock_or_create(RecipientOverride, tenant=tenant, user=user, defaults={"include": include})
        if not created:  # a parallel save made it first
            before = {"include": row.include}
            if row.include == include:
                return
            row.include = include
            row.save(update_fields=["include"])
    elif row.include == include:
        return
    else:
        row.include = include
        row.save(update_fields=["include"])
    audit_record(tenant=tenant, actor=actor, verb="reports.recipient_set", obj=user, before=before,
                 after={"include": include}, request=request)
