"""Every move of the contract ledger (合同台账): print batches into stock, receipt by a
salesperson (领用登记), customer signature, void (回收作废). One rule table (``move_error``)
serves the pages, the xlsx imports and the commands, so a move refused on a page is refused
in a file too. Each contract's move is a dated ``ContractEvent``; each operation (a batch, a
registration, a file) is one audit event that names the numbers it moved."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.models import BranchUserObjectPermission, Membership

from .. import imports
from ..models import (
    Contract,
    ContractEvent,
    ContractState,
    ImportKind,
    PrintBatch,
    PrintOrder,
    PrintOrderStatus,
    Product,
    ProductStatus,
)

MAX_BATCH = 100_000
CHUNK = 5000
NUMBER_RE = re.compile(r"^(.*?)(\d+)$")


def local_today(tenant) -> dt.date:
    return timezone.localdate(timezone=tenant.zone)


def split_number(number: str) -> tuple[str, int, int]:
    """"LZ-2026-000123" -> ("LZ-2026-", 123, 6)."""
    match = NUMBER_RE.match((number or "").strip())
    if not match:
        raise ValueError
    return match.group(1), int(match.group(2)), len(match.group(2))


# --- print batches --------------------------------------------------------------------------


def batch_error(*, tenant, prefix: str, start: int, end: int, width: int, pending=()) -> str | None:
    if start > end:
        return _("起始号大于截止号。")
    if end - start + 1 > MAX_BATCH:
        return _("一个批次最多 %(n)s 份。") % {"n": f"{MAX_BATCH:,}"}
    if len(str(end)) > width:
        return _("编号位数不足。")
    same = PrintBatch.objects.filter(tenant=tenant, prefix=prefix)
    other_width = same.exclude(width=width).values_list("width", flat=True).first()
    if other_width is not None:
        return _("前缀 %(p)s 的编号为 %(w)s 位数字，请保持一致。") % {"p": prefix or "—", "w": other_width}
    clash = same.filter(start__lte=end, end__gte=start).first()
    if clash is not None:
        return _("编号段与已入库批次 %(b)s 重叠。") % {"b": str(clash)}
    for other_prefix, other_start, other_end, row in pending:
        if other_prefix == prefix and other_start <= end and other_end >= start:
            return _("编号段与第 %(n)s 行重叠。") % {"n": row}
    return None


def _create_batch(*, tenant, actor, product, prefix, start, end, width, printer, unit_cost, received_on,
                  print_order=None, source="") -> PrintBatch:
    batch = PrintBatch.objects.create(
        tenant=tenant, product=product, prefix=prefix, start=start, end=end, width=width, printer=printer[:100],
        unit_cost=unit_cost, received_on=received_on, print_order=print_order, created_by=actor,
    )
    for chunk_start in range(start, end + 1, CHUNK):
        chunk_end = min(end, chunk_start + CHUNK - 1)
        try:
            with transaction.atomic():
                made = Contract.objects.bulk_create([
                    Contract(tenant=tenant, number=batch.number(n), product=product, batch=batch,
                             stocked_on=received_on)
                    for n in range(chunk_start, chunk_end + 1)
                ], batch_size=CHUNK)
        except IntegrityError:
            raise ValidationError(_("编号段中有合同编号已存在。"), code="number_exists")
        ContractEvent.objects.bulk_create([
            ContractEvent(tenant=tenant, contract=c, from_state="", to_state=ContractState.IN_STOCK, on=received_on,
                          actor=actor, source=source or f"batch:{batch.pk}", note=printer[:200])
            for c in made
        ], batch_size=CHUNK)
    if print_order is not None:
        print_order.status = PrintOrderStatus.RECEIVED
        print_order.save(update_fields=["status"])
    return batch


@transaction.atomic
def batch_create(*, tenant, actor, product, first_number: str, last_number: str, printer: str, unit_cost,
                 received_on, print_order=None, request=None) -> PrintBatch:
    """A print batch enters HQ stock: one contract per number of the range, all 在库."""
    try:
        prefix, start, width = split_number(first_number)
        prefix2, end, width2 = split_number(last_number)
    except ValueError:
        raise ValidationError(_("合同编号应以数字结尾，例如 LZ-2026-000001。"), code="bad_number")
    if (prefix, width) != (prefix2, width2):
        raise ValidationError(_("起止编号的前缀和位数必须一致。"), code="bad_range")
    if product.status not in (ProductStatus.APPROVED, ProductStatus.ONLINE):
        raise ValidationError(_("只有已批准或已上线的产品可以入库合同。"), code="product_not_ready")
    if received_on is None or received_on > local_today(tenant):
        raise ValidationError(_("入库日期不能是将来的日期。"), code="bad_date")
    if unit_cost is None or unit_cost < 0:
        raise ValidationError(_("单价不能为负数。"), code="bad_cost")
    if not (printer or "").strip():
        raise ValidationError(_("请填写印刷厂。"), code="printer_required")
    # serialize batch creation per tenant: the overlap check and the insert must not interleave
    PrintBatch.objects.select_for_update().filter(tenant=tenant, prefix=prefix).exists()
    error = batch_error(tenant=tenant, prefix=prefix, start=start, end=end, width=width)
    if error:
        raise ValidationError(error, code="overlap" if "重叠" in error else "bad_range")
    if print_order is not None and (print_order.product_id != product.pk
                                    or print_order.status != PrintOrderStatus.ORDERED):
        raise ValidationError(_("印刷单与产品不符或已入库。"), code="bad_print_order")
    batch = _create_batch(tenant=tenant, actor=actor, product=product, prefix=prefix, start=start, end=end,
                          width=width, printer=printer.strip(), unit_cost=unit_cost, received_on=received_on,
                          print_order=print_order)
    audit_record(tenant=tenant, actor=actor, verb="contracts.batch_create", obj=batch,
                 after={"product": product.code, "from": batch.first_number, "to": batch.last_number,
                        "copies": batch.copies, "printer": batch.printer, "unit_cost": unit_cost,
                        "received_on": received_on, "print_order": getattr(print_order, "number", None)},
                 request=request)
    return batch


# --- moves ----------------------------------------------------------------------------------


def _last_date(c: Contract) -> dt.date:
    return max(d for d in (c.stocked_on, c.dispatched_on, c.received_on, c.signed_on, c.voided_on) if d)


def move_error(contract: Contract, to_state: str, on: dt.date, *, today: dt.date, holder_branches=None,
               signed_on=None) -> str | None:
    """Why ``contract`` cannot move to ``to_state`` on ``on`` (None: it can)."""
    state = contract.state
    if on > today:
        return _("日期不能是将来的日期。")
    if to_state == ContractState.RECEIVED:
        if state != ContractState.DISPATCHED:
            if state == ContractState.IN_STOCK:
                return _("合同 %(n)s 仍在总部库存，尚未派发到分公司。") % {"n": contract.number}
            return _("合同 %(n)s 当前状态为“%(s)s”，不能登记领取。") % {"n": contract.number,
                                                                "s": contract.get_state_display()}
        if holder_branches is not None and contract.branch_id not in holder_branches:
            return _("合同 %(n)s 派发给了其他分公司，不能在此登记领取。") % {"n": contract.number}
    elif to_state == ContractState.SIGNED:
        if state != ContractState.RECEIVED:
            if state == ContractState.SIGNED:
                return _("合同 %(n)s 已于 %(d)s 签约。") % {"n": contract.number, "d": contract.signed_on}
            return _("合同 %(n)s 当前状态为“%(s)s”，未登记领取，不能登记签约。") % {
                "n": contract.number, "s": contract.get_state_display()}
    elif to_state == ContractState.VOIDED:
        if state == ContractState.SIGNED:
            return _("合同 %(n)s 已由客户签约，不能作废。") % {"n": contract.number}
        if state == ContractState.VOIDED:
            return _("合同 %(n)s 已作废，不能重复作废。") % {"n": contract.number}
        if state == ContractState.DISPATCHED:
            return _("合同 %(n)s 已派发但未登记领取：请先登记领取人，再作废。") % {"n": contract.number}
    elif to_state == ContractState.DISPATCHED and state != ContractState.IN_STOCK:
        return _("合同 %(n)s 不在库存中。") % {"n": contract.number}
    if on < _last_date(contract):
        return _("合同 %(n)s 的日期 %(d)s 早于上一次流转日期 %(p)s。") % {
            "n": contract.number, "d": on, "p": _last_date(contract)}
    return None


_DATE_FIELD = {ContractState.DISPATCHED: "dispatched_on", ContractState.RECEIVED: "received_on",
               ContractState.SIGNED: "signed_on", ContractState.VOIDED: "voided_on"}


def apply_moves(*, tenant, actor, to_state: str, moves: list[dict], source: str) -> int:
    """Write validated moves: ``moves`` = [{"contract_id", "from_state", "on", and per state:
    "holder_id"/"holder_name" (received), "reason" (voided), "branch_id"/"dispatch_id"
    (dispatched)}]. One UPDATE per group of equal values, events in bulk."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for m in moves:
        key = (m["on"], m.get("holder_id"), m.get("holder_name", ""), m.get("reason", ""), m.get("branch_id"),
               m.get("dispatch_id"))
        groups[key].append(m["contract_id"])
    for (on, holder_id, holder_name, reason, branch_id, dispatch_id), ids in groups.items():
        values = {"state": to_state, _DATE_FIELD[to_state]: on}
        if to_state == ContractState.RECEIVED:
            values.update(holder_id=holder_id, holder_name=holder_name[:60])
        elif to_state == ContractState.VOIDED:
            values.update(void_reason=reason[:200])
        elif to_state == ContractState.DISPATCHED:
            values.update(branch_id=branch_id, dispatch_id=dispatch_id)
        for i in range(0, len(ids), CHUNK):
            Contract.objects.filter(tenant=tenant, pk__in=ids[i:i + CHUNK]).update(**values)
    ContractEvent.objects.bulk_create([
        ContractEvent(tenant=tenant, contract_id=m["contract_id"], from_state=m["from_state"], to_state=to_state,
                      on=m["on"], actor=actor, source=source[:40],
                      note=(m.get("holder_name") or m.get("reason") or m.get("note") or "")[:200])
        for m in moves
    ], batch_size=CHUNK)
    return len(moves)


