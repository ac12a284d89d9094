"""xlsx uploads of contracts/, the same shape as the reports imports: upload -> every row
validated -> preview with per-row errors -> confirm. Confirm re-reads the stored file and
applies it in ONE transaction; a file with any bad row applies nothing. Files are small
(a price list, a register of a few thousand numbers), so validation runs in the request.

Each kind declares its columns (accepted headers) and two functions: ``validate(tenant, rows)
-> (clean_rows, errors)`` and ``apply(tenant, actor, clean_rows, job) -> result``."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.xlsx import Limits, XlsxError, read_rows

from .models import ContractImportJob, ImportStatus

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
PREVIEW_ROWS = 50


class FileError(Exception):
    pass


def norm(header) -> str:
    return "".join(str(header or "").split()).lower()


def parse_date(value) -> dt.date:
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


def parse_decimal(value) -> Decimal:
    if isinstance(value, bool) or value in (None, ""):
        raise ValueError
    try:
        amount = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValueError
    if not amount.is_finite():
        raise ValueError
    return amount


def parse_int(value) -> int:
    amount = parse_decimal(value)
    if amount != amount.to_integral_value():
        raise ValueError
    return int(amount)


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass
class Kind:
    columns: dict[str, tuple[str, ...]]  # canonical -> accepted headers
    labels: dict[str, str]
    validate: Callable  # (tenant, rows: list[dict]) -> (clean: list[dict], errors: list[dict])
    apply: Callable  # (tenant, actor, clean, job) -> dict
    optional: frozenset = frozenset()
    sheet: str = ""  # read this sheet when the workbook has it (e.g. 明细 of our own export), else the first


KINDS: dict[str, Kind] = {}


def register(kind: str, spec: Kind) -> None:
    KINDS[kind] = spec


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def read(kind: str, content: bytes, filename: str) -> Parsed:
    """The first sheet's rows as dicts by canonical column, each with its sheet row number."""
    spec = KINDS[kind]
    parsed = Parsed()
    if not content:
        parsed.errors.append({"row": None, "messages": [_("文件为空。")]})
        return parsed
    if len(content) > MAX_BYTES:
        parsed.errors.append({"row": None, "messages": [_("文件超过 5 MB 上限。")]})
        return parsed
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        parsed.errors.append({"row": None, "messages": [_("文件类型不正确：请上传 Excel .xlsx 文件。")]})
        return parsed
    # the shared bounded reader (marketing/xlsx.py): size caps before parsing, <dimension> ignored
    rows = read_rows(content, Limits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS * 4 + 10), sheet=spec.sheet or None)
    try:
        header = next(rows, None)
        if header is None or not any(c not in (None, "") for c in header):
            parsed.errors.append({"row": None, "messages": [_("文件为空：没有表头和数据。")]})
            return parsed
        positions: dict[str, int] = {}
        for index, cell in enumerate(header):
            name = norm(cell)
            for canonical, aliases in spec.columns.items():
                if canonical not in positions and name in {norm(a) for a in aliases}:
                    positions[canonical] = index
        missing = [spec.labels[c] for c in spec.columns if c not in positions and c not in spec.optional]
        if missing:
            parsed.errors.append({"row": None, "messages": [_("缺少必需的列：%(cols)s") % {"cols": "、".join(missing)}]})
            return parsed
        row_no = 1
        for values in rows:
            row_no += 1
            if values is None or all(v in (None, "") for v in values):
                continue
            parsed.total += 1
            if parsed.total > MAX_ROWS:
                parsed.errors.append({"row": None, "messages": [_("行数超过 %(n)d 行上限。") % {"n": MAX_ROWS}]})
                return parsed
            row = {c: (values[i] if i < len(values) else None) for c, i in positions.items()}
            row["row"] = row_no
            parsed.rows.append(row)
        if parsed.total == 0:
            parsed.errors.append({"row": None, "messages": [_("文件为空：没有数据行。")]})
    except XlsxError as exc:
        parsed.rows = []
        parsed.errors.insert(0, {"row": None, "messages": [str(exc)]})
    finally:
        rows.close()
    return parsed


