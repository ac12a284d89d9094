"""Seed 002's four statistics sheets, computed from what the product already holds (nobody
types them in):

* 销售情况周统计表 / 月统计表 (S002-20, S002-21), and the quarterly and yearly ones (季度、年度统计
  报表, S001-25): per branch -- collections (回款), the period's target (the sum of its months'
  targets) and 完成率 (not for weeks), contracts signed by customers, new customers, visits;
* 营销人员工作周统计表 / 月统计表 (S002-22, S002-23): per salesperson -- visits, customers
  visited, new customers, contracts received and signed, plans and reports handed in (and how
  many late).

A week is Monday..Sunday, a month the calendar month. One grouped query per figure, whatever
the number of branches or people; rows follow the reader's branch reach."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum

from marketing.models import Branch, BranchUserObjectPermission, RoleAssignment, User
from marketing.roles import Role


def completion_ratio(done: Decimal, target: Decimal | None) -> Decimal | None:
    """The unrounded ratio (the xlsx cell holds it); shown rounded once, half up (``pct``)."""
    return done / target if target else None


def pct(ratio: Decimal | None) -> str:
    if ratio is None:
        return ""
    return f"{(ratio * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Period:
    kind: str  # "week" | "month" | "quarter" | "year"
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start:%Y-%m-%d} ~ {self.end:%m-%d}"

    @property
    def has_target(self) -> bool:
        return self.kind != "week"

    def previous(self) -> Period:
        return period_for(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_for(self.kind, self.end + dt.timedelta(days=1))


KINDS = ("week", "month", "quarter", "year")


def period_for(kind: str, day: dt.date) -> Period:
    if kind == "year":
        return Period("year", dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    if kind == "quarter":
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        end = (first + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
        return Period("quarter", first, end)
    if kind == "month":
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return Period("month", start, end)
    start = day - dt.timedelta(days=day.weekday())
    return Period("week", start, start + dt.timedelta(days=6))


@dataclass
class BranchStats:
    branch: Branch
    collections: Decimal = Decimal("0")
    target: Decimal | None = None
    signed: int = 0
    new_customers: int = 0
    visits: int = 0

    @property
    def ratio(self) -> Decimal | None:
        return completion_ratio(self.collections, self.target) if self.target else None


@dataclass
class PersonStats:
    user: User
    branches: list[str] = field(default_factory=list)
    visits: int = 0
    customers_visited: int = 0
    new_customers: int = 0
    contracts_received: int = 0
    contracts_signed: int = 0
    submissions: int = 0
    late: int = 0


def _tz_range(tenant, period: Period) -> tuple[dt.datetime, dt.datetime]:
    zone = tenant.zone
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=zone)
    return start, dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def sales_statistics(*, tenant, branches, period: Period) -> dict:
    """S002-20 / S002-21. ``branches``: the reader's reach (a queryset)."""
    from contracts.models import Contract
    from customers.models import Customer, Visit

    from .models import Collection, MonthlyTarget

    rows = {b.pk: BranchStats(b) for b in branches.select_related("region").order_by("region__sort_order",
                                                                                     "sort_order", "code")}
    ids = list(rows)
    since, until = _tz_range(tenant, period)
    for branch_id, total in Collection.objects.filter(tenant=tenant, branch_id__in=ids, day__gte=period.start,
                                                      day__lte=period.end).values_list("branch_id").annotate(total=Sum("amount")):
        rows[branch_id].collections = total or Decimal("0")
    if period.has_target:  # a quarter's or year's target: the sum of its months' targets (S001-25)
        for branch_id, amount in MonthlyTarget.objects.filter(
                tenant=tenant, branch_id__in=ids, month__gte=period.start, month__lte=period.end).values_list(
                    "branch_id").annotate(total=Sum("amount")):
            rows[branch_id].target = amount
    for branch_id, n in Contract.objects.filter(tenant=tenant, branch_id__in=ids, signed_on__gte=period.start,
                                                signed_on__lte=period.end).values_list("branch_id").annotate(n=Count("id")):
        rows[branch_id].signed = n
    for branch_id, n in Customer.objects.filter(tenant=tenant, branch_id__in=ids, created_at__gte=since,
                                                created_at__lt=until).values_list("branch_id").annotate(n=Count("id")):
        rows[branch_id].new_customers = n
    for branch_id, n in Visit.objects.filter(tenant=tenant, customer__branch_id__in=ids, visited_on__gte=period.start,
                                             visited_on__lte=period.end).values_list(
                                                 "customer__branch_id").annotate(n=Count("id")):
        rows[branch_id].visits = n
    items = list(rows.values())
    total = BranchStats(branch=None, collections=sum((r.collections for r in items), Decimal("0")),
                        signed=sum(r.signed for r in items), new_customers=sum(r.new_customers for r in items),
                        visits=sum(r.visits for r in items))
    # 完成率 over the branches that have a target (S000-20), as in the daily summary.
    targeted = [r for r in items if r.target]
    total.target = sum((r.target for r in targeted), Decimal("0")) if targeted else None
    done = sum((r.collections for r in targeted), Decimal("0"))
    return {"period": period, "rows": items, "total": total, "total_ratio": completion_ratio(done, total.target)}