def _locked(tenant, numbers) -> dict[str, Contract]:
    found: dict[str, Contract] = {}
    numbers = list(numbers)
    for i in range(0, len(numbers), CHUNK):
        for c in Contract.objects.select_for_update().filter(tenant=tenant, number__in=numbers[i:i + CHUNK]):
            found[c.number] = c
    return found


def _range_numbers(tenant, first: str, last: str, *, branch=None) -> list[str]:
    try:
        prefix, start, width = split_number(first)
        prefix2, end, width2 = split_number(last or first)
    except ValueError:
        raise ValidationError(_("合同编号应以数字结尾，例如 LZ-2026-000001。"), code="bad_number")
    if (prefix, width) != (prefix2, width2) or start > end:
        raise ValidationError(_("起止编号不一致或起始号大于截止号。"), code="bad_range")
    if end - start + 1 > MAX_BATCH:
        raise ValidationError(_("一次最多处理 %(n)s 份。") % {"n": f"{MAX_BATCH:,}"}, code="too_many")
    return [f"{prefix}{n:0{width}d}" for n in range(start, end + 1)]


def holder_branches(*, tenant, user) -> set[int]:
    return set(BranchUserObjectPermission.objects.filter(
        tenant=tenant, user=user, permission__codename="act_for_branch").values_list("content_object_id", flat=True))


