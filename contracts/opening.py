"""Opening balances of contracts/ (期初): the contract ledger as it stands on the day a company
moves in, and the price list in force as the first published version.

Contract ledger opening: one xlsx row per contract (合同编号, 产品, 状态, 分公司, 领取人 and the
dates known). Every row becomes a ``Contract`` with the fields any other contract in that state
has, plus its dated ``ContractEvent`` path (在库 → 已派发 → 已领取 → 客户已签 / 回收作废), each
with ``source = "opening:<job>"`` and the note 期初 -- so the history, 动销率 and the weekly
usage analysis count them like any other. Numbers are grouped into "opening" print batches
(one per contiguous run of numbers of a product within a chunk; printer 期初, unit cost 0)
because a contract always belongs to a batch.

Reading is streamed (openpyxl ``read_only`` + ``iter_rows`` through ``marketing.xlsx``) and
rows are checked and written in chunks of ``CHUNK`` (the confirm is one pass: check and write
together, inside a savepoint that a bad row rolls back); what is kept for the whole file is one
dict entry per number (duplicates within the file), never the rows themselves. A row whose number already exists is "unchanged" when that contract was made
by an opening import with exactly these values (a re-import changes nothing), and refused
otherwise (the contract has its own history). A file with any bad row applies nothing."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import Branch, BranchUserObjectPermission, Membership
from marketing.xlsx import Limits, XlsxError, read_rows

from . import imports
from .models import (
    Contract,
    ContractEvent,
    ContractState,
    PriceList,
    PriceListEntry,
    PriceListStatus,
    PrintBatch,
    Product,
    ProductStatus,
)
from .services.ledger import split_number

CHUNK = 5000
PROGRESS_EVERY = 1000  # rows between two progress reports (``progress(done, total)``)
MAX_ERRORS = 500
PREVIEW_ROWS = 50
HEADER_SCAN_ROWS = 20  # title rows above the header are tolerated
OPENING_PRINTER = "期初"
OPENING_NOTE = "期初"
# a 300,000-row ledger is ~12 MB as xlsx; the shared reader's other caps scale with it
LIMITS = Limits(max_bytes=40 * 1024 * 1024, max_uncompressed=400 * 1024 * 1024,
                max_shared_strings=128 * 1024 * 1024, max_rows=400_000, max_cells=6_000_000, max_seconds=900.0)

COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("合同编号", "编号", "number"),
    "product": ("产品", "产品代码", "产品名称", "product"),
    "state": ("状态", "合同状态", "state"),
    "branch": ("分公司", "branch"),
    "holder": ("领取人", "销售人员", "holder"),
    "stocked_on": ("入库日期", "stocked_on"),
    "dispatched_on": ("派发日期", "dispatched_on"),
    "received_on": ("领取日期", "received_on"),
    "signed_on": ("签约日期", "signed_on"),
    "voided_on": ("作废日期", "voided_on"),
    "void_reason": ("作废原因", "原因", "void_reason"),
}
LABELS = {"number": "合同编号", "product": "产品", "state": "状态", "branch": "分公司", "holder": "领取人",
          "stocked_on": "入库日期", "dispatched_on": "派发日期", "received_on": "领取日期",
          "signed_on": "签约日期", "voided_on": "作废日期", "void_reason": "作废原因"}
REQUIRED = ("number", "product", "state")
TEMPLATE_HEADERS = list(LABELS.values())

S = ContractState
STATE_NAMES = {"在库": S.IN_STOCK, "库存": S.IN_STOCK, "已派发": S.DISPATCHED, "派发": S.DISPATCHED,
               "已领取": S.RECEIVED, "领取": S.RECEIVED, "在途": S.RECEIVED, "客户已签": S.SIGNED, "已签": S.SIGNED,
               "已签约": S.SIGNED, "回收作废": S.VOIDED, "作废": S.VOIDED, "已作废": S.VOIDED}
STATE_NAMES.update({s.value: s for s in S})
DATE_FIELDS = ("stocked_on", "dispatched_on", "received_on", "signed_on", "voided_on")
COMPARED = ("product_id", "state", "branch_id", "holder_name", *DATE_FIELDS)


def opening_state(tenant) -> str:
    """"done" (an opening import confirmed), "skipped" (the admin declared there is no ledger to
    bring in), "pending" (the tenant moved in through the checklist and has neither) or "" (a
    tenant that never used the checklist: nothing changes for it)."""
    if not apps.is_installed("marketing.onboarding"):
        return ""
    from marketing.onboarding.models import (
        MarkKind,
        OpeningImport,
        OpeningKind,
        OpeningStatus,
        SetupMark,
        TenantSetup,
    )

    if OpeningImport.objects.filter(tenant=tenant, kind=OpeningKind.CONTRACTS, status=OpeningStatus.DONE).exists():
        return "done"
    if SetupMark.objects.filter(tenant=tenant, step="ledger", kind=MarkKind.SKIPPED).exists():
        return "skipped"
    if TenantSetup.objects.filter(tenant=tenant).exists():
        return "pending"
    return ""


def opening_pending(tenant) -> bool:
    return opening_state(tenant) == "pending"


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Check:
    total: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    new: int = 0
    unchanged: int = 0
    runs: dict = field(default_factory=dict)  # the (product_id, prefix, width) groups of new numbers
    rows: list = field(default_factory=list)  # price list only: the clean rows

    @property
    def ok(self) -> bool:
        return self.total > 0 and not self.error_count

    def error(self, row, messages) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "messages": list(messages)})


def _rows(content: bytes, check: Check, columns=None, required=REQUIRED, sheet=None, limits=LIMITS, info=None):
    """(row number, {canonical: value}) for each non-blank data row below the header, which is
    the first of the top ``HEADER_SCAN_ROWS`` rows naming every ``required`` column. ``info``
    receives ``declared_rows`` (a hint for the progress bar)."""
    columns = columns or COLUMNS
    rows = read_rows(content, limits, sheet=sheet, info=info)
    try:
        positions, row_no = None, 0
        for values in rows:
            row_no += 1
            if positions is None:
                found: dict[str, int] = {}
                for index, cell in enumerate(values):
                    name = imports.norm(cell)
                    for canonical, aliases in columns.items():
                        if canonical not in found and name in {imports.norm(a) for a in aliases}:
                            found[canonical] = index
                if all(c in found for c in required):
                    positions = found
                elif row_no >= HEADER_SCAN_ROWS:
                    break
                continue
            if all(v in (None, "") for v in values):
                continue
            yield row_no, {c: (values[i] if i < len(values) else None) for c, i in positions.items()}
        if positions is None:
            check.error(None, [_("找不到表头：前 %(n)d 行中没有同时包含%(c)s的一行。") % {
                "n": HEADER_SCAN_ROWS, "c": "、".join(f"“{columns[c][0]}”" for c in required)}])
    except XlsxError as exc:
        check.error(None, [str(exc)])
    finally:
        rows.close()


class _Index:
    """Everything a row is checked against, loaded once per file (a few queries)."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.products: dict[str, Product] = {}
        for p in Product.objects.filter(tenant=tenant):
            self.products[imports.norm(p.code)] = p
            self.products.setdefault(imports.norm(p.name), p)
        self.branches: dict[str, Branch] = {}
        for b in Branch.objects.filter(tenant=tenant):
            self.branches[imports.norm(b.name)] = b
            self.branches.setdefault(imports.norm(b.code), b)
        self.branch_names = {b.pk: b.name for b in self.branches.values()}
        self.product_codes = {p.pk: p.code for p in self.products.values()}
        from reports.models import RosterEntry

        self.users, self.by_name = {}, defaultdict(list)
        for m in Membership.objects.filter(tenant=tenant, is_active=True).select_related("user"):
            self.users[m.user.username.lower()] = m.user
            if m.user.full_name:
                self.by_name[m.user.full_name].append(m.user)
        self.grants = defaultdict(set)
        for user_id, branch_id in BranchUserObjectPermission.objects.filter(
                tenant=tenant, permission__codename="act_for_branch").values_list("user_id", "content_object_id"):
            self.grants[user_id].add(branch_id)
        self.roster = defaultdict(set)
        for name, branch_id in RosterEntry.objects.filter(tenant=tenant).values_list("name", "branch_id"):
            self.roster[name].add(branch_id)

    def holder(self, name: str, branch_id: int):
        """(user or None, display name) of a holder in that branch; None when unknown there."""
        candidates = [self.users[name.lower()]] if name.lower() in self.users else self.by_name.get(name, [])
        user = next((u for u in candidates if branch_id in self.grants.get(u.pk, ())), None)
        if user is not None:
            return user, user.display_name
        if branch_id in self.roster.get(name, ()):
            return None, name
        return None