def check(*, tenant, kind: str, content: bytes, filename: str, context: dict | None = None) -> Parsed:
    """Read and validate every row. Nothing is written."""
    parsed = read(kind, content, filename)
    if not parsed.ok:
        return parsed
    clean, errors = KINDS[kind].validate(tenant, parsed.rows, **(context or {}))
    return Parsed(rows=clean, errors=sorted(errors, key=lambda e: (e["row"] or 0)), total=parsed.total)


def _jsonable(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows[:PREVIEW_ROWS]:
        out.append({k: (format(v, "f") if isinstance(v, Decimal) else v.isoformat() if isinstance(v, dt.date)
                        else v if isinstance(v, int | str | type(None)) else str(v))
                    for k, v in r.items() if not k.startswith("_")})
    return out


@transaction.atomic
def import_upload(*, tenant, kind: str, filename: str, content: bytes, actor, target_id=None, context=None,
                  request=None) -> ContractImportJob:
    """Store the file and its validation: READY (preview) or INVALID (per-row errors)."""
    if kind not in KINDS:
        raise ValidationError(_("未知的数据类型。"), code="bad_kind")
    parsed = check(tenant=tenant, kind=kind, content=content, filename=filename, context=context)
    job = ContractImportJob.objects.create(
        tenant=tenant, kind=kind, filename=filename[:200], content=content,
        sha256=hashlib.sha256(content).hexdigest(), created_by=actor, target_id=target_id,
        status=ImportStatus.READY if parsed.ok else ImportStatus.INVALID, total_rows=parsed.total,
        errors=parsed.errors[:500], preview=_jsonable(parsed.rows),
        result={"rows": len(parsed.rows), "error_rows": len(parsed.errors)},
    )
    audit_record(tenant=tenant, actor=actor, verb="contracts.import_upload", obj=job,
                 after={"kind": kind, "filename": job.filename, "sha256": job.sha256, "status": job.status,
                        "rows": parsed.total, "error_rows": len(parsed.errors)}, request=request)
    return job


@transaction.atomic
def import_confirm(*, job: ContractImportJob, actor, context=None, request=None) -> ContractImportJob:
    """READY -> DONE, all or nothing. The file is validated again inside the transaction (the
    ledger may have moved since the preview); any bad row turns the job INVALID instead."""
    job = ContractImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.READY:
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认导入。") % {"s": job.get_status_display()},
                              code="not_ready")
    parsed = check(tenant=job.tenant, kind=job.kind, content=bytes(job.content), filename=job.filename,
                   context=context)
    if not parsed.ok:
        job.status, job.errors, job.finished_at = ImportStatus.INVALID, parsed.errors[:500], timezone.now()
        job.save(update_fields=["status", "errors", "finished_at"])
        audit_record(tenant=job.tenant, actor=actor, verb="contracts.import_invalid", obj=job,
                     after={"error_rows": len(parsed.errors)}, request=request)
        return job
    outcome = KINDS[job.kind].apply(job.tenant, actor, parsed.rows, job)
    job.status, job.finished_at = ImportStatus.DONE, timezone.now()
    job.result = {**job.result, **outcome}
    job.save(update_fields=["status", "finished_at", "result"])
    audit_record(tenant=job.tenant, actor=actor, verb="contracts.import_apply", obj=job,
                 before={"status": ImportStatus.READY}, after={"status": job.status, **outcome}, request=request)
    return job


def run_file(*, tenant, kind: str, path, actor, context=None) -> tuple[ContractImportJob, Parsed | None]:
    """For the management commands: upload + confirm in one go; the whole file or nothing."""
    with open(path, "rb") as fh:
        content = fh.read()
    name = str(path).rsplit("/", 1)[-1]
    job = import_upload(tenant=tenant, kind=kind, filename=name, content=content, actor=actor, context=context)
    if job.status == ImportStatus.READY:
        job = import_confirm(job=job, actor=actor, context=context)
    return job, None


def error_lines(job: ContractImportJob) -> list[str]:
    lines = []
    for err in job.errors:
        prefix = _("第 %(n)s 行：") % {"n": err["row"]} if err.get("row") else ""
        lines.append(prefix + "；".join(err["messages"]))
    return lines