def _moves_for(tenant, numbers, to_state, on, *, holder_branch_ids=None, extra=None) -> list[dict]:
    found = _locked(tenant, numbers)
    missing = [n for n in numbers if n not in found]
    if missing:
        raise ValidationError(_("合同编号不存在：%(n)s") % {"n": "、".join(missing[:5])}, code="unknown_number")
    today = local_today(tenant)
    moves = []
    for n in numbers:
        c = found[n]
        error = move_error(c, to_state, on, today=today, holder_branches=holder_branch_ids)
        if error:
            raise ValidationError(error, code="illegal_move")
        moves.append({"contract_id": c.pk, "from_state": c.state, "on": on, **(extra or {})})
    return moves


@transaction.atomic
def contracts_receive(*, tenant, actor, first_number: str, last_number: str = "", holder=None, holder_name: str = "",
                      on, membership=None, request=None) -> int:
    """领用登记 (S003-03): a salesperson of the contracts' branch receives a range of numbers."""
    numbers = _range_numbers(tenant, first_number, last_number)
    if holder is not None:
        allowed = holder_branches(tenant=tenant, user=holder)
        holder_name = holder.display_name
    else:
        holder_name = (holder_name or "").strip()
        if not holder_name:
            raise ValidationError(_("请选择或填写领取人。"), code="holder_required")
        from reports.models import RosterEntry

        allowed = set(RosterEntry.objects.filter(tenant=tenant, name=holder_name).values_list("branch_id", flat=True))
        if not allowed:
            raise ValidationError(_("花名册中没有“%(n)s”。") % {"n": holder_name}, code="unknown_holder")
    if membership is not None:
        from marketing.selectors import visible_branches

        allowed &= set(visible_branches(membership=membership).values_list("pk", flat=True))
    moves = _moves_for(tenant, numbers, ContractState.RECEIVED, on, holder_branch_ids=allowed,
                       extra={"holder_id": getattr(holder, "pk", None), "holder_name": holder_name})
    apply_moves(tenant=tenant, actor=actor, to_state=ContractState.RECEIVED, moves=moves, source="page")
    audit_record(tenant=tenant, actor=actor, verb="contracts.receive", obj=None, object_label=f"{numbers[0]}–{numbers[-1]}",
                 after={"from": numbers[0], "to": numbers[-1], "count": len(numbers), "holder": holder_name,
                        "on": on}, request=request)
    return len(moves)


