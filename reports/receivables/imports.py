"""Finance's receivables sheet (应收账款明细): 客户/单位, 发票或合同号, 金额, 到期日, 已收金额,
分公司, 销售. The same machinery and guarantees as the collections import
(``reports/imports.py``, whose header normalisation and value parsers are reused): a
template to download, title rows above the header tolerated, totals lines skipped, every
row validated with its errors shown by sheet row, a preview of what each row does, an
atomic confirm that re-validates the stored (encrypted) file and writes all or nothing.

The key is the document number, unique per tenant: re-importing the same file changes
nothing, a corrected file updates the lines it lists. Lines the file does not list are kept
(finance may send one branch's sheet); a flag (呆账/坏账) and the collection actions of a
line survive every re-import."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from marketing.audit import audit_record
from marketing.crypto import decrypt_bytes, encrypt_bytes
from marketing.models import Branch, Membership
from marketing.xlsx import Limits, XlsxError, read_rows
from reports.imports import HEADER_SEARCH_ROWS, MAX_AMOUNT, TOTAL_LABELS, _norm, _parse_amount, _parse_date
from reports.models import ImportStatus

from .models import Receivable, ReceivableImport, ReceivableStatus

log = logging.getLogger(__name__)

MAX_ROWS = 200_000
PREVIEW_ROWS = 50
BATCH = 2000
# Larger than the other imports' 5 MB: finance's whole ledger of 200,000 lines is ~8 MB.
# Reading it took 145-225 s on the bench's loaded 2 cores (docs/receivables.md), too close to
# the default 300 s reader budget: 600 s, inside the 900 s CELERY_TASK_TIME_LIMIT of each task.
LIMITS = Limits(max_bytes=24 * 1024 * 1024, max_uncompressed=240 * 1024 * 1024,
                max_shared_strings=48 * 1024 * 1024, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS + 1000,
                max_cells=MAX_ROWS * 12, max_seconds=600.0)

COLUMNS: dict[str, tuple[str, ...]] = {
    "debtor": ("客户/单位", "客户", "单位", "客户名称", "单位名称", "客户或单位", "往来单位", "欠款单位", "debtor"),
    "document": ("发票或合同号", "发票号", "合同号", "发票号码", "合同编号", "发票/合同号", "单据号", "document"),
    "amount": ("金额", "应收金额", "应收账款", "发票金额", "合同金额", "amount"),
    "due_date": ("到期日", "到期日期", "应收日期", "约定回款日", "due", "due_date"),
    "received": ("已收金额", "已收", "已收款", "已回款", "已回款金额", "received"),
    "branch": ("分公司", "所属分公司", "分公司名称", "分支机构", "机构", "branch"),
    "salesperson": ("销售", "业务员", "销售人员", "负责销售", "销售员", "salesperson"),
}
OPTIONAL = {"received", "salesperson"}
LABELS = {"debtor": "客户/单位", "document": "发票或合同号", "amount": "金额", "due_date": "到期日",
          "received": "已收金额", "branch": "分公司", "salesperson": "销售"}
TEMPLATE_HEADER = ["客户/单位", "发票或合同号", "金额", "到期日", "已收金额", "分公司", "销售"]
TEMPLATE_EXAMPLE = ["上海某汽车销售服务有限公司", "FP20261101", "120000.00", "2026-12-31", "20000.00", "上海分公司", "张三"]
FIELDS = ("branch_id", "salesperson_id", "salesperson_name", "debtor_name", "customer_id", "amount", "due_date",
          "received", "status")
_ALIASES = {canonical: {_norm(a) for a in aliases} for canonical, aliases in COLUMNS.items()}


def _match_header(values) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(values or ()):
        name = _norm(cell)
        if not name:
            continue
        for canonical, aliases in _ALIASES.items():
            if canonical not in positions and name in aliases:
                positions[canonical] = index
                break
    return positions


def template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(TEMPLATE_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append(TEMPLATE_EXAMPLE)
    for index in range(len(TEMPLATE_HEADER)):
        ws.column_dimensions[chr(ord("A") + index)].width = 18
    help_ws = wb.create_sheet("说明")
    help_ws.append(["列", "必填", "也接受的表头"])
    for canonical, aliases in COLUMNS.items():
        help_ws.append([aliases[0], "否" if canonical in OPTIONAL else "是", "、".join(aliases[1:])])
    help_ws.append([])
    help_ws.append(["发票或合同号是每行的唯一标识：重复导入会更新该行而不是新增。已收金额为空按 0 计。"])
    help_ws.append(["表头上方可以有一两行标题；列顺序不限；“合计/总计”行会被跳过。只读取第一个工作表。"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class ParseResult:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    total: int = 0
    skipped: list[int] = field(default_factory=list)
    header_row: int = 1
    error_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _money(raw, field_name: str, messages: list[str], *, blank_zero: bool = False) -> Decimal | None:
    """A money cell (Decimal, >= 0, two places); the label is translated only on an error."""
    if blank_zero and raw in (None, ""):
        return Decimal("0.00")
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < MAX_AMOUNT:
        return Decimal(raw).quantize(Decimal("0.01"))  # the common case, fast
    label = _("金额") if field_name == "amount" else _("已收金额")
    try:
        amount = _parse_amount(raw)
    except (ValueError, ArithmeticError):
        messages.append(_("%(f)s不是数字：%(v)s") % {"f": label, "v": raw if raw not in (None, "") else _("（空）")})
        return None
    if amount < 0:
        messages.append(_("%(f)s不能为负数：%(v)s") % {"f": label, "v": raw})
    elif amount >= MAX_AMOUNT:
        messages.append(_("%(f)s过大（上限 %(max)s）：%(v)s") % {"f": label, "v": raw, "max": f"{MAX_AMOUNT:,.0f}"})
    elif amount != amount.quantize(Decimal("0.01")):
        messages.append(_("%(f)s最多两位小数：%(v)s") % {"f": label, "v": raw})
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def parse_file(*, tenant, content: bytes, filename: str,
               progress: Callable[[int], None] | None = None) -> ParseResult:
    """Validate every row; nothing is written. Rows carry ids (branch, salesperson,
    customer), dates and Decimals, and their sheet row number."""
    result = ParseResult()
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        result.errors.append({"row": None, "messages": [_("文件类型不正确：请上传 Excel .xlsx 文件。")]})
        return result
    try:
        rows = read_rows(content, LIMITS)
        try:
            _parse_rows(result, rows, tenant=tenant, progress=progress)
        finally:
            rows.close()
    except XlsxError as exc:
        result.rows = []
        result.errors.insert(0, {"row": None, "messages": [str(exc)]})
    return result


def _lookups(tenant) -> tuple[dict, dict, dict]:
    branches: dict[str, int] = {}
    for pk, name, code in Branch.objects.filter(tenant=tenant).values_list("pk", "name", "code"):
        branches[_norm(name)] = pk
        branches[_norm(code)] = pk
    users: dict[str, int] = {}
    for uid, full_name, username in Membership.objects.filter(tenant=tenant).values_list(
            "user_id", "user__full_name", "user__username"):
        users.setdefault(_norm(username), uid)
        if full_name:
            users.setdefault(_norm(full_name), uid)
    customers: dict[str, int | None] = {}
    for pk, name in Customer.objects.filter(tenant=tenant).values_list("pk", "name"):
        key = _norm(name)
        customers[key] = None if key in customers else pk  # two customers of one name: no link
    return branches, users, customers


def _parse_rows(result: ParseResult, rows, *, tenant, progress) -> None:
    required = [c for c in COLUMNS if c not in OPTIONAL]
    positions: dict[str, int] = {}
    best: dict[str, int] = {}
    header_row = 0
    nonblank = False
    for values in rows:
        header_row += 1
        nonblank = nonblank or any(c not in (None, "") for c in (values or ()))
        found = _match_header(values)
        if len(found) > len(best):
            best = found
        if all(c in found for c in required):
            positions = found
            break
        if header_row >= HEADER_SEARCH_ROWS:
            break
    if not positions:
        if not nonblank:
            result.errors.append({"row": None, "messages": [_("文件为空：没有表头和数据。")]})
        else:
            missing = "、".join(LABELS[c] for c in required if c not in best)
            result.errors.append({"row": None, "messages": [
                _("缺少必需的列：%(cols)s（在前 %(n)d 行中没有找到表头；可下载导入模板对照）") % {
                    "cols": missing, "n": HEADER_SEARCH_ROWS}]})
        return
    result.header_row = header_row
    branches, users, customers = _lookups(tenant)
    seen: dict[str, int] = {}
    row_no = header_row
    for values in rows:
        row_no += 1
        if values is None or all(v in (None, "") for v in values):
            continue
        get = {c: (values[i] if i < len(values) else None) for c, i in positions.items()}
        first = _norm(values[0]) if values else ""
        if first in TOTAL_LABELS or _norm(get.get("debtor")) in TOTAL_LABELS or _norm(get.get("branch")) in TOTAL_LABELS:
            result.skipped.append(row_no)
            continue
        result.total += 1
        if result.total > MAX_ROWS:
            raise XlsxError(_("行数超过 %(n)d 行上限。") % {"n": MAX_ROWS})
        row, messages = _parse_row(get, branches, users, customers)
        if not messages:
            if row["document"] in seen:
                messages.append(_("发票或合同号与第 %(n)d 行重复。") % {"n": seen[row["document"]]})
            else:
                seen[row["document"]] = row_no
        if messages:
            result.error_rows += 1
            if len(result.errors) < 500:  # every bad row is counted, the first 500 are listed
                result.errors.append({"row": row_no, "messages": messages})
            result.rows.clear()  # a file with a bad row imports nothing: stop holding rows
        elif result.ok:
            row["row"] = row_no
            result.rows.append(row)
        if progress and result.total % 5000 == 0:
            progress(result.total)
    if result.total == 0:
        result.errors.append({"row": None, "messages": [_("文件为空：没有数据行。")]})


def _parse_row(get: dict, branches: dict, users: dict, customers: dict) -> tuple[dict, list[str]]:
    messages: list[str] = []
    row: dict = {}
    branch_text = str(get.get("branch") or "").strip()
    if not branch_text:
        messages.append(_("分公司为空。"))
    elif _norm(branch_text) not in branches:
        messages.append(_("未知的分公司：%(b)s") % {"b": branch_text})
    else:
        row["branch_id"] = branches[_norm(branch_text)]
    debtor = str(get.get("debtor") or "").strip()
    if not debtor:
        messages.append(_("客户/单位为空。"))
    elif len(debtor) > 120:
        messages.append(_("客户/单位超过 120 个字。"))
    document = str(get.get("document") or "").strip()
    if not document:
        messages.append(_("发票或合同号为空。"))
    elif len(document) > 60:
        messages.append(_("发票或合同号超过 60 个字符。"))
    try:
        row["due_date"] = _parse_date(get.get("due_date"))
    except ValueError:
        messages.append(_("到期日格式不正确：%(v)s") % {"v": get.get("due_date") or _("（空）")})
    amount = _money(get.get("amount"), "amount", messages)
    received = _money(get.get("received"), "received", messages, blank_zero=True)
    if amount is not None and received is not None and received > amount:
        messages.append(_("已收金额 %(r)s 大于金额 %(a)s。") % {"r": received, "a": amount})
    salesperson = str(get.get("salesperson") or "").strip()[:60]
    row.update(
        debtor_name=debtor, document=document, amount=amount, received=received, salesperson_name=salesperson,
        salesperson_id=users.get(_norm(salesperson)) if salesperson else None,
        customer_id=customers.get(_norm(debtor)),
        status=ReceivableStatus.SETTLED if (amount is not None and received is not None and received >= amount)
        else ReceivableStatus.OPEN,
    )
    return row, messages


# --- plan and apply -------------------------------------------------------------------------


def _existing(*, tenant, documents) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    documents = list(documents)
    for start in range(0, len(documents), 10_000):  # bounded IN lists (SQLite's variable limit)
        chunk = documents[start:start + 10_000]
        for pk, doc, *values in Receivable.objects.filter(tenant=tenant, document__in=chunk).values_list(
                "pk", "document", *FIELDS):
            found[doc] = (pk, tuple(values))
    return found


def _values(row: dict) -> tuple:
    return tuple(row[f] for f in FIELDS)


def plan_rows(*, tenant, rows: list[dict]) -> dict:
    existing = _existing(tenant=tenant, documents=[r["document"] for r in rows])
    created, updated, unchanged = [], [], []
    for r in rows:
        old = existing.get(r["document"])
        if old is None:
            created.append(r)
        elif old[1] != _values(r):
            updated.append(r)
        else:
            unchanged.append(r)
    return {"created": created, "updated": updated, "unchanged": unchanged}


def apply_rows(*, tenant, rows: list[dict]) -> dict:
    """Upsert the file's lines by document number (call inside a transaction). Only new and
    changed lines are written; the flag fields are never in the update."""
    plan = plan_rows(tenant=tenant, rows=rows)
    write = [*plan["created"], *plan["updated"]]
    now = timezone.now()
    for start in range(0, len(write), BATCH):
        Receivable.objects.bulk_create(
            [Receivable(tenant=tenant, document=r["document"], updated_at=now, **{f: r[f] for f in FIELDS})
             for r in write[start:start + BATCH]],
            update_conflicts=True, unique_fields=["tenant", "document"], update_fields=[*FIELDS, "updated_at"],
        )
    return {"changed": bool(write), "created": len(plan["created"]), "updated": len(plan["updated"]),
            "unchanged": len(plan["unchanged"])}


def _preview(*, tenant, rows: list[dict]) -> list[dict]:
    head = rows[:PREVIEW_ROWS]
    existing = _existing(tenant=tenant, documents=[r["document"] for r in head])
    names = dict(Branch.objects.filter(tenant=tenant).values_list("pk", "name"))
    out = []
    for r in head:
        old = existing.get(r["document"])
        change = "new" if old is None else ("same" if old[1] == _values(r) else "changed")
        out.append({"row": r["row"], "document": r["document"], "debtor": r["debtor_name"],
                    "branch": names.get(r["branch_id"], ""), "salesperson": r["salesperson_name"],
                    "amount": str(r["amount"]), "received": str(r["received"]), "due_date": r["due_date"].isoformat(),
                    "change": change})
    return out


# --- services -------------------------------------------------------------------------------


def _context(tenant_id: int) -> str:
    return f"receivables.import:{tenant_id}"


def job_content(job: ReceivableImport) -> bytes:
    return decrypt_bytes(bytes(job.content), context=_context(job.tenant_id))


@transaction.atomic
def import_create(*, tenant, filename: str, content: bytes, actor, request=None,
                  schedule: bool = True) -> ReceivableImport:
    """Store the upload (encrypted) and queue its validation (``schedule=False``: the caller
    runs ``import_validate`` itself, as demo data does)."""
    job = ReceivableImport.objects.create(
        tenant=tenant, filename=filename[:200], content=encrypt_bytes(content, context=_context(tenant.pk)),
        sha256=hashlib.sha256(content).hexdigest(), created_by=actor)
    audit_record(tenant=tenant, actor=actor, verb="receivables.import_upload", obj=job,
                 after={"filename": job.filename, "sha256": job.sha256}, request=request)
    if schedule:
        from .tasks import validate_receivables_import

        transaction.on_commit(lambda: validate_receivables_import.delay(tenant.pk, job.pk))
    return job


def _fail(job: ReceivableImport, exc: BaseException) -> ReceivableImport:
    log.exception("receivables import %s failed", job.pk)
    message = _("处理文件时出错（%(err)s），没有导入任何数据。请检查文件后重新上传；如仍失败请联系管理员。") % {
        "err": type(exc).__name__}
    with transaction.atomic():
        job = ReceivableImport.objects.select_for_update().get(pk=job.pk)
        if not job.is_running:
            return job
        before = job.status
        job.status = ImportStatus.FAILED
        job.errors = [{"row": None, "messages": [message]}]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "finished_at"])
        audit_record(tenant=job.tenant, actor=None, verb="receivables.import_failed", obj=job,
                     before={"status": before}, after={"status": job.status, "error": message})
    return job


def import_validate(*, job: ReceivableImport) -> ReceivableImport:
    """PENDING -> READY (every row good) or INVALID (row errors; nothing imported)."""
    with transaction.atomic():
        job = ReceivableImport.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.PENDING:
            return job
        job.status = ImportStatus.VALIDATING
        job.save(update_fields=["status"])
    try:
        result = parse_file(tenant=job.tenant, content=job_content(job), filename=job.filename)
        with transaction.atomic():
            job = ReceivableImport.objects.select_for_update().get(pk=job.pk)
            job.total_rows = result.total
            job.errors = result.errors[:500]
            job.status = ImportStatus.READY if result.ok else ImportStatus.INVALID
            job.result = {"rows": len(result.rows), "error_rows": result.error_rows, "header_row": result.header_row,
                          "skipped_rows": result.skipped[:20]}
            if result.ok:
                job.preview = _preview(tenant=job.tenant, rows=result.rows)
                plan = plan_rows(tenant=job.tenant, rows=result.rows)
                job.result["plan"] = {k: len(v) for k, v in plan.items()}
            else:
                job.finished_at = timezone.now()
            job.save(update_fields=["total_rows", "errors", "status", "result", "preview", "finished_at"])
            audit_record(tenant=job.tenant, actor=None, verb="receivables.import_validate", obj=job,
                         after={"status": job.status, "rows": result.total, "error_rows": result.error_rows})
        return job
    except Exception as exc:
        return _fail(job, exc)


@transaction.atomic
def import_confirm(*, job: ReceivableImport, actor, request=None, schedule: bool = True) -> ReceivableImport:
    job = ReceivableImport.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.READY:
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认导入。") % {"s": job.get_status_display()},
                              code="not_ready")
    job.status = ImportStatus.APPLYING
    job.save(update_fields=["status"])
    audit_record(tenant=job.tenant, actor=actor, verb="receivables.import_confirm", obj=job,
                 before={"status": ImportStatus.READY}, after={"status": job.status}, request=request)
    if schedule:
        from .tasks import apply_receivables_import

        transaction.on_commit(lambda: apply_receivables_import.delay(job.tenant_id, job.pk))
    return job


def import_apply(*, job: ReceivableImport) -> ReceivableImport:
    """APPLYING -> DONE: re-validates the stored file (branches may have changed since the
    preview) and writes every line in one transaction, or nothing (INVALID / FAILED)."""
    if job.status != ImportStatus.APPLYING:
        return job
    try:
        result = parse_file(tenant=job.tenant, content=job_content(job), filename=job.filename)
        with transaction.atomic():
            job = ReceivableImport.objects.select_for_update().get(pk=job.pk)
            if job.status != ImportStatus.APPLYING:
                return job
            job.finished_at = timezone.now()
            job.total_rows = result.total
            if not result.ok:
                job.status = ImportStatus.INVALID
                job.errors = result.errors[:500]
                job.save(update_fields=["status", "errors", "finished_at", "total_rows"])
                return job
            outcome = apply_rows(tenant=job.tenant, rows=result.rows)
            job.status = ImportStatus.DONE
            job.result = {**job.result, **outcome}
            job.save(update_fields=["status", "total_rows", "result", "finished_at"])
            audit_record(tenant=job.tenant, actor=None, verb="receivables.import_apply", obj=job,
                         before={"status": ImportStatus.APPLYING}, after={"status": job.status, **outcome})
        return job
    except Exception as exc:
        return _fail(job, exc)


def import_file_now(*, tenant, filename: str, content: bytes, actor=None) -> tuple[ParseResult, dict | None]:
    """Validate and, if every row is good, apply at once (bench, commands)."""
    result = parse_file(tenant=tenant, content=content, filename=filename)
    if not result.ok:
        return result, None
    with transaction.atomic():
        outcome = apply_rows(tenant=tenant, rows=result.rows)
        audit_record(tenant=tenant, actor=actor, verb="receivables.import_command", object_label=filename,
                     after={"rows": result.total, **outcome})
    return result, outcome
