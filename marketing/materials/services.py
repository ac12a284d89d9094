"""Every write of the materials app: one function per state change, atomic, audited.

Stock never goes negative: a movement locks its material row (``select_for_update``), checks the
new balance and refuses with ``code="insufficient_stock"``; ``Material.on_hand >= 0`` is also a
database CHECK. A dispatch locks the request first, then its materials in primary-key order (two
dispatches sharing materials cannot deadlock)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.approvals.services import approval_start
from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.files import delete_on_commit, save_on_commit
from marketing.roles import Cap
from marketing.selectors import visible_branches

from . import mail
from .models import (
    DISPATCHABLE,
    MAX_QUANTITY,
    LibraryItem,
    LibraryVersion,
    Material,
    MaterialRequest,
    MaterialRequestLine,
    MovementKind,
    RequestSequence,
    RequestStatus,
    Shipment,
    StockMovement,
)
from .selectors import orderable_materials
from .uploads import validate_image, validate_library_file

MATERIAL_FIELDS = ["name", "code", "unit", "description", "active", "low_stock_threshold"]
LIBRARY_FIELDS = ["title", "category", "description", "active"]
MAX_LINES = 30


def _refuse(message: str, code: str, **params):
    raise ValidationError(message, code=code, params=params or None)


# --- materials ---------------------------------------------------------------------------------


def _material_snapshot(material: Material) -> dict:
    snap = model_snapshot(material, MATERIAL_FIELDS)
    snap["branches"] = sorted(material.branches.values_list("code", flat=True))
    snap["regions"] = sorted(material.regions.values_list("code", flat=True))
    snap["image"] = material.image.name or ""
    return snap


def _apply_material(material: Material, data: dict) -> None:
    for name in MATERIAL_FIELDS:
        if name in data:
            setattr(material, name, data[name])
    material.code = (material.code or "").strip()
    material.name = (material.name or "").strip()
    clash = Material.objects.filter(tenant_id=material.tenant_id, code=material.code).exclude(pk=material.pk)
    if clash.exists():
        raise ValidationError({"code": _("物料编码“%(c)s”已存在。") % {"c": material.code}}, code="duplicate_code")
    material.full_clean(exclude=["tenant", "image"], validate_unique=False)


def _save_material(material: Material, data: dict, image) -> None:
    if image is not None:
        validate_image(image)
        if material.image:
            delete_on_commit(material.image)
        save_on_commit(material.image, image.name, image)
    try:
        with transaction.atomic():
            material.save()
    except IntegrityError:  # the same code saved concurrently
        raise ValidationError({"code": _("物料编码“%(c)s”已存在。") % {"c": material.code}},
                              code="duplicate_code") from None
    if "branches" in data:
        material.branches.set(data["branches"])
    if "regions" in data:
        material.regions.set(data["regions"])


@transaction.atomic
def material_create(*, tenant, actor, data: dict, image=None, request=None) -> Material:
    material = Material(tenant=tenant)
    _apply_material(material, data)
    _save_material(material, data, image)
    audit_record(tenant=tenant, actor=actor, verb="materials.material_create", obj=material,
                 after=_material_snapshot(material), request=request)
    return material


@transaction.atomic
def material_update(*, material, actor, data: dict, image=None, remove_image: bool = False,
                    request=None) -> Material:
    material = Material.objects.select_for_update().get(pk=material.pk)
    before = _material_snapshot(material)
    _apply_material(material, data)
    if remove_image and image is None and material.image:
        delete_on_commit(material.image)
        material.image = ""
    _save_material(material, data, image)
    old, new = changed_fields(before, _material_snapshot(material))
    if new:
        audit_record(tenant=material.tenant, actor=actor, verb="materials.material_update", obj=material,
                     before=old, after=new, request=request)
    return material


def _move(material: Material, *, kind: str, delta: int, actor, reason: str = "", shipment=None,
          line=None) -> StockMovement:
    """One ledger row on a material the caller has locked."""
    if delta == 0:
        _refuse(_("数量不能为 0。"), "zero_quantity")
    balance = material.on_hand + delta
    if balance < 0:
        _refuse(_("%(name)s 库存不足：现有 %(have)s %(unit)s，需要 %(need)s %(unit)s。"), "insufficient_stock",
                name=material.name, have=material.on_hand, need=-delta, unit=material.unit)
    material.on_hand = balance
    material.save(update_fields=["on_hand"])
    return StockMovement.objects.create(
        tenant_id=material.tenant_id, material=material, kind=kind, delta=delta, balance_after=balance,
        reason=(reason or "")[:200], shipment=shipment, line=line, actor=actor,
    )


def _check_quantity(quantity) -> int:
    if not isinstance(quantity, int) or quantity < 1:
        _refuse(_("数量必须是正整数。"), "bad_quantity")
    if quantity > MAX_QUANTITY:
        _refuse(_("数量过大，请核对（上限 %(max)s）。"), "bad_quantity", max=MAX_QUANTITY)
    return quantity


@transaction.atomic
def stock_receive(*, material, actor, quantity: int, reason: str = "", request=None) -> StockMovement:
    """Goods into HQ stock (入库: printed, bought, returned)."""
    _check_quantity(quantity)
    material = Material.objects.select_for_update().get(pk=material.pk)
    move = _move(material, kind=MovementKind.RECEIPT, delta=quantity, actor=actor, reason=reason)
    audit_record(tenant=material.tenant, actor=actor, verb="materials.stock_receive", obj=material,
                 after={"quantity": quantity, "on_hand": material.on_hand, "reason": move.reason}, request=request)
    return move


@transaction.atomic
def stock_adjust(*, material, actor, delta: int, reason: str, request=None) -> StockMovement:
    """A stock-take correction (盘点调整), up or down, always with a reason."""
    reason = (reason or "").strip()
    if not reason:
        _refuse(_("请填写调整原因。"), "reason_required")
    if not isinstance(delta, int) or delta == 0:
        _refuse(_("调整数量不能为 0。"), "zero_quantity")
    _check_quantity(abs(delta))
    material = Material.objects.select_for_update().get(pk=material.pk)
    before = material.on_hand
    move = _move(material, kind=MovementKind.ADJUST, delta=delta, actor=actor, reason=reason)
    audit_record(tenant=material.tenant, actor=actor, verb="materials.stock_adjust", obj=material,
                 before={"on_hand": before}, after={"on_hand": material.on_hand, "delta": delta, "reason": reason},
                 request=request)
    return move


# --- requests ----------------------------------------------------------------------------------


def _next_number(tenant) -> str:
    year = timezone.localtime(timezone.now(), tenant.zone).year
    seq, _created = RequestSequence.objects.select_for_update().get_or_create(tenant=tenant, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"WL-{year}-{seq.last:05d}"


@transaction.atomic
def request_create(*, tenant, membership, actor, branch, lines, note: str = "", request=None) -> MaterialRequest:
    """A branch asks HQ for materials; submitted for approval at once. ``lines``: iterable of
    ``(material, quantity, reason)``. Every material must be one the branch may order."""
    if branch is None or not visible_branches(membership=membership).filter(pk=branch.pk, is_active=True).exists():
        _refuse(_("您不能为该分公司申请物料。"), "branch_not_allowed")
    lines = [(m, q, (r or "").strip()) for m, q, r in lines if m is not None]
    if not lines:
        _refuse(_("请至少填写一种物料。"), "no_lines")
    if len(lines) > MAX_LINES:
        _refuse(_("每张请购单最多 %(n)s 种物料。"), "too_many_lines", n=MAX_LINES)
    ids = [m.pk for m, _q, _r in lines]
    if len(set(ids)) != len(ids):
        _refuse(_("同一物料请只填一行。"), "duplicate_material")
    allowed = set(orderable_materials(branch=branch).filter(pk__in=ids).values_list("pk", flat=True))
    for material, quantity, _reason in lines:
        if material.pk not in allowed:
            _refuse(_("%(b)s 不能申请物料“%(m)s”。"), "material_not_allowed", b=branch.name, m=material.name)
        _check_quantity(quantity)
    req = MaterialRequest.objects.create(tenant=tenant, number=_next_number(tenant), branch=branch, applicant=actor,
                                         note=(note or "").strip()[:2000])
    MaterialRequestLine.objects.bulk_create([
        MaterialRequestLine(tenant=tenant, request=req, material=m, quantity=q, reason=r[:200]) for m, q, r in lines
    ])
    audit_record(tenant=tenant, actor=actor, verb="materials.request_create", obj=req,
                 after={"branch": branch.code, "note": req.note,
                        "lines": [{"material": m.code, "quantity": q, "reason": r} for m, q, r in lines]},
                 request=request)
    approval_start(document=req, actor=actor, request=request)
    return req


def _set_status(req, actor, status, verb, request=None, **extra) -> None:
    old = req.status
    req.status = status
    for k, v in extra.items():
        setattr(req, k, v)
    req.save(update_fields=["status", *extra])
    audit_record(tenant=req.tenant, actor=actor, verb=f"materials.{verb}", obj=req,
                 before={"status": old}, after={"status": status, **dict(extra.items())},
                 request=request)


# Approval hooks: called by the engine inside its transaction, the document locked.


def on_approved(req, actor) -> None:
    _set_status(req, actor, RequestStatus.APPROVED, "request_approved", approved_at=timezone.now())
    mail.notify_to_dispatch(req)


def on_rejected(req, actor, reason) -> None:
    _set_status(req, actor, RequestStatus.REJECTED, "request_rejected")


def on_withdrawn(req, actor) -> None:
    _set_status(req, actor, RequestStatus.WITHDRAWN, "request_withdrawn")


def _lock_request(req) -> MaterialRequest:
    return MaterialRequest.objects.select_for_update().select_related("tenant", "branch", "applicant").get(pk=req.pk)


@transaction.atomic
def request_dispatch(*, req, actor, quantities: dict, courier: str = "", waybill: str = "", note: str = "",
                     request=None) -> Shipment:
    """Marketing sends (part of) an approved request from HQ stock: one shipment, one stock
    movement per line sent. ``quantities``: ``{line_id: quantity}`` (0 or missing = not now)."""
    req = _lock_request(req)
    if req.status not in DISPATCHABLE:
        _refuse(_("只有审批通过且未发完的请购单可以发货（当前：%(s)s）。"), "not_dispatchable",
                s=req.get_status_display())
    lines = {line.pk: line for line in MaterialRequestLine.objects.select_for_update(of=("self",))
             .select_related("material").filter(request=req)}
    wanted = {}
    for line_id, quantity in (quantities or {}).items():
        if not quantity:
            continue
        line = lines.get(int(line_id))
        if line is None:
            _refuse(_("发货明细不属于该请购单。"), "bad_line")
        _check_quantity(quantity)
        if quantity > line.remaining:
            _refuse(_("“%(m)s”最多还可发 %(r)s。"), "over_requested", m=line.material.name, r=line.remaining)
        wanted[line.pk] = quantity
    if not wanted:
        _refuse(_("请填写本次发货数量。"), "nothing_to_dispatch")
    material_ids = sorted({lines[i].material_id for i in wanted})
    materials = {m.pk: m for m in Material.objects.select_for_update().filter(pk__in=material_ids).order_by("pk")}
    shipment = Shipment.objects.create(tenant=req.tenant, request=req, courier=(courier or "").strip()[:40],
                                       waybill=(waybill or "").strip()[:40], note=(note or "").strip()[:200],
                                       dispatched_by=actor)
    sent = []
    for line_id in sorted(wanted):
        line, quantity = lines[line_id], wanted[line_id]
        material = materials[line.material_id]
        _move(material, kind=MovementKind.DISPATCH, delta=-quantity, actor=actor,
              reason=_("%(n)s 发往 %(b)s") % {"n": req.number, "b": req.branch.name}, shipment=shipment, line=line)
        line.dispatched += quantity
        line.save(update_fields=["dispatched"])
        sent.append({"material": material.code, "quantity": quantity, "on_hand": material.on_hand})
    done = all(line.remaining == 0 for line in lines.values())
    audit_record(tenant=req.tenant, actor=actor, verb="materials.request_dispatch", obj=req,
                 after={"shipment": shipment.pk, "lines": sent, "courier": shipment.courier,
                        "waybill": shipment.waybill}, request=request)
    _set_status(req, actor, RequestStatus.DISPATCHED if done else RequestStatus.PARTIAL, "request_status",
                request=request)
    mail.notify_dispatched(req, shipment)
    return shipment


def may_receive(*, membership, req) -> bool:
    return req.applicant_id == membership.user_id or (
        membership.can(Cap.MATERIALS_REQUEST)
        and visible_branches(membership=membership).filter(pk=req.branch_id).exists()
    )


@transaction.atomic
def shipment_receive(*, shipment, membership, actor, request=None) -> Shipment:
    """The branch confirms it received a shipment (回复确认收货)."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    req = _lock_request(shipment.request)
    if not may_receive(membership=membership, req=req):
        _refuse(_("只有申请分公司可以确认收货。"), "not_branch")
    if shipment.received_at is not None:
        _refuse(_("该批物料已确认收货。"), "already_received")
    shipment.received_by, shipment.received_at = actor, timezone.now()
    shipment.save(update_fields=["received_by", "received_at"])
    audit_record(tenant=req.tenant, actor=actor, verb="materials.shipment_receive", obj=req,
                 after={"shipment": shipment.pk}, request=request)
    if req.status == RequestStatus.DISPATCHED and not req.shipments.filter(received_at__isnull=True).exists():
        _set_status(req, actor, RequestStatus.RECEIVED, "request_status", request=request)
    mail.notify_received(req, shipment, actor)
    return shipment