@transaction.atomic
def contract_sign(*, contract, actor, on, request=None) -> Contract:
    moves = _moves_for(contract.tenant, [contract.number], ContractState.SIGNED, on)
    apply_moves(tenant=contract.tenant, actor=actor, to_state=ContractState.SIGNED, moves=moves, source="page")
    audit_record(tenant=contract.tenant, actor=actor, verb="contracts.sign", obj=contract,
                 before={"state": moves[0]["from_state"]}, after={"state": ContractState.SIGNED, "on": on},
                 request=request)
    return Contract.objects.get(pk=contract.pk)


@transaction.atomic
def contract_void(*, contract, actor, on, reason: str, request=None) -> Contract:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写作废原因。"), code="reason_required")
    moves = _moves_for(contract.tenant, [contract.number], ContractState.VOIDED, on, extra={"reason": reason})
    apply_moves(tenant=contract.tenant, actor=actor, to_state=ContractState.VOIDED, moves=moves, source="page")
    audit_record(tenant=contract.tenant, actor=actor, verb="contracts.void", obj=contract,
                 before={"state": moves[0]["from_state"]}, after={"state": ContractState.VOIDED, "on": on,
                                                                  "reason": reason}, request=request)
    return Contract.objects.get(pk=contract.pk)


# --- the four xlsx imports ------------------------------------------------------------------


def _date_cell(raw, label, messages, today):
    try:
        day = imports.parse_date(raw)
    except ValueError:
        messages.append(_("%(l)s格式不正确：%(v)s") % {"l": label, "v": raw or _("（空）")})
        return None
    if day > today:
        messages.append(_("%(l)s不能是将来的日期：%(v)s") % {"l": label, "v": day})
        return None
    return day


def _validate_stock(tenant, rows, **_ctx):
    products = {}
    for p in Product.objects.filter(tenant=tenant):
        products[imports.norm(p.code)] = p
        products.setdefault(imports.norm(p.name), p)
    today = local_today(tenant)
    clean, errors, pending = [], [], []
    for raw in rows:
        messages = []
        product = products.get(imports.norm(raw.get("product")))
        if product is None:
            messages.append(_("未知的产品：%(p)s") % {"p": imports.text(raw.get("product")) or _("（空）")})
        elif product.status not in (ProductStatus.APPROVED, ProductStatus.ONLINE):
            messages.append(_("产品 %(p)s 未批准或已停用。") % {"p": product.code})
        try:
            prefix, start, width = split_number(imports.text(raw.get("first")))
            prefix2, end, width2 = split_number(imports.text(raw.get("last")))
            if (prefix, width) != (prefix2, width2):
                raise ValueError
        except ValueError:
            messages.append(_("合同编号起止不正确（前缀和位数须一致，以数字结尾）：%(a)s – %(b)s") % {
                "a": imports.text(raw.get("first")), "b": imports.text(raw.get("last"))})
            prefix = None
        printer = imports.text(raw.get("printer"))[:100]
        if not printer:
            messages.append(_("印刷厂为空。"))
        try:
            cost = imports.parse_decimal(raw.get("unit_cost"))
            if cost < 0 or cost >= Decimal("1000000"):
                raise ValueError
        except ValueError:
            cost = None
            messages.append(_("单价不是有效金额：%(v)s") % {"v": raw.get("unit_cost") or _("（空）")})
        day = _date_cell(raw.get("received_on"), _("入库日期"), messages, today)
        if prefix is not None:
            error = batch_error(tenant=tenant, prefix=prefix, start=start, end=end, width=width, pending=pending)
            if error:
                messages.append(error)
            else:
                pending.append((prefix, start, end, raw["row"]))
        if messages:
            errors.append({"row": raw["row"], "messages": messages})
        else:
            clean.append({"row": raw["row"], "product": product.code, "first": imports.text(raw.get("first")),
                          "last": imports.text(raw.get("last")), "printer": printer, "unit_cost": cost,
                          "received_on": day, "_product": product, "_range": (prefix, start, end, width)})
    return clean, errors