def staff_statistics(*, tenant, branches, period: Period) -> dict:
    """S002-22 / S002-23: the salespeople (and regional managers) of ``branches``."""
    from contracts.models import Contract
    from customers.models import Customer, Visit

    from .submissions.models import Submission

    in_branches = BranchUserObjectPermission.objects.filter(content_object__in=branches,
                                                           permission__codename="act_for_branch").values("user_id")
    with_role = RoleAssignment.objects.filter(tenant=tenant, role__in=[Role.SALESPERSON, Role.REGIONAL_MANAGER],
                                              membership__is_active=True).values("membership__user_id")
    people = User.objects.filter(pk__in=in_branches, is_active=True).filter(pk__in=with_role).order_by(
        "full_name", "username")
    rows = {u.pk: PersonStats(u) for u in people}
    ids = list(rows)
    for user_id, name in BranchUserObjectPermission.objects.filter(
            user_id__in=ids, content_object__in=branches, permission__codename="act_for_branch").values_list(
                "user_id", "content_object__name").order_by("content_object__sort_order"):
        rows[user_id].branches.append(name)
    since, until = _tz_range(tenant, period)
    for user_id, n, distinct in Visit.objects.filter(tenant=tenant, visited_by_id__in=ids, visited_on__gte=period.start,
                                                     visited_on__lte=period.end).values_list("visited_by_id").annotate(
                                                         n=Count("id"), d=Count("customer_id", distinct=True)):
        rows[user_id].visits, rows[user_id].customers_visited = n, distinct
    for user_id, n in Customer.objects.filter(tenant=tenant, owner_id__in=ids, created_at__gte=since,
                                              created_at__lt=until).values_list("owner_id").annotate(n=Count("id")):
        rows[user_id].new_customers = n
    for user_id, n in Contract.objects.filter(tenant=tenant, holder_id__in=ids, received_on__gte=period.start,
                                              received_on__lte=period.end).values_list("holder_id").annotate(n=Count("id")):
        rows[user_id].contracts_received = n
    for user_id, n in Contract.objects.filter(tenant=tenant, holder_id__in=ids, signed_on__gte=period.start,
                                              signed_on__lte=period.end).values_list("holder_id").annotate(n=Count("id")):
        rows[user_id].contracts_signed = n
    handed_in = Submission.objects.filter(tenant=tenant, submitter_id__in=ids, first_submitted_at__gte=since,
                                          first_submitted_at__lt=until)
    for user_id, n, late in handed_in.values_list("submitter_id").annotate(
            n=Count("id"), late=Count("id", filter=Q(first_submitted_at__gt=F("due_at")))):
        rows[user_id].submissions, rows[user_id].late = n, late
    return {"period": period, "rows": list(rows.values())}


SALES_HEADERS = ["地区", "分公司", "回款（元）", "目标（元）", "完成率", "客户签约合同（份）", "新建客户", "拜访次数"]
STAFF_HEADERS = ["姓名", "分公司", "拜访次数", "拜访客户数", "新建客户", "领取合同（份）", "签约合同（份）",
                 "提交计划与报表", "其中迟交"]


def statistics_xlsx(*, company: str, sales: dict, staff: dict) -> bytes:
    """Both sheets in one workbook: a title row (company, period, unit), the header, the rows.
    Rates are the unrounded ratio formatted 0.0 % (Excel rounds once, as the page does);
    names are written as text (formula-safe)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from marketing.exports import as_text

    period = sales["period"]
    kind = {"week": "周", "month": "月", "quarter": "季度", "year": "年度"}[period.kind]
    wb = Workbook()
    ws = wb.active
    ws.title = f"销售情况{kind}统计表"
    ws.append([f"{company} 销售情况{kind}统计表 {period.label}（金额单位：元）"])
    ws.append(SALES_HEADERS)
    for cell in (*ws[1], *ws[2]):
        cell.font = Font(bold=True)
    for r, row in enumerate(sales["rows"], start=3):
        as_text(ws.cell(r, 1), row.branch.region.name)
        as_text(ws.cell(r, 2), row.branch.name)
        ws.cell(r, 3, float(row.collections)).number_format = "#,##0.00"
        if row.target is not None:
            ws.cell(r, 4, float(row.target)).number_format = "#,##0.00"
        if row.ratio is not None:
            ws.cell(r, 5, float(row.ratio)).number_format = "0.0%"
        for c, value in enumerate((row.signed, row.new_customers, row.visits), start=6):
            ws.cell(r, c, value)
    r = len(sales["rows"]) + 3
    total = sales["total"]
    as_text(ws.cell(r, 1), "合计")
    ws.cell(r, 3, float(total.collections)).number_format = "#,##0.00"
    if total.target is not None:
        ws.cell(r, 4, float(total.target)).number_format = "#,##0.00"
    if sales["total_ratio"] is not None:
        ws.cell(r, 5, float(sales["total_ratio"])).number_format = "0.0%"
    for c, value in enumerate((total.signed, total.new_customers, total.visits), start=6):
        ws.cell(r, c, value)
    people = wb.create_sheet(f"营销人员工作{kind}统计表")
    people.append([f"{company} 营销人员工作{kind}统计表 {period.label}"])
    people.append(STAFF_HEADERS)
    for cell in (*people[1], *people[2]):
        cell.font = Font(bold=True)
    for r, row in enumerate(staff["rows"], start=3):
        as_text(people.cell(r, 1), row.user.display_name)
        as_text(people.cell(r, 2), "、".join(row.branches))
        for c, value in enumerate((row.visits, row.customers_visited, row.new_customers, row.contracts_received,
                                   row.contracts_signed, row.submissions, row.late), start=3):
            people.cell(r, c, value)
    for sheet in (ws, people):
        sheet.freeze_panes = "A3"
        sheet.print_title_rows = "2:2"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