def _date(raw, label, messages):
    if raw in (None, ""):
        return None
    if isinstance(raw, str) and len(raw) == 10:
        try:
            return dt.date.fromisoformat(raw)  # the common case, much cheaper than strptime
        except ValueError:
            pass
    try:
        return imports.parse_date(raw)
    except ValueError:
        messages.append(_("%(l)s格式不正确：%(v)s") % {"l": label, "v": raw})
        return None


def _row(index: _Index, raw: dict, as_of: dt.date, messages: list[str]) -> dict | None:
    """The contract a row describes (fields as stored), or None with ``messages``."""
    number = imports.text(raw.get("number"))[:40]
    try:
        prefix, n, width = split_number(number)
    except ValueError:
        messages.append(_("合同编号应以数字结尾，例如 LZ-2026-000001：%(v)s") % {"v": number or _("（空）")})
        prefix = n = width = None
    product = index.products.get(imports.norm(raw.get("product")))
    if product is None:
        messages.append(_("未知的产品：%(p)s") % {"p": imports.text(raw.get("product")) or _("（空）")})
    elif product.status not in (ProductStatus.APPROVED, ProductStatus.ONLINE, ProductStatus.RETIRED):
        messages.append(_("产品 %(p)s 尚未批准，不能有合同。") % {"p": product.code})
    state_text = imports.text(raw.get("state"))
    state = STATE_NAMES.get(state_text) or STATE_NAMES.get(state_text.lower())
    if state is None:
        messages.append(_("未知的状态：%(s)s（应为 在库、已派发、已领取、客户已签 或 回收作废）")
                        % {"s": state_text or _("（空）")})
    branch_text = imports.text(raw.get("branch"))
    branch = index.branches.get(imports.norm(branch_text)) if branch_text else None
    if branch_text and branch is None:
        messages.append(_("未知的分公司：%(b)s") % {"b": branch_text})
    holder_text = imports.text(raw.get("holder"))[:60]
    dates = {f: _date(raw.get(f), LABELS[f], messages) for f in DATE_FIELDS}
    if messages or state is None:
        return None
    at_branch = state in (S.DISPATCHED, S.RECEIVED, S.SIGNED) or (state == S.VOIDED and branch is not None)
    received = state in (S.RECEIVED, S.SIGNED) or (state == S.VOIDED and branch is not None)
    if at_branch and branch is None:
        messages.append(_("状态为“%(s)s”的合同必须填写分公司。") % {"s": S(state).label})
    if state == S.IN_STOCK and branch is not None:
        messages.append(_("在库合同不应填写分公司（在库 = 总部库存）。"))
    if state in (S.IN_STOCK, S.DISPATCHED) and holder_text:
        messages.append(_("状态为“%(s)s”的合同不应填写领取人。") % {"s": S(state).label})
    if state == S.RECEIVED and not holder_text:
        messages.append(_("已领取的合同必须填写领取人。"))
    path = ["stocked_on"] + (["dispatched_on"] if at_branch else []) + (["received_on"] if received else []) + \
        (["signed_on"] if state == S.SIGNED else ["voided_on"] if state == S.VOIDED else [])
    extra = [LABELS[f] for f in DATE_FIELDS if f not in path and dates[f] is not None]
    if extra:
        messages.append(_("状态为“%(s)s”的合同不应填写：%(f)s") % {"s": S(state).label, "f": "、".join(extra)})
    holder, holder_name = None, ""
    if holder_text and branch is not None and not messages:
        found = index.holder(holder_text, branch.pk)
        if found is not None:
            holder, holder_name = found
        elif state == S.RECEIVED:  # a contract in a salesperson's hands needs a known salesperson
            messages.append(_("领取人 %(h)s 不是 %(b)s 的用户，也不在该分公司的花名册中。")
                            % {"h": holder_text, "b": branch.name})
        else:  # signed or voided long ago: the person may have left; the name is kept as written
            holder_name = holder_text
    if messages:
        return None
    # a missing date is the next known one along the path, the last one the opening date
    later = as_of
    for f in reversed(path):
        if dates[f] is None:
            dates[f] = later
        later = dates[f]
    for a, b in zip(path, path[1:], strict=False):
        if dates[a] > dates[b]:
            messages.append(_("%(a)s %(da)s 晚于 %(b)s %(db)s。") % {"a": LABELS[a], "da": dates[a], "b": LABELS[b],
                                                                   "db": dates[b]})
    if dates[path[-1]] > as_of:
        messages.append(_("%(l)s %(d)s 晚于期初日期 %(a)s。") % {"l": LABELS[path[-1]], "d": dates[path[-1]], "a": as_of})
    if messages:
        return None
    reason = imports.text(raw.get("void_reason"))[:200] if state == S.VOIDED else ""
    return {"number": number, "product_id": product.pk, "state": state, "branch_id": branch.pk if at_branch else None,
            "holder_id": holder.pk if holder else None, "holder_name": holder_name,
            "void_reason": reason or (OPENING_NOTE if state == S.VOIDED else ""), "_path": path,
            "_range": (product.pk, prefix, width, n), **dates}


