"""Reads shared by views, tasks and exports. Each takes the tenant (or a membership)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, Membership, User
from marketing.roles import SUMMARY_RECIPIENT_ROLES, Cap
from marketing.selectors import users_with_roles, visible_branches

from .models import (
    DailyReport,
    DailySummary,
    ImportJob,
    MonthlyTarget,
    RecipientOverride,
    SignedPartner,
)
from .workcal import WorkCalendar


class FilingState:
    ON_TIME = "on_time"
    LATE = "late"
    PENDING = "pending"
    MISSING = "missing"

    LABELS = {ON_TIME: _("按时"), LATE: _("迟报"), PENDING: _("待提交"), MISSING: _("未报")}
    TONES = {ON_TIME: "ok", LATE: "warn", PENDING: "muted", MISSING: "bad"}


def filing_state(report: DailyReport | None, due_at: dt.datetime, now: dt.datetime) -> str:
    """On time when submitted strictly before the deadline (09:59:59 yes, 10:00:00 no)."""
    if report is not None and report.submitted_at is not None:
        return FilingState.LATE if report.submitted_at >= report.due_at else FilingState.ON_TIME
    return FilingState.PENDING if now < due_at else FilingState.MISSING


def format_delay(delta: dt.timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(gettext("%(n)d天") % {"n": days})
    if hours:
        parts.append(gettext("%(n)d小时") % {"n": hours})
    if mins or not parts:
        parts.append(gettext("%(n)d分钟") % {"n": mins})
    return "".join(parts)


def can_file(membership: Membership) -> bool:
    """The tenant decides which roles file (default: branch GM)."""
    allowed = set(membership.tenant.report_filing_roles or [])
    return bool(allowed & set(membership.roles))


def filing_branches(*, membership: Membership) -> QuerySet[Branch]:
    if not can_file(membership):
        return Branch.objects.none()
    return visible_branches(membership=membership).filter(is_active=True)


def report_reach(*, membership: Membership) -> QuerySet[DailyReport]:
    """Reports this member may read: all with REPORTS_VIEW_ALL, else their branches' ones."""
    qs = DailyReport.objects.filter(tenant_id=membership.tenant_id).select_related("branch", "branch__region", "submitted_by")
    if membership.can(Cap.REPORTS_VIEW_ALL):
        return qs
    return qs.filter(branch__in=visible_branches(membership=membership))


def may_see_reports(membership: Membership) -> bool:
    return membership.can(Cap.REPORTS_VIEW_ALL) or membership.can(Cap.REPORTS_FILE) or can_file(membership)


@dataclass
class BoardRow:
    branch: Branch
    report: DailyReport | None
    state: str
    late_by: str

    @property
    def label(self):
        return FilingState.LABELS[self.state]

    @property
    def tone(self):
        return FilingState.TONES[self.state]


def board(*, tenant, business_day: dt.date, now: dt.datetime, branches: QuerySet[Branch] | None = None,
          calendar: WorkCalendar | None = None) -> dict:
    """Filing status of every active branch for one business day. Three queries; only the
    columns the board shows are read (200 branches and their reports on every load)."""
    calendar = calendar or WorkCalendar(tenant)
    due_at = calendar.due_at(business_day)
    branches = (branches if branches is not None else Branch.objects.filter(tenant=tenant)).filter(is_active=True)
    branches = list(branches.select_related("region")
                    .only("pk", "name", "code", "sort_order", "region__name", "region__code", "region__sort_order")
                    .order_by("region__sort_order", "region__code", "sort_order", "code"))
    reports = {
        r.branch_id: r
        for r in DailyReport.objects.filter(tenant=tenant, business_day=business_day, branch__in=[b.pk for b in branches])
        .only("pk", "branch_id", "status", "submitted_at", "due_at")
    }
    rows = []
    counts = dict.fromkeys(FilingState.LABELS, 0)
    for b in branches:
        report = reports.get(b.pk)
        state = filing_state(report, due_at, now)
        counts[state] += 1
        rows.append(BoardRow(b, report, state, format_delay(report.late_by) if report and report.is_late else ""))
    return {"day": business_day, "due_at": due_at, "rows": rows, "counts": counts, "total": len(rows)}


