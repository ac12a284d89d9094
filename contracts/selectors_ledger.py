"""Reads of the ledger: reach, the sell-through figures, stock, the weekly usage analysis and
the cost ledger, the unconfirmed dispatches. Aggregates are one GROUP BY query each, whatever
the number of contracts (see bench/bench_contracts.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from marketing.models import Branch, Membership, Region
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import (
    Contract,
    ContractRequest,
    ContractSettings,
    ContractState,
    Dispatch,
    PrintBatch,
    PrintOrder,
    Product,
    RequestStatus,
)


def contract_settings(tenant) -> ContractSettings:
    found = ContractSettings.objects.filter(tenant=tenant).first()
    return found or ContractSettings(tenant=tenant)


def sees_all_contracts(membership: Membership) -> bool:
    return membership.can(Cap.CONTRACTS_VIEW_ALL) or membership.can(Cap.CONTRACTS_MANAGE)


def visible_contracts(*, membership: Membership) -> QuerySet[Contract]:
    qs = Contract.objects.filter(tenant_id=membership.tenant_id)
    if not sees_all_contracts(membership):
        qs = qs.filter(branch__in=visible_branches(membership=membership).values("pk"))
    return qs


def visible_requests(*, membership: Membership) -> QuerySet[ContractRequest]:
    qs = ContractRequest.objects.filter(tenant_id=membership.tenant_id).filter(
        ~Q(status=RequestStatus.DRAFT) | Q(applicant_id=membership.user_id))
    if not sees_all_contracts(membership):
        qs = qs.filter(branch__in=visible_branches(membership=membership).values("pk"))
    return qs


def visible_dispatches(*, membership: Membership) -> QuerySet[Dispatch]:
    qs = Dispatch.objects.filter(tenant_id=membership.tenant_id)
    if not sees_all_contracts(membership):
        qs = qs.filter(branch__in=visible_branches(membership=membership).values("pk"))
    return qs


def stock_of(*, tenant, product) -> int:
    return Contract.objects.filter(tenant=tenant, product=product, state=ContractState.IN_STOCK).count()


def sell_through(*, tenant, branch, product, window_days: int | None = None, today: dt.date | None = None) -> dict:
    """动销率 = 客户已签 ÷ (已派发到该分公司的合同 − 回收作废), over the contracts of ``product``
    dispatched to ``branch`` (all time, or those dispatched in the last ``window_days``). One query."""
    qs = Contract.objects.filter(tenant=tenant, branch=branch, product=product, dispatched_on__isnull=False)
    if window_days:
        qs = qs.filter(dispatched_on__gt=(today or dt.date.today()) - dt.timedelta(days=window_days))
    figures = qs.aggregate(
        dispatched=Count("pk"),
        signed=Count("pk", filter=Q(state=ContractState.SIGNED)),
        voided=Count("pk", filter=Q(state=ContractState.VOIDED)),
    )
    base = figures["dispatched"] - figures["voided"]
    rate = (Decimal(figures["signed"]) / Decimal(base)).quantize(Decimal("0.0001")) if base > 0 else None
    return {**figures, "base": base, "rate": rate}


def request_list(*, membership: Membership):
    return visible_requests(membership=membership).select_related("branch", "product", "applicant")


def contract_list(*, membership: Membership):
    return visible_contracts(membership=membership).select_related("product", "branch", "holder")


def batch_list(*, tenant):
    return PrintBatch.objects.filter(tenant=tenant).select_related("product", "print_order")


def print_orders(*, tenant):
    return PrintOrder.objects.filter(tenant=tenant).select_related("product", "created_by")


def unconfirmed_dispatches(*, tenant, today: dt.date, working_days: int = 3, calendar=None):
    """Dispatches not confirmed by the branch more than ``working_days`` working days later."""
    from reports.workcal import WorkCalendar

    calendar = calendar or WorkCalendar(tenant)
    cutoff = today
    for _i in range(working_days):
        cutoff = calendar.previous_working(cutoff)
    return (Dispatch.objects.filter(tenant=tenant, confirmed_on__isnull=True, dispatched_on__lt=cutoff)
            .select_related("branch", "product", "request").order_by("dispatched_on", "id"))


# --- the weekly usage analysis (合同使用情况数据分析, S000-47..53) ----------------------------


def _usage_counts(as_of: dt.date):
    d = as_of
    return {
        "received": Count("pk", filter=Q(received_on__lte=d)),
        "signed": Count("pk", filter=Q(signed_on__lte=d)),
        "voided": Count("pk", filter=Q(voided_on__lte=d)),
        "remaining": Count("pk", filter=(Q(received_on__isnull=True) | Q(received_on__gt=d))
                           & (Q(voided_on__isnull=True) | Q(voided_on__gt=d))),
        "total": Count("pk"),
    }


def _finish(row: dict) -> dict:
    row["in_use"] = row["received"] - row["signed"] - row["voided"]
    row["ratio"] = (Decimal(row["signed"]) / Decimal(row["total"])).quantize(Decimal("0.0001")) \
        if row["total"] else Decimal("0")
    return row


def usage(*, tenant, as_of: dt.date, region_id: int | None = None, branch_ids=None) -> list[dict]:
    """Per (region, product) -- or per (branch, product) when ``region_id`` is given -- as of a
    date. A contract counts for a region once dispatched to one of its branches by ``as_of``:
    销售领取 received by then; 客户已签 / 回收作废 by then; 剩余有效 still blank at the branch
    (neither received nor voided by then); 套餐总量 everything dispatched there by then;
    在途使用 = 销售领取 − 客户已签 − 回收作废; 签约量占比 = 客户已签 ÷ 套餐总量. One query."""
    qs = Contract.objects.filter(tenant=tenant, dispatched_on__lte=as_of)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    if region_id is not None:
        qs = qs.filter(branch__region_id=region_id)
        keys = ["branch_id", "branch__name", "product__code", "product__name"]
    else:
        keys = ["branch__region_id", "branch__region__name", "product__code", "product__name"]
    rows = qs.values(*keys).annotate(**_usage_counts(as_of)).order_by()
    out = []
    for r in rows:
        out.append(_finish({
            "group_id": r[keys[0]], "group": r[keys[1]], "product": r["product__code"],
            "product_name": r["product__name"], **{k: r[k] for k in ("received", "signed", "voided", "remaining",
                                                                     "total")},
        }))
    return sorted(out, key=lambda r: (r["group"], r["product"]))


def usage_totals(rows: list[dict]) -> dict:
    total = {k: sum(r[k] for r in rows) for k in ("received", "signed", "voided", "remaining", "total")}
    return _finish(total)


def cost_ledger(*, tenant, as_of: dt.date, branch_ids=None) -> list[dict]:
    """各地区使用合同成本 (S000-11): per region and print batch, copies dispatched there by
    ``as_of`` × the batch's unit cost. One query."""
    qs = Contract.objects.filter(tenant=tenant, dispatched_on__lte=as_of)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    rows = (qs.values("branch__region__name", "batch_id", "batch__prefix", "batch__start", "batch__end",
                      "batch__width", "batch__printer", "batch__unit_cost", "product__code")
            .annotate(copies=Count("pk"), amount=Sum(F("batch__unit_cost"))).order_by())
    out = []
    for r in rows:
        w = r["batch__width"]
        out.append({"region": r["branch__region__name"], "product": r["product__code"],
                    "batch": f"{r['batch__prefix']}{r['batch__start']:0{w}d} – {r['batch__prefix']}{r['batch__end']:0{w}d}",
                    "printer": r["batch__printer"], "unit_cost": r["batch__unit_cost"], "copies": r["copies"],
                    "amount": (r["amount"] or Decimal("0")).quantize(Decimal("0.01"))})
    return sorted(out, key=lambda r: (r["region"], r["product"], r["batch"]))


def regions_of(tenant):
    return Region.objects.filter(tenant=tenant).order_by("sort_order", "code")


def branches_of(tenant):
    return Branch.objects.filter(tenant=tenant)


def products_with_contracts(tenant):
    return Product.objects.filter(tenant=tenant).order_by("code")
