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
from django.utils.translation import gettext

from marketing.models import Branch

from .models import Collection, DailyReport, MonthlyTarget, PartnerKind, RosterEntry
from .selectors import FilingState, filing_state, format_delay
from .workcal import WorkCalendar, behind_pace, time_progress_ratio

ZERO = Decimal("0.00")

# Columns other apps add AFTER the existing ones (customers/partners: 今日新签经销商 / 修理厂).
# A provider is ``provider(data, *, tenant, business_day) -> None``: it appends its labels to
# ``data["extra_columns"]`` and one value per label to ``extra`` of every row, region and the total.
EXTRA_COLUMN_PROVIDERS: list = []


def _rate(done: Decimal, target: Decimal | None) -> Decimal | None:
    if not target:
        return None
    return (done / target).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(Decimal(value).quantize(Decimal("0.01")), "f")


RATE_RULE = 2  # snapshots without it were compiled with the old (wrong) subtotal rate


def has_target(row: dict) -> bool:
    """A branch takes part in completion rates only with a target above zero."""
    return row.get("target") is not None and Decimal(row["target"]) > 0


def group_figures(rows: list[dict]) -> dict:
    """The one place a group's figures (a region's subtotal, the company total) are computed,
    for the page, the e-mail, the xlsx and the PDF alike.

    Collections (day and month to date) and headcount add up over every branch; the target
    sums only the branches that have one; 完成率 = month-to-date collections of the branches
    WITH a target / the sum of those targets. Branches without a target count in the
    collection totals, are listed as 无目标 and stay out of the rate (seed rule S000-20)."""
    targeted = [r for r in rows if has_target(r)]
    mtd = sum((Decimal(r["mtd"]) for r in rows), ZERO)
    mtd_targeted = sum((Decimal(r["mtd"]) for r in targeted), ZERO)
    target = sum((Decimal(r["target"]) for r in targeted), ZERO)
    rate = _rate(mtd_targeted, target)
    return {
        "headcount": sum(r["headcount"] for r in rows),
        "day_amount": _money(sum((Decimal(r["day_amount"]) for r in rows), ZERO)),
        "mtd": _money(mtd),
        "mtd_targeted": _money(mtd_targeted) if targeted else None,
        "target": _money(target) if targeted else None,
        "rate": None if rate is None else str(rate),
        "branches": len(rows),
        "targeted": len(targeted),
        "no_target": len(rows) - len(targeted),
    }


def aggregate(rows: list[dict]) -> tuple[list[dict], dict]:
    """Region subtotals (in row order) and the company total of a list of branch rows."""
    by_region: OrderedDict[str, list[dict]] = OrderedDict()
    for r in rows:
        by_region.setdefault(r["region"], []).append(r)
    regions = [{"region": name, **group_figures(items)} for name, items in by_region.items()]
    return regions, group_figures(rows)


