"""Compiles the daily summary for one business day into plain data (JSON-able), which the
HTML/text/xlsx/PDF renderers and the in-app page all read. The number of queries does not
depend on the number of branches (see bench/bench_summary.py)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketing.models import Branch

from .models import Collection, DailyReport, MonthlyTarget, PartnerKind, RosterEntry
from .selectors import FilingState, filing_state, format_delay
from .workcal import WorkCalendar

ZERO = Decimal("0.00")


def _rate(done: Decimal, target: Decimal | None) -> Decimal | None:
    if not target:
        return None
    return (done / target).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(Decimal(value).quantize(Decimal("0.01")), "f")


def compile_summary(*, tenant, business_day: dt.date, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    calendar = WorkCalendar(tenant)
    due_at = calendar.due_at(business_day)
    month_start = business_day.replace(day=1)
    branches = list(
        Branch.objects.filter(tenant=tenant, is_active=True)
        .select_related("region")
        .order_by("region__sort_order", "region__code", "sort_order", "code")
    )
    positions = list(tenant.sales_positions or [])
    headcount = dict(
        RosterEntry.objects.filter(tenant=tenant, position__in=positions, hire_date__lte=business_day)
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gt=business_day))
        .values("branch_id")
        .annotate(n=Count("id"))
        .values_list("branch_id", "n")
    )
    zero = Value(ZERO, output_field=DecimalField(max_digits=16, decimal_places=2))
    money = {
        row["branch_id"]: row
        for row in Collection.objects.filter(tenant=tenant, day__gte=month_start, day__lte=business_day)
        .values("branch_id")
        .annotate(
            day_amount=Coalesce(Sum("amount", filter=Q(day=business_day)), zero),
            mtd=Coalesce(Sum("amount"), zero),
        )
    }
    targets = dict(MonthlyTarget.objects.filter(tenant=tenant, month=month_start).values_list("branch_id", "amount"))
    reports = {
        r.branch_id: r
        for r in DailyReport.objects.filter(tenant=tenant, business_day=business_day).prefetch_related("partners")
    }
    kinds = dict(PartnerKind.choices)

    rows: list[dict] = []
    regions: OrderedDict[int, dict] = OrderedDict()
    total = {"headcount": 0, "day_amount": ZERO, "mtd": ZERO, "target": ZERO, "branches": 0}
    for b in branches:
        report = reports.get(b.pk)
        state = filing_state(report, due_at, now)
        m = money.get(b.pk, {})
        day_amount, mtd = m.get("day_amount", ZERO), m.get("mtd", ZERO)
        target = targets.get(b.pk)
        row = {
            "branch_id": b.pk,
            "branch": b.name,
            "code": b.code,
            "region": b.region.name,
            "headcount": headcount.get(b.pk, 0),
            "day_amount": _money(day_amount),
            "mtd": _money(mtd),
            "target": _money(target),
            "rate": None if _rate(mtd, target) is None else str(_rate(mtd, target)),
            "state": state,
            "state_label": str(FilingState.LABELS[state]),
            "late_by": format_delay(report.late_by) if report is not None and report.is_late else "",
            "report": None,
        }
        if report is not None and report.submitted_at is not None:
            row["report"] = {
                "narrative": report.narrative,
                "customer_visits": report.customer_visits,
                "contracts_signed": report.contracts_signed,
                "problems": report.problems,
                "next_plan": report.next_plan,
                "amended": report.amended_at is not None,
                "partners": [
                    {"kind": str(kinds.get(p.kind, p.kind)), "name": p.name, "city": p.city, "contact": p.contact}
                    for p in report.partners.all()
                ],
            }
        rows.append(row)
        region = regions.setdefault(
            b.region_id,
            {"region": b.region.name, "headcount": 0, "day_amount": ZERO, "mtd": ZERO, "target": ZERO, "branches": 0},
        )
        for agg in (region, total):
            agg["headcount"] += row["headcount"]
            agg["day_amount"] += day_amount
            agg["mtd"] += mtd
            agg["target"] += target or ZERO
            agg["branches"] += 1

    def finish(agg: dict) -> dict:
        rate = _rate(agg["mtd"], agg["target"])
        return {
            **agg,
            "day_amount": _money(agg["day_amount"]),
            "mtd": _money(agg["mtd"]),
            "target": _money(agg["target"]) if agg["target"] else None,
            "rate": None if rate is None else str(rate),
        }

    ranked = sorted((r for r in rows if r["rate"] is not None), key=lambda r: (-Decimal(r["rate"]), r["code"]))
    data = {
        "tenant": tenant.name,
        "business_day": business_day.isoformat(),
        "weekday": business_day.weekday(),
        "due_at": due_at.isoformat(),
        "compiled_at": now.isoformat(),
        "month": month_start.strftime("%Y-%m"),
        "rows": rows,
        "regions": [finish(r) for r in regions.values()],
        "total": finish(total),
        "ranking": [
            {"rank": i + 1, "branch": r["branch"], "region": r["region"], "rate": r["rate"], "mtd": r["mtd"], "target": r["target"]}
            for i, r in enumerate(ranked)
        ],
        "no_target": [r["branch"] for r in rows if r["target"] is None],
        "not_filed": [
            {"branch": r["branch"], "region": r["region"], "state_label": r["state_label"]}
            for r in rows
            if r["state"] in (FilingState.MISSING, FilingState.PENDING)
        ],
        "counts": {s: sum(1 for r in rows if r["state"] == s) for s in FilingState.LABELS},
    }
    # Hospitality is deducted from sales (issue 13): 本月招待费 and 扣减后业绩 per row and total.
    from expenses.hospitality.report import add_hospitality

    return add_hospitality(data, tenant=tenant, business_day=business_day)


def restrict(data: dict, branch_ids: set[int] | None) -> dict:
    """The part of a summary a branch-scoped member may see: their own branches' rows."""
    if branch_ids is None:
        return data
    rows = [r for r in data.get("rows", []) if r["branch_id"] in branch_ids]
    names = {r["branch"] for r in rows}
    return {
        **data,
        "rows": rows,
        "regions": [],
        "total": None,
        "ranking": [r for r in data.get("ranking", []) if r["branch"] in names],
        "no_target": [n for n in data.get("no_target", []) if n in names],
        "not_filed": [r for r in data.get("not_filed", []) if r["branch"] in names],
        "restricted": True,
    }


def pct(rate: str | None) -> str:
    if rate is None:
        return ""
    return f"{Decimal(rate) * 100:.1f}%"


def money_text(value: str | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def decorate(data: dict) -> dict:
    """Add display strings (percentages, amounts with thousands separators) for the HTML
    and text templates."""
    items = [*data.get("rows", []), *(data.get("regions") or []), *([data["total"]] if data.get("total") else []),
             *data.get("ranking", [])]
    for r in items:
        r["rate_pct"] = pct(r["rate"])
        for key in ("day_amount", "mtd", "target", "hospitality", "net_mtd"):
            if key in r:
                r[f"{key}_text"] = money_text(r[key])
    by_region: OrderedDict[str, list] = OrderedDict()
    for r in data.get("rows", []):
        by_region.setdefault(r["region"], []).append(r)
    subtotals = {r["region"]: r for r in data.get("regions", []) or []}
    data["groups"] = [{"region": k, "rows": v, "subtotal": subtotals.get(k)} for k, v in by_region.items()]
    data["reports"] = [r for r in data.get("rows", []) if r["report"]]
    return data