def _apply_stock(tenant, actor, rows, job):
    copies = 0
    for r in rows:
        prefix, start, end, width = r["_range"]
        _create_batch(tenant=tenant, actor=actor, product=r["_product"], prefix=prefix, start=start, end=end,
                      width=width, printer=r["printer"], unit_cost=r["unit_cost"], received_on=r["received_on"],
                      source=f"import:{job.pk}")
        copies += end - start + 1
    return {"batches": len(rows), "contracts": copies}


def _numbers_rows(tenant, rows, to_state, build):
    """Shared checks of the three movement files: the number exists, appears once, may move."""
    today = local_today(tenant)
    numbers = [imports.text(r.get("number")) for r in rows]
    found: dict[str, Contract] = {}
    wanted = [n for n in numbers if n]
    for i in range(0, len(wanted), CHUNK):
        for c in Contract.objects.filter(tenant=tenant, number__in=wanted[i:i + CHUNK]):
            found[c.number] = c
    clean, errors, seen = [], [], {}
    for raw, number in zip(rows, numbers, strict=True):
        messages = []
        contract = found.get(number)
        if not number:
            messages.append(_("合同编号为空。"))
        elif number in seen:
            messages.append(_("合同编号 %(n)s 与第 %(r)s 行重复。") % {"n": number, "r": seen[number]})
        elif contract is None:
            messages.append(_("合同编号不存在：%(n)s") % {"n": number})
        if number and number not in seen:
            seen[number] = raw["row"]
        row = build(raw, contract, messages, today) if contract is not None and not messages else None
        if messages:
            errors.append({"row": raw["row"], "messages": messages})
        elif row is not None:
            clean.append({"row": raw["row"], "number": number, **row})
    return clean, errors


def _holder_index(tenant):
    from reports.models import RosterEntry

    users = {}
    by_name = defaultdict(list)
    for m in Membership.objects.filter(tenant=tenant, is_active=True).select_related("user"):
        users[m.user.username.lower()] = m.user
        if m.user.full_name:
            by_name[m.user.full_name].append(m.user)
    grants = defaultdict(set)
    for user_id, branch_id in BranchUserObjectPermission.objects.filter(
            tenant=tenant, permission__codename="act_for_branch").values_list("user_id", "content_object_id"):
        grants[user_id].add(branch_id)
    roster = defaultdict(set)
    for name, branch_id in RosterEntry.objects.filter(tenant=tenant).values_list("name", "branch_id"):
        roster[name].add(branch_id)
    return users, by_name, grants, roster


def _validate_issues(tenant, rows, **_ctx):
    users, by_name, grants, roster = _holder_index(tenant)

    def build(raw, contract, messages, today):
        name = imports.text(raw.get("holder"))
        day = _date_cell(raw.get("on"), _("领取日期"), messages, today)
        if not name:
            messages.append(_("领取人为空。"))
            return None
        candidates = [users[name.lower()]] if name.lower() in users else by_name.get(name, [])
        user = next((u for u in candidates if contract.branch_id in grants.get(u.pk, ())), None)
        in_roster = contract.branch_id in roster.get(name, ())
        if user is None and not in_roster:
            if candidates or name in roster:
                messages.append(_("合同 %(n)s 派发给了其他分公司，%(h)s 不能在此领取。") % {
                    "n": contract.number, "h": name})
            else:
                messages.append(_("未知的领取人：%(h)s（应为用户名、姓名或花名册中的姓名）") % {"h": name})
            return None
        if day is None:
            return None
        error = move_error(contract, ContractState.RECEIVED, day, today=today)
        if error:
            messages.append(error)
            return None
        return {"holder": user.display_name if user else name, "on": day, "_move": {
            "contract_id": contract.pk, "from_state": contract.state, "on": day,
            "holder_id": user.pk if user else None, "holder_name": user.display_name if user else name}}

    return _numbers_rows(tenant, rows, ContractState.RECEIVED, build)


