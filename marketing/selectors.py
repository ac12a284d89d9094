"""Reads shared by views, forms and tasks. Everything takes the tenant (or a membership,
which carries it) explicitly and runs inside that tenant's scope."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import AuditEvent, Branch, BranchUserObjectPermission, Membership, Region, RoleAssignment, User
from .roles import Cap, Role, provide_capabilities

provide_capabilities(Cap.BRANCHES_ALL)  # checked by visible_branches below


def visible_branches(*, membership: Membership) -> QuerySet[Branch]:
    """Branches this member may see and act for: all of the tenant's for tenant-wide roles,
    the guardian-granted ones for branch roles. One query, usable as a subquery."""
    branches = Branch.objects.filter(tenant_id=membership.tenant_id).select_related("region")
    if membership.can(Cap.BRANCHES_ALL):
        return branches
    granted = BranchUserObjectPermission.objects.filter(
        user_id=membership.user_id, permission__codename="act_for_branch"
    ).values("content_object_id")
    return branches.filter(pk__in=granted)


def assigned_branch_ids(*, membership: Membership) -> set[int]:
    return set(
        BranchUserObjectPermission.objects.filter(
            user_id=membership.user_id, permission__codename="act_for_branch"
        ).values_list("content_object_id", flat=True)
    )


def members(*, tenant, active: bool | None = True) -> QuerySet[Membership]:
    qs = Membership.objects.filter(tenant=tenant).select_related("user").prefetch_related("role_assignments")
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("user__username")


def users_with_roles(*, tenant, roles, branch: Branch | None = None) -> QuerySet[User]:
    """Active users holding any of ``roles``; with ``branch``, only branch-role holders
    assigned to that branch (e.g. "that branch's GM", "that branch's cashier")."""
    memberships = RoleAssignment.objects.filter(
        tenant=tenant, role__in=[Role(r).value for r in roles], membership__is_active=True
    ).values("membership__user_id")
    users = User.objects.filter(pk__in=memberships, is_active=True)
    if branch is not None:
        granted = BranchUserObjectPermission.objects.filter(
            content_object=branch, permission__codename="act_for_branch"
        ).values("user_id")
        users = users.filter(pk__in=granted)
    return users.order_by("full_name", "username")


def regions_with_branches(*, tenant) -> QuerySet[Region]:
    return Region.objects.filter(tenant=tenant).prefetch_related(
        Prefetch("branches", queryset=Branch.objects.filter(tenant=tenant).order_by("sort_order", "code"))
    )


def audit_events(*, tenant) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(tenant=tenant).select_related("actor")
