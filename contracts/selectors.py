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


# --- price list -----------------------------------------------------------------------------


def visible_pricelists(*, membership: Membership):
    from .models import PriceList, PriceListStatus

    qs = PriceList.objects.filter(tenant_id=membership.tenant_id)
    if not membership.can(Cap.PRICELIST_EDIT):
        qs = qs.filter(status=PriceListStatus.PUBLISHED)
    return qs


def pricelist_in_force(*, tenant, day):
    """The version branches see on ``day``: the latest published one effective on or before it."""
    from .models import PriceList, PriceListStatus

    return (PriceList.objects.filter(tenant=tenant, status=PriceListStatus.PUBLISHED, effective_on__lte=day)
            .order_by("-effective_on", "-version").first())


def pricelist_matrix(price_list) -> dict:
    """Rows (product, vehicle class) × term columns, the layout a sales team prints."""
    entries = list(price_list.entries.select_related("product", "product__current_version")
                   .order_by("product__code", "vehicle_class", "term_months"))
    terms = sorted({e.term_months for e in entries})
    rows: dict[tuple, dict] = {}
    for e in entries:
        key = (e.product.code, e.vehicle_class)
        row = rows.setdefault(key, {"product": e.product, "vehicle_class": e.vehicle_class, "prices": {}})
        row["prices"][e.term_months] = e.price
    out = []
    for row in rows.values():
        row["cells"] = [row["prices"].get(t) for t in terms]
        out.append(row)
    return {"terms": terms, "rows": out, "count": len(entries)}


def pricelist_diff(old, new) -> dict:
    """What changed from ``old`` to ``new``: tiers added, removed, re-priced (unchanged counted)."""
    def load(pl):
        return {(e.product.code, e.vehicle_class, e.term_months): (e.product, e.price)
                for e in pl.entries.select_related("product")}

    a, b = load(old), load(new)
    changes = []
    for key in sorted(set(a) | set(b)):
        code, vehicle_class, term = key
        before, after = a.get(key), b.get(key)
        if before and after and before[1] == after[1]:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        product = (after or before)[0]
        changes.append({"kind": kind, "code": code, "name": product.name, "vehicle_class": vehicle_class,
                        "term_months": term, "old": before[1] if before else None,
                        "new": after[1] if after else None,
                        "delta": (after[1] - before[1]) if before and after else None})
    unchanged = sum(1 for k in set(a) & set(b) if a[k][1] == b[k][1])
    return {"changes": changes, "unchanged": unchanged}