@transaction.atomic
def request_close(*, req, actor, reason: str, request=None) -> MaterialRequest:
    """Marketing ends an approved or partly sent request; what was not sent is not sent."""
    req = _lock_request(req)
    reason = (reason or "").strip()
    if not reason:
        _refuse(_("请填写结案原因。"), "reason_required")
    if req.status not in DISPATCHABLE:
        _refuse(_("只有待发货或部分发货的请购单可以结案。"), "not_closable")
    _set_status(req, actor, RequestStatus.CLOSED, "request_close", request=request, closed_at=timezone.now(),
                close_reason=reason[:200])
    mail.notify_closed(req)
    return req


# --- uniform templates library -----------------------------------------------------------------


def _apply_item(item: LibraryItem, data: dict) -> None:
    for name in LIBRARY_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    item.title = (item.title or "").strip()
    if LibraryItem.objects.filter(tenant_id=item.tenant_id, title=item.title).exclude(pk=item.pk).exists():
        raise ValidationError({"title": _("已有同名模板“%(t)s”。") % {"t": item.title}}, code="duplicate_title")
    item.full_clean(exclude=["tenant", "created_by"], validate_unique=False)


def _publish(item: LibraryItem, *, actor, upload, notes: str) -> LibraryVersion:
    validate_library_file(upload)
    version = LibraryVersion(tenant_id=item.tenant_id, item=item, number=item.latest_number + 1,
                             original_name=upload.name[:200], size=upload.size, notes=(notes or "").strip()[:2000],
                             published_by=actor)
    save_on_commit(version.file, upload.name, upload)
    version.save()
    item.latest_number, item.latest_published_at = version.number, version.published_at
    item.save(update_fields=["latest_number", "latest_published_at"])
    return version


