"""Expense budgets (费用预算, S001-13) and the region-operations option (S000-28).

- ``Budget``: one amount per branch (or headquarters department) per month or year.
- ``BudgetEntry``: the ledger. An expense request consumes its ``amount`` when its chain
  completes (``services.on_approved``, status archived); a hospitality claim consumes its
  ``company_share`` when finance approves it. A document withdrawn or rejected after it
  consumed releases the same figure in the same month. The unique constraint
  (tenant, document type, document id, kind) makes both happen at most once per document,
  however often a hook runs.
- Consumed = consumptions - releases of the month; a year's consumed is the sum of its months,
  so a month's consumption also counts against that year's budget.

Decisions: docs/budgets.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.concurrency import lock_or_create

from .models import MAX_AMOUNT, Budget, BudgetEntry, BudgetEntryKind, BudgetPeriod, ExpenseSettings

ZERO = Decimal("0.00")
EDIT_FIELDS = ["branch", "department", "period_kind", "period", "amount", "note"]
EXPENSE_TYPE = "expenses.request"
CLAIM_TYPE = "expenses.hospitality_claim"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def normalize_period(kind: str, day: dt.date) -> dt.date:
    return day.replace(month=1, day=1) if kind == BudgetPeriod.YEAR else day.replace(day=1)


def _local_today(tenant) -> dt.date:
    return timezone.localtime(timezone.now(), tenant.zone).date()


# --- figures ------------------------------------------------------------------------------


_SIGNED = Case(
    When(kind=BudgetEntryKind.RELEASE, then=-F("amount")), default=F("amount"),
    output_field=DecimalField(max_digits=16, decimal_places=2),
)


def consumed_by_month(*, tenant, since: dt.date, until: dt.date) -> dict[tuple, Decimal]:
    """Net consumption keyed by (branch_id, department, month) for months in [since, until]."""
    rows = (
        BudgetEntry.objects.filter(tenant=tenant, month__gte=since, month__lte=until)
        .values("branch_id", "department", "month").annotate(net=Sum(_SIGNED)).order_by()
    )
    return {(r["branch_id"], r["department"], r["month"]): r["net"] or ZERO for r in rows}


def consumed_for(budget: Budget, table: dict[tuple, Decimal]) -> Decimal:
    key = (budget.branch_id, budget.department)
    if budget.period_kind == BudgetPeriod.MONTH:
        return table.get((*key, budget.period), ZERO)
    return sum((v for (b, d, m), v in table.items() if (b, d) == key and m.year == budget.period.year), ZERO)


def annotate_figures(*, tenant, budgets) -> list[Budget]:
    """Set ``consumed`` and ``remaining`` on each budget (one ledger query for the lot)."""
    budgets = list(budgets)
    if not budgets:
        return budgets
    since = min(b.period for b in budgets).replace(month=1, day=1)
    until = max(b.period for b in budgets).replace(month=12, day=1)
    table = consumed_by_month(tenant=tenant, since=since, until=until)
    for b in budgets:
        b.consumed = consumed_for(b, table)
        b.remaining = b.amount - b.consumed
        b.over = b.remaining < 0
        b.amount_display, b.consumed_display, b.remaining_display = (
            f"{b.amount:,.2f}", f"{b.consumed:,.2f}", f"{b.remaining:,.2f}")
    return budgets


@dataclass
class BudgetStatus:
    month_budget: Budget | None
    year_budget: Budget | None

    @property
    def rows(self) -> list[Budget]:
        return [b for b in (self.month_budget, self.year_budget) if b is not None]

    @property
    def has_budget(self) -> bool:
        return self.month_budget is not None or self.year_budget is not None

    @property
    def remaining(self) -> Decimal | None:
        """The tighter of the month's and the year's remaining (None: no budget set)."""
        values = [b.remaining for b in (self.month_budget, self.year_budget) if b is not None]
        return min(values) if values else None

    def over_with(self, amount: Decimal) -> bool:
        rem = self.remaining
        return rem is not None and Decimal(amount) > rem


def budget_status(*, tenant, branch, day: dt.date, department: str = "") -> BudgetStatus:
    """The month and year budgets of ``branch`` (or HQ ``department``) around ``day``, with
    consumed/remaining figures. Two queries."""
    owner = Q(branch=branch) if branch is not None else Q(branch__isnull=True, department=department)
    rows = list(
        Budget.objects.filter(owner, tenant=tenant).filter(
            Q(period_kind=BudgetPeriod.MONTH, period=month_start(day))
            | Q(period_kind=BudgetPeriod.YEAR, period=day.replace(month=1, day=1))
        ).select_related("branch")
    )
    annotate_figures(tenant=tenant, budgets=rows)
    by_kind = {b.period_kind: b for b in rows}
    return BudgetStatus(month_budget=by_kind.get(BudgetPeriod.MONTH), year_budget=by_kind.get(BudgetPeriod.YEAR))


def expense_budget_status(expense) -> BudgetStatus:
    """For the request page and the reviewer: the month it consumed in, else this month."""
    entry = BudgetEntry.objects.filter(tenant_id=expense.tenant_id, document_type=EXPENSE_TYPE,
                                       document_id=expense.pk, kind=BudgetEntryKind.CONSUME).first()
    day = entry.month if entry else _local_today(expense.tenant)
    return budget_status(tenant=expense.tenant, branch=expense.branch, day=day)


def expense_consumed(expense) -> bool:
    return BudgetEntry.objects.filter(tenant_id=expense.tenant_id, document_type=EXPENSE_TYPE,
                                      document_id=expense.pk, kind=BudgetEntryKind.CONSUME).exists()


def expense_over_budget(expense) -> bool:
    """Engine condition ``over_budget``: the request's amount exceeds the remaining month or
    year budget of its branch at submission (false when no budget is set or it already
    consumed, since its amount is then inside the figures)."""
    if expense.branch_id is None or expense.amount is None:
        return False
    status = expense_budget_status(expense)
    if expense_consumed(expense):
        return status.remaining is not None and status.remaining < 0
    return status.over_with(expense.amount)


def notes_for_expense(expense) -> list[str]:
    status = expense_budget_status(expense)
    if not status.has_budget:
        return [_("%(branch)s 本期未设置费用预算。") % {"branch": expense.branch.name}]
    notes = []
    for b in (status.month_budget, status.year_budget):
        if b is not None:
            notes.append(_("%(period)s 预算 ¥%(amount)s，已占用 ¥%(consumed)s，剩余 ¥%(remaining)s。") % {
                "period": b.period_label, "amount": f"{b.amount:,.2f}", "consumed": f"{b.consumed:,.2f}",
                "remaining": f"{b.remaining:,.2f}"})
    if expense_over_budget(expense):
        notes.append(_("超出预算。"))
    return notes


# --- tenant option (S000-28) --------------------------------------------------------------


def region_review_on(tenant) -> bool:
    return ExpenseSettings.objects.filter(tenant=tenant, region_operations_review=True).exists()


def settings_for(tenant) -> ExpenseSettings:
    return ExpenseSettings.objects.filter(tenant=tenant).first() or ExpenseSettings(tenant=tenant)


@transaction.atomic
def settings_update(*, tenant, actor, region_operations_review: bool, request=None) -> ExpenseSettings:
    row, _created = lock_or_create(ExpenseSettings, tenant=tenant)
    old = row.region_operations_review
    row.region_operations_review = bool(region_operations_review)
    row.save()
    if old != row.region_operations_review or _created:
        audit_record(tenant=tenant, actor=actor, verb="expenses.settings_update", obj=row,
                     before={"region_operations_review": old},
                     after={"region_operations_review": row.region_operations_review}, request=request)
    return row


# --- budget writes --------------------------------------------------------------------------


def _apply(budget: Budget, data: dict) -> None:
    for name, value in data.items():
        if name not in EDIT_FIELDS:
            raise ValidationError(f"not an editable field: {name}", code="bad_field")
        setattr(budget, name, value)
    budget.department = (budget.department or "").strip()
    if budget.branch_id is not None:
        budget.department = ""
    elif not budget.department:
        raise ValidationError({"department": _("请选择分公司，或填写总部部门。")}, code="no_owner")
    if budget.period is None:
        raise ValidationError({"period": _("请填写期间。")}, code="no_period")
    budget.period = normalize_period(budget.period_kind, budget.period)
    if budget.amount is not None and budget.amount > MAX_AMOUNT:
        raise ValidationError({"amount": _("金额过大，请核对（上限 1 亿元）。")}, code="amount_too_large")
    budget.full_clean(exclude=["created_by"], validate_unique=False, validate_constraints=False)
    clash = Budget.objects.filter(tenant=budget.tenant, period_kind=budget.period_kind, period=budget.period)
    clash = clash.filter(branch=budget.branch) if budget.branch_id else clash.filter(
        branch__isnull=True, department=budget.department)
    if clash.exclude(pk=budget.pk).exists():
        raise ValidationError(_("该分公司/部门在该期间已有预算，请修改原预算。"), code="duplicate")


def _snapshot(budget):
    return model_snapshot(budget, EDIT_FIELDS)


@transaction.atomic
def budget_create(*, tenant, actor, data: dict, request=None) -> Budget:
    budget = Budget(tenant=tenant, created_by=actor)
    _apply(budget, data)
    try:
        with transaction.atomic():
            budget.save()
    except IntegrityError:  # a simultaneous create of the same period won the race
        raise ValidationError(_("该分公司/部门在该期间已有预算，请修改原预算。"), code="duplicate") from None
    audit_record(tenant=tenant, actor=actor, verb="expenses.budget_create", obj=budget, after=_snapshot(budget),
                 request=request)
    return budget


@transaction.atomic
def budget_update(*, budget, actor, data: dict, request=None) -> Budget:
    budget = Budget.objects.select_for_update().get(pk=budget.pk)
    before = _snapshot(budget)
    _apply(budget, data)
    try:
        with transaction.atomic():
            budget.save()
    except IntegrityError:
        raise ValidationError(_("该分公司/部门在该期间已有预算，请修改原预算。"), code="duplicate") from None
    old, new = changed_fields(before, _snapshot(budget))
    if new:
        audit_record(tenant=budget.tenant, actor=actor, verb="expenses.budget_update", obj=budget, before=old,
                     after=new, request=request)
    return budget


# --- the ledger (called from the approval hooks, inside the engine's transaction) ----------


def _entry(*, tenant_id, document_type, document_id, kind):
    return BudgetEntry.objects.filter(tenant_id=tenant_id, document_type=document_type, document_id=document_id,
                                      kind=kind).first()


def consume(*, document, document_type: str, branch, amount: Decimal, actor, title: str = "", department: str = ""):
    """Record the consumption of ``document`` once; a repeated call returns the first entry."""
    existing = _entry(tenant_id=document.tenant_id, document_type=document_type, document_id=document.pk,
                      kind=BudgetEntryKind.CONSUME)
    if existing is not None:
        return existing
    amount = Decimal(amount or ZERO)
    entry = BudgetEntry(
        tenant_id=document.tenant_id, kind=BudgetEntryKind.CONSUME, document_type=document_type,
        document_id=document.pk, title=title[:200], branch=branch, department=department,
        month=month_start(_local_today(document.tenant)), amount=amount, actor=actor,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # the same document consumed concurrently: keep the first
        return _entry(tenant_id=document.tenant_id, document_type=document_type, document_id=document.pk,
                      kind=BudgetEntryKind.CONSUME)
    audit_record(tenant=document.tenant, actor=actor, verb="expenses.budget_consume", obj=document,
                 after={"document_type": document_type, "amount": amount, "month": entry.month,
                        "branch": branch.pk if branch is not None else None})
    return entry


def release(*, document, document_type: str, actor):
    """Give back what ``document`` consumed (same amount, same month), once; nothing when it
    never consumed."""
    consumed = _entry(tenant_id=document.tenant_id, document_type=document_type, document_id=document.pk,
                      kind=BudgetEntryKind.CONSUME)
    if consumed is None:
        return None
    existing = _entry(tenant_id=document.tenant_id, document_type=document_type, document_id=document.pk,
                      kind=BudgetEntryKind.RELEASE)
    if existing is not None:
        return existing
    entry = BudgetEntry(
        tenant_id=document.tenant_id, kind=BudgetEntryKind.RELEASE, document_type=document_type,
        document_id=document.pk, title=consumed.title, branch_id=consumed.branch_id, department=consumed.department,
        month=consumed.month, amount=consumed.amount, actor=actor,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        return _entry(tenant_id=document.tenant_id, document_type=document_type, document_id=document.pk,
                      kind=BudgetEntryKind.RELEASE)
    audit_record(tenant=document.tenant, actor=actor, verb="expenses.budget_release", obj=document,
                 after={"document_type": document_type, "amount": entry.amount, "month": entry.month})
    return entry


def consume_expense(expense, actor):
    return consume(document=expense, document_type=EXPENSE_TYPE, branch=expense.branch, amount=expense.amount,
                   actor=actor, title=f"{expense.number} {expense.activity}")


def release_expense(expense, actor):
    return release(document=expense, document_type=EXPENSE_TYPE, actor=actor)


def consume_claim(claim, actor):
    return consume(document=claim, document_type=CLAIM_TYPE, branch=claim.branch, amount=claim.company_share,
                   actor=actor, title=f"{claim.number} 招待费报销")


def release_claim(claim, actor):
    return release(document=claim, document_type=CLAIM_TYPE, actor=actor)