def board_counts(*, tenant, business_day: dt.date, now: dt.datetime, calendar: WorkCalendar | None = None) -> dict:
    """What the home card shows of ``board``: the counts per filing state and the total,
    from one aggregate query instead of every branch row (the same rules as
    ``filing_state``; ``tests/test_performance.py`` pins both to the same answers)."""
    from django.db.models import Count, Exists, F, OuterRef

    calendar = calendar or WorkCalendar(tenant)
    due_at = calendar.due_at(business_day)
    submitted = DailyReport.objects.filter(
        tenant=tenant, business_day=business_day, branch_id=OuterRef("pk"), submitted_at__isnull=False
    )
    row = Branch.objects.filter(tenant=tenant, is_active=True).aggregate(
        total=Count("pk"), filed=Count("pk", filter=Exists(submitted)),
        late=Count("pk", filter=Exists(submitted.filter(submitted_at__gte=F("due_at")))),
    )
    total = row["total"]
    counts = dict.fromkeys(FilingState.LABELS, 0)
    counts[FilingState.LATE] = row["late"]
    counts[FilingState.ON_TIME] = row["filed"] - row["late"]
    open_ = total - row["filed"]
    counts[FilingState.PENDING if now < due_at else FilingState.MISSING] = open_
    return {"day": business_day, "due_at": due_at, "counts": counts, "total": total}


def summary_recipients(*, tenant) -> list[User]:
    """Default: users with a branch-GM-or-above role; admins add or leave out people."""
    overrides = dict(RecipientOverride.objects.filter(tenant=tenant).values_list("user_id", "include"))
    default_ids = set(users_with_roles(tenant=tenant, roles=SUMMARY_RECIPIENT_ROLES).values_list("pk", flat=True))
    ids = {pk for pk in default_ids if overrides.get(pk, True)} | {pk for pk, inc in overrides.items() if inc}
    return list(
        User.objects.filter(pk__in=ids, is_active=True, membership__tenant=tenant, membership__is_active=True)
        .order_by("full_name", "username")
    )


def summaries_for(*, membership: Membership) -> QuerySet[DailySummary]:
    return DailySummary.objects.filter(tenant_id=membership.tenant_id).defer("data")


def summary_branch_ids(*, membership: Membership) -> set[int] | None:
    """None = every branch; otherwise the branches whose rows this member may see. The one
    rule for the summary pages, their files and each recipient's e-mail: tenant-wide roles
    see everything; branch-scoped readers (分总) too while the tenant's
    ``summary_all_branches_to_branch_gm`` is on (the seed's default: one summary to 分总及以上),
    else only the branches they may see in the app."""
    if membership.tenant.summary_all_branches_to_branch_gm or membership.can(Cap.BRANCHES_ALL):
        return None
    return set(visible_branches(membership=membership).values_list("pk", flat=True))


def partners_for(*, membership: Membership) -> QuerySet[SignedPartner]:
    qs = SignedPartner.objects.filter(tenant_id=membership.tenant_id).select_related("branch", "report")
    if membership.can(Cap.REPORTS_VIEW_ALL):
        return qs
    return qs.filter(branch__in=visible_branches(membership=membership))


def targets_for(*, membership: Membership) -> QuerySet[MonthlyTarget]:
    return MonthlyTarget.objects.filter(
        tenant_id=membership.tenant_id, branch__in=visible_branches(membership=membership)
    ).select_related("branch", "branch__region")


def import_jobs(*, tenant) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(tenant=tenant).defer("content").select_related("created_by")


def visible_branches_for_reports(*, membership: Membership) -> QuerySet[Branch]:
    if membership.can(Cap.REPORTS_VIEW_ALL):
        return Branch.objects.filter(tenant_id=membership.tenant_id).select_related("region")
    return visible_branches(membership=membership)
