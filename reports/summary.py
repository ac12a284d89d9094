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
    """The 4-place rate kept in snapshots as a comparable key (corrections, old snapshots).
    Never shown: every figure people read is rounded once from the unrounded ``_ratio``."""
    if not target:
        return None
    return (done / target).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _ratio(done: Decimal, target: Decimal | None) -> Decimal | None:
    """完成率 unrounded (Decimal division, 28 significant digits): what the xlsx cell holds
    and what the single display rounding (``pct``) starts from."""
    if not target:
        return None
    return Decimal(done) / Decimal(target)


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
    ratio = _ratio(mtd_targeted, target)
    return {
        "headcount": sum(r["headcount"] for r in rows),
        "day_amount": _money(sum((Decimal(r["day_amount"]) for r in rows), ZERO)),
        "mtd": _money(mtd),
        "mtd_targeted": _money(mtd_targeted) if targeted else None,
        "target": _money(target) if targeted else None,
        "rate": None if rate is None else str(rate),
        "ratio": None if ratio is None else str(ratio),
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
    return {
        **data, "rate_rule": RATE_RULE, "regions": regions, "total": total,
        "ranking": ranking(data["rows"]),
        "no_target": [r["branch"] for r in data["rows"] if not has_target(r)],
    }


def ranking(rows: list[dict]) -> list[dict]:
    """完成率排名 of the targeted branches, by the unrounded ratio (ties by branch code)."""
    ranked = sorted((r for r in rows if has_target(r)), key=lambda r: (-ratio_of(r), r["code"]))
    return [
        {"rank": i + 1, "branch": r["branch"], "region": r["region"], "rate": r["rate"], "ratio": str(ratio_of(r)),
         "mtd": r["mtd"], "target": r["target"]}
        for i, r in enumerate(ranked)
    ]


def ratio_of(item: dict) -> Decimal | None:
    """The unrounded 完成率 of a branch row, a group (region, total) or a ranking entry.
    Snapshots stored before ``ratio`` existed derive it from their money figures (a group
    from ``mtd_targeted``), which are exact, so they too round only once."""
    if item.get("ratio") is not None:
        return Decimal(item["ratio"])
    if item.get("rate") is None:
        return None
    done = item["mtd_targeted"] if "mtd_targeted" in item else item.get("mtd")
    if done is not None and item.get("target") and Decimal(item["target"]):
        return Decimal(done) / Decimal(item["target"])
    return Decimal(item["rate"])  # a bare rate (no figures to derive it from)


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
        ratio = _ratio(mtd, target)
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
            "ratio": None if ratio is None else str(ratio),
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
        "ranking": ranking(rows),
        "no_target": [r["branch"] for r in rows if not has_target(r)],
        "not_filed": [
            {"branch": r["branch"], "region": r["region"], "state_label": r["state_label"]}
            for r in rows
            if r["state"] in (FilingState.MISSING, FilingState.PENDING)
        ],
        "counts": {s: sum(1 for r in rows if r["state"] == s) for s in FilingState.LABELS},
    }
    data["trend"] = month_trend(tenant=tenant, calendar=calendar, business_day=business_day,
                                targeted={b.pk for b in branches if targets.get(b.pk)}, target=total["target"])
    # Hospitality is deducted from sales (issue 13): 本月招待费 and 扣减后业绩 per row, region and total.
    from expenses.hospitality.report import add_hospitality

    data = add_hospitality(data, tenant=tenant, business_day=business_day)
    data["extra_columns"] = []
    for provider in EXTRA_COLUMN_PROVIDERS:
        provider(data, tenant=tenant, business_day=business_day)
    return data


