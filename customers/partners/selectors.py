"""Reads: who sees which partners (reach), the register queries, the stats.

Reach (docs/partners.md): marketing and executives every partner; region operations the
partners of the regions of their assigned branches (all of them when none is assigned: the HQ
营运部); a branch role the partners its branches serve; a salesperson the partners they serve
or signed an agreement for. Union of whatever the member's roles give."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from marketing.models import Branch, BranchUserObjectPermission, Membership
from marketing.roles import Cap, provide_capabilities

from .models import Agreement, AgreementStage, OriginalState, Partner, PartnerType

provide_capabilities(Cap.PARTNERS_VIEW_ALL, Cap.PARTNERS_VIEW_BRANCH, Cap.PARTNERS_VIEW_OWN, Cap.PARTNERS_REGION)


def _granted(membership: Membership):
    return BranchUserObjectPermission.objects.filter(
        user_id=membership.user_id, permission__codename="act_for_branch"
    ).values("content_object_id")


def region_branches(*, membership: Membership) -> QuerySet[Branch] | None:
    """Branches of the regions of the member's assigned branches; None means every branch."""
    granted = _granted(membership)
    if not granted.exists():
        return None
    regions = Branch.objects.filter(tenant_id=membership.tenant_id, pk__in=granted).values("region_id")
    return Branch.objects.filter(tenant_id=membership.tenant_id, region_id__in=regions)


def reach_q(*, membership: Membership) -> Q | None:
    """A filter on Partner; None = everything. A member with no reach gets one that
    matches nothing."""
    if membership.can(Cap.PARTNERS_VIEW_ALL) or membership.can(Cap.PARTNERS_MANAGE):
        return None
    q = Q(pk__in=[])
    if membership.can(Cap.PARTNERS_REGION):
        branches = region_branches(membership=membership)
        if branches is None:
            return None
        q |= Q(branch__in=branches.values("pk"))
    if membership.can(Cap.PARTNERS_VIEW_BRANCH) or membership.can(Cap.PARTNERS_FILE):
        q |= Q(branch_id__in=_granted(membership))
    if membership.can(Cap.PARTNERS_VIEW_OWN):
        signed = Agreement.objects.filter(partner=OuterRef("pk"), salesperson_id=membership.user_id)
        q |= Q(salesperson_id=membership.user_id) | Q(Exists(signed))
    return q


def can_see_partners(membership: Membership) -> bool:
    return any(membership.can(c) for c in (Cap.PARTNERS_VIEW_ALL, Cap.PARTNERS_VIEW_BRANCH, Cap.PARTNERS_VIEW_OWN,
                                            Cap.PARTNERS_REGION, Cap.PARTNERS_FILE, Cap.PARTNERS_MANAGE))


def partners_visible(*, membership: Membership) -> QuerySet[Partner]:
    qs = Partner.objects.filter(tenant_id=membership.tenant_id)
    q = reach_q(membership=membership)
    return qs if q is None else qs.filter(q)


def agreements_visible(*, membership: Membership) -> QuerySet[Agreement]:
    qs = Agreement.objects.filter(tenant_id=membership.tenant_id)
    q = reach_q(membership=membership)
    if q is None:
        return qs
    return qs.filter(partner__in=Partner.objects.filter(tenant_id=membership.tenant_id).filter(q).values("pk"))


def filing_branches(*, membership: Membership) -> QuerySet[Branch]:
    """Branches the member may file signings for / register partners of."""
    branches = Branch.objects.filter(tenant_id=membership.tenant_id, is_active=True).select_related("region")
    if membership.can(Cap.PARTNERS_MANAGE):
        return branches
    if not membership.can(Cap.PARTNERS_FILE):
        return branches.none()
    q = Q(pk__in=_granted(membership))
    if membership.can(Cap.PARTNERS_REGION):
        region = region_branches(membership=membership)
        if region is None:
            return branches
        q |= Q(pk__in=region.values("pk"))
    return branches.filter(q)


def partner_types(*, tenant, active_only: bool = True) -> QuerySet[PartnerType]:
    qs = PartnerType.objects.filter(tenant=tenant)
    return qs.filter(is_active=True) if active_only else qs


def register_rows(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    """Agreements with everything the register shows, in one query."""
    return qs.select_related("partner__type", "partner__region", "branch__region", "salesperson")


def expiring(qs: QuerySet[Agreement], *, today: dt.date, days: int) -> QuerySet[Agreement]:
    return qs.filter(stage=AgreementStage.SIGNED, ends_on__gte=today, ends_on__lte=today + dt.timedelta(days=days))


def originals_outstanding(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    return qs.filter(stage__in=[AgreementStage.SIGNED, AgreementStage.TERMINATED],
                     original_state__in=[OriginalState.TO_SEND, OriginalState.SENT])


def partner_detail_agreements(partner: Partner) -> QuerySet[Agreement]:
    return partner.agreements.select_related("branch", "salesperson", "received_by").order_by("-signed_on", "-id")


def partner_counts_by_type(qs: QuerySet[Partner]) -> dict[int, int]:
    return dict(qs.values_list("type_id").annotate(n=Count("id")))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def stats_by_region(*, membership: Membership, month: dt.date) -> dict:
    """Rows per region of the member's reach: partners whose first agreement was signed in
    the month, by type; partners with an agreement in force at the month's end; originals
    signed by then and not yet received. A fixed number of grouped queries."""
    from marketing.models import Region

    first, last = month_bounds(month)
    partners = partners_visible(membership=membership)
    agreements = agreements_visible(membership=membership).filter(
        stage__in=[AgreementStage.SIGNED, AgreementStage.TERMINATED])
    types = list(PartnerType.objects.filter(tenant_id=membership.tenant_id))
    new = {(r, t): n for r, t, n in agreements.filter(kind="new", signed_on__gte=first, signed_on__lte=last)
           .values_list("partner__region_id", "partner__type_id").annotate(n=Count("partner_id", distinct=True))}
    in_force = agreements.filter(signed_on__lte=last, starts_on__lte=last, ends_on__gte=last).exclude(
        stage=AgreementStage.TERMINATED, terminated_on__lte=last)
    active = dict(partners.filter(pk__in=in_force.values("partner_id")).values_list("region_id")
                  .annotate(n=Count("id")))
    outstanding = dict(originals_outstanding(agreements.filter(signed_on__lte=last))
                       .values_list("partner__region_id").annotate(n=Count("id")))
    region_ids = set(partners.values_list("region_id", flat=True).distinct())
    rows = []
    for region in Region.objects.filter(tenant_id=membership.tenant_id, pk__in=region_ids):
        rows.append({"region": region, "new": [new.get((region.pk, t.pk), 0) for t in types],
                     "active": active.get(region.pk, 0), "outstanding": outstanding.get(region.pk, 0)})
    total = {"new": [sum(r["new"][i] for r in rows) for i in range(len(types))],
             "active": sum(r["active"] for r in rows), "outstanding": sum(r["outstanding"] for r in rows)}
    return {"types": types, "rows": rows, "total": total}
