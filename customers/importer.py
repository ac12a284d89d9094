"""Import an existing archive from xlsx: parse -> preview with per-row errors -> confirm.
Confirming re-checks every row inside one transaction and creates all of them or none.
Duplicates (same name + same phone) are refused, both inside the file and against the
archive."""

from __future__ import annotations

import io
import json
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from simple_history.utils import bulk_create_with_history

from marketing.audit import audit_record
from marketing.models import Branch
from marketing.roles import Role
from marketing.selectors import users_with_roles
from marketing.xlsx import Limits, XlsxError, read_rows

from . import services
from .crypto import phone_hash
from .forms import clean_phone_value, parse_shareholders
from .models import Customer, ImportBatch, Industry
from .stages import stage_set

log = logging.getLogger(__name__)

MAX_ROWS = 5000
READER_LIMITS = Limits(max_bytes=5 * 1024 * 1024, max_rows=MAX_ROWS * 4, max_cells=MAX_ROWS * 4 * 20, max_columns=60)
COLUMNS = [
    ("name", "客户名称"), ("industry", "行业"), ("stage", "阶段"), ("branch", "分公司"), ("owner", "负责销售"),
    ("phone", "电话"), ("address", "地址"), ("shareholders", "主要股东及股份"),
    ("characteristics", "客户特点"), ("business_situation", "经营状况"), ("tags", "标签"),
    ("lost_reason", "失败/流失原因"),
]
REQUIRED = {"name", "branch", "owner"}


