"""The monthly hospitality report (per branch and salesperson) and the two figures the
daily summary adds after its eight 汇总 columns (``summary_hospitality``).

Company share counts in the month of the meal, for claims finance has assessed (已核定 /
已支付). Sales are the branch's collections (回款, finance's 回款统计表) of the same month; the
collections are per branch, so hospitality ÷ sales is a branch figure (a salesperson row
shows their hospitality and their share of the branch's hospitality)."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from marketing.models import Branch, User
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import CHARGED_STATUSES, ApplicationStatus, ClaimStatus, HospitalityApplication, HospitalityClaim
from .selectors import company_share_by_branch

ZERO = Decimal("0.00")
_Z = Value(ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def pct(ratio: Decimal | None) -> str:
    return "" if ratio is None else f"{ratio * 100:.2f}%"


def _money(value) -> str:
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


def monthly_report(*, membership, month: dt.date) -> dict:
    """Rows per branch (with salesperson sub-rows) of the branches the member may see."""
    from reports.models import Collection

    tenant = membership.tenant
    start = month.replace(day=1)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if membership.can(Cap.HOSPITALITY_VIEW_ALL):
        branches = Branch.objects.filter(tenant=tenant)
    else:
        branches = visible_branches(membership=membership)
    branches = list(branches.select_related("region").order_by("region__sort_order", "region__code", "sort_order",
                                                                "code"))
    ids = [b.pk for b in branches]
    apps = (HospitalityApplication.objects.filter(tenant=tenant, branch_id__in=ids, visit_date__gte=start,
                                                  visit_date__lte=end)
            .values("branch_id", "applicant_id")
            .annotate(n=Count("pk"), emergency=Count("pk", filter=Q(is_emergency=True)),
                      lapsed=Count("pk", filter=Q(status=ApplicationStatus.LAPSED))))
    claims = (HospitalityClaim.objects.filter(tenant=tenant, branch_id__in=ids, meal_date__gte=start,
                                              meal_date__lte=end)
              .exclude(status__in=(ClaimStatus.DRAFT, ClaimStatus.WITHDRAWN))
              .values("branch_id", "applicant_id")
              .annotate(n=Count("pk"),
                        company=Coalesce(Sum("company_share", filter=Q(status__in=CHARGED_STATUSES)), _Z),
                        personal=Coalesce(Sum("personal_share", filter=Q(status__in=CHARGED_STATUSES)), _Z),
                        pending=Coalesce(Sum("bill_total", filter=Q(status=ClaimStatus.SUBMITTED)), _Z)))
    sales = dict(Collection.objects.filter(tenant=tenant, branch_id__in=ids, day__gte=start, day__lte=end)
                 .values("branch_id").annotate(t=Coalesce(Sum("amount"), _Z)).values_list("branch_id", "t"))
    people: dict[tuple[int, int], dict] = {}

    def person(branch_id, user_id):
        return people.setdefault((branch_id, user_id), {"applications": 0, "emergency": 0, "lapsed": 0, "claims": 0,
                                                        "company": ZERO, "personal": ZERO, "pending": ZERO})

    for r in apps:
        p = person(r["branch_id"], r["applicant_id"])
        p["applications"], p["emergency"], p["lapsed"] = r["n"], r["emergency"], r["lapsed"]
    for r in claims:
        p = person(r["branch_id"], r["applicant_id"])
        p["claims"], p["company"], p["personal"], p["pending"] = r["n"], r["company"], r["personal"], r["pending"]
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in={k[1] for k in people})}
    keys = ("applications", "emergency", "lapsed", "claims", "company", "personal", "pending")
    rows, total = [], {k: (ZERO if k in ("company", "personal", "pending") else 0) for k in keys}
    total["sales"] = ZERO
    for b in branches:
        subs = sorted(((uid, v) for (bid, uid), v in people.items() if bid == b.pk), key=lambda x: names.get(x[0], ""))
        agg = {k: sum((v[k] for _u, v in subs), ZERO if k in ("company", "personal", "pending") else 0) for k in keys}
        branch_sales = sales.get(b.pk, ZERO)
        for k in keys:
            total[k] += agg[k]
        total["sales"] += branch_sales
        rows.append({
            "branch": b.name, "region": b.region.name, **agg, "sales": branch_sales,
            "ratio": _ratio(agg["company"], branch_sales),
            "ratio_pct": pct(_ratio(agg["company"], branch_sales)),
            "people": [{"name": names.get(uid, ""), **v,
                        "share_of_branch": _ratio(v["company"], agg["company"])} for uid, v in subs],
        })
    total["ratio"] = _ratio(total["company"], total["sales"])
    total["ratio_pct"] = pct(total["ratio"])
    return {"month": start, "rows": rows, "total": total}


def period_figures(*, tenant, start: dt.date, end: dt.date) -> dict:
    """The tenant's hospitality against sales over [start, end], counted as the monthly report
    counts them: the company share of assessed claims by meal date, and the collections (回款)
    of every branch; ``ratio_pct`` is "" without collections. For the trial-quarter review
    (S001-33: 与销售额不成比例时上报调整)."""
    from reports.models import Collection

    company = HospitalityClaim.objects.filter(
        tenant=tenant, meal_date__gte=start, meal_date__lte=end, status__in=CHARGED_STATUSES,
    ).aggregate(t=Coalesce(Sum("company_share"), _Z))["t"]
    sales = Collection.objects.filter(tenant=tenant, day__gte=start, day__lte=end).aggregate(
        t=Coalesce(Sum("amount"), _Z))["t"]
    return {"company": _money(company), "sales": _money(sales), "ratio_pct": pct(_ratio(company, sales))}


def add_hospitality(data: dict, *, tenant, business_day: dt.date) -> dict:
    """For the daily summary (``reports.summary.compile_summary``): month-to-date 招待费
    (company share of assessed claims, by meal month, meals up to the business day) and
    扣减后业绩 = 本月累计回款 − 招待费, added in place to every branch row, region subtotal and
    the total as ``hospitality`` / ``net_mtd`` (strings, like the summary's other amounts).
    One query whatever the number of branches."""
    by_branch = company_share_by_branch(tenant=tenant, day=business_day)
    regions: dict[str, Decimal] = {}
    total = ZERO
    for row in data.get("rows", []):
        h = by_branch.get(row["branch_id"], ZERO)
        row["hospitality"], row["net_mtd"] = _money(h), _money(Decimal(row.get("mtd") or "0") - h)
        regions[row["region"]] = regions.get(row["region"], ZERO) + h
        total += h
    for agg, h in [*((r, regions.get(r["region"], ZERO)) for r in data.get("regions") or []),
                   *([(data["total"], total)] if data.get("total") else [])]:
        agg["hospitality"], agg["net_mtd"] = _money(h), _money(Decimal(agg.get("mtd") or "0") - h)
    return data