def _existing(tenant, numbers: list[str]) -> dict[str, tuple[Contract, int]]:
    """Contracts with these numbers and how many of their events did not come from an opening."""
    out = {}
    qs = (Contract.objects.filter(tenant=tenant, number__in=numbers)
          .annotate(other=Count("events", filter=~Q(events__source__startswith="opening:"))))
    for c in qs:
        out[c.number] = (c, c.other)
    return out


def _jsonable(rec: dict, index: _Index, row: int) -> dict:
    return {"row": row, "number": rec["number"], "product": index.product_codes.get(rec["product_id"], ""),
            "state": str(S(rec["state"]).label), "branch": index.branch_names.get(rec["branch_id"], ""),
            "holder": rec["holder_name"], **{f: rec[f].isoformat() if rec[f] else "" for f in DATE_FIELDS}}


def check_contracts(*, tenant, content: bytes, as_of: dt.date, on_new=None, progress=None) -> Check:
    """Validate every row (nothing is written here). ``on_new(recs)`` receives each chunk of new
    contracts once the chunk is checked and while no row so far was bad (the apply pass writes
    them; the preview passes nothing). ``progress(done, total)`` is called every
    ``PROGRESS_EVERY`` rows and at the end (total: the sheet's declared size, a hint, until the
    end)."""
    check = Check()
    today = timezone.localdate(timezone=tenant.zone)
    if as_of > today:
        check.error(None, [_("期初日期不能是将来的日期。")])
        return check
    index = _Index(tenant)
    seen: dict[str, int] = {}
    per_state, per_branch, per_product = Counter(), Counter(), Counter()
    matrix: dict[str, Counter] = defaultdict(Counter)
    batch_keys: set[tuple] = set()
    chunk: list[tuple[int, dict]] = []

    def flush():
        existing = _existing(tenant, [r["number"] for _n, r in chunk])
        new = []
        for row_no, rec in chunk:
            found = existing.get(rec["number"])
            if found is not None:
                contract, other = found
                same = all(getattr(contract, f) == rec[f] for f in COMPARED)
                if other or not same:
                    check.error(row_no, [_("合同 %(n)s 已有流转记录（当前状态“%(s)s”），期初导入不能覆盖。")
                                         % {"n": rec["number"], "s": contract.get_state_display()}])
                    continue
                check.unchanged += 1
            else:
                check.new += 1
                new.append(rec)
                batch_keys.add(rec["_range"][:3])
            if len(check.preview) < PREVIEW_ROWS:
                check.preview.append(_jsonable(rec, index, row_no))
            state_label = str(S(rec["state"]).label)
            branch_label = index.branch_names.get(rec["branch_id"]) or _("总部")
            per_state[state_label] += 1
            per_branch[branch_label] += 1
            per_product[index.product_codes[rec["product_id"]]] += 1
            matrix[branch_label][state_label] += 1
        if on_new is not None and new and not check.error_count:
            on_new(new)
        chunk.clear()

    info: dict = {}
    for row_no, raw in _rows(content, check, info=info):
        check.total += 1
        if progress is not None and check.total % PROGRESS_EVERY == 0:
            progress(check.total, max(check.total, info.get("declared_rows", 0) - 1))
        messages: list[str] = []
        rec = _row(index, raw, as_of, messages)
        if rec is not None:
            previous = seen.get(rec["number"])
            if previous is not None:
                messages.append(_("合同编号 %(n)s 与第 %(r)s 行重复。") % {"n": rec["number"], "r": previous})
            else:
                seen[rec["number"]] = row_no
        if messages:
            check.error(row_no, messages)
            continue
        chunk.append((row_no, rec))
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    if progress is not None:
        progress(check.total, check.total)
    if check.total == 0 and not check.error_count:
        check.error(None, [_("文件为空：没有数据行。")])
    states = [str(s.label) for s in S]
    check.totals = {
        "states": states,
        "per_state": [[s, per_state.get(s, 0)] for s in states],
        "per_branch": sorted(per_branch.items()),
        "per_product": sorted(per_product.items()),
        "matrix": [[b, [matrix[b].get(s, 0) for s in states], sum(matrix[b].values())] for b in sorted(matrix)],
        "total": sum(per_state.values()), "new": check.new, "unchanged": check.unchanged,
    }
    check.runs = {key: [] for key in batch_keys}
    return check


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


