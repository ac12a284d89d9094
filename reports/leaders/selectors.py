"""The figures behind each chart of the leaders' dashboard, for one :class:`Scope` (the
reader's reachable branches, narrowed by region / branch, and a month).

Every chart is a plain dict ``{"chart", "title", "columns", "rows", "meta", ...}``: the JSON
endpoint returns it, the page draws the chart and the table from it, and the xlsx writer
writes its columns and rows -- so the chart, the table and the download always agree.
Amounts are strings with two decimals (元); rates are the UNROUNDED ratio as a string
(display rounds once, half up, with :func:`reports.summary.pct`). The number of queries of
each chart is constant, whatever the number of branches or days (bench/bench_dashboard.py)."""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import pgettext

from marketing.models import Branch, Region
from marketing.selectors import visible_branches

from ..models import Collection, DailyReport, MonthlyTarget, ReportStatus
from ..summary import group_figures, has_target, is_behind, pct
from ..workcal import WorkCalendar, behind_pace, time_progress_ratio

ZERO = Decimal("0.00")
_Z = Value(ZERO, output_field=DecimalField(max_digits=16, decimal_places=2))
FILING_WINDOW = 30  # working days


def money(value) -> str:
    return format(Decimal(value or 0).quantize(Decimal("0.01")), "f")


def ratio(part, whole) -> str | None:
    """An unrounded ratio as a string (None when the whole is zero)."""
    part, whole = Decimal(part or 0), Decimal(whole or 0)
    if not whole:
        return None
    return str(part / whole)


@dataclass
class Scope:
    tenant: object
    month: dt.date  # the 1st
    as_of: dt.date  # the last day whose figures count: month end, or today in the running month
    branches: list[Branch]
    region: Region | None = None
    branch: Branch | None = None
    calendar: WorkCalendar = field(default=None)

    @property
    def branch_ids(self) -> list[int]:
        return [b.pk for b in self.branches]

    @property
    def month_end(self) -> dt.date:
        return self.month.replace(day=monthrange(self.month.year, self.month.month)[1])

    @property
    def started(self) -> bool:
        return self.as_of >= self.month

    def pace(self) -> Decimal | None:
        """时间进度 at ``as_of`` (None before the month starts)."""
        if not self.started:
            return None
        return time_progress_ratio(self.calendar, self.as_of)

    def meta(self) -> dict:
        elapsed, total = self.calendar.time_progress(self.as_of) if self.started else (0, 0)
        pace = self.pace()
        return {
            "month": self.month.strftime("%Y-%m"), "as_of": self.as_of.isoformat(),
            "region": self.region.pk if self.region else None, "branch": self.branch.pk if self.branch else None,
            "branch_name": self.branch.name if self.branch else "",
            "branches": len(self.branches),
            "pace": {"elapsed": elapsed, "total": total, "ratio": None if pace is None else str(pace),
                     "pct": pct(None if pace is None else str(pace))},
        }


def reach(*, membership) -> list[Branch]:
    """The active branches the reader may see (branch GMs: theirs; executives: all), in the
    summary's order. One query."""
    return list(visible_branches(membership=membership).filter(is_active=True)
                .order_by("region__sort_order", "region__code", "sort_order", "code"))


def build_scope(*, membership, month: dt.date, today: dt.date, region_id: int | None = None,
                branch_id: int | None = None) -> Scope:
    """Raises ``LookupError`` for a region or branch outside the reader's reach (the view
    answers 404: no existence oracle)."""
    tenant = membership.tenant
    branches = reach(membership=membership)
    region = branch = None
    if region_id is not None:
        in_region = [b for b in branches if b.region_id == region_id]
        if not in_region:
            raise LookupError("region")
        region, branches = in_region[0].region, in_region
    if branch_id is not None:
        found = [b for b in branches if b.pk == branch_id]
        if not found:
            raise LookupError("branch")
        branch, branches = found[0], found
    end = month.replace(day=monthrange(month.year, month.month)[1])
    as_of = min(end, today)
    return Scope(tenant=tenant, month=month, as_of=as_of, branches=branches, region=region, branch=branch,
                 calendar=WorkCalendar(tenant))