def template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([label for _key, label in COLUMNS])
    ws.append(["上海某某汽车销售服务有限公司", "4S店/汽车经销商", "目标客户", "SH", "huan_sales_hz", "021-12345678",
               "上海市闵行区某某路 1 号", "张三 60%；李四 40%", "", "", "重点,4S", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _lookup_tables(tenant):
    branches = {}
    for b in Branch.objects.filter(tenant=tenant):
        branches[b.code.lower()] = b.pk
        branches[b.name.lower()] = b.pk
    owners = {}
    for u in users_with_roles(tenant=tenant, roles=[Role.SALESPERSON]):
        owners[u.username.lower()] = u.pk
        if u.full_name:
            owners.setdefault(u.full_name.lower(), u.pk)
    industries = {str(label): value for value, label in Industry.choices} | {v: v for v in Industry.values}
    return branches, owners, industries, stage_set(tenant)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_rows(*, tenant, content: bytes) -> list[dict]:
    """Every row with its cleaned values and its errors (a list of messages). The file is
    read by the shared bounded reader (marketing/xlsx.py): sizes, rows and cells capped
    before and while parsing; any refusal is a ValidationError for the form."""
    rows = read_rows(content, READER_LIMITS)
    try:
        return _parse(tenant=tenant, rows=rows)
    except XlsxError as exc:
        raise ValidationError(_("无法读取该文件：%(reason)s") % {"reason": exc}, code="bad_file") from None
    finally:
        rows.close()


def _parse(*, tenant, rows) -> list[dict]:
    header = [_cell(v) for v in next(rows, [])]
    labels = {label: key for key, label in COLUMNS}
    index = {labels[h]: i for i, h in enumerate(header) if h in labels}
    missing = [label for key, label in COLUMNS if key in REQUIRED and key not in index]
    if missing:
        raise ValidationError(
            _("表头缺少必填列：%(cols)s。请使用导入模板。") % {"cols": "、".join(missing)}, code="bad_header"
        )
    branches, owners, industries, stages = _lookup_tables(tenant)
    stage_codes = stages.lookup_labels()
    parsed: list[dict] = []
    for number, raw in enumerate(rows, start=2):
        values = {key: _cell(raw[i]) if i < len(raw) else "" for key, i in index.items()}
        if not any(values.values()):
            continue
        if len(parsed) >= MAX_ROWS:
            raise ValidationError(_("一次最多导入 %(n)s 行。") % {"n": MAX_ROWS}, code="too_many_rows")
        errors: list[str] = []
        row = {"line": number, "name": values.get("name", "")[:120], "errors": errors}
        if not row["name"]:
            errors.append(_("客户名称必填"))
        branch = branches.get(values.get("branch", "").lower())
        if branch is None:
            errors.append(_("分公司“%(v)s”不存在") % {"v": values.get("branch", "")})
        owner = owners.get(values.get("owner", "").lower())
        if owner is None:
            errors.append(_("负责销售“%(v)s”不是本公司的销售") % {"v": values.get("owner", "")})
        industry = industries.get(values.get("industry") or str(Industry.DEALER_4S.label))
        if industry is None:
            errors.append(_("行业“%(v)s”无法识别") % {"v": values.get("industry")})
        stage = stage_codes.get(values["stage"].lower()) if values.get("stage") else stages.initial
        if stage is None:
            errors.append(_("阶段“%(v)s”无法识别") % {"v": values.get("stage")})
        elif stages.needs_reason("", stage) and not values.get("lost_reason"):
            errors.append(_("阶段“%(v)s”须填写失败/流失原因") % {"v": values.get("stage")})  # S002-10
        phone = values.get("phone", "")
        try:
            phone = clean_phone_value(phone)
        except ValidationError as exc:
            errors.extend(exc.messages)
        try:
            shareholders = parse_shareholders(values.get("shareholders", "").replace("；", "\n").replace(";", "\n"))
        except ValidationError as exc:
            shareholders = []
            errors.extend(exc.messages)
        row.update({
            "branch": branch, "owner": owner, "industry": industry, "stage": stage, "phone": phone,
            "address": values.get("address", "")[:200], "shareholders": shareholders,
            "characteristics": values.get("characteristics", ""), "business_situation": values.get("business_situation", ""),
            "lost_reason": values.get("lost_reason", ""),
            "tags": [t.strip() for t in values.get("tags", "").replace("，", ",").replace("、", ",").split(",") if t.strip()],
        })
        parsed.append(row)
    _mark_duplicates(tenant=tenant, rows=parsed)
    return parsed


def _mark_duplicates(*, tenant, rows: list[dict], in_file: bool = True) -> None:
    """In-file duplicates become row errors; archive duplicates set ``db_duplicate``, which
    is recomputed at confirmation time (the archive may have changed since the preview)."""
    digests = {r["line"]: (phone_hash(r["phone"]) if r.get("phone") else "") for r in rows}
    if in_file:
        seen: dict[tuple[str, str], int] = {}
        for r in rows:
            key = (r["name"], digests[r["line"]])
            if key in seen:
                r["errors"].append(_("与第 %(n)s 行重复（名称和电话相同）") % {"n": seen[key]})
            else:
                seen[key] = r["line"]
    hashes = {d for d in digests.values() if d}
    existing = set(
        Customer.objects.filter(tenant=tenant, phone_hash__in=hashes).values_list("name", "phone_hash")
    ) if hashes else set()
    no_phone_names = [r["name"] for r in rows if not digests[r["line"]]]
    names_without_phone = set(
        Customer.objects.filter(tenant=tenant, phone_hash="", name__in=no_phone_names).values_list("name", flat=True)
    ) if no_phone_names else set()
    for r in rows:
        digest = digests[r["line"]]
        r["db_duplicate"] = bool((r["name"], digest) in existing if digest else r["name"] in names_without_phone)


@transaction.atomic
def import_preview(*, tenant, actor, file_name: str, content: bytes) -> ImportBatch:
    try:
        rows = parse_rows(tenant=tenant, content=content)
    except ValidationError:
        raise
    except Exception:  # a bug or a value nothing above expected: a form error, never a 500
        log.exception("customer import of %s failed", file_name)
        raise ValidationError(_("处理文件时出错，没有导入任何数据。请检查文件后重新上传；如仍失败请联系管理员。"),
                              code="failed") from None
    if not rows:
        raise ValidationError(_("文件中没有数据行。"), code="empty")
    batch = ImportBatch.objects.create(
        tenant=tenant, uploaded_by=actor, file_name=file_name[:200], payload=json.dumps(rows, ensure_ascii=False),
        row_count=len(rows), error_count=sum(1 for r in rows if r["errors"] or r["db_duplicate"]),
    )
    return batch


def batch_rows(batch: ImportBatch) -> list[dict]:
    return json.loads(batch.payload or "[]")


@transaction.atomic
def import_confirm(*, batch: ImportBatch, actor, request=None) -> int:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk, tenant_id=batch.tenant_id)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise ValidationError(_("该导入已处理。"), code="not_preview")
    rows = batch_rows(batch)
    # Re-check against the archive as it is now: someone may have added a duplicate since.
    _mark_duplicates(tenant=batch.tenant, rows=rows, in_file=False)
    bad = [r for r in rows if r["errors"] or r["db_duplicate"]]
    if bad:
        raise ValidationError(
            _("有 %(n)s 行存在错误，未导入任何数据。请修正后重新上传。") % {"n": len(bad)}, code="rows_invalid"
        )
    # Bulk path: thousands of rows in a few statements (history rows included), so the
    # confirmation stays a short request instead of needing a background job.
    tags = {t.name: t for t in services.tags_get_or_create(
        tenant=batch.tenant, names=sorted({n for r in rows for n in r["tags"]}))}
    objs = []
    for r in rows:
        names = sorted(set(r["tags"]))
        objs.append(Customer(
            tenant=batch.tenant, name=r["name"], industry=r["industry"], stage=r["stage"], branch_id=r["branch"],
            owner_id=r["owner"], phone=r["phone"], phone_hash=phone_hash(r["phone"]), address=r["address"],
            shareholders=r["shareholders"], characteristics=r["characteristics"],
            business_situation=r["business_situation"], lost_reason=r.get("lost_reason", ""), tag_names="、".join(names)[:300],
        ))
    created = bulk_create_with_history(objs, Customer, batch_size=500, default_user=actor)
    through = Customer.tags.through
    through.objects.bulk_create(
        [through(customer_id=c.pk, tag_id=tags[n].pk) for c, r in zip(created, rows, strict=True)
         for n in sorted(set(r["tags"]))],
        batch_size=1000,
    )
    batch.status = ImportBatch.Status.DONE
    batch.save(update_fields=["status"])
    audit_record(tenant=batch.tenant, actor=actor, verb="customers.import_confirm", obj=batch,
                 after={"rows": len(rows), "customer_ids": [c.pk for c in created]}, request=request)
    return len(rows)


@transaction.atomic
def import_discard(*, batch: ImportBatch, actor, request=None) -> None:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk, tenant_id=batch.tenant_id)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise ValidationError(_("该导入已处理。"), code="not_preview")
    batch.status = ImportBatch.Status.DISCARDED
    batch.payload = "[]"
    batch.save(update_fields=["status", "payload"])
    audit_record(tenant=batch.tenant, actor=actor, verb="customers.import_discard", obj=batch, request=request)
