"""xlsx imports from other departments: HR roster, finance collections, monthly targets.

Each import is: upload (``import_create``) -> validate every row (``import_validate``,
reports progress on the job row) -> preview -> confirm (``import_apply``). Apply is
atomic and re-validates the file; a file with any bad row imports nothing. Re-importing
the same file changes nothing; a corrected file replaces the (branch, day) collections and
(branch, month) targets it lists -- never another branch's figure, unless the user chose
(and confirmed separately) to replace the whole days/months -- or the whole roster."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.crypto import decrypt_bytes, encrypt_bytes, is_encrypted
from marketing.models import Branch
from marketing.xlsx import Limits, XlsxError, read_rows

from .models import Collection, ImportJob, ImportKind, ImportStatus, MonthlyTarget, RosterEntry

log = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
PREVIEW_ROWS = 50
MAX_AMOUNT = Decimal("1000000000000")  # 10^12: the columns hold 12 digits before the point
PROGRESS_EVERY = 500

# canonical column -> accepted headers (compared after _norm: spaces, a "(元)" unit and
# "*"/":" markers removed, lower-cased). Synonyms are the names HR's and finance's own
# exports use.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    ImportKind.ROSTER: {
        "name": ("姓名", "员工姓名", "人员姓名", "名字", "name"),
        "branch": ("分公司", "所属分公司", "分公司名称", "分支机构", "所属机构", "机构", "branch"),
        "position": ("岗位", "职位", "职务", "岗位名称", "position", "title"),
        "hire_date": ("入职日期", "入职时间", "到岗日期", "hiredate", "hire_date"),
        "leave_date": ("离职日期", "离职时间", "leavedate", "leave_date"),
        "phone": ("手机", "手机号", "手机号码", "联系电话", "联系方式", "电话", "phone", "mobile"),
    },
    ImportKind.COLLECTIONS: {
        "day": ("日期", "回款日期", "到账日期", "收款日期", "date", "day"),
        "branch": ("分公司", "所属分公司", "分公司名称", "分支机构", "机构", "branch"),
        "amount": ("回款金额", "回款", "回款额", "到账金额", "收款金额", "金额", "amount"),
    },
    ImportKind.TARGETS: {
        "month": ("月份", "考核月份", "目标月份", "年月", "month"),
        "branch": ("分公司", "所属分公司", "分公司名称", "分支机构", "机构", "branch"),
        "amount": ("目标金额", "目标", "月度目标", "考核目标", "目标回款", "指标", "target", "amount"),
    },
}
OPTIONAL = {"leave_date", "phone"}
HEADER_LABELS = {
    "name": "姓名", "branch": "分公司", "position": "岗位", "hire_date": "入职日期", "leave_date": "离职日期",
    "phone": "手机", "day": "日期", "amount": "金额", "month": "月份",
}
HEADER_SEARCH_ROWS = 10  # a title row or two (merged "2026年11月回款统计表") above the header
TOTAL_LABELS = {"合计", "总计", "小计", "合计金额", "total", "sum"}  # a totals line is not a branch

# the downloadable template of each import: (header, example rows)
TEMPLATES: dict[str, tuple[list[str], list[list]]] = {
    ImportKind.ROSTER: (["姓名", "分公司", "岗位", "入职日期", "离职日期", "手机"],
                        [["张三", "上海分公司", "销售", "2025-03-01", "", "13800138000"]]),
    ImportKind.COLLECTIONS: (["日期", "分公司", "回款金额"], [["2026-11-20", "上海分公司", "12000.00"]]),
    ImportKind.TARGETS: (["月份", "分公司", "目标金额"], [["2026-11", "上海分公司", "500000.00"]]),
}


def _norm(header) -> str:
    text = "".join(str(header or "").split()).lower()
    for unit in ("（元）", "(元)", "（人民币）", "(人民币)"):
        text = text.replace(unit, "")
    return text.strip("*:：")


def _match_header(kind: str, values) -> dict[str, int]:
    spec = COLUMNS[kind]
    positions: dict[str, int] = {}
    for index, cell in enumerate(values or ()):
        name = _norm(cell)
        if not name:
            continue
        for canonical, aliases in spec.items():
            if canonical not in positions and name in {_norm(a) for a in aliases}:
                positions[canonical] = index
                break
    return positions


def template_xlsx(kind: str) -> bytes:
    """The import's template: the header the import expects, one example row, and a sheet
    that explains the columns and the accepted synonyms."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, examples = TEMPLATES[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in examples:
        ws.append(row)
    for index in range(len(header)):
        ws.column_dimensions[chr(ord("A") + index)].width = 16
    help_ws = wb.create_sheet("说明")
    help_ws.append(["列", "必填", "也接受的表头"])
    for canonical, aliases in COLUMNS[kind].items():
        help_ws.append([aliases[0], "否" if canonical in OPTIONAL else "是", "、".join(aliases[1:])])
    help_ws.append([])
    help_ws.append(["表头上方可以有一两行标题；列顺序不限；“合计/总计”行会被跳过。只读取第一个工作表。"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class ParseResult:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row": int|None, "messages": [...]}
    total: int = 0
    skipped: list[int] = field(default_factory=list)  # totals lines (合计/总计), by sheet row
    header_row: int = 1

    @property
    def ok(self) -> bool:
        return not self.errors


def _parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def _parse_month(value) -> dt.date:
    if isinstance(value, dt.datetime | dt.date):
        return dt.date(value.year, value.month, 1)
    text = str(value or "").strip()
    for fmt in ("%Y-%m", "%Y/%m", "%Y年%m月", "%Y%m"):
        try:
            d = dt.datetime.strptime(text, fmt).date()
            return d.replace(day=1)
        except ValueError:
            continue
    raise ValueError


def _parse_amount(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    text = str(value).replace(",", "").replace("，", "").strip() if value is not None else ""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError
    if not amount.is_finite():
        raise ValueError
    return amount


LIMITS = Limits(max_bytes=MAX_IMPORT_BYTES, max_rows=MAX_IMPORT_ROWS + HEADER_SEARCH_ROWS + 1000)


def parse_file(*, tenant, kind: str, content: bytes, filename: str, progress: Callable[[int, int], None] | None = None) -> ParseResult:
    """Validate every row. Returns normalised rows (branch ids, dates, Decimals) and the
    errors by spreadsheet row number. Nothing is written."""
    result = ParseResult()
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        result.errors.append({"row": None, "messages": [_("文件类型不正确：请上传 Excel .xlsx 文件。")]})
        return result
    try:
        _parse_into(result, tenant=tenant, kind=kind, content=content, progress=progress)
    except XlsxError as exc:  # refused by the bounded reader: nothing of the file counts
        result.rows = []
        result.errors.insert(0, {"row": None, "messages": [str(exc)]})
    return result


def _parse_into(result: ParseResult, *, tenant, kind: str, content: bytes, progress) -> None:
    info: dict = {}
    rows = read_rows(content, LIMITS, info=info)
    try:
        _parse_rows(result, rows, info, tenant=tenant, kind=kind, progress=progress)
    finally:
        rows.close()  # closes the workbook even when we stop early


def _parse_rows(result: ParseResult, rows, info: dict, *, tenant, kind: str, progress) -> None:
    spec = COLUMNS[kind]
    required = [c for c in spec if c not in OPTIONAL]
    positions: dict[str, int] = {}
    best: dict[str, int] = {}
    header_row = 0
    nonblank = False
    for values in rows:
        header_row += 1
        nonblank = nonblank or any(c not in (None, "") for c in (values or ()))
        found = _match_header(kind, values)
        if len(found) > len(best):
            best = found
        if all(c in found for c in required):
            positions = found
            break
        if header_row >= HEADER_SEARCH_ROWS:
            break
    if not positions and not nonblank:
        result.errors.append({"row": None, "messages": [_("文件为空：没有表头和数据。")]})
        return
    if not positions:
        missing = [HEADER_LABELS[c] for c in required if c not in best]
        result.errors.append({"row": None, "messages": [
            _("缺少必需的列：%(cols)s（在前 %(n)d 行中没有找到表头；可下载导入模板对照）") % {
                "cols": "、".join(missing), "n": HEADER_SEARCH_ROWS}]})
        return
    result.header_row = header_row
    total_guess = max(info.get("declared_rows", 0) - header_row, 0)  # a hint only: rows are counted
    branches: dict[str, int] = {}
    for pk, name, code in Branch.objects.filter(tenant=tenant).values_list("pk", "name", "code"):
        branches[_norm(name)] = pk
        branches[_norm(code)] = pk
    seen: dict[tuple, int] = {}
    row_no = header_row
    for values in rows:
        row_no += 1
        if values is None or all(v in (None, "") for v in values):
            continue
        get = {c: (values[i] if i < len(values) else None) for c, i in positions.items()}
        if _norm(get.get("branch")) in TOTAL_LABELS or (
                _norm(values[0]) in TOTAL_LABELS and not str(get.get("branch") or "").strip()):
            result.skipped.append(row_no)  # the sheet's totals line
            continue
        result.total += 1
        row, messages = _parse_row(kind, get, branches)
        if not messages:
            key = _row_key(kind, row)
            if key in seen:
                messages.append(_("与第 %(n)d 行重复。") % {"n": seen[key]})
            else:
                seen[key] = row_no
        if messages:
            result.errors.append({"row": row_no, "messages": messages})
        else:
            row["row"] = row_no
            result.rows.append(row)
        if result.total > MAX_IMPORT_ROWS:
            raise XlsxError(_("行数超过 %(n)d 行上限。") % {"n": MAX_IMPORT_ROWS})
        if progress and result.total % PROGRESS_EVERY == 0:
            progress(result.total, max(total_guess, result.total))
    if result.total == 0:
        result.errors.append({"row": None, "messages": [_("文件为空：没有数据行。")]})


def _row_key(kind: str, row: dict) -> tuple:
    if kind == ImportKind.ROSTER:
        return (row["branch_id"], row["name"], row["hire_date"])
    if kind == ImportKind.COLLECTIONS:
        return (row["branch_id"], row["day"])
    return (row["branch_id"], row["month"])


def _parse_row(kind: str, get: dict, branches: dict[str, int]) -> tuple[dict, list[str]]:
    messages: list[str] = []
    row: dict = {}
    branch_text = str(get.get("branch") or "").strip()
    if not branch_text:
        messages.append(_("分公司为空。"))
    elif _norm(branch_text) not in branches:
        messages.append(_("未知的分公司：%(b)s") % {"b": branch_text})
    else:
        row["branch_id"] = branches[_norm(branch_text)]
    if kind == ImportKind.ROSTER:
        name = str(get.get("name") or "").strip()
        position = str(get.get("position") or "").strip()
        if not name:
            messages.append(_("姓名为空。"))
        if not position:
            messages.append(_("岗位为空。"))
        row.update(name=name[:60], position=position[:40], phone=str(get.get("phone") or "").strip()[:30])
        try:
            row["hire_date"] = _parse_date(get.get("hire_date"))
        except ValueError:
            messages.append(_("入职日期格式不正确：%(v)s") % {"v": get.get("hire_date") or _("（空）")})
        leave = get.get("leave_date")
        row["leave_date"] = None
        if leave not in (None, ""):
            try:
                row["leave_date"] = _parse_date(leave)
            except ValueError:
                messages.append(_("离职日期格式不正确：%(v)s") % {"v": leave})
        if row.get("leave_date") and row.get("hire_date") and row["leave_date"] < row["hire_date"]:
            messages.append(_("离职日期早于入职日期。"))
        return row, messages
    if kind == ImportKind.COLLECTIONS:
        try:
            row["day"] = _parse_date(get.get("day"))
        except ValueError:
            messages.append(_("日期格式不正确：%(v)s") % {"v": get.get("day") or _("（空）")})
    else:
        try:
            row["month"] = _parse_month(get.get("month"))
        except ValueError:
            messages.append(_("月份格式不正确（应为 YYYY-MM）：%(v)s") % {"v": get.get("month") or _("（空）")})
    raw = get.get("amount")
    try:
        amount = _parse_amount(raw)
        if amount < 0:
            messages.append(_("金额不能为负数：%(v)s") % {"v": raw})
        elif amount >= MAX_AMOUNT:  # before quantize: 1E+30 cannot be quantized (InvalidOperation)
            messages.append(_("金额过大（上限 %(max)s）：%(v)s") % {"v": raw, "max": f"{MAX_AMOUNT:,.0f}"})
        elif amount != amount.quantize(Decimal("0.01")):
            messages.append(_("金额最多两位小数：%(v)s") % {"v": raw})
        else:
            row["amount"] = amount.quantize(Decimal("0.01"))
    except (ValueError, ArithmeticError):
        messages.append(_("金额不是数字：%(v)s") % {"v": raw if raw not in (None, "") else _("（空）")})
    return row, messages


SCOPE_KEY = {ImportKind.COLLECTIONS: "day", ImportKind.TARGETS: "month"}


def _key_text(kind: str, value: dt.date) -> str:
    return value.strftime("%Y-%m") if kind == ImportKind.TARGETS else value.isoformat()


def plan_rows(*, tenant, kind: str, rows: list[dict], replace_scope: bool = False) -> dict:
    """What applying ``rows`` changes, without writing. Collections and targets replace only
    the (branch, day) / (branch, month) pairs the file lists; with ``replace_scope`` (an
    explicit, separately confirmed choice) the other branches' figures of the file's days or
    months are deleted too. Returns the existing amounts and the pairs per outcome."""
    key = SCOPE_KEY[kind]
    model = Collection if kind == ImportKind.COLLECTIONS else MonthlyTarget
    covered = {r[key] for r in rows}
    found = model.objects.filter(tenant=tenant, **{f"{key}__in": covered}).values_list("pk", "branch_id", key, "amount")
    pks, existing = {}, {}
    for pk, b, d, a in found:
        pks[(b, d)], existing[(b, d)] = pk, a
    wanted = {(r["branch_id"], r[key]): r["amount"] for r in rows}
    others = sorted((p for p in existing if p not in wanted), key=lambda p: (p[1], p[0]))
    return {
        "existing": existing,
        "wanted": wanted,
        "created": [p for p in wanted if p not in existing],
        "updated": [p for p in wanted if p in existing and existing[p] != wanted[p]],
        "unchanged": [p for p in wanted if p in existing and existing[p] == wanted[p]],
        "others": others,  # listed nowhere in the file: kept, or deleted with replace_scope
        "other_pks": [pks[p] for p in others],
        "replace_scope": replace_scope,
    }


def _branch_names(tenant) -> dict[int, str]:
    return dict(Branch.objects.filter(tenant=tenant).values_list("pk", "name"))


def _amount_text(value) -> str | None:
    return None if value is None else format(Decimal(value).quantize(Decimal("0.01")), "f")


def _preview(*, tenant, kind: str, rows: list[dict]) -> list[dict]:
    """The first rows as a person reads them: branch names, not ids; for figures the old
    and the new amount and what the row does (new / changed / same); phones masked."""
    names = _branch_names(tenant)
    if kind == ImportKind.ROSTER:
        from customers.crypto import mask_phone

        return [{
            "row": r["row"], "branch": names.get(r["branch_id"], ""), "name": r["name"], "position": r["position"],
            "hire_date": r["hire_date"].isoformat(), "leave_date": r["leave_date"].isoformat() if r["leave_date"] else None,
            "phone": mask_phone(r["phone"]),
        } for r in rows[:PREVIEW_ROWS]]
    key = SCOPE_KEY[kind]
    plan = plan_rows(tenant=tenant, kind=kind, rows=rows[:PREVIEW_ROWS])
    out = []
    for r in rows[:PREVIEW_ROWS]:
        old = plan["existing"].get((r["branch_id"], r[key]))
        change = "new" if old is None else ("same" if old == r["amount"] else "changed")
        out.append({"row": r["row"], "branch": names.get(r["branch_id"], ""), "key": _key_text(kind, r[key]),
                    "old": _amount_text(old), "new": _amount_text(r["amount"]), "change": change})
    return out


def _plan_summary(*, tenant, kind: str, rows: list[dict]) -> dict:
    """Counts for the preview page (and the figures a whole-scope replacement would delete)."""
    if kind not in SCOPE_KEY:
        return {"replaced": RosterEntry.objects.filter(tenant=tenant).count()}
    plan = plan_rows(tenant=tenant, kind=kind, rows=rows)
    return {"created": len(plan["created"]), "updated": len(plan["updated"]), "unchanged": len(plan["unchanged"]),
            "others": len(plan["others"])}


def scope_deletions(*, job: ImportJob, limit: int = 200) -> list[dict]:
    """For the separate confirmation of "replace the whole month/day": the figures of other
    branches in the file's months/days that it would delete."""
    result = parse_file(tenant=job.tenant, kind=job.kind, content=job_content(job), filename=job.filename)
    if not result.ok or job.kind not in SCOPE_KEY:
        return []
    plan = plan_rows(tenant=job.tenant, kind=job.kind, rows=result.rows, replace_scope=True)
    names = _branch_names(job.tenant)
    return [{"branch": names.get(b, ""), "key": _key_text(job.kind, d), "amount": _amount_text(plan["existing"][(b, d)])}
            for b, d in plan["others"][:limit]]


# --- services -----------------------------------------------------------------------


def _context(tenant_id: int) -> str:
    return f"reports.import:{tenant_id}"


class FileGone(Exception):
    """The uploaded file was deleted after its retention period."""


def job_content(job: ImportJob) -> bytes:
    """The uploaded file, decrypted. Files stored before encryption was added are read as
    they are (the purge deletes them within the retention period)."""
    blob = bytes(job.content or b"")
    if job.file_purged_at is not None or not blob:
        raise FileGone(_("原始文件已按保留期限删除，请重新上传。"))
    if is_encrypted(blob):
        return decrypt_bytes(blob, context=_context(job.tenant_id))
    return blob


def _fail(job: ImportJob, exc: BaseException) -> ImportJob:
    """Any unexpected error ends the job FAILED with a message: never left running."""
    if isinstance(exc, FileGone):
        message = str(exc)
    else:
        log.exception("import job %s (%s) failed", job.pk, job.kind)
        message = _("处理文件时出错（%(err)s），没有导入任何数据。请检查文件后重新上传；如仍失败请联系管理员。") % {
            "err": type(exc).__name__}
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.is_final:
            return job
        before = job.status
        job.status = ImportStatus.FAILED
        job.errors = [{"row": None, "messages": [message]}]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "finished_at"])
        audit_record(tenant=job.tenant, actor=None, verb="reports.import_failed", obj=job,
                     before={"status": before}, after={"status": job.status, "error": message})
    return job



@transaction.atomic
def import_create(*, tenant, kind: str, filename: str, content: bytes, actor, request=None) -> ImportJob:
    if kind not in ImportKind.values:
        raise ValidationError(_("未知的数据类型。"), code="bad_kind")
    job = ImportJob.objects.create(
        tenant=tenant, kind=kind, filename=filename[:200], content=encrypt_bytes(content, context=_context(tenant.pk)),
        sha256=hashlib.sha256(content).hexdigest(), created_by=actor, heartbeat_at=timezone.now(),
    )
    audit_record(tenant=tenant, actor=actor, verb="reports.import_upload", obj=job,
                 after={"kind": kind, "filename": job.filename, "sha256": job.sha256}, request=request)
    return job


def _progress(job: ImportJob):
    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=max(total, done),
                                                   heartbeat_at=timezone.now())
    return progress


