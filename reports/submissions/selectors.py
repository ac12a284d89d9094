"""Reads: who must submit, the board of one rule and period, reach, "my submissions due"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from marketing.models import Branch, Membership, RoleAssignment, User
from marketing.roles import Cap
from marketing.selectors import users_with_roles, visible_branches
from reports.workcal import WorkCalendar

from . import cadence
from .models import Submission, SubmissionRule, SubmissionStatus, SubmitterScope


def rules(*, tenant, active_only: bool = True) -> QuerySet[SubmissionRule]:
    qs = SubmissionRule.objects.filter(tenant=tenant).select_related("tenant")
    return qs.filter(is_active=True) if active_only else qs


def _roles(membership: Membership) -> set[str]:
    return set(membership.roles)


def is_submitter(membership: Membership, rule: SubmissionRule) -> bool:
    return bool(_roles(membership) & set(rule.submitter_roles))


def is_reviewer(membership: Membership, rule: SubmissionRule) -> bool:
    return bool(_roles(membership) & set(rule.reviewer_roles))


def reviews_branches_only(membership: Membership, rule: SubmissionRule) -> bool:
    """A reviewer whose reach is assigned branches (a branch GM reviewing salespeople's
    plans, a regional manager): reviews, and sees, the submissions of those branches only."""
    return is_reviewer(membership, rule) and not membership.can(Cap.BRANCHES_ALL)


def members_of(branches) -> QuerySet:
    """Ids of the people who act for any of ``branches`` (a person rule's submitter belongs to
    the branches they are assigned to)."""
    from marketing.models import BranchUserObjectPermission

    return BranchUserObjectPermission.objects.filter(
        content_object__in=branches, permission__codename="act_for_branch").values("user_id")


def sees_whole_rule(membership: Membership, rule: SubmissionRule) -> bool:
    """Company-wide reviewers, digest recipients, rule editors and executives see every
    submitter; a reviewer limited to branches sees those branches (``reviews_branches_only``)."""
    return (
        (is_reviewer(membership, rule) and membership.can(Cap.BRANCHES_ALL))
        or bool(_roles(membership) & set(rule.digest_roles))
        or membership.can(Cap.REPORTS_VIEW_ALL)
        or membership.can(Cap.SUBMISSIONS_CONFIGURE)
    )


def rules_for(*, membership: Membership) -> list[SubmissionRule]:
    """Rules this member takes part in (submits, reviews, receives, or oversees)."""
    return [
        r for r in rules(tenant=membership.tenant)
        if is_submitter(membership, r) or sees_whole_rule(membership, r) or is_reviewer(membership, r)
        or r.shared_library
    ]


def visible_submissions(*, membership: Membership, rule: SubmissionRule | None = None) -> QuerySet[Submission]:
    """Every submission this member may open. One queryset, used by lists, detail and export."""
    qs = Submission.objects.filter(tenant=membership.tenant).select_related("rule", "branch", "submitter")
    if rule is not None:
        qs = qs.filter(rule=rule)
        candidate_rules = [rule]
    else:
        candidate_rules = list(rules(tenant=membership.tenant, active_only=False))
    whole = [r.pk for r in candidate_rules if sees_whole_rule(membership, r) or r.shared_library]
    own_branch_rules = [r.pk for r in candidate_rules if is_submitter(membership, r) and r.scope == SubmitterScope.BRANCH]
    limited = [r.pk for r in candidate_rules if r.pk not in whole and reviews_branches_only(membership, r)]
    reach = Q(rule_id__in=whole) | Q(submitter_id=membership.user_id)
    if own_branch_rules:
        reach |= Q(rule_id__in=own_branch_rules, branch__in=visible_branches(membership=membership))
    if limited:
        mine = visible_branches(membership=membership)
        reach |= Q(rule_id__in=limited) & (Q(branch__in=mine) | Q(branch__isnull=True, submitter_id__in=members_of(mine)))
    return qs.filter(reach)


def expected_submitters(*, rule: SubmissionRule, membership: Membership | None = None):
    """(branch, user) pairs that owe a submission each period. Branch rules: one row per
    active branch (any holder of a submitter role there may file it); person rules: one per
    active user holding a submitter role. With ``membership`` (not seeing the whole rule),
    only the member's own rows."""
    tenant = rule.tenant
    limited = membership is not None and not sees_whole_rule(membership, rule)
    if rule.scope == SubmitterScope.BRANCH:
        branches = Branch.objects.filter(tenant=tenant, is_active=True).select_related("region")
        if limited:
            branches = branches.filter(pk__in=visible_branches(membership=membership).values("pk"))
        return [(b, None) for b in branches]
    users = users_with_roles(tenant=tenant, roles=rule.submitter_roles)
    if limited and reviews_branches_only(membership, rule):
        users = users.filter(Q(pk=membership.user_id) | Q(pk__in=members_of(visible_branches(membership=membership))))
    elif limited:
        users = users.filter(pk=membership.user_id)
    return [(None, u) for u in users]


