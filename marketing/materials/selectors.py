"""Reads, always narrowed to what the member may see.

* Materials a branch may order: active, and either open to every branch (no branch or region
  listed) or listing the branch or its region.
* Requests: every request with ``materials.manage`` / ``materials.view_all``; with
  ``materials.request`` the requests of the member's branches (``visible_branches``); nothing
  otherwise, except (on the request page) those whose approval chain the member is on."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from marketing.models import Branch, Membership
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import LibraryItem, LibraryVersion, Material, MaterialRequest, StockMovement


def sees_all(membership: Membership) -> bool:
    return membership.can(Cap.MATERIALS_MANAGE) or membership.can(Cap.MATERIALS_VIEW_ALL)


def _orderable_q(branch_ids, region_ids) -> Q:
    by_branch = Material.branches.through.objects.all()
    by_region = Material.regions.through.objects.all()
    open_to_all = ~Q(pk__in=by_branch.values("material_id")) & ~Q(pk__in=by_region.values("material_id"))
    listed = Q(pk__in=by_branch.filter(branch_id__in=branch_ids).values("material_id")) | Q(
        pk__in=by_region.filter(region_id__in=region_ids).values("material_id"))
    return open_to_all | listed


def orderable_materials(*, branch: Branch) -> QuerySet[Material]:
    return Material.objects.filter(tenant_id=branch.tenant_id, active=True).filter(
        _orderable_q([branch.pk], [branch.region_id]))


def can_order(*, branch: Branch, material: Material) -> bool:
    return orderable_materials(branch=branch).filter(pk=material.pk).exists()


def visible_materials(*, membership: Membership) -> QuerySet[Material]:
    """The stock list: every material for those who see all; for a branch member the active
    materials any of their branches may order."""
    qs = Material.objects.filter(tenant_id=membership.tenant_id)
    if sees_all(membership):
        return qs
    if not membership.can(Cap.MATERIALS_REQUEST):
        return qs.none()
    branches = visible_branches(membership=membership)
    return qs.filter(active=True).filter(
        _orderable_q(branches.values("pk"), branches.values("region_id")))


def visible_requests(*, membership: Membership) -> QuerySet[MaterialRequest]:
    qs = MaterialRequest.objects.filter(tenant_id=membership.tenant_id)
    if sees_all(membership):
        return qs
    if not membership.can(Cap.MATERIALS_REQUEST):
        # Seeing every branch (finance, HR: ``branches.all``) is not a reason to see its requests.
        return qs.none()
    return qs.filter(branch__in=visible_branches(membership=membership).values("pk"))


def readable_requests(*, membership: Membership) -> QuerySet[MaterialRequest]:
    """A request page: the member's reach plus the requests whose approval they take part in
    (a tenant may put e.g. finance on the chain; they must be able to open what they sign)."""
    from marketing.approvals.selectors import visible_flows

    from .approvals import KEY

    mine = visible_flows(tenant=membership.tenant, user=membership.user).filter(document_type=KEY)
    return MaterialRequest.objects.filter(tenant_id=membership.tenant_id).filter(
        Q(pk__in=visible_requests(membership=membership).values("pk")) | Q(pk__in=mine.values("object_id")))


def request_list(*, membership: Membership) -> QuerySet[MaterialRequest]:
    return visible_requests(membership=membership).select_related("branch", "branch__region", "applicant")


def movements(*, tenant) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(tenant=tenant).select_related(
        "material", "actor", "shipment__request__branch")


def library_items(*, membership: Membership) -> QuerySet[LibraryItem]:
    """Every member reads the library; retired items only those who manage it."""
    qs = LibraryItem.objects.filter(tenant_id=membership.tenant_id)
    if not membership.can(Cap.LIBRARY_MANAGE):
        qs = qs.filter(active=True)
    return qs


def library_versions(*, membership: Membership) -> QuerySet[LibraryVersion]:
    return LibraryVersion.objects.filter(
        tenant_id=membership.tenant_id, item__in=library_items(membership=membership).values("pk"))