def import_validate(*, job: ImportJob) -> ImportJob:
    """Runs in a task, outside one big transaction, so the progress writes are visible.
    Ends READY, INVALID or -- on any unexpected error -- FAILED; never stays VALIDATING."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.PENDING:
            return job
        job.status = ImportStatus.VALIDATING
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])
    try:
        return _validate(job)
    except Exception as exc:
        return _fail(job, exc)


def _validate(job: ImportJob) -> ImportJob:
    result = parse_file(tenant=job.tenant, kind=job.kind, content=job_content(job), filename=job.filename,
                        progress=_progress(job))
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        job.total_rows = job.processed_rows = result.total
        job.errors = result.errors[:500]
        job.preview = _preview(tenant=job.tenant, kind=job.kind, rows=result.rows) if result.ok else []
        job.status = ImportStatus.READY if result.ok else ImportStatus.INVALID
        job.result = {"rows": len(result.rows), "error_rows": len(result.errors), "header_row": result.header_row,
                      "skipped_rows": result.skipped[:20], **_coverage(job.kind, result.rows)}
        if result.ok:
            job.result["plan"] = _plan_summary(tenant=job.tenant, kind=job.kind, rows=result.rows)
        if not result.ok:
            job.finished_at = timezone.now()
        job.save(update_fields=["total_rows", "processed_rows", "errors", "preview", "status", "result", "finished_at"])
        audit_record(tenant=job.tenant, actor=None, verb="reports.import_validate", obj=job,
                     after={"status": job.status, "rows": result.total, "error_rows": len(result.errors)})
    return job


def _coverage(kind: str, rows: list[dict]) -> dict:
    if kind == ImportKind.COLLECTIONS and rows:
        days = sorted({r["day"] for r in rows})
        return {"from": days[0].isoformat(), "to": days[-1].isoformat(), "days": len(days)}
    if kind == ImportKind.TARGETS and rows:
        months = sorted({r["month"] for r in rows})
        return {"months": [m.strftime("%Y-%m") for m in months]}
    return {}


def apply_rows(*, tenant, kind: str, rows: list[dict], replace_scope: bool = False) -> dict:
    """Write the file's figures. Call inside a transaction. Roster: the whole roster (HR's
    file is the full 通讯录). Collections/targets: only the pairs the file lists (upsert, so
    a parallel single edit cannot make it fail); ``replace_scope`` also deletes the other
    branches' figures of the file's days/months."""
    if kind == ImportKind.ROSTER:
        wanted = {(r["branch_id"], r["name"], r["position"], r["hire_date"], r["leave_date"], r["phone"]) for r in rows}
        existing_qs = RosterEntry.objects.filter(tenant=tenant)
        existing = set(existing_qs.values_list("branch_id", "name", "position", "hire_date", "leave_date", "phone"))
        if wanted == existing:
            return {"changed": False, "created": 0, "updated": 0, "unchanged": len(wanted), "deleted": 0}
        deleted = existing_qs.count()
        existing_qs.delete()
        RosterEntry.objects.bulk_create(
            [RosterEntry(tenant=tenant, branch_id=b, name=n, position=p, hire_date=h, leave_date=lv, phone=ph)
             for b, n, p, h, lv, ph in sorted(wanted, key=lambda t: (t[0], t[1], t[3]))],
            batch_size=1000,
        )
        return {"changed": True, "created": len(wanted), "updated": 0, "unchanged": 0, "deleted": deleted}
    key = SCOPE_KEY[kind]
    model = Collection if kind == ImportKind.COLLECTIONS else MonthlyTarget
    plan = plan_rows(tenant=tenant, kind=kind, rows=rows, replace_scope=replace_scope)
    write = [*plan["created"], *plan["updated"]]
    deleted = 0
    if replace_scope and plan["other_pks"]:
        deleted, _detail = model.objects.filter(tenant=tenant, pk__in=plan["other_pks"]).delete()
    if write:
        now = timezone.now()
        extra = {"updated_at": now} if model is MonthlyTarget else {}
        model.objects.bulk_create(
            [model(tenant=tenant, branch_id=b, amount=plan["wanted"][(b, d)], **{key: d}, **extra) for b, d in write],
            batch_size=1000, update_conflicts=True, unique_fields=["tenant", "branch", key],
            update_fields=["amount", *extra],
        )
    return {"changed": bool(write or deleted), "created": len(plan["created"]), "updated": len(plan["updated"]),
            "unchanged": len(plan["unchanged"]), "deleted": deleted}


@transaction.atomic
def import_confirm(*, job: ImportJob, actor, request=None, replace_scope: bool = False) -> ImportJob:
    """The user confirmed the preview: READY -> APPLYING; the task does the work.
    ``replace_scope`` (collections/targets only, confirmed separately on its own page)
    also deletes the other branches' figures of the file's days/months."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.READY:
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认导入。") % {"s": job.get_status_display()}, code="not_ready")
    if replace_scope and job.kind not in SCOPE_KEY:
        raise ValidationError(_("该数据类型没有“整月/整日替换”选项。"), code="bad_scope")
    if job.file_purged_at is not None:
        raise ValidationError(_("原始文件已按保留期限删除，请重新上传。"), code="file_gone")
    job.status = ImportStatus.APPLYING
    job.processed_rows = 0
    job.heartbeat_at = timezone.now()
    job.result = {**job.result, "replace_scope": replace_scope}
    job.save(update_fields=["status", "processed_rows", "result", "heartbeat_at"])
    audit_record(tenant=job.tenant, actor=actor, verb="reports.import_confirm", obj=job,
                 before={"status": ImportStatus.READY}, after={"status": job.status, "replace_scope": replace_scope},
                 request=request)
    from .tasks import apply_import

    transaction.on_commit(lambda: apply_import.delay(job.tenant_id, job.pk))
    return job


