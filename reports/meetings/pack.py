"""Compiles the pack of the monthly meeting (市场部月例会资料) for one past month into plain,
JSON-able data; the page, the xlsx and the PDF all render this one snapshot.

Sections (seed 003 例会 (2)(4)):
* ``targets`` 每月销售业绩目标管理表 -- per branch: target, achieved (the month's collections),
  完成率, 时间进度 at the month's end, ranking, 落后于时间进度; the same rule as the daily summary
  and the dashboard (``reports.leaders.selectors.ranking`` → ``reports.summary.group_figures``).
* ``salespeople`` -- per salesperson whose target was accepted (规则「销售月度考核目标」): target,
  contracts signed and visits of the month. Collections are per branch (finance's 回款统计表),
  so there is no personal 完成率; the sheet says so instead of inventing one.
* ``customers`` 客户销售业绩进度管理表 -- per customer: visits this month, last progress (the
  latest visit's result / next step), stage; customers without a visit this month are flagged
  无进展 as candidates for next month's key customers. Names are masked at render time for a
  reader who may not see that customer (:func:`visible_names`).
* ``collections`` -- per region and the company: collections against target (S003-22).
* ``receivables`` 应收账款账龄 -- beside collections (S003-22, S001-07): each branch's open
  receivables aged at the month's last day (未到期, 1–30 … 180天以上, 呆账, 坏账), from
  ``reports.receivables.selectors.ageing``; the received amounts are those known when the pack
  is compiled (finance's latest sheet), not reconstructed as of the month's end.
* ``periods`` 季度、年度销售统计 (S001-25) -- the quarter and the year to the month's end: per
  branch collections against the sum of the months' targets to date, 完成率, contracts signed
  (``reports.statistics.sales_statistics`` over the quarter/year clipped at the month's end).
* ``activities`` -- the month's marketing activities from the approval records (营销费用申请,
  planned in the month, not draft or withdrawn), with their state.
* ``previous_actions`` -- last month's meeting's action items and their state, opening the pack.

A constant number of queries whatever the number of branches or customers."""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import Branch, User

from ..leaders.selectors import Scope, money, ranking
from ..workcal import WorkCalendar

PACK_RULE = 2  # bump when the layout of ``data`` changes


def previous_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=monthrange(month.year, month.month)[1])


def first_working_day(calendar: WorkCalendar, month: dt.date) -> dt.date:
    day = month.replace(day=1)
    return day if calendar.is_working(day) else calendar.next_working(day)