def _month_figures(scope: Scope) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Collections of the month up to ``as_of`` and the month's target, per branch id (two queries)."""
    return _period_figures(scope, scope.month)


def _col(key, label, kind="text"):
    return {"key": key, "label": label, "kind": kind}


# --- 1. the month's trend: cumulative collections against the target pace -------------------


def trend(scope: Scope) -> dict:
    """Per working day of the month: 累计回款 (every branch in scope, collections of the 1st up
    to that day, non-working days included in the next working day's figure) and 目标进度线 =
    the targets' sum × working days elapsed ÷ the month's working days (the 时间进度 line).
    Cumulative figures stop at ``as_of``. Three queries (overrides, collections, targets)."""
    days = scope.calendar.working_days_of_month(scope.month.year, scope.month.month)
    by_day = dict(Collection.objects.filter(tenant=scope.tenant, branch_id__in=scope.branch_ids,
                                            day__gte=scope.month, day__lte=scope.as_of)
                  .values("day").annotate(t=Coalesce(Sum("amount"), _Z)).order_by().values_list("day", "t"))
    target = sum((Decimal(a) for a in MonthlyTarget.objects.filter(
        tenant=scope.tenant, branch_id__in=scope.branch_ids, month=scope.month, amount__gt=0)
        .values_list("amount", flat=True)), ZERO)
    rows, running, n = [], ZERO, len(days)
    amounts = sorted(by_day.items())
    i = 0
    for k, day in enumerate(days, start=1):
        while i < len(amounts) and amounts[i][0] <= day:
            running += amounts[i][1]
            i += 1
        pace_amount = (target * k / n).quantize(Decimal("0.01")) if n else ZERO
        reached = day <= scope.as_of
        rows.append({"day": day.isoformat(), "cumulative": money(running) if reached else None,
                     "pace_amount": money(pace_amount) if target else None,
                     "rate": ratio(running, target) if reached and target else None})
    return {
        "chart": "trend", "title": pgettext("dashboard", "本月累计回款与目标进度"),
        "columns": [_col("day", pgettext("dashboard", "日期")), _col("cumulative", pgettext("dashboard", "累计回款（元）"), "money"),
                    _col("pace_amount", pgettext("dashboard", "目标进度线（元）"), "money"), _col("rate", pgettext("dashboard", "完成率"), "pct")],
        "rows": rows, "target": money(target) if target else None, "meta": scope.meta(),
    }


# --- 2. ranking: regions and branches, 完成率 beside 时间进度 ---------------------------------------


def ranking(scope: Scope) -> dict:
    """Regions (subtotals by the summary's one rule, ``reports.summary.group_figures``) and the
    branches ranked by 完成率 (branches without a target last, as 无目标). Three queries."""
    mtd, targets = _month_figures(scope)
    pace = scope.pace()
    rows = []
    for b in scope.branches:
        target = targets.get(b.pk)
        row = {"branch_id": b.pk, "branch": b.name, "code": b.code, "region_id": b.region_id,
               "region": b.region.name, "headcount": 0, "day_amount": "0.00",
               "mtd": money(mtd.get(b.pk, ZERO)), "target": None if target is None else money(target)}
        row["rate"] = group_figures([row])["rate"] if has_target(row) else None
        rows.append(row)
    by_region: dict[int, list[dict]] = {}
    for r in rows:
        by_region.setdefault(r["region_id"], []).append(r)
    regions = []
    for rid, items in by_region.items():
        g = group_figures(items)
        regions.append({"region_id": rid, "region": items[0]["region"], "mtd": g["mtd"], "target": g["target"],
                        "rate": g["rate"], "behind": is_behind(g, pace, branch=False), "branches": g["branches"],
                        "no_target": g["no_target"]})
    ranked = sorted(rows, key=lambda r: (not has_target(r), -Decimal(r["rate"] or 0), r["code"]))
    out, rank = [], 0
    for r in ranked:
        rank += 1 if has_target(r) else 0
        out.append({"rank": rank if has_target(r) else None, "branch_id": r["branch_id"], "branch": r["branch"],
                    "region_id": r["region_id"], "region": r["region"], "mtd": r["mtd"], "target": r["target"],
                    "rate": r["rate"], "behind": is_behind(r, pace, branch=True)})
    total = group_figures(rows) if rows else None
    regions.sort(key=lambda g: (g["rate"] is None, -Decimal(g["rate"] or 0), g["region"]))
    return {
        "chart": "ranking", "title": pgettext("dashboard", "地区与分公司完成率排名"),
        "columns": [_col("rank", pgettext("dashboard", "排名"), "int"), _col("branch", pgettext("dashboard", "分公司")), _col("region", pgettext("dashboard", "地区")),
                    _col("mtd", pgettext("dashboard", "本月累计回款（元）"), "money"), _col("target", pgettext("dashboard", "月度目标（元）"), "money"),
                    _col("rate", pgettext("dashboard", "完成率"), "pct"), _col("behind", pgettext("dashboard", "落后于时间进度"), "bool")],
        "rows": out, "regions": regions,
        "region_columns": [_col("region", pgettext("dashboard", "地区")), _col("mtd", pgettext("dashboard", "本月累计回款（元）"), "money"),
                           _col("target", pgettext("dashboard", "月度目标（元）"), "money"), _col("rate", pgettext("dashboard", "完成率"), "pct"),
                           _col("behind", pgettext("dashboard", "落后于时间进度"), "bool")],
        "total": None if total is None else {"mtd": total["mtd"], "target": total["target"], "rate": total["rate"],
                                             "behind": is_behind(total, pace, branch=False)},
        "meta": scope.meta(),
    }


