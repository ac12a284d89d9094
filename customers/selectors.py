"""Reads of the archive. The reach rule lives in ``customer_reach``; every list, search,
export, print and form choice starts from it, so "who may see what" is decided once.

Reach (seed 003 档案 (4)(6), S003-16/18; docs/customers.md §reach):
* CUSTOMERS_VIEW_ALL (executive director, GM, GM assistant, marketing director): every
  customer of the tenant;
* CUSTOMERS_VIEW_OWN (salespeople, 市场业务员): under the tenant's policy ``seed`` (default)
  every customer too; under ``own`` the customers they own, plus active grants/shares;
* CUSTOMERS_VIEW_BRANCH (regional managers): customers of their assigned branches, plus grants;
* everyone else: only customers with an active grant (approved access request).
Grants are read through the grant table's default manager, which hides expired rows, so
an expired grant stops working at its expiry instant even before the purge job runs."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import CustomerReachPolicy, Membership, User
from marketing.roles import Cap, Role
from marketing.selectors import users_with_roles, visible_branches

from .models import (
    Complaint,
    Contact,
    Customer,
    CustomerAccessLog,
    CustomerAccessRequest,
    CustomerUserObjectPermission,
    Tag,
    Visit,
)

VIEW_CODENAME = "view_customer"


def can_use_archive(membership: Membership) -> bool:
    return (
        membership.can(Cap.CUSTOMERS_VIEW_ALL)
        or membership.can(Cap.CUSTOMERS_VIEW_OWN)
        or membership.can(Cap.CUSTOMERS_VIEW_BRANCH)
    )


def reads_whole_archive(membership: Membership) -> bool:
    """S003-16: 执行董事, 总经理, 总经理助理, 市场总监 (CUSTOMERS_VIEW_ALL) and, under the
    tenant's default policy, 市场业务员 (CUSTOMERS_VIEW_OWN) query the whole archive."""
    if membership.can(Cap.CUSTOMERS_VIEW_ALL):
        return True
    return (
        membership.can(Cap.CUSTOMERS_VIEW_OWN)
        and membership.tenant.customer_reach_policy == CustomerReachPolicy.SEED
    )


def needs_request(membership: Membership) -> bool:
    """Anyone who does not read the whole archive asks the GM for a customer (S003-18)."""
    return not reads_whole_archive(membership)


def granted_customer_ids(*, membership: Membership, shares_only: bool = False) -> QuerySet:
    """Subquery of the customer ids this user holds an active grant (or share) for."""
    qs = CustomerUserObjectPermission.objects.filter(
        tenant_id=membership.tenant_id, user_id=membership.user_id, permission__codename=VIEW_CODENAME
    )
    if shares_only:
        qs = qs.filter(expires_at__isnull=True)
    return qs.values("content_object_id")


def customer_reach(*, membership: Membership) -> QuerySet[Customer]:
    """Every customer this member may read; one SQL statement whatever the number of grants."""
    qs = Customer.objects.filter(tenant_id=membership.tenant_id)
    if reads_whole_archive(membership):
        return qs
    ids = granted_customer_ids(membership=membership).order_by()
    if membership.can(Cap.CUSTOMERS_VIEW_OWN):
        # One IN over a UNION rather than "owner = me OR id IN (grants)": PostgreSQL answers
        # the union from two index scans instead of scanning the whole archive for the OR.
        owned = Customer.objects.filter(tenant_id=membership.tenant_id, owner_id=membership.user_id)
        ids = owned.order_by().values("pk").union(ids)
    reach = Q(pk__in=ids)
    if membership.can(Cap.CUSTOMERS_VIEW_BRANCH):
        # Whole branches are a large share of the archive: a plain OR on the branch column
        # (one pass with hashed subplans) beats feeding tens of thousands of ids into the IN.
        reach |= Q(branch_id__in=visible_branches(membership=membership).order_by().values("pk"))
    return qs.filter(reach)


def customer_edit_reach(*, membership: Membership) -> QuerySet[Customer]:
    """Customers this member may change: all (archive-wide editors), or owned and shared ones.
    A temporary grant from an access request is read-only."""
    qs = Customer.objects.filter(tenant_id=membership.tenant_id)
    if not membership.can(Cap.CUSTOMERS_EDIT):
        return qs.none()
    if membership.can(Cap.CUSTOMERS_VIEW_ALL):
        return qs
    return qs.filter(
        Q(owner_id=membership.user_id) | Q(pk__in=granted_customer_ids(membership=membership, shares_only=True))
    )


def can_manage_grants(*, membership: Membership, customer: Customer) -> bool:
    """Shares and temporary grants are managed by the owner, archive-wide editors and the
    general manager; someone a customer is shared with cannot pass it on or revoke others."""
    return (
        (membership.can(Cap.CUSTOMERS_EDIT) and customer.owner_id == membership.user_id)
        or (membership.can(Cap.CUSTOMERS_EDIT) and membership.can(Cap.CUSTOMERS_VIEW_ALL))
        or can_decide_requests(membership)
    )


def customer_list(*, membership: Membership) -> QuerySet[Customer]:
    return (
        customer_reach(membership=membership)
        .select_related("branch", "owner")
        .prefetch_related("tags")
        .order_by("-updated_at", "-id")
    )


