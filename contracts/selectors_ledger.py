"""Reads of the ledger: reach, the sell-through figures, stock, the weekly usage analysis and
the cost ledger, the unconfirmed dispatches. Aggregates are one GROUP BY query each, whatever
the number of contracts (see bench/bench_contracts.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

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
    return PrintBatch.objects.filter(tenant=tenant).select_related("product", "print_order", "settled_by")


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
    # COUNT(batch_id) (never null) rather than COUNT(id): every column read is in the index
    return {
        "received": Count("batch", filter=Q(received_on__lte=d)),
        "signed": Count("batch", filter=Q(signed_on__lte=d)),
        "voided": Count("batch", filter=Q(voided_on__lte=d)),
        "remaining": Count("batch", filter=(Q(received_on__isnull=True) | Q(received_on__gt=d))
                           & (Q(voided_on__isnull=True) | Q(voided_on__gt=d))),
        "total": Count("batch"),
    }


def _finish(row: dict) -> dict:
    row["in_use"] = row["received"] - row["signed"] - row["voided"]
    row["ratio"] = (Decimal(row["signed"]) / Decimal(row["total"])).quantize(Decimal("0.0001")) \
        if row["total"] else Decimal("0")
    return row


def ledger_cells(*, tenant, as_of: dt.date, branch_ids=None) -> list[dict]:
    """The usage counts per (branch, print batch) as of a date: ONE scan of the contracts grouped
    on two integer columns (a batch has one product, so both the usage per product and the cost
    per batch come from these cells; names are looked up in Python). The covering index
    ``contract_usage_idx`` lets PostgreSQL answer it from the index alone."""
    qs = Contract.objects.filter(tenant=tenant, dispatched_on__lte=as_of)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=list(branch_ids))
    return list(qs.values("branch_id", "batch_id").annotate(**_usage_counts(as_of)).order_by())


def usage_cells(*, tenant, as_of: dt.date, branch_ids=None, cells=None) -> list[dict]:
    """Per (branch, product), summed from ``ledger_cells``."""
    cells = ledger_cells(tenant=tenant, as_of=as_of, branch_ids=branch_ids) if cells is None else cells
    product_of = dict(PrintBatch.objects.filter(tenant=tenant).values_list("pk", "product_id"))
    out: dict[tuple, dict] = {}
    for c in cells:
        key = (c["branch_id"], product_of[c["batch_id"]])
        row = out.setdefault(key, {"branch_id": key[0], "product_id": key[1], "received": 0, "signed": 0,
                                   "voided": 0, "remaining": 0, "total": 0})
        for k in ("received", "signed", "voided", "remaining", "total"):
            row[k] += c[k]
    return list(out.values())


def _names(tenant):
    branches = {b.pk: b for b in Branch.objects.filter(tenant=tenant).select_related("region")}
    products = dict(Product.objects.filter(tenant=tenant).values_list("pk", "code"))
    product_names = dict(Product.objects.filter(tenant=tenant).values_list("pk", "name"))
    return branches, products, product_names


def rollup(cells: list[dict], *, tenant, level: str = "region", names=None) -> list[dict]:
    """Sum (branch, product) cells to (region, product) or keep them per (branch, product)."""
    branches, products, product_names = names or _names(tenant)
    groups: dict[tuple, dict] = {}
    for c in cells:
        branch = branches[c["branch_id"]]
        if level == "region":
            key, gid, label = (branch.region_id, c["product_id"]), branch.region_id, branch.region.name
        else:
            key, gid, label = (branch.pk, c["product_id"]), branch.pk, branch.name
        row = groups.setdefault(key, {"group_id": gid, "group": label, "region": branch.region.name,
                                      "product": products[c["product_id"]],
                                      "product_name": product_names[c["product_id"]],
                                      "received": 0, "signed": 0, "voided": 0, "remaining": 0, "total": 0})
        for k in ("received", "signed", "voided", "remaining", "total"):
            row[k] += c[k]
    return sorted((_finish(r) for r in groups.values()), key=lambda r: (r["group"], r["product"]))


def usage(*, tenant, as_of: dt.date, region_id: int | None = None, branch_ids=None) -> list[dict]:
    """Per (region, product) -- or per (branch, product) when ``region_id`` is given -- as of a
    date. A contract counts for a region once dispatched to one of its branches by ``as_of``:
    销售领取 received by then; 客户已签 / 回收作废 by then; 剩余有效 still blank at the branch
    (neither received nor voided by then); 套餐总量 everything dispatched there by then;
    在途使用 = 销售领取 − 客户已签 − 回收作废; 签约量占比 = 客户已签 ÷ 套餐总量.
    Three queries (the counts, branch names, product names) whatever the number of contracts."""
    names = _names(tenant)
    if region_id is not None:
        in_region = [pk for pk, b in names[0].items() if b.region_id == region_id]
        branch_ids = in_region if branch_ids is None else [pk for pk in branch_ids if pk in set(in_region)]
    cells = usage_cells(tenant=tenant, as_of=as_of, branch_ids=branch_ids)
    return rollup(cells, tenant=tenant, level="branch" if region_id is not None else "region", names=names)


def usage_totals(rows: list[dict]) -> dict:
    total = {k: sum(r[k] for r in rows) for k in ("received", "signed", "voided", "remaining", "total")}
    return _finish(total)


def cost_ledger(*, tenant, as_of: dt.date, branch_ids=None, cells=None) -> list[dict]:
    """各地区使用合同成本 (S000-11): per region, product and print batch, copies dispatched there
    by ``as_of`` × the batch's unit cost. From ``ledger_cells`` (pass them to share the scan)."""
    if cells is None:
        cells = ledger_cells(tenant=tenant, as_of=as_of, branch_ids=branch_ids)
    branches = {b.pk: b for b in Branch.objects.filter(tenant=tenant).select_related("region")}
    batches = {b.pk: b for b in PrintBatch.objects.filter(tenant=tenant, pk__in={c["batch_id"] for c in cells})
               .select_related("product")}
    groups: dict[tuple, dict] = {}
    for c in cells:
        region, batch = branches[c["branch_id"]].region, batches[c["batch_id"]]
        row = groups.setdefault((region.pk, batch.pk), {
            "region": region.name, "product": batch.product.code, "batch": f"{batch.first_number} – {batch.last_number}",
            "printer": batch.printer, "unit_cost": batch.unit_cost, "copies": 0})
        row["copies"] += c["total"]
    out = []
    for row in groups.values():
        row["amount"] = (row["unit_cost"] * row["copies"]).quantize(Decimal("0.01"))
        out.append(row)
    return sorted(out, key=lambda r: (r["region"], r["product"], r["batch"]))


def regions_of(tenant):
    return Region.objects.filter(tenant=tenant).order_by("sort_order", "code")


def branches_of(tenant):
    return Branch.objects.filter(tenant=tenant)


def products_with_contracts(tenant):
    return Product.objects.filter(tenant=tenant).order_by("code")