# --- 3. daily-report filing rate over the last 30 working days --------------------------------


def filing_window(scope: Scope, now: dt.datetime) -> list[dt.date]:
    """The 30 working days ending at the last business day whose reports are due by now (or at
    the month's last working day for a past month)."""
    cal = scope.calendar
    last = cal.current_business_day(now)
    end = scope.month_end
    if end < last:
        last = end if cal.is_working(end) else cal.previous_working(end)
    days = [last]
    while len(days) < FILING_WINDOW:
        days.append(cal.previous_working(days[-1]))
    return sorted(days)


def filing(scope: Scope, now: dt.datetime) -> dict:
    """Per working day: 应报 (branches in scope), 已报 (submitted), 按时 (submitted before the
    deadline), 填报率 = 已报 ÷ 应报. Two queries (overrides, reports grouped by day)."""
    days = filing_window(scope, now)
    expected = len(scope.branches)
    counts = {r["business_day"]: r for r in DailyReport.objects.filter(
        tenant=scope.tenant, branch_id__in=scope.branch_ids, business_day__in=days, status=ReportStatus.SUBMITTED)
        .values("business_day").annotate(filed=Count("pk"), on_time=Count("pk", filter=Q(submitted_at__lt=F("due_at"))))
        .order_by()}
    rows = []
    for d in days:
        c = counts.get(d, {})
        filed, on_time = c.get("filed", 0), c.get("on_time", 0)
        rows.append({"day": d.isoformat(), "expected": expected, "filed": filed, "on_time": on_time,
                     "rate": ratio(filed, expected), "on_time_rate": ratio(on_time, expected)})
    total_filed = sum(r["filed"] for r in rows)
    return {
        "chart": "filing", "title": pgettext("dashboard", "近 30 个工作日日报填报率"),
        "columns": [_col("day", pgettext("dashboard", "业务日期")), _col("expected", pgettext("dashboard", "应报"), "int"), _col("filed", pgettext("dashboard", "已报"), "int"),
                    _col("on_time", pgettext("dashboard", "按时"), "int"), _col("rate", pgettext("dashboard", "填报率"), "pct"),
                    _col("on_time_rate", pgettext("dashboard", "按时率"), "pct")],
        "rows": rows, "total": {"expected": expected * len(days), "filed": total_filed,
                                "rate": ratio(total_filed, expected * len(days))},
        "meta": scope.meta(),
    }


# --- 4. hospitality ÷ sales, 5. contract sell-through, by region ------------------------------


def _regions_of(scope: Scope) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    for b in scope.branches:
        seen.setdefault(b.region_id, b.region.name)
    return list(seen.items())