class _Invalid(Exception):
    pass


def apply_contracts(*, tenant, actor, content: bytes, as_of: dt.date, source: str, progress=None) -> Check:
    """Inside the caller's transaction: ONE streamed pass that checks every row and writes each
    checked chunk of new contracts (with their opening batch and dated events) in bulk. A bad
    row anywhere rolls the written chunks back (a savepoint) and the check is returned."""
    order = {"stocked_on": S.IN_STOCK, "dispatched_on": S.DISPATCHED, "received_on": S.RECEIVED,
             "signed_on": S.SIGNED, "voided_on": S.VOIDED}

    def write(recs: list[dict]) -> None:
        # the opening batches of this chunk: one per contiguous run of numbers of a product and prefix
        groups: dict[tuple, list[int]] = defaultdict(list)
        for r in recs:
            groups[r["_range"][:3]].append(r["_range"][3])
        batches: dict[tuple, tuple[list[int], list[PrintBatch]]] = {}
        for (product_id, prefix, width), numbers in groups.items():
            runs = _runs(sorted(numbers))
            made = PrintBatch.objects.bulk_create([
                PrintBatch(tenant=tenant, product_id=product_id, prefix=prefix, start=a, end=b, width=width,
                           printer=OPENING_PRINTER, unit_cost=0, received_on=as_of, created_by=actor)
                for a, b in runs])
            batches[(product_id, prefix, width)] = ([a for a, _b in runs], made)

        def batch_of(r) -> PrintBatch:
            starts, made = batches[r["_range"][:3]]
            return made[bisect.bisect_right(starts, r["_range"][3]) - 1]

        try:
            with transaction.atomic():
                made = Contract.objects.bulk_create([
                    Contract(tenant=tenant, number=r["number"], product_id=r["product_id"], batch=batch_of(r),
                             state=r["state"], branch_id=r["branch_id"], holder_id=r["holder_id"],
                             holder_name=r["holder_name"], void_reason=r["void_reason"],
                             **{f: r[f] for f in DATE_FIELDS})
                    for r in recs], batch_size=CHUNK)
        except IntegrityError:
            raise ValidationError(_("合同编号已被其他操作登记，请重新上传。"), code="number_exists")
        events = []
        for c, r in zip(made, recs, strict=True):
            previous = ""
            for f in r["_path"]:
                events.append(ContractEvent(tenant=tenant, contract=c, from_state=previous, to_state=order[f],
                                            on=r[f], actor=actor, source=source, note=OPENING_NOTE))
                previous = order[f]
        ContractEvent.objects.bulk_create(events, batch_size=CHUNK)

    result: Check | None = None
    try:
        with transaction.atomic():
            result = check_contracts(tenant=tenant, content=content, as_of=as_of, on_new=write, progress=progress)
            if not result.ok:
                raise _Invalid
    except _Invalid:
        pass  # the savepoint is rolled back: nothing of this file is written
    return result