def _salespeople(tenant, month: dt.date, end: dt.date, branch_names: dict[int, str]) -> list[dict]:
    from contracts.models import Contract
    from customers.models import Visit
    from reports.submissions.models import Feed, Submission, SubmissionStatus
    from reports.submissions.services import target_month

    # targets for ``month`` are submitted in the month before (period: its deadline day)
    since = previous_month(month)
    subs = Submission.objects.filter(tenant=tenant, rule__feed=Feed.MONTHLY_TARGETS, status=SubmissionStatus.ACCEPTED,
                                     period__gte=since, period__lte=end).values("branch_id", "period", "data")
    targets: dict[tuple[int, int], Decimal] = {}
    for s in subs:
        if target_month(s["period"]) != month or s["branch_id"] is None:
            continue
        for table in (v for v in (s["data"] or {}).values() if isinstance(v, list)):
            for row in table:
                person, amount = (row or {}).get("salesperson"), (row or {}).get("target")
                if person in (None, "") or amount in (None, ""):
                    continue
                try:
                    key = (s["branch_id"], int(person))
                    targets[key] = targets.get(key, Decimal("0")) + Decimal(str(amount))
                except (ValueError, ArithmeticError):
                    continue
    if not targets:
        return []
    ids = {k[1] for k in targets}
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}
    signed = dict(Contract.objects.filter(tenant=tenant, holder_id__in=ids, signed_on__gte=month, signed_on__lte=end)
                  .values("holder_id").annotate(n=Count("pk")).order_by().values_list("holder_id", "n"))
    visits = dict(Visit.objects.filter(tenant=tenant, visited_by_id__in=ids, visited_on__gte=month, visited_on__lte=end)
                  .values("visited_by_id").annotate(n=Count("pk")).order_by().values_list("visited_by_id", "n"))
    rows = [{"branch_id": b, "branch": branch_names.get(b, ""), "user_id": u, "name": names.get(u, ""),
             "target": money(t), "contracts_signed": signed.get(u, 0), "visits": visits.get(u, 0)}
            for (b, u), t in targets.items()]
    rows.sort(key=lambda r: (-r["contracts_signed"], -Decimal(r["target"]), r["name"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return rows


def _customers(tenant, month: dt.date, end: dt.date, branch_names: dict[int, str]) -> list[dict]:
    from customers.models import Customer, StageKind, Visit
    from customers.stages import stage_set

    stages = stage_set(tenant)
    last = Visit.objects.filter(customer=OuterRef("pk"), visited_on__lte=end).order_by("-visited_on", "-pk")
    qs = (Customer.objects.filter(tenant=tenant).exclude(stage__in=stages.codes(StageKind.LOST))
          .annotate(month_visits=Count("visits", filter=Q(visits__visited_on__gte=month, visits__visited_on__lte=end)),
                    last_visit=Max("visits__visited_on", filter=Q(visits__visited_on__lte=end)),
                    last_outcome=Subquery(last.values("outcome")[:1]),
                    last_next=Subquery(last.values("next_step")[:1]))
          .values("pk", "name", "branch_id", "owner__full_name", "owner__username", "stage", "month_visits",
                  "last_visit", "last_outcome", "last_next")
          .order_by("branch__region__sort_order", "branch__sort_order", "branch__code", "name", "pk"))
    rows = []
    for c in qs:
        progress = " / ".join(p for p in (c["last_outcome"] or "", c["last_next"] or "") if p)
        rows.append({
            "customer_id": c["pk"], "name": c["name"], "branch_id": c["branch_id"],
            "branch": branch_names.get(c["branch_id"], ""),
            "owner": c["owner__full_name"] or c["owner__username"] or "",
            "stage": stages.label(c["stage"]), "visits": c["month_visits"],
            "last_visit": c["last_visit"].isoformat() if c["last_visit"] else "",
            "last_progress": progress[:300], "no_progress": c["month_visits"] == 0,
        })
    return rows


def _activities(tenant, month: dt.date, end: dt.date, branch_names: dict[int, str]) -> list[dict]:
    from expenses.models import ActivityKind, ExpenseRequest, ExpenseStatus

    kinds, states = dict(ActivityKind.choices), dict(ExpenseStatus.choices)
    qs = (ExpenseRequest.objects.filter(tenant=tenant, planned_date__gte=month, planned_date__lte=end)
          .exclude(status__in=(ExpenseStatus.DRAFT, ExpenseStatus.WITHDRAWN))
          .values("number", "branch_id", "activity", "activity_kind", "purpose", "amount", "planned_date", "status")
          .order_by("planned_date", "number"))
    return [{"number": e["number"], "branch_id": e["branch_id"], "branch": branch_names.get(e["branch_id"], ""),
             "activity": e["activity"], "kind": str(kinds.get(e["activity_kind"], e["activity_kind"])),
             "purpose": (e["purpose"] or "")[:300], "amount": money(e["amount"]),
             "planned_date": e["planned_date"].isoformat(), "status": str(states.get(e["status"], e["status"])),
             "approved": e["status"] in (ExpenseStatus.ARCHIVED, ExpenseStatus.PAID)} for e in qs]


def _receivables(tenant, end: dt.date) -> list[dict]:
    from ..receivables.selectors import COLUMNS, ageing

    report = ageing(tenant=tenant, branches=Branch.objects.filter(tenant=tenant), as_of=end)
    rows = [{"branch": r.label, **{c: money(r.figures[c]) for c in COLUMNS}, "lines": r.lines}
            for r in report.branches]
    if rows:
        rows.append({"branch": _("公司合计"), **{c: money(report.total.figures[c]) for c in COLUMNS},
                     "lines": report.total.lines})
    return rows


def _periods(tenant, month: dt.date, end: dt.date) -> list[dict]:
    from ..statistics import Period, period_for, sales_statistics

    rows = []
    branches = Branch.objects.filter(tenant=tenant, is_active=True)
    for kind, label in (("quarter", _("本季度累计")), ("year", _("本年度累计"))):
        full = period_for(kind, month)
        period = Period(kind, full.start, end)
        stats = sales_statistics(tenant=tenant, branches=branches, period=period)
        name = _("%(period)s（截至%(end)s）") % {"period": full.label, "end": end.isoformat()}
        for r in [*stats["rows"], stats["total"]]:
            is_total = r.branch is None
            if not is_total and not (r.collections or r.target or r.signed):
                continue
            ratio = stats["total_ratio"] if is_total else r.ratio
            rows.append({"period": f"{label} {name}", "region": "" if is_total else r.branch.region.name,
                         "branch": _("公司合计") if is_total else r.branch.name,
                         "target": money(r.target) if r.target else None, "collections": money(r.collections),
                         "rate": str(ratio) if ratio is not None else None, "signed": r.signed})
    return rows


def _previous_actions(tenant, month: dt.date) -> list[dict]:
    from .models import ActionItem, ActionStatus

    states = dict(ActionStatus.choices)
    qs = (ActionItem.objects.filter(tenant=tenant, meeting__month=previous_month(month))
          .select_related("owner", "item").order_by("due_on", "pk"))
    return [{"action_id": a.pk, "title": a.title, "item": a.item.title, "owner": a.owner.display_name,
             "due_on": a.due_on.isoformat(), "status": a.status, "status_label": str(states[a.status]),
             "note": a.note} for a in qs]


def compile_pack(*, tenant, month: dt.date, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    month = month.replace(day=1)
    end = month_end(month)
    calendar = WorkCalendar(tenant)
    branches = list(Branch.objects.filter(tenant=tenant, is_active=True).select_related("region")
                    .order_by("region__sort_order", "region__code", "sort_order", "code"))
    names = {b.pk: b.name for b in branches}
    scope = Scope(tenant=tenant, month=month, as_of=end, branches=branches, calendar=calendar)
    board = ranking(scope)
    customers = _customers(tenant, month, end, names)
    return {
        "rule": PACK_RULE, "tenant": tenant.name, "month": month.strftime("%Y-%m"), "compiled_at": now.isoformat(),
        "pace": board["meta"]["pace"],
        "previous_actions": _previous_actions(tenant, month),
        "targets": board["rows"], "regions": board["regions"], "total": board["total"],
        "salespeople": _salespeople(tenant, month, end, names),
        "customers": customers,
        "no_progress": sum(1 for c in customers if c["no_progress"]),
        "activities": _activities(tenant, month, end, names),
        "receivables": _receivables(tenant, end),
        "periods": _periods(tenant, month, end),
    }


def visible_names(data: dict, visible_ids: set[int] | None) -> dict:
    """The pack as one reader may see it: a customer outside their reach keeps its figures
    but not its name (``visible_ids`` None: the reader sees every customer)."""
    if visible_ids is None:
        return data
    masked = []
    for c in data.get("customers", []):
        if c["customer_id"] not in visible_ids:
            c = {**c, "name": _("客户 #%(id)d") % {"id": c["customer_id"]}, "masked": True}
        masked.append(c)
    return {**data, "customers": masked}


def reader_visible_customers(membership) -> set[int] | None:
    """None when the reader reads the whole archive; otherwise the ids they may see."""
    from customers.selectors import customer_reach, reads_whole_archive

    if reads_whole_archive(membership):
        return None
    return set(customer_reach(membership=membership).values_list("pk", flat=True))
