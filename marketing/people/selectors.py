"""Reads shared by views, tasks and tests: the roster reconciliation and the reach of lists."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.db.models import Q

from marketing.models import Branch, BranchUserObjectPermission, Membership
from marketing.roles import BRANCH_ROLES, Cap
from marketing.selectors import visible_branches

from .models import OPEN_DEPARTURE_STATUSES, Departure, PositionRoleMap, Transfer, TransferStatus

NEW, GONE, LEAVING, MOVED = "new", "gone", "leaving", "moved"


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


@dataclass
class Proposal:
    kind: str  # new | gone | leaving | moved
    key: str
    name: str
    branch_id: int | None = None
    branch_name: str = ""
    position: str = ""
    phone: str = ""
    roles: list[str] = field(default_factory=list)
    user_id: int | None = None
    leave_date: object = None
    username: str = ""
    current_branches: str = ""

    @property
    def phone_hint(self) -> str:
        d = digits(self.phone)
        return f"{d[:3]}****{d[-4:]}" if len(d) >= 7 else d


def _key(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def reconciliation(*, tenant) -> list[Proposal]:
    """Compare the current roster (reports.RosterEntry, replaced by each HR import) with the
    accounts. A roster row matches an account by mobile number, else by exact name. Accounts
    expected in the roster are the active holders of a branch role (销售、分总、出纳、大区经理).
    Queries: a fixed handful, whatever the number of rows."""
    from reports.models import RosterEntry

    mapping = dict(PositionRoleMap.objects.filter(tenant=tenant).values_list("position", "role"))
    branches = {b.pk: b for b in Branch.objects.filter(tenant=tenant)}
    members = list(Membership.objects.filter(tenant=tenant).select_related("user").prefetch_related("role_assignments"))
    grants: dict[int, set[int]] = {}
    for uid, bid in BranchUserObjectPermission.objects.filter(
            tenant=tenant, permission__codename="act_for_branch").values_list("user_id", "content_object_id"):
        grants.setdefault(uid, set()).add(bid)
    by_phone = {digits(m.user.phone): m for m in members if digits(m.user.phone)}
    by_name: dict[str, list[Membership]] = {}
    for m in members:
        by_name.setdefault((m.user.full_name or "").strip(), []).append(m)
    open_departures = set(Departure.objects.filter(tenant=tenant, status__in=OPEN_DEPARTURE_STATUSES)
                          .values_list("user_id", flat=True))
    open_transfers = set(Transfer.objects.filter(tenant=tenant, status=TransferStatus.SCHEDULED)
                         .values_list("user_id", flat=True))
    proposals: list[Proposal] = []
    matched: set[int] = set()
    roster_rows = 0
    for row in RosterEntry.objects.filter(tenant=tenant).order_by("branch_id", "name", "id"):
        roster_rows += 1
        m = by_phone.get(digits(row.phone)) if digits(row.phone) else None
        if m is None:
            same = by_name.get(row.name.strip(), [])
            m = same[0] if len(same) == 1 else None
        branch = branches.get(row.branch_id)
        if m is None:
            if row.leave_date is None:
                role = mapping.get(row.position)
                proposals.append(Proposal(
                    NEW, "new:" + _key(row.name, digits(row.phone), row.branch_id), row.name, row.branch_id,
                    branch.name if branch else "", row.position, row.phone, [role] if role else [],
                    username=digits(row.phone) or "",
                ))
            continue
        matched.add(m.pk)
        if not m.is_active or m.user_id in open_departures:
            continue
        if row.leave_date is not None:
            proposals.append(Proposal(LEAVING, f"leaving:{m.user_id}", m.user.display_name, row.branch_id,
                                      branch.name if branch else "", row.position, user_id=m.user_id,
                                      leave_date=row.leave_date))
            continue
        mine = grants.get(m.user_id, set())
        if mine and row.branch_id not in mine and m.user_id not in open_transfers:
            proposals.append(Proposal(MOVED, f"moved:{m.user_id}:{row.branch_id}", m.user.display_name,
                                      row.branch_id, branch.name if branch else "", row.position,
                                      roles=sorted(ra.role for ra in m.role_assignments.all()), user_id=m.user_id,
                                      current_branches="、".join(branches[b].name for b in sorted(mine) if b in branches)))
    for m in members:
        roles = {ra.role for ra in m.role_assignments.all()}
        # Only pure branch staff are expected in HR's roster; no roster at all proposes nothing.
        if (roster_rows and m.is_active and m.pk not in matched and roles and roles <= BRANCH_ROLES
                and m.user_id not in open_departures):
            proposals.append(Proposal(GONE, f"gone:{m.user_id}", m.user.display_name, user_id=m.user_id,
                                      current_branches="、".join(
                                          branches[b].name for b in sorted(grants.get(m.user_id, ())) if b in branches)))
    return proposals


def departures_for(*, membership):
    """Departures this member may see: their own, those of people in their reach, and those
    whose sign-off they take part in."""
    from marketing.approvals.selectors import visible_flows

    qs = Departure.objects.filter(tenant_id=membership.tenant_id).select_related("user", "branch", "filed_by")
    if membership.can(Cap.PEOPLE_MANAGE) or (membership.can(Cap.PEOPLE_HANDOVER) and membership.can(Cap.BRANCHES_ALL)):
        return qs
    q = Q(user_id=membership.user_id)
    if membership.can(Cap.PEOPLE_HANDOVER):
        q |= Q(branch__in=visible_branches(membership=membership))
    flows = visible_flows(tenant=membership.tenant, user=membership.user).filter(
        document_type="people.departure").values("object_id")
    return qs.filter(q | Q(pk__in=flows))


def transfers_for(*, membership):
    qs = Transfer.objects.filter(tenant_id=membership.tenant_id).select_related("user", "to_branch", "created_by")
    if membership.can(Cap.PEOPLE_MANAGE) or membership.can(Cap.BRANCHES_ALL):
        return qs
    return qs.filter(to_branch__in=visible_branches(membership=membership))


def colleagues(*, tenant, exclude_user=None, branch=None):
    """Active people one can hand work to (a chooser: departed people never appear)."""
    from marketing.models import User

    qs = User.objects.filter(membership__tenant=tenant, membership__is_active=True, is_active=True)
    if exclude_user is not None:
        qs = qs.exclude(pk=exclude_user.pk)
    if branch is not None:
        qs = qs.filter(pk__in=BranchUserObjectPermission.objects.filter(content_object=branch).values("user_id"))
    return qs.order_by("full_name", "username")
