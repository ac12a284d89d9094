"""xlsx upload of a batch of signings: the contracts import machinery (contracts/imports.py:
bounded reader, header aliases, per-row errors) with this app's rows and job. Upload ->
every row validated -> preview with per-row errors -> confirm: the stored file is validated
again and applied in ONE transaction; a file with any bad row applies nothing."""

from __future__ import annotations

import hashlib
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from contracts import imports as machinery
from marketing.audit import audit_record
from marketing.models import User

from . import services
from .models import Agreement, ImportStatus, Partner, PartnerType, SigningImport

KIND = "partners.signings"
COLUMNS = {
    "branch": ("分公司代码", "分公司", "branch"),
    "type": ("类型", "单位类型", "type"),
    "name": ("单位名称", "合作单位", "名称", "name"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
    "override": ("校验位说明", "校验位不符的说明"),
    "city": ("城市", "city"),
    "address": ("地址", "address"),
    "contacts": ("联系人及电话", "联系人", "contacts"),
    "number": ("协议编号", "number"),
    "signed_on": ("签订日期", "signed_on"),
    "starts_on": ("合作开始", "开始日期", "starts_on"),
    "ends_on": ("合作结束", "结束日期", "ends_on"),
    "salesperson": ("签约销售（用户名）", "签约销售", "salesperson"),
    "terms": ("合作条款摘要", "条款摘要", "terms"),
}
LABELS = {k: v[0] for k, v in COLUMNS.items()}
OPTIONAL = frozenset({"credit_code", "override", "city", "address", "contacts", "number", "salesperson", "terms"})
EXAMPLE = ["A1", "经销商", "示例汽车销售服务有限公司", "91350100M000100Y43", "", "上海", "上海市浦东新区示例路 1 号",
           "王经理 13800000000", "", "2026-11-02", "2026-11-02", "2027-11-01", "", "代理延保产品"]


def template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("签约")
    ws.append([LABELS[k] for k in COLUMNS])
    ws.append(EXAMPLE)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def validate(tenant, rows: list[dict], *, branch_codes: dict, **_ignored) -> tuple[list[dict], list[dict]]:
    """``branch_codes``: code -> Branch the uploader may file for. Lookups are one query each."""
    types = {t.name: t for t in PartnerType.objects.filter(tenant=tenant, is_active=True)}
    types.update({t.code: t for t in types.values()})
    codes_seen: dict[str, str] = {}
    numbers_seen: set[str] = set()
    names_in_file = {machinery.text(r.get("name")) for r in rows}
    by_code = {p.credit_code: p for p in Partner.objects.filter(
        tenant=tenant, credit_code__in=[services.creditcode.normalize(machinery.text(r.get("credit_code")))
                                        for r in rows])}
    by_name = {(p.name, p.type_id): p for p in Partner.objects.filter(tenant=tenant, name__in=names_in_file)}
    numbers = [machinery.text(r.get("number")) for r in rows if machinery.text(r.get("number"))]
    taken = set(Agreement.objects.filter(tenant=tenant, number__in=numbers).values_list("number", flat=True))
    users = {u.username: u for u in User.objects.filter(
        membership__tenant=tenant, username__in={machinery.text(r.get("salesperson")) for r in rows})}
    clean, errors = [], []
    for r in rows:
        msgs = []
        code_b = machinery.text(r.get("branch"))
        branch = branch_codes.get(code_b)
        if branch is None:
            msgs.append(_("未知分公司“%(c)s”（或不是您可代为上报的分公司）。") % {"c": code_b})
        ptype = types.get(machinery.text(r.get("type")))
        if ptype is None:
            msgs.append(_("未知类型“%(t)s”。") % {"t": machinery.text(r.get("type"))})
        name = machinery.text(r.get("name"))
        if not name:
            msgs.append(_("缺少单位名称。"))
        code, override = "", ""
        try:
            code, override = services.clean_credit_code(machinery.text(r.get("credit_code")),
                                                        machinery.text(r.get("override")))
        except ValidationError as exc:
            msgs.extend(exc.messages)
        dates = {}
        for key in ("signed_on", "starts_on", "ends_on"):
            try:
                dates[key] = machinery.parse_date(r.get(key))
            except ValueError:
                msgs.append(_("%(col)s 不是有效日期。") % {"col": LABELS[key]})
        if len(dates) == 3 and dates["ends_on"] < dates["starts_on"]:
            msgs.append(_("合作结束日期不能早于开始日期。"))
        if dates.get("signed_on") and dates["signed_on"] > timezone.localdate():
            msgs.append(_("签订日期不能晚于今天。"))
        number = machinery.text(r.get("number"))
        if number and (number in taken or number in numbers_seen):
            msgs.append(_("协议编号 %(n)s 已存在或在文件中重复。") % {"n": number})
        numbers_seen.add(number)
        if code:
            if code in codes_seen and codes_seen[code] != name:
                msgs.append(_("统一社会信用代码 %(c)s 在文件中对应了不同的单位名称。") % {"c": code})
            codes_seen[code] = name
        seller = machinery.text(r.get("salesperson"))
        if seller and seller not in users:
            msgs.append(_("未知用户名“%(u)s”。") % {"u": seller})
        if msgs:
            errors.append({"row": r["row"], "messages": msgs})
            continue
        existing = by_code.get(code) if code else by_name.get((name, ptype.pk))
        clean.append({
            "row": r["row"], "branch": branch.code, "type": ptype.name, "name": name, "credit_code": code,
            "override": override, "city": machinery.text(r.get("city")), "address": machinery.text(r.get("address")),
            "contacts": machinery.text(r.get("contacts")), "number": number, **dates,
            "salesperson": seller, "terms": machinery.text(r.get("terms")),
            "partner": existing.name if existing else "", "_partner": existing, "_branch": branch, "_type": ptype,
            "_user": users.get(seller),
        })
    return clean, errors


def apply(tenant, actor, clean: list[dict], job) -> dict:
    created_partners = 0
    for r in clean:
        partner = None
        if r["credit_code"]:
            partner = Partner.objects.filter(tenant=tenant, credit_code=r["credit_code"]).first()
        if partner is None:
            partner = Partner.objects.filter(tenant=tenant, name=r["name"], type=r["_type"]).order_by("id").first()
        new = None
        if partner is None:
            created_partners += 1
            new = {"type": r["_type"], "name": r["name"], "credit_code": r["credit_code"],
                   "credit_code_override": r["override"], "city": r["city"], "address": r["address"],
                   "contacts": r["contacts"]}
        services.signing_file(tenant=tenant, actor=actor, branch=r["_branch"], partner=partner, new_partner=new,
                              signed_on=r["signed_on"], starts_on=r["starts_on"], ends_on=r["ends_on"],
                              number=r["number"], salesperson=r["_user"], terms=r["terms"])
    return {"agreements": len(clean), "partners_created": created_partners}


machinery.register(KIND, machinery.Kind(columns=COLUMNS, labels=LABELS, validate=validate, apply=apply,
                                        optional=OPTIONAL))


def _context(membership) -> dict:
    from .selectors import filing_branches

    return {"branch_codes": {b.code: b for b in filing_branches(membership=membership)}}


@transaction.atomic
def import_upload(*, membership, actor, filename: str, content: bytes, request=None) -> SigningImport:
    tenant = membership.tenant
    parsed = machinery.check(tenant=tenant, kind=KIND, content=content, filename=filename,
                             context=_context(membership))
    job = SigningImport.objects.create(
        tenant=tenant, filename=filename[:200], content=content, sha256=hashlib.sha256(content).hexdigest(),
        created_by=actor, status=ImportStatus.READY if parsed.ok else ImportStatus.INVALID, total_rows=parsed.total,
        errors=parsed.errors[:500], preview=machinery._jsonable(parsed.rows),
        result={"rows": len(parsed.rows), "error_rows": len(parsed.errors)},
    )
    audit_record(tenant=tenant, actor=actor, verb="partners.import_upload", obj=job,
                 after={"filename": job.filename, "sha256": job.sha256, "status": job.status, "rows": parsed.total,
                        "error_rows": len(parsed.errors)}, request=request)
    return job


@transaction.atomic
def import_confirm(*, job: SigningImport, membership, actor, request=None) -> SigningImport:
    job = SigningImport.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.READY:
        raise ValidationError(_("该导入当前状态为“%(s)s”，不能确认导入。") % {"s": job.get_status_display()},
                              code="not_ready")
    parsed = machinery.check(tenant=job.tenant, kind=KIND, content=bytes(job.content), filename=job.filename,
                             context=_context(membership))
    if not parsed.ok:
        job.status, job.errors, job.finished_at = ImportStatus.INVALID, parsed.errors[:500], timezone.now()
        job.save(update_fields=["status", "errors", "finished_at"])
        audit_record(tenant=job.tenant, actor=actor, verb="partners.import_invalid", obj=job,
                     after={"error_rows": len(parsed.errors)}, request=request)
        return job
    outcome = apply(job.tenant, actor, parsed.rows, job)
    job.status, job.finished_at, job.result = ImportStatus.DONE, timezone.now(), {**job.result, **outcome}
    job.save(update_fields=["status", "finished_at", "result"])
    audit_record(tenant=job.tenant, actor=actor, verb="partners.import_apply", obj=job,
                 before={"status": ImportStatus.READY}, after={"status": job.status, **outcome}, request=request)
    return job


def error_lines(job: SigningImport) -> list[str]:
    lines = []
    for err in job.errors:
        prefix = _("第 %(n)s 行：") % {"n": err["row"]} if err.get("row") else ""
        lines.append(prefix + "；".join(err["messages"]))
    return lines
