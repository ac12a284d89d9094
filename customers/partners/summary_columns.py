"""The daily summary's 今日新签经销商 / 修理厂 and their month to date (S000-32), added after the
existing columns through reports.summary.EXTRA_COLUMN_PROVIDERS. "新签" counts NEW agreements
(a partner's first; renewals are not new partners), signed (or since terminated), by the
signing branch; a region's and the company's figures are the sums of their branches. One
grouped query whatever the number of branches."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from .models import DEALER, REPAIR_SHOP, Agreement, AgreementKind, AgreementStage

TYPES = (DEALER, REPAIR_SHOP)


def labels() -> list[str]:
    return [_("今日新签经销商"), _("今日新签修理厂"), _("本月新签经销商"), _("本月新签修理厂")]


def figures(*, tenant, business_day: dt.date) -> dict[int, list[int]]:
    """branch id -> [day dealers, day repair shops, month dealers, month repair shops]."""
    rows = (Agreement.objects.filter(
        tenant=tenant, kind=AgreementKind.NEW, stage__in=[AgreementStage.SIGNED, AgreementStage.TERMINATED],
        signed_on__gte=business_day.replace(day=1), signed_on__lte=business_day, partner__type__code__in=TYPES)
        .values("branch_id", "partner__type__code")
        .annotate(day=Count("id", filter=Q(signed_on=business_day)), mtd=Count("id")))
    out: dict[int, list[int]] = {}
    for r in rows:
        cells = out.setdefault(r["branch_id"], [0, 0, 0, 0])
        i = TYPES.index(r["partner__type__code"])
        cells[i] += r["day"]
        cells[2 + i] += r["mtd"]
    return out


def add_columns(data: dict, *, tenant, business_day: dt.date) -> None:
    per_branch = figures(tenant=tenant, business_day=business_day)
    data.setdefault("extra_columns", []).extend(labels())
    by_region: dict[str, list[int]] = {}
    total = [0, 0, 0, 0]
    for row in data.get("rows", []):
        cells = per_branch.get(row["branch_id"], [0, 0, 0, 0])
        row.setdefault("extra", []).extend(cells)
        region = by_region.setdefault(row["region"], [0, 0, 0, 0])
        for i, n in enumerate(cells):
            region[i] += n
            total[i] += n
    for region in data.get("regions") or []:
        region.setdefault("extra", []).extend(by_region.get(region["region"], [0, 0, 0, 0]))
    if data.get("total"):
        data["total"].setdefault("extra", []).extend(total)