@transaction.atomic
def library_item_create(*, tenant, actor, data: dict, upload, notes: str = "", request=None) -> LibraryItem:
    """A new uniform template, published at once as version 1."""
    item = LibraryItem(tenant=tenant, created_by=actor)
    _apply_item(item, data)
    item.save()
    version = _publish(item, actor=actor, upload=upload, notes=notes)
    audit_record(tenant=tenant, actor=actor, verb="materials.library_create", obj=item,
                 after={**model_snapshot(item, LIBRARY_FIELDS), "version": version.number,
                        "file": version.original_name}, request=request)
    return item


@transaction.atomic
def library_item_update(*, item, actor, data: dict, request=None) -> LibraryItem:
    item = LibraryItem.objects.select_for_update().get(pk=item.pk)
    before = model_snapshot(item, LIBRARY_FIELDS)
    _apply_item(item, data)
    item.save()
    old, new = changed_fields(before, model_snapshot(item, LIBRARY_FIELDS))
    if new:
        audit_record(tenant=item.tenant, actor=actor, verb="materials.library_update", obj=item, before=old,
                     after=new, request=request)
    return item


@transaction.atomic
def library_publish(*, item, actor, upload, notes: str = "", request=None) -> LibraryVersion:
    """A new version of a template; the older versions stay listed and downloadable."""
    item = LibraryItem.objects.select_for_update().get(pk=item.pk)
    if not item.active:
        _refuse(_("已停用的模板不能发布新版本。"), "item_inactive")
    version = _publish(item, actor=actor, upload=upload, notes=notes)
    audit_record(tenant=item.tenant, actor=actor, verb="materials.library_publish", obj=item,
                 after={"version": version.number, "file": version.original_name, "notes": version.notes},
                 request=request)
    return version