@dataclass
class BoardRow:
    branch: Branch | None
    user: User | None
    submission: Submission | None
    label: str
    tone: str
    key: str  # missing | pending | on_time | late | returned | accepted
    plan: tuple[int, int] | None = None  # visit plans: (planned customers, visited)


def row_status(submission: Submission | None, due: dt.datetime, now: dt.datetime) -> tuple[str, str, str]:
    if submission is None or submission.status == SubmissionStatus.DRAFT:
        if now > due:
            return "missing", _("未交"), "bad"
        return "pending", _("待提交"), "muted"
    if submission.status == SubmissionStatus.RETURNED:
        return "returned", _("退回重写"), "warn"
    if submission.status == SubmissionStatus.ACCEPTED:
        return "accepted", _("已审阅"), "ok"
    if submission.is_late:
        return "late", _("迟交"), "warn"
    return "on_time", _("已交"), "ok"


def board(*, rule: SubmissionRule, period: dt.date, now: dt.datetime, membership: Membership | None = None,
          cal: WorkCalendar | None = None) -> dict:
    cal = cal or WorkCalendar(rule.tenant)
    due = cadence.due_at(rule, period, cal)
    subs = Submission.objects.filter(tenant=rule.tenant, rule=rule, period=period).select_related("submitter", "branch")
    by_branch = {s.branch_id: s for s in subs if s.branch_id}
    by_user = {s.submitter_id: s for s in subs if s.branch_id is None}
    rows: list[BoardRow] = []
    counts = {"missing": 0, "pending": 0, "on_time": 0, "late": 0, "returned": 0, "accepted": 0}
    for branch, user in expected_submitters(rule=rule, membership=membership):
        sub = by_branch.get(branch.pk) if branch else by_user.get(user.pk)
        key, label, tone = row_status(sub, due, now)
        counts[key] += 1
        rows.append(BoardRow(branch=branch, user=user or (sub.submitter if sub else None), submission=sub,
                             label=label, tone=tone, key=key))
    return {"rule": rule, "period": period, "due_at": due, "rows": rows, "counts": counts, "total": len(rows)}


def my_due(*, membership: Membership, now: dt.datetime) -> list[dict]:
    """The member's own submissions due this period, for the home page: four queries
    whatever the number of rules (rules, calendar, branches, submissions)."""
    mine = [r for r in rules(tenant=membership.tenant) if is_submitter(membership, r)]
    if not mine:
        return []
    cal = WorkCalendar(membership.tenant)
    periods = {r.pk: cadence.current_period(r, now, cal) for r in mine}
    branches = []
    if any(r.scope == SubmitterScope.BRANCH for r in mine):
        branches = list(visible_branches(membership=membership).filter(is_active=True))
    subs = Submission.objects.filter(tenant=membership.tenant, rule__in=mine, period__in=set(periods.values())).filter(
        Q(branch__in=[b.pk for b in branches]) | Q(branch__isnull=True, submitter_id=membership.user_id)
    )
    found = {(s.rule_id, s.period, s.branch_id): s for s in subs}
    items = []
    for rule in mine:
        period = periods[rule.pk]
        due = cadence.due_at(rule, period, cal)
        for branch in branches if rule.scope == SubmitterScope.BRANCH else [None]:
            sub = found.get((rule.pk, period, branch.pk if branch else None))
            key, label, tone = row_status(sub, due, now)
            items.append({"rule": rule, "period": period, "due_at": due, "branch": branch,
                          "submission": sub, "label": label, "tone": tone, "key": key})
    return items


def user_roles_map(*, tenant) -> dict[int, set[str]]:
    roles: dict[int, set[str]] = {}
    for user_id, role in RoleAssignment.objects.filter(tenant=tenant, membership__is_active=True).values_list(
        "membership__user_id", "role"
    ):
        roles.setdefault(user_id, set()).add(role)
    return roles


def may_edit(membership: Membership, submission: Submission) -> bool:
    """The submitter (person rules) or a submitter-role holder of the branch (branch rules)."""
    rule = submission.rule
    if not is_submitter(membership, rule):
        return False
    if rule.scope == SubmitterScope.BRANCH:
        return visible_branches(membership=membership).filter(pk=submission.branch_id).exists()
    return submission.submitter_id == membership.user_id