def current(data: dict) -> dict:
    """A stored snapshot with its subtotals as the current rule computes them: snapshots
    stored before ``RATE_RULE`` 2 (the old rate counted untargeted branches' collections)
    are recomputed from their branch rows, which were always right. Restricted views keep
    their (absent) subtotals."""
    if not data or data.get("rows") is None or data.get("rate_rule") == RATE_RULE or data.get("restricted"):
        return data
    regions, total = aggregate(data["rows"])
    ranked = sorted((r for r in data["rows"] if has_target(r)), key=lambda r: (-Decimal(r["rate"]), r["code"]))
    return {
        **data, "rate_rule": RATE_RULE, "regions": regions, "total": total,
        "ranking": [
            {"rank": i + 1, "branch": r["branch"], "region": r["region"], "rate": r["rate"], "mtd": r["mtd"], "target": r["target"]}
            for i, r in enumerate(ranked)
        ],
        "no_target": [r["branch"] for r in data["rows"] if not has_target(r)],
    }


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
    for b in branches:
        report = reports.get(b.pk)
        state = filing_state(report, due_at, now)
        m = money.get(b.pk, {})
        day_amount, mtd = m.get("day_amount", ZERO), m.get("mtd", ZERO)
        target = targets.get(b.pk)
        rate = _rate(mtd, target)
        row = {
            "branch_id": b.pk,
            "branch": b.name,
            "code": b.code,
            "region": b.region.name,
            "headcount": headcount.get(b.pk, 0),
            "day_amount": _money(day_amount),
            "mtd": _money(mtd),
            "target": _money(target),
            "rate": None if rate is None else str(rate),
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

    regions, total = aggregate(rows)
    ranked = sorted((r for r in rows if has_target(r)), key=lambda r: (-Decimal(r["rate"]), r["code"]))
    elapsed, month_days = calendar.time_progress(business_day)
    pace = time_progress_ratio(calendar, business_day)
    data = {
        # 时间进度 (issue #20): stored with the snapshot, so a resend shows the same figure
        "pace": {"elapsed": elapsed, "total": month_days, "ratio": None if pace is None else str(pace)},
        "tenant": tenant.name,
        "business_day": business_day.isoformat(),
        "weekday": business_day.weekday(),
        "due_at": due_at.isoformat(),
        "compiled_at": now.isoformat(),
        "month": month_start.strftime("%Y-%m"),
        "rows": rows,
        "rate_rule": RATE_RULE,
        "regions": regions,
        "total": total,
        "ranking": [
            {"rank": i + 1, "branch": r["branch"], "region": r["region"], "rate": r["rate"], "mtd": r["mtd"], "target": r["target"]}
            for i, r in enumerate(ranked)
        ],
        "no_target": [r["branch"] for r in rows if not has_target(r)],
        "not_filed": [
            {"branch": r["branch"], "region": r["region"], "state_label": r["state_label"]}
            for r in rows
            if r["state"] in (FilingState.MISSING, FilingState.PENDING)
        ],
        "counts": {s: sum(1 for r in rows if r["state"] == s) for s in FilingState.LABELS},
    }
    # Hospitality is deducted from sales (issue 13): 本月招待费 and 扣减后业绩 per row, region and total.
    from expenses.hospitality.report import add_hospitality

    data = add_hospitality(data, tenant=tenant, business_day=business_day)
    data["extra_columns"] = []
    for provider in EXTRA_COLUMN_PROVIDERS:
        provider(data, tenant=tenant, business_day=business_day)
    return data


def restrict(data: dict, branch_ids: set[int] | None) -> dict:
    """The part of a summary a branch-scoped member may see: their own branches' rows."""
    if branch_ids is None:
        return data
    rows = [r for r in data.get("rows", []) if r["branch_id"] in branch_ids]
    names = {r["branch"] for r in rows}
    out = {
        **data,
        "rows": rows,
        "regions": [],
        "total": None,
        "ranking": [r for r in data.get("ranking", []) if r["branch"] in names],
        "no_target": [n for n in data.get("no_target", []) if n in names],
        "not_filed": [r for r in data.get("not_filed", []) if r["branch"] in names],
        "restricted": True,
    }
    if data.get("correction"):  # only the changes of the reader's own branches
        mine = [c for c in data["correction"]["changes"] if c["what"] in names]
        out["correction"] = {"changes": mine} if mine else None
    return out


def pace_ratio(data: dict) -> Decimal | None:
    """The summary's 时间进度 as a Decimal (None for snapshots compiled before it existed)."""
    ratio = (data.get("pace") or {}).get("ratio")
    return None if ratio is None else Decimal(ratio)


def is_behind(item: dict, pace: Decimal | None, *, branch: bool) -> bool:
    """落后于时间进度: a targeted branch (or a group with a rate) whose 完成率 is below the pace."""
    if branch and not has_target(item):
        return False
    return behind_pace(None if item.get("rate") is None else Decimal(item["rate"]), pace)


def pct(rate: str | None) -> str:
    if rate is None:
        return ""
    return f"{(Decimal(rate) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def money_text(value: str | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


NO_TARGET = "无目标"


def rate_text(item: dict, *, branch: bool, no_target: str = NO_TARGET) -> str:
    """完成率 as shown everywhere: a branch without a target reads 无目标; a group with no
    targeted branch has no rate (empty)."""
    if branch and not has_target(item):
        return no_target
    return pct(item.get("rate"))


def decorate(data: dict) -> dict:
    """Add display strings (percentages, amounts with thousands separators) for the HTML
    and text templates."""
    data = current(data)
    items = [*data.get("rows", []), *(data.get("regions") or []), *([data["total"]] if data.get("total") else []),
             *data.get("ranking", [])]
    for r in items:
        r["rate_pct"] = pct(r["rate"])
        for key in ("day_amount", "mtd", "target", "hospitality", "net_mtd"):
            if key in r:
                r[f"{key}_text"] = money_text(r[key])
    for r in data.get("rows", []):
        r["rate_pct"] = rate_text(r, branch=True, no_target=gettext("无目标"))
    pace = pace_ratio(data)
    data["pace_pct"] = pct(None if pace is None else str(pace))
    for r in data.get("rows", []):
        r["behind"] = is_behind(r, pace, branch=True)
    for g in [*(data.get("regions") or []), *([data["total"]] if data.get("total") else [])]:
        g["behind"] = is_behind(g, pace, branch=False)
    for g in [*(data.get("regions") or []), *([data["total"]] if data.get("total") else [])]:
        g["rate_note"] = (gettext("不含无目标 %(n)d 家") % {"n": g["no_target"]}
                          if g.get("no_target") and g.get("targeted") else "")
    by_region: OrderedDict[str, list] = OrderedDict()
    for r in data.get("rows", []):
        by_region.setdefault(r["region"], []).append(r)
    subtotals = {r["region"]: r for r in data.get("regions", []) or []}
    data["groups"] = [{"region": k, "rows": v, "subtotal": subtotals.get(k)} for k, v in by_region.items()]
    data["reports"] = [r for r in data.get("rows", []) if r["report"]]
    return data