def _validate_signings(tenant, rows, **_ctx):
    def build(raw, contract, messages, today):
        day = _date_cell(raw.get("on"), _("签约日期"), messages, today)
        if day is None:
            return None
        if contract.state == ContractState.SIGNED and contract.signed_on == day:
            return {"on": day, "unchanged": True}  # the same CRM list again: nothing to do
        error = move_error(contract, ContractState.SIGNED, day, today=today)
        if error:
            messages.append(error)
            return None
        return {"on": day, "_move": {"contract_id": contract.pk, "from_state": contract.state, "on": day}}

    return _numbers_rows(tenant, rows, ContractState.SIGNED, build)


def _validate_voids(tenant, rows, **_ctx):
    def build(raw, contract, messages, today):
        day = _date_cell(raw.get("on"), _("作废日期"), messages, today)
        reason = imports.text(raw.get("reason"))[:200]
        if not reason:
            messages.append(_("作废原因为空。"))
        if day is None or not reason:
            return None
        error = move_error(contract, ContractState.VOIDED, day, today=today)
        if error:
            messages.append(error)
            return None
        return {"on": day, "reason": reason, "_move": {"contract_id": contract.pk, "from_state": contract.state,
                                                       "on": day, "reason": reason}}

    return _numbers_rows(tenant, rows, ContractState.VOIDED, build)


def _applier(to_state, verb):
    def apply(tenant, actor, rows, job):
        moves = [r["_move"] for r in rows if "_move" in r]
        # lock what we move, then make sure nobody moved it since the validation
        locked = {c.pk: c for c in _locked(tenant, [r["number"] for r in rows if "_move" in r]).values()}
        for m in moves:
            if locked[m["contract_id"]].state != m["from_state"]:
                raise ValidationError(_("合同 %(n)s 刚刚被其他操作改变了状态，请重新上传。")
                                      % {"n": locked[m["contract_id"]].number}, code="stale")
        count = apply_moves(tenant=tenant, actor=actor, to_state=to_state, moves=moves, source=f"import:{job.pk}")
        return {"moved": count, "unchanged": len(rows) - count}
    return apply


_COMMON = {"number": ("合同编号", "编号", "number")}
imports.register(ImportKind.STOCK, imports.Kind(
    columns={"product": ("产品", "产品代码", "product"), "first": ("合同编号起", "起始编号", "from"),
             "last": ("合同编号止", "截止编号", "to"), "printer": ("印刷厂", "printer"),
             "unit_cost": ("单价", "单价（元）", "unit_cost"), "received_on": ("入库日期", "received_on")},
    labels={"product": "产品", "first": "合同编号起", "last": "合同编号止", "printer": "印刷厂", "unit_cost": "单价",
            "received_on": "入库日期"},
    validate=_validate_stock, apply=_apply_stock,
))
imports.register(ImportKind.ISSUES, imports.Kind(
    columns={**_COMMON, "holder": ("领取人", "销售人员", "holder"), "on": ("领取日期", "日期", "date")},
    labels={"number": "合同编号", "holder": "领取人", "on": "领取日期"},
    validate=_validate_issues, apply=_applier(ContractState.RECEIVED, "receive"),
))
imports.register(ImportKind.SIGNINGS, imports.Kind(
    columns={**_COMMON, "on": ("签约日期", "日期", "date")},
    labels={"number": "合同编号", "on": "签约日期", "unchanged": "无变化"},
    validate=_validate_signings, apply=_applier(ContractState.SIGNED, "sign"),
))
imports.register(ImportKind.VOIDS, imports.Kind(
    columns={**_COMMON, "on": ("作废日期", "日期", "date"), "reason": ("原因", "作废原因", "reason")},
    labels={"number": "合同编号", "on": "作废日期", "reason": "原因"},
    validate=_validate_voids, apply=_applier(ContractState.VOIDED, "void"),
))


def print_order_cancel(*, order: PrintOrder, actor, request=None) -> PrintOrder:
    with transaction.atomic():
        order = PrintOrder.objects.select_for_update().get(pk=order.pk)
        if order.status != PrintOrderStatus.ORDERED:
            raise ValidationError(_("只有印刷中的印刷单可以取消。"), code="bad_move")
        order.status = PrintOrderStatus.CANCELLED
        order.save(update_fields=["status"])
        audit_record(tenant=order.tenant, actor=actor, verb="contracts.print_order_cancel", obj=order,
                     before={"status": PrintOrderStatus.ORDERED}, after={"status": order.status}, request=request)
    return order