def hospitality(scope: Scope) -> dict:
    """Per region: 招待费 (company share of claims finance assessed, meals in the month up to
    ``as_of``, as in expenses/hospitality/report.py) ÷ 销售 (the month's collections up to
    ``as_of``). Two queries."""
    from expenses.hospitality.selectors import charged_claims

    share = dict(charged_claims(tenant=scope.tenant, since=scope.month, until=scope.as_of)
                 .filter(branch_id__in=scope.branch_ids).values("branch__region_id")
                 .annotate(t=Coalesce(Sum("company_share"), _Z)).order_by().values_list("branch__region_id", "t"))
    sales = dict(Collection.objects.filter(tenant=scope.tenant, branch_id__in=scope.branch_ids, day__gte=scope.month,
                                           day__lte=scope.as_of)
                 .values("branch__region_id").annotate(t=Coalesce(Sum("amount"), _Z)).order_by()
                 .values_list("branch__region_id", "t"))
    rows = []
    for rid, name in _regions_of(scope):
        h, s = share.get(rid, ZERO), sales.get(rid, ZERO)
        rows.append({"region_id": rid, "region": name, "hospitality": money(h), "sales": money(s), "rate": ratio(h, s)})
    th, ts = sum((Decimal(r["hospitality"]) for r in rows), ZERO), sum((Decimal(r["sales"]) for r in rows), ZERO)
    return {
        "chart": "hospitality", "title": pgettext("dashboard", "各地区业务招待费占销售比"),
        "columns": [_col("region", pgettext("dashboard", "地区")), _col("hospitality", pgettext("dashboard", "业务招待费（元）"), "money"),
                    _col("sales", pgettext("dashboard", "回款（元）"), "money"), _col("rate", pgettext("dashboard", "招待费 ÷ 销售"), "pct")],
        "rows": rows, "total": {"hospitality": money(th), "sales": money(ts), "rate": ratio(th, ts)},
        "meta": scope.meta(),
    }


def sell_through(scope: Scope) -> dict:
    """Per region, contracts as of ``as_of``: 已派发 (dispatched to its branches by then), 客户已签,
    回收作废, 动销率 = 客户已签 ÷ (已派发 − 回收作废) -- the definition the contract requests
    are reviewed with (contracts.selectors_ledger.sell_through). One query."""
    from contracts.models import Contract

    d = scope.as_of
    counts = {r["branch__region_id"]: r for r in Contract.objects.filter(
        tenant=scope.tenant, branch_id__in=scope.branch_ids, dispatched_on__lte=d)
        .values("branch__region_id")
        .annotate(dispatched=Count("pk"), signed=Count("pk", filter=Q(signed_on__lte=d)),
                  voided=Count("pk", filter=Q(voided_on__lte=d))).order_by()}
    rows = []
    for rid, name in _regions_of(scope):
        c = counts.get(rid, {})
        dispatched, signed, voided = c.get("dispatched", 0), c.get("signed", 0), c.get("voided", 0)
        rows.append({"region_id": rid, "region": name, "dispatched": dispatched, "signed": signed, "voided": voided,
                     "rate": ratio(signed, dispatched - voided) if dispatched - voided > 0 else None})
    t = {k: sum(r[k] for r in rows) for k in ("dispatched", "signed", "voided")}
    t["rate"] = ratio(t["signed"], t["dispatched"] - t["voided"]) if t["dispatched"] - t["voided"] > 0 else None
    return {
        "chart": "sell_through", "title": pgettext("dashboard", "各地区合同动销率"),
        "columns": [_col("region", pgettext("dashboard", "地区")), _col("dispatched", pgettext("dashboard", "已派发"), "int"),
                    _col("signed", pgettext("dashboard", "客户已签"), "int"), _col("voided", pgettext("dashboard", "回收作废"), "int"),
                    _col("rate", pgettext("dashboard", "动销率"), "pct")],
        "rows": rows, "total": t, "meta": scope.meta(),
    }


# --- 6. quarter and year to date: collections against the summed monthly targets (S001-25) -----


