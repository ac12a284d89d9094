"""The ageing report (账龄分析, S001-07 / S003-22): outstanding = amount - received of the
open lines, in buckets by days past the due date as of a day, per branch and salesperson.

One grouped query, whatever the number of lines: each bucket is a ``SUM(CASE WHEN ...)``
over the (branch, salesperson) groups; branch rows and the total are summed in Python from
those groups. Lines flagged doubtful (呆账) or bad (坏账) are not in the buckets: they have
their own two columns, so ``total = buckets + doubtful + bad``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from .models import Receivable, ReceivableFlag, ReceivableStatus

ZERO = Decimal("0.00")
# (key, label, lower days overdue, upper days overdue inclusive); None = open end
BUCKETS: list[tuple[str, str, int | None, int | None]] = [
    ("current", "未到期", None, 0),
    ("d1_30", "1–30天", 1, 30),
    ("d31_60", "31–60天", 31, 60),
    ("d61_90", "61–90天", 61, 90),
    ("d91_180", "91–180天", 91, 180),
    ("d180p", "180天以上", 181, None),
]
COLUMNS = [b[0] for b in BUCKETS] + ["doubtful", "bad", "total"]


def bucket_labels() -> list[tuple[str, str]]:
    from django.utils.translation import gettext as _

    labels = {"current": _("未到期"), "d1_30": _("1–30天"), "d31_60": _("31–60天"), "d61_90": _("61–90天"),
              "d91_180": _("91–180天"), "d180p": _("180天以上"), "doubtful": _("呆账"), "bad": _("坏账"),
              "total": _("未收合计")}
    return [(c, labels[c]) for c in COLUMNS]


@dataclass
class AgeingRow:
    key: object
    label: str
    branch_id: int | None = None
    figures: dict = field(default_factory=lambda: dict.fromkeys(COLUMNS, ZERO))
    lines: int = 0

    def add(self, other: AgeingRow) -> None:
        for c in COLUMNS:
            self.figures[c] += other.figures[c]
        self.lines += other.lines

    @property
    def cells(self) -> list[Decimal]:
        return [self.figures[c] for c in COLUMNS]


@dataclass
class Ageing:
    as_of: dt.date
    branches: list[AgeingRow]
    salespeople: list[AgeingRow]
    total: AgeingRow


def _bucket_condition(as_of: dt.date, low: int | None, high: int | None) -> Q:
    """Days overdue = as_of - due_date; expressed on due_date so an index can serve it."""
    q = Q(flag="")
    if high is not None:  # overdue <= high  <=>  due_date >= as_of - high
        q &= Q(due_date__gte=as_of - dt.timedelta(days=high))
    if low is not None:  # overdue >= low  <=>  due_date <= as_of - low
        q &= Q(due_date__lte=as_of - dt.timedelta(days=low))
    return q


def ageing(*, tenant, branches, as_of: dt.date, salesperson=None) -> Ageing:
    """``branches``: the reader's reach (``visible_branches``), a queryset used as subquery."""
    outstanding = F("amount") - F("received")
    money = DecimalField(max_digits=16, decimal_places=2)

    def case(q: Q):
        return Coalesce(Sum(Case(When(q, then=outstanding), default=Value(ZERO), output_field=money)),
                        Value(ZERO), output_field=money)

    aggregates = {key: case(_bucket_condition(as_of, low, high)) for key, _label, low, high in BUCKETS}
    aggregates["doubtful"] = case(Q(flag=ReceivableFlag.DOUBTFUL))
    aggregates["bad"] = case(Q(flag=ReceivableFlag.BAD))
    aggregates["lines"] = Count("id")
    qs = Receivable.objects.filter(tenant=tenant, status=ReceivableStatus.OPEN, branch__in=branches)
    if salesperson is not None:
        qs = qs.filter(salesperson=salesperson)
    groups = (qs.values("branch_id", "branch__name", "branch__code", "salesperson_id", "salesperson__full_name",
                        "salesperson__username", "salesperson_name")
              .annotate(**aggregates).order_by("branch__code", "branch_id", "salesperson_name", "salesperson_id"))
    by_branch: dict[int, AgeingRow] = {}
    by_person: dict[tuple, AgeingRow] = {}
    total = AgeingRow(key="total", label="")
    for g in groups:
        row = AgeingRow(key=(g["branch_id"], g["salesperson_id"]), label="", branch_id=g["branch_id"], lines=g["lines"])
        for c in COLUMNS[:-1]:
            row.figures[c] = g[c]
        row.figures["total"] = sum((g[c] for c in COLUMNS[:-1]), ZERO)
        branch = by_branch.setdefault(g["branch_id"], AgeingRow(key=g["branch_id"], label=g["branch__name"],
                                                                branch_id=g["branch_id"]))
        branch.add(row)
        total.add(row)
        person_label = (g["salesperson__full_name"] or g["salesperson__username"] or g["salesperson_name"] or "—")
        pkey = (g["branch_id"], g["salesperson_id"] or g["salesperson_name"])
        if pkey in by_person:
            by_person[pkey].add(row)
        else:
            row.label = f"{person_label}（{g['branch__name']}）"
            by_person[pkey] = row
    return Ageing(as_of=as_of, branches=list(by_branch.values()), salespeople=list(by_person.values()), total=total)