def template_xlsx() -> bytes:
    """The template: a title row (tolerated), the header, two example rows."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "合同台账期初"
    ws.append(["合同台账期初（截至某日的全部合同；状态：在库 / 已派发 / 已领取 / 客户已签 / 回收作废）"])
    ws.append(TEMPLATE_HEADERS)
    ws.append(["LZ-2026-000001", "产品代码", "已领取", "分公司名称", "领取人姓名", "2026-01-05", "2026-01-10",
               "2026-01-12", "", "", ""])
    ws.append(["LZ-2026-000002", "产品代码", "在库", "", "", "2026-01-05", "", "", "", "", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- price list opening version ----------------------------------------------------------------


def pricelist_opening_check(*, tenant, content: bytes, filename: str) -> Check:
    """The price-list import's columns and row rules (contracts.imports, kind price_list), read
    with title rows tolerated. ``check.rows``: the clean rows (a price list is small)."""
    from .models import ImportKind
    from .services import pricelist  # noqa: F401  (registers the kind)

    spec = imports.KINDS[ImportKind.PRICE_LIST]
    check = Check()
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        check.error(None, [_("文件类型不正确：请上传 Excel .xlsx 文件。")])
        return check
    raw = []
    for row_no, values in _rows(content, check, columns=spec.columns, required=tuple(spec.columns),
                                sheet=spec.sheet, limits=Limits()):
        check.total += 1
        if check.total > imports.MAX_ROWS:
            check.error(None, [_("行数超过 %(n)d 行上限。") % {"n": imports.MAX_ROWS}])
            return check
        raw.append({**values, "row": row_no})
    if check.error_count:
        return check
    if not raw:
        check.error(None, [_("文件为空：没有数据行。")])
        return check
    clean, errors = spec.validate(tenant, raw)
    for e in sorted(errors, key=lambda e: e["row"] or 0):
        check.error(e["row"], e["messages"])
    check.rows = clean
    check.preview = [{k: str(v) for k, v in r.items() if not k.startswith("_")} for r in clean[:PREVIEW_ROWS]]
    per_product = Counter(r["product"] for r in clean)
    check.totals = {"per_product": sorted(per_product.items()), "total": len(clean)}
    return check


def pricelist_template_xlsx() -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "明细"
    ws.append(["产品体系报价表（期初版本）"])
    ws.append(["产品代码", "车辆级别", "期限（月）", "价格"])
    ws.append(["产品代码", "A级（10万以下）", 12, 1280])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pricelist_opening_apply(*, tenant, actor, rows: list[dict], effective_on: dt.date) -> dict:
    """The file becomes the first published version with its effective date, without a
    confirmation round (the branches already work with it). Inside the caller's transaction.
    Again with the same entries: nothing changes; once a version is published: refused."""
    today = timezone.localdate(timezone=tenant.zone)
    if effective_on > today:
        raise ValidationError(_("期初版本的生效日期不能是将来的日期（将来生效的调价请走草稿与确认流程）。"),
                              code="bad_effective_on")
    wanted = {(r["_product_id"], r["vehicle_class"], r["term_months"]): r["price"] for r in rows}
    published = list(PriceList.objects.select_for_update().filter(tenant=tenant, status=PriceListStatus.PUBLISHED))
    if published:
        first = min(published, key=lambda p: p.version)
        existing = {(e.product_id, e.vehicle_class, e.term_months): e.price for e in first.entries.all()}
        if len(published) == 1 and existing == wanted and first.effective_on == effective_on:
            return {"changed": False, "price_list": first.pk, "version": first.version, "entries": len(wanted)}
        raise ValidationError(_("报价表已有发布版本，期初版本只能导入一次；之后的调价请走草稿与确认流程。"),
                              code="already_published")
    last = PriceList.objects.filter(tenant=tenant).aggregate(m=Max("version"))["m"] or 0
    price_list = PriceList.objects.create(
        tenant=tenant, version=last + 1, status=PriceListStatus.PUBLISHED, effective_on=effective_on,
        note=_("期初版本（开通导入，无确认轮次）"), created_by=actor, published_by=actor, published_at=timezone.now())
    PriceListEntry.objects.bulk_create([
        PriceListEntry(tenant=tenant, price_list=price_list, product_id=p, vehicle_class=v, term_months=t, price=price)
        for (p, v, t), price in wanted.items()])
    return {"changed": True, "price_list": price_list.pk, "version": price_list.version, "entries": len(wanted)}
