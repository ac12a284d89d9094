"""Reads of hospitality, always narrowed to the member's reach:

* ``hospitality.view_all`` (finance, GM, executive director, GM assistant, marketing director):
  everything of the tenant;
* ``hospitality.view_branch`` (branch GM): everything of their assigned branches;
* otherwise (salesperson, regional manager): their own applications and claims.
A draft claim is its applicant's own until submitted.

And the figures that other pages show next to sales: the month-to-date company share per
branch / salesperson by meal month (``company_share_by_branch`` / ``..._by_salesperson``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from marketing.models import Membership
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import (
    CHARGED_STATUSES,
    ApplicationStatus,
    ClaimStatus,
    HospitalityApplication,
    HospitalityClaim,
    HospitalityPolicy,
    Venue,
)

ZERO = Decimal("0.00")


def can_view(membership: Membership) -> bool:
    return any(membership.can(c) for c in (Cap.HOSPITALITY_REQUEST, Cap.HOSPITALITY_VIEW_BRANCH,
                                           Cap.HOSPITALITY_VIEW_ALL))


def _reach(qs: QuerySet, membership: Membership) -> QuerySet:
    if membership.can(Cap.HOSPITALITY_VIEW_ALL):
        return qs
    mine = Q(applicant_id=membership.user_id)
    if membership.can(Cap.HOSPITALITY_VIEW_BRANCH):
        return qs.filter(mine | Q(branch__in=visible_branches(membership=membership).values("pk")))
    return qs.filter(mine)


def visible_applications(*, membership: Membership) -> QuerySet[HospitalityApplication]:
    return _reach(HospitalityApplication.objects.filter(tenant_id=membership.tenant_id), membership)


def visible_claims(*, membership: Membership) -> QuerySet[HospitalityClaim]:
    qs = HospitalityClaim.objects.filter(tenant_id=membership.tenant_id).filter(
        ~Q(status=ClaimStatus.DRAFT) | Q(applicant_id=membership.user_id))
    return _reach(qs, membership)


def application_list(*, membership):
    # No per-row aggregate here: a GROUP BY over every application would come before the
    # 25-row page (nothing shows a guest count on the list).
    return visible_applications(membership=membership).select_related("branch", "applicant", "venue", "policy")


def application_detail(*, membership):
    return (visible_applications(membership=membership)
            .select_related("branch", "applicant", "venue", "policy", "tenant")
            .prefetch_related("guests", "claims"))


def claim_list(*, membership):
    return visible_claims(membership=membership).select_related("branch", "applicant", "venue", "application",
                                                                 "policy")


def claim_detail(*, membership):
    return (claim_list(membership=membership).select_related("paid_by", "tenant", "application__venue")
            .prefetch_related("lines", "lines__corrected_by", "attachments"))


def claimable_applications(*, membership) -> QuerySet[HospitalityApplication]:
    """The member's own applications that a claim can be filed against and have none yet."""
    from .services import CLAIMABLE

    return (HospitalityApplication.objects.filter(tenant_id=membership.tenant_id, applicant_id=membership.user_id,
                                                  status__in=CLAIMABLE, claims__isnull=True)
            .select_related("venue", "branch").order_by("-visit_date", "-id"))


def open_emergencies(*, membership) -> QuerySet[HospitalityApplication]:
    return HospitalityApplication.objects.filter(tenant_id=membership.tenant_id, applicant_id=membership.user_id,
                                                 status=ApplicationStatus.EMERGENCY).order_by("completion_due")


def guest_links(*, membership, guests) -> set[int]:
    """Ids of the linked customers this member may open (never reveals the others)."""
    from customers.selectors import customer_reach

    ids = {g.customer_id for g in guests if g.customer_id}
    if not ids:
        return set()
    return set(customer_reach(membership=membership).filter(pk__in=ids).values_list("pk", flat=True))


def policies(*, tenant) -> QuerySet[HospitalityPolicy]:
    return HospitalityPolicy.objects.filter(tenant=tenant).select_related("created_by").order_by(
        "-effective_from", "-version")


def venues(*, tenant, active_only: bool = False) -> QuerySet[Venue]:
    qs = Venue.objects.filter(tenant=tenant)
    return qs.filter(is_active=True) if active_only else qs


# --- deduction from sales -------------------------------------------------------------------

_ZERO = Value(ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))


def charged_claims(*, tenant, since: dt.date, until: dt.date) -> QuerySet[HospitalityClaim]:
    """Claims finance has assessed (核定/已支付) with a meal in [since, until]: their company
    share is charged to the salesperson and the branch in the month of the meal."""
    return HospitalityClaim.objects.filter(tenant=tenant, status__in=CHARGED_STATUSES, meal_date__gte=since,
                                           meal_date__lte=until)


def company_share_by_branch(*, tenant, day: dt.date) -> dict[int, Decimal]:
    """Month-to-date company share per branch id: meals from the 1st of ``day``'s month to ``day``."""
    rows = (charged_claims(tenant=tenant, since=day.replace(day=1), until=day).values("branch_id")
            .annotate(total=Coalesce(Sum("company_share"), _ZERO)).values_list("branch_id", "total"))
    return dict(rows)


def company_share_by_salesperson(*, tenant, day: dt.date, branch_ids=None) -> dict[tuple[int, int], Decimal]:
    """Month-to-date company share per (branch id, salesperson id)."""
    qs = charged_claims(tenant=tenant, since=day.replace(day=1), until=day)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=list(branch_ids))
    rows = qs.values("branch_id", "applicant_id").annotate(total=Coalesce(Sum("company_share"), _ZERO))
    return {(r["branch_id"], r["applicant_id"]): r["total"] for r in rows}