def customer_detail(*, customer: Customer) -> dict:
    """Everything the detail page shows, in a fixed number of queries."""
    contacts = list(Contact.objects.filter(tenant_id=customer.tenant_id, customer=customer))
    visits = list(
        Visit.objects.filter(tenant_id=customer.tenant_id, customer=customer).select_related("visited_by", "analyst")[:50]
    )
    grants = list(
        CustomerUserObjectPermission.objects.filter(tenant_id=customer.tenant_id, content_object=customer)
        .select_related("user", "granted_by")
        .order_by("expires_at", "id")
    )
    complaints = list(
        Complaint.objects.filter(tenant_id=customer.tenant_id, customer=customer).select_related("handler")[:50]
    )
    return {"contacts": contacts, "visits": visits, "grants": grants, "complaints": complaints}


def tags(*, tenant) -> QuerySet[Tag]:
    return Tag.objects.filter(tenant=tenant)


def owner_choices(*, membership: Membership) -> QuerySet[User]:
    """Who a customer can be assigned to: the tenant's salespeople (archive-wide editors), or
    only oneself (a salesperson)."""
    if membership.can(Cap.CUSTOMERS_VIEW_ALL):
        return users_with_roles(tenant=membership.tenant, roles=[Role.SALESPERSON])
    return User.objects.filter(pk=membership.user_id)


def owner_filter_choices(*, membership: Membership) -> QuerySet[User]:
    """Owners shown in the list filter: only owners of customers the member can see."""
    if reads_whole_archive(membership):
        # Salespeople, and former members (whose customers may still wait for reassignment).
        # No scan of the archive: both sets come from the small membership tables.
        sales = users_with_roles(tenant=membership.tenant, roles=[Role.SALESPERSON]).values("pk")
        former = Membership.objects.filter(tenant_id=membership.tenant_id, is_active=False).values("user_id")
        return User.objects.filter(Q(pk__in=sales) | Q(pk__in=former)).order_by("full_name", "username")
    if membership.can(Cap.CUSTOMERS_VIEW_BRANCH):
        shared_owners = customer_reach(membership=membership).order_by().values("owner_id")
    else:
        shared_owners = Customer.objects.filter(
            tenant_id=membership.tenant_id, pk__in=granted_customer_ids(membership=membership)
        ).values("owner_id")
    mine = Q(pk=membership.user_id) if membership.can(Cap.CUSTOMERS_VIEW_OWN) else Q(pk__in=[])
    return User.objects.filter(mine | Q(pk__in=shared_owners)).order_by("full_name", "username")


def share_candidates(*, tenant) -> QuerySet[User]:
    """A customer can be shared with salespeople only; others ask through an access request."""
    return users_with_roles(tenant=tenant, roles=[Role.SALESPERSON])


def analyst_choices(*, tenant) -> QuerySet[User]:
    """Who can be named analyst (分析师) on a visit and its proposal (S002-07): active members."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(tenant=tenant, is_active=True).values("user_id"), is_active=True
    ).order_by("full_name", "username")


def visits(*, membership: Membership) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(tenant_id=membership.tenant_id, customer__in=customer_reach(membership=membership))
        .select_related("customer", "visited_by", "analyst", "customer__branch")
        .order_by("-visited_on", "-id")
    )


def access_log(*, tenant) -> QuerySet[CustomerAccessLog]:
    return CustomerAccessLog.objects.filter(tenant=tenant).select_related("user", "customer")


def reads_in_last_hour(*, tenant, user, now=None) -> int:
    now = now or timezone.now()
    return CustomerAccessLog.objects.filter(tenant=tenant, user=user, at__gt=now - timedelta(hours=1)).count()


def access_requests(*, membership: Membership) -> QuerySet[CustomerAccessRequest]:
    """A member's own requests; deciders (see ``can_decide_requests``) see all of them."""
    qs = CustomerAccessRequest.objects.filter(tenant_id=membership.tenant_id).select_related(
        "customer", "customer__branch", "applicant", "decided_by"
    )
    if can_decide_requests(membership):
        return qs
    # Whoever the (tenant-configurable) chain put on the request may open it too.
    from marketing.approvals.models import ApprovalTask

    on_chain = ApprovalTask.objects.filter(
        tenant_id=membership.tenant_id, flow__document_type="customers.access_request",
        assignee_id=membership.user_id,
    ).values("flow__object_id")
    return qs.filter(Q(applicant_id=membership.user_id) | Q(pk__in=on_chain))


def can_decide_requests(membership: Membership) -> bool:
    """The general manager: reads the whole archive and its access log."""
    return membership.can(Cap.CUSTOMERS_VIEW_ALL) and membership.can(Cap.CUSTOMERS_ACCESS_LOG)


def find_customer_for_request(*, tenant, name: str = "", phone_hash: str = "") -> Customer | None:
    """Exact lookup for someone asking for access: full name or exact phone, nothing fuzzy,
    so the archive cannot be browsed through this door."""
    qs = Customer.objects.filter(tenant=tenant).select_related("branch")
    if name:
        return qs.filter(name=name.strip()).first()
    if phone_hash:
        return qs.filter(phone_hash=phone_hash).first()
    return None


def stage_counts(*, membership: Membership) -> dict[str, int]:
    rows = customer_reach(membership=membership).values("stage").annotate(n=Count("id"))
    return {r["stage"]: r["n"] for r in rows}


def shown_request_customers(*, membership: Membership, docs) -> dict[int, str]:
    """request id -> the customer's name as this member may see it. Until a request is
    approved, its applicant learns nothing about whose number or name it was: the name
    shows to deciders, to whoever may read that customer anyway, and after approval."""
    docs = list(docs)
    deciders = can_decide_requests(membership)
    readable = set(customer_reach(membership=membership).filter(pk__in={d.customer_id for d in docs})
                   .values_list("pk", flat=True)) if docs else set()
    hidden = str(_("（批准后显示）"))
    return {d.pk: d.customer.name if (deciders or d.customer_id in readable or d.status == "approved") else hidden
            for d in docs}