def import_apply(*, job: ImportJob) -> ImportJob:
    """APPLYING -> DONE. Re-validates the stored file (branches may have changed since the
    preview), then replaces the covered figures in one transaction: all or nothing. Any
    unexpected error rolls the writes back and ends the job FAILED."""
    if job.status != ImportStatus.APPLYING:
        return job
    try:
        return _apply(job)
    except Exception as exc:
        return _fail(job, exc)


def _apply(job: ImportJob) -> ImportJob:
    result = parse_file(tenant=job.tenant, kind=job.kind, content=job_content(job), filename=job.filename,
                        progress=_progress(job))
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.APPLYING:
            return job
        job.finished_at = timezone.now()
        job.processed_rows = job.total_rows = result.total
        if not result.ok:
            job.status = ImportStatus.INVALID
            job.errors = result.errors[:500]
            job.save(update_fields=["status", "errors", "finished_at", "processed_rows", "total_rows"])
            return job
        outcome = apply_rows(tenant=job.tenant, kind=job.kind, rows=result.rows,
                             replace_scope=bool(job.result.get("replace_scope")))
        job.status = ImportStatus.DONE
        job.result = {**job.result, **outcome}
        job.save(update_fields=["status", "processed_rows", "total_rows", "result", "finished_at"])
        audit_record(tenant=job.tenant, actor=None, verb="reports.import_apply", obj=job,
                     before={"status": ImportStatus.APPLYING}, after={"status": job.status, **outcome})
    return job


def import_file_now(*, tenant, kind: str, filename: str, content: bytes, actor=None,
                    replace_scope: bool = False) -> tuple[ParseResult, dict | None]:
    """For the management commands: validate and, if every row is good, apply at once."""
    result = parse_file(tenant=tenant, kind=kind, content=content, filename=filename)
    if not result.ok:
        return result, None
    with transaction.atomic():
        outcome = apply_rows(tenant=tenant, kind=kind, rows=result.rows, replace_scope=replace_scope)
        audit_record(tenant=tenant, actor=actor, verb="reports.import_command", object_label=filename,
                     after={"kind": kind, "rows": result.total, "replace_scope": replace_scope, **outcome})
    return result, outcome
