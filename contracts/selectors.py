"""Reads of contracts/, always narrowed to what the member may see.

Products: product design, marketing, operations, finance and executives see everything
(``products.view_all``); everybody else sees products that are approved, on sale or retired,
plus the design requests of their own branches."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from marketing.models import Membership
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import Product, ProductStatus, ProductVersion, VersionStatus

PUBLIC_PRODUCT_STATUSES = (ProductStatus.APPROVED, ProductStatus.ONLINE, ProductStatus.RETIRED)
PUBLIC_VERSION_STATUSES = (VersionStatus.APPROVED, VersionStatus.SUPERSEDED)


def sees_all_products(membership: Membership) -> bool:
    return membership.can(Cap.PRODUCTS_VIEW_ALL)


def visible_versions(*, membership: Membership) -> QuerySet[ProductVersion]:
    qs = ProductVersion.objects.filter(tenant_id=membership.tenant_id)
    if sees_all_products(membership):
        # a draft is its applicant's own until submitted
        return qs.filter(~Q(status=VersionStatus.DRAFT) | Q(applicant_id=membership.user_id))
    own = Q(branch__in=visible_branches(membership=membership).values("pk")) & (
        ~Q(status=VersionStatus.DRAFT) | Q(applicant_id=membership.user_id)
    )
    return qs.filter(own | Q(status__in=PUBLIC_VERSION_STATUSES))


def visible_products(*, membership: Membership) -> QuerySet[Product]:
    qs = Product.objects.filter(tenant_id=membership.tenant_id)
    if sees_all_products(membership):
        return qs
    own = visible_versions(membership=membership).values("product_id")
    return qs.filter(Q(status__in=PUBLIC_PRODUCT_STATUSES) | Q(pk__in=own))


def product_list(*, membership: Membership) -> QuerySet[Product]:
    return visible_products(membership=membership).select_related("current_version")


def version_list(*, membership: Membership) -> QuerySet[ProductVersion]:
    return visible_versions(membership=membership).select_related("product", "branch", "applicant")


def online_products(*, tenant) -> QuerySet[Product]:
    """What a contract request may ask for (S000-40): products on sale."""
    return Product.objects.filter(tenant=tenant, status=ProductStatus.ONLINE).order_by("code")