def _period_figures(scope: Scope, start: dt.date) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Collections from ``start`` up to ``as_of`` and the targets of the months from ``start`` to
    the scope's month (a quarter's or year's target is the sum of its months'), per branch id.
    Two queries."""
    ids = scope.branch_ids
    done = dict(Collection.objects.filter(tenant=scope.tenant, branch_id__in=ids, day__gte=start,
                                          day__lte=scope.as_of)
                .values("branch_id").annotate(t=Coalesce(Sum("amount"), _Z)).values_list("branch_id", "t"))
    targets = dict(MonthlyTarget.objects.filter(tenant=scope.tenant, branch_id__in=ids, month__gte=start,
                                                month__lte=scope.month)
                   .values("branch_id").annotate(t=Sum("amount")).values_list("branch_id", "t"))
    return done, targets


def periods(scope: Scope) -> dict:
    """本季度累计 and 本年度累计 per region (and the company): collections from the quarter's / year's
    first day up to ``as_of`` against the targets of its months up to the scope's month, with
    完成率 by the summary's one rule (``group_figures``: only branches with a target count in the
    rate). Four queries."""
    quarter_start = dt.date(scope.month.year, 3 * ((scope.month.month - 1) // 3) + 1, 1)
    year_start = dt.date(scope.month.year, 1, 1)
    per_kind = {kind: _period_figures(scope, start) for kind, start in (("quarter", quarter_start),
                                                                         ("year", year_start))}

    def branch_rows(kind: str, branches: list[Branch]) -> list[dict]:
        done, targets = per_kind[kind]
        return [{"mtd": money(done.get(b.pk, ZERO)), "headcount": 0, "day_amount": "0.00",
                 "target": None if targets.get(b.pk) is None else money(targets[b.pk])} for b in branches]

    def figures(branches: list[Branch]) -> dict:
        out = {}
        for kind in ("quarter", "year"):
            g = group_figures(branch_rows(kind, branches))
            out.update({f"{kind}_amount": g["mtd"], f"{kind}_target": g["target"], f"{kind}_rate": g["rate"]})
        return out

    by_region: dict[int, list[Branch]] = {}
    for b in scope.branches:
        by_region.setdefault(b.region_id, []).append(b)
    rows = [{"region_id": rid, "region": items[0].region.name, **figures(items)} for rid, items in by_region.items()]
    q = (scope.month.month - 1) // 3 + 1
    return {
        "chart": "periods", "title": pgettext("dashboard", "本季度与本年度累计完成率"),
        "columns": [_col("region", pgettext("dashboard", "地区")),
                    _col("quarter_amount", pgettext("dashboard", "本季度累计回款（元）"), "money"),
                    _col("quarter_target", pgettext("dashboard", "本季度目标（元）"), "money"),
                    _col("quarter_rate", pgettext("dashboard", "本季度完成率"), "pct"),
                    _col("year_amount", pgettext("dashboard", "本年度累计回款（元）"), "money"),
                    _col("year_target", pgettext("dashboard", "本年度目标（元）"), "money"),
                    _col("year_rate", pgettext("dashboard", "本年度完成率"), "pct")],
        "rows": rows, "total": figures(scope.branches) if scope.branches else None,
        "meta": {**scope.meta(), "quarter": f"{scope.month.year}Q{q}", "year": str(scope.month.year)},
    }


CHARTS = ("trend", "ranking", "filing", "hospitality", "sell_through", "periods")


def chart(name: str, scope: Scope, now: dt.datetime) -> dict:
    if name == "filing":
        return filing(scope, now)
    return {"trend": trend, "ranking": ranking, "hospitality": hospitality, "sell_through": sell_through,
            "periods": periods}[name](scope)


def decorate(data: dict) -> dict:
    """Display strings for rates (``<key>_pct``) next to the unrounded ratios, one rounding rule."""
    for r in [*data.get("rows", []), *data.get("regions", []), *([data["total"]] if data.get("total") else [])]:
        for k in ("rate", "on_time_rate"):
            if k in r:
                r[f"{k}_pct"] = pct(r[k])
    return data


__all__ = ["CHARTS", "Scope", "behind_pace", "build_scope", "chart", "decorate", "reach"]