def month_trend(*, tenant, calendar: WorkCalendar, business_day: dt.date, targeted: set[int],
                target: str | None) -> dict | None:
    """The e-mail's second chart (issue #20): per working day of the month, the cumulative
    collections of the branches with a target (what 完成率 counts) up to the business day,
    and the target pace (sum of targets x working days elapsed / working days of the month)
    for the whole month. One query. None without a target."""
    if not target or not Decimal(target) or not targeted:
        return None
    days = calendar.working_days_of_month(business_day.year, business_day.month)
    if not days:
        return None
    month_start = business_day.replace(day=1)
    by_day = dict(
        Collection.objects.filter(tenant=tenant, branch_id__in=targeted, day__gte=month_start, day__lte=business_day)
        .values("day").annotate(s=Sum("amount")).values_list("day", "s")
    )
    goal = Decimal(target)
    collected, running = [], ZERO
    for d in sorted({*by_day, *days}):  # money booked on a non-working day counts from that day
        running += by_day.get(d, ZERO)
        if d in days and d <= business_day:
            collected.append(_money(running))
    return {
        "days": [d.isoformat() for d in days],
        "collected": collected,  # one per working day up to the business day
        "pace": [_money(goal * (i + 1) / len(days)) for i in range(len(days))],
        "target": _money(goal),
    }


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
        "trend": None,  # company-wide figures
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
    return behind_pace(ratio_of(item), pace)


def pct(rate: str | Decimal | None) -> str:
    """The one display rounding of a ratio: once, to 0.1 %, half up (64.2515 % -> 64.3 %,
    112.154 % -> 112.2 %). Give it the unrounded ratio (``ratio_of``), never a rounded one."""
    if rate is None or rate == "":
        return ""
    return f"{(Decimal(rate) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def rate_pct(item: dict | None) -> str:
    """完成率 of a row, group or ranking entry as every output shows it."""
    return "" if not item else pct(ratio_of(item))


def money_text(value: str | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def wan_text(value: str | None) -> str:
    """An amount in 万元 (two places, half up, thousands separators): 212,800.00 元 -> 21.28."""
    if value is None:
        return ""
    return f"{(Decimal(value) / 10000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def key_figures(data: dict) -> dict | None:
    """The key-figures block on top of the e-mail and the page (issue #20): 本月累计回款 and
    当日回款 in 万元, 完成率 beside 时间进度 (and whether it is behind), how many branches have
    not filed. A restricted view (a branch GM's own branches) sums its own rows."""
    rows = data.get("rows") or []
    if not rows and not data.get("total"):
        return None
    group = data.get("total") or group_figures(rows)
    return {
        "mtd_wan": wan_text(group["mtd"]), "day_wan": wan_text(group["day_amount"]),
        "rate_pct": rate_pct(group), "behind": is_behind(group, pace_ratio(data), branch=False),
        "not_filed": len(data.get("not_filed") or []), "own_only": not data.get("total"),
    }


def subject_figures(data: dict) -> str:
    """The company figure the e-mail's subject carries: 完成率 (时间进度) and 本月累计回款 in 万元."""
    total = data.get("total")
    if not total:
        return ""
    parts = []
    if rate_pct(total):
        pace = pace_ratio(data)
        parts.append(gettext("完成率 %(rate)s") % {"rate": rate_pct(total)}
                     + (gettext("（时间进度 %(pace)s）") % {"pace": pct(pace)} if pace is not None else ""))
    parts.append(gettext("累计回款 %(wan)s 万元") % {"wan": wan_text(total["mtd"])})
    return " · ".join(parts)


NO_TARGET = "无目标"


def rate_text(item: dict, *, branch: bool, no_target: str = NO_TARGET) -> str:
    """完成率 as shown everywhere: a branch without a target reads 无目标; a group with no
    targeted branch has no rate (empty)."""
    if branch and not has_target(item):
        return no_target
    return rate_pct(item)


def decorate(data: dict) -> dict:
    """Add display strings (percentages, amounts with thousands separators) for the HTML
    and text templates."""
    data = current(data)
    items = [*data.get("rows", []), *(data.get("regions") or []), *([data["total"]] if data.get("total") else []),
             *data.get("ranking", [])]
    for r in items:
        r["rate_pct"] = rate_pct(r)
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
    data["key"] = key_figures(data)
    return data
