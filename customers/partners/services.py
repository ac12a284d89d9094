"""Every write of the partners register. Keyword-only, atomic, row-locked where state moves,
audited, with the partner's history (PartnerEvent) written alongside. Refusals are
ValidationErrors with a code (tests pin the codes)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.concurrency import lock_or_create
from marketing.files import save_on_commit
from marketing.models import Branch, Tenant

from . import creditcode
from .models import (
    DEFAULT_TYPES,
    Agreement,
    AgreementKind,
    AgreementSequence,
    AgreementStage,
    CheckResult,
    EventKind,
    OriginalState,
    Partner,
    PartnerEvent,
    PartnerSettings,
    PartnerType,
)

PARTNER_FIELDS = ["type_id", "name", "credit_code", "credit_code_override", "city", "address", "branch_id",
                  "region_id", "salesperson_id", "contacts"]
AGREEMENT_FIELDS = ["number", "kind", "stage", "signed_on", "starts_on", "ends_on", "salesperson_id", "branch_id",
                    "terms"]
SCAN_SUFFIXES = {"pdf", "jpg", "jpeg", "png", "heic", "heif", "webp"}
SCAN_MAX_BYTES = 20 * 1024 * 1024


# --- tenant set-up ---------------------------------------------------------------------------

def ensure_default_types(tenant: Tenant) -> None:
    """经销商 and 修理厂 for a tenant that has no types of these codes yet (idempotent)."""
    have = set(PartnerType.objects.filter(tenant=tenant).values_list("code", flat=True))
    PartnerType.objects.bulk_create(
        [PartnerType(tenant=tenant, code=code, name=name, sort_order=i)
         for i, (code, name) in enumerate(DEFAULT_TYPES) if code not in have],
        ignore_conflicts=True,
    )


def settings_for(tenant: Tenant) -> PartnerSettings:
    row = PartnerSettings.objects.filter(tenant=tenant).first()
    return row or PartnerSettings(tenant=tenant)


@transaction.atomic
def settings_update(*, tenant: Tenant, actor, original_due_working_days: int, review_required: bool,
                    request=None) -> PartnerSettings:
    row, _created = lock_or_create(PartnerSettings, tenant=tenant)
    before = model_snapshot(row, ["original_due_working_days", "review_required"])
    row.original_due_working_days, row.review_required = original_due_working_days, review_required
    row.full_clean(exclude=["tenant"])
    row.save()
    audit_record(tenant=tenant, actor=actor, verb="partners.settings_update", obj=row, before=before,
                 after=model_snapshot(row, ["original_due_working_days", "review_required"]), request=request)
    return row


@transaction.atomic
def type_save(*, tenant: Tenant, actor, name: str, code: str = "", is_active: bool = True, sort_order: int = 0,
              partner_type: PartnerType | None = None, request=None) -> PartnerType:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写类型名称。"), code="type_name_required")
    if PartnerType.objects.filter(tenant=tenant, name=name).exclude(pk=getattr(partner_type, "pk", None)).exists():
        raise ValidationError(_("类型“%(name)s”已存在。"), params={"name": name}, code="duplicate_type")
    if partner_type is None:
        code = code or f"t{PartnerType.objects.filter(tenant=tenant).count() + 1}"
        while PartnerType.objects.filter(tenant=tenant, code=code).exists():
            code += "x"
        row = PartnerType.objects.create(tenant=tenant, code=code, name=name, is_active=is_active, sort_order=sort_order)
        audit_record(tenant=tenant, actor=actor, verb="partners.type_create", obj=row, after={"name": name},
                     request=request)
        return row
    row = PartnerType.objects.select_for_update().get(pk=partner_type.pk)
    before = model_snapshot(row, ["name", "is_active", "sort_order"])
    row.name, row.is_active, row.sort_order = name, is_active, sort_order
    row.save(update_fields=["name", "is_active", "sort_order"])
    audit_record(tenant=tenant, actor=actor, verb="partners.type_update", obj=row, before=before,
                 after=model_snapshot(row, ["name", "is_active", "sort_order"]), request=request)
    return row


# --- partners --------------------------------------------------------------------------------

def clean_credit_code(code: str, override: str) -> tuple[str, str]:
    """(normalized code, override reason kept). A malformed code is refused; a code failing
    only its check digit passes when ``override`` says why (never silently)."""
    code = creditcode.normalize(code)
    override = (override or "").strip()
    if not code:
        return "", ""
    problem = creditcode.check(code)
    if problem is None:
        return code, ""
    if problem is creditcode.Problem.CHECK_DIGIT:
        if override:
            return code, override
        raise ValidationError(
            _("统一社会信用代码 %(code)s 的校验位不符（应为 %(expected)s）。如确为 2016 年前核发的真实代码，请填写说明后保存。"),
            params={"code": code, "expected": creditcode.check_character(code[:17])}, code="credit_code_check_digit",
        )
    messages = {
        creditcode.Problem.LENGTH: _("统一社会信用代码应为 18 位（现为 %(n)s 位）。"),
        creditcode.Problem.ALPHABET: _("统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）。"),
        creditcode.Problem.DIVISION: _("统一社会信用代码第 3-8 位（行政区划码）应为数字。"),
    }
    raise ValidationError(messages[problem], params={"n": len(code)}, code="credit_code_format")


def _refuse_duplicate_code(tenant, code: str, exclude_pk=None) -> None:
    if not code:
        return
    other = Partner.objects.filter(tenant=tenant, credit_code=code).exclude(pk=exclude_pk).first()
    if other is not None:
        raise ValidationError(
            _("统一社会信用代码 %(code)s 已登记为“%(name)s”，请在登记册中选择该单位，不要重复登记。"),
            params={"code": code, "name": other.name}, code="duplicate_credit_code",
        )


def _check_branch(tenant, branch: Branch) -> None:
    if branch is None or branch.tenant_id != tenant.pk:
        raise ValidationError(_("分公司不属于本租户。"), code="cross_tenant")


def _event(partner, kind, *, actor, agreement=None, note: str = "") -> PartnerEvent:
    return PartnerEvent.objects.create(tenant_id=partner.tenant_id, partner=partner, agreement=agreement, kind=kind,
                                       actor=actor if getattr(actor, "pk", None) else None, note=note[:300])


@transaction.atomic
def partner_create(*, tenant: Tenant, actor, type: PartnerType, name: str, branch: Branch, credit_code: str = "",
                   credit_code_override: str = "", city: str = "", address: str = "", salesperson=None,
                   contacts: str = "", request=None) -> Partner:
    _check_branch(tenant, branch)
    if type.tenant_id != tenant.pk:
        raise ValidationError(_("类型不属于本租户。"), code="cross_tenant")
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请填写合作单位名称。"), code="name_required")
    code, override = clean_credit_code(credit_code, credit_code_override)
    _refuse_duplicate_code(tenant, code)
    partner = Partner(tenant=tenant, type=type, name=name, credit_code=code, credit_code_override=override,
                      city=(city or branch.city or "").strip(), address=(address or "").strip(), branch=branch,
                      region_id=branch.region_id, salesperson=salesperson, contacts=(contacts or "").strip(),
                      created_by=actor)
    partner.full_clean(exclude=["tenant", "created_by", "type", "branch", "region", "salesperson"])
    try:
        with transaction.atomic():
            partner.save()
    except IntegrityError as exc:  # a simultaneous registration of the same code
        raise ValidationError(_("统一社会信用代码 %(code)s 已登记。"), params={"code": code},
                              code="duplicate_credit_code") from exc
    _event(partner, EventKind.REGISTERED, actor=actor, note=override and _("校验位不符说明：%(r)s") % {"r": override})
    audit_record(tenant=tenant, actor=actor, verb="partners.partner_create", obj=partner,
                 after=model_snapshot(partner, PARTNER_FIELDS), request=request)
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, actor, data: dict, request=None) -> Partner:
    """``data``: any of type, name, credit_code, credit_code_override, city, address, branch,
    salesperson, contacts. The region follows the branch."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    before = model_snapshot(partner, PARTNER_FIELDS)
    if "credit_code" in data or "credit_code_override" in data:
        code, override = clean_credit_code(data.get("credit_code", partner.credit_code),
                                           data.get("credit_code_override", partner.credit_code_override))
        _refuse_duplicate_code(partner.tenant, code, exclude_pk=partner.pk)
        partner.credit_code, partner.credit_code_override = code, override
    if "branch" in data:
        _check_branch(partner.tenant, data["branch"])
        partner.branch, partner.region_id = data["branch"], data["branch"].region_id
    for field in ["type", "name", "city", "address", "salesperson", "contacts"]:
        if field in data:
            setattr(partner, field, data[field].strip() if isinstance(data[field], str) else data[field])
    if not partner.name:
        raise ValidationError(_("请填写合作单位名称。"), code="name_required")
    partner.full_clean(exclude=["tenant", "created_by", "type", "branch", "region", "salesperson"])
    partner.save()
    old, new = changed_fields(before, model_snapshot(partner, PARTNER_FIELDS))
    if new:
        _event(partner, EventKind.EDITED, actor=actor, note="、".join(sorted(new)))
        audit_record(tenant=partner.tenant, actor=actor, verb="partners.partner_update", obj=partner, before=old,
                     after=new, request=request)
    return partner


# --- agreements ------------------------------------------------------------------------------

def next_number(tenant: Tenant, day: dt.date) -> str:
    seq, _created = lock_or_create(AgreementSequence, tenant=tenant, year=day.year)
    while True:
        seq.last += 1
        number = f"HZ-{day.year}-{seq.last:05d}"
        if not Agreement.objects.filter(tenant=tenant, number=number).exists():
            break
    seq.save(update_fields=["last"])
    return number


def _check_scan(scan) -> None:
    name = getattr(scan, "name", "") or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in SCAN_SUFFIXES:
        raise ValidationError(_("扫描件只能是 PDF 或图片（jpg、png、heic、webp）。"), code="scan_type")
    if getattr(scan, "size", 0) > SCAN_MAX_BYTES:
        raise ValidationError(_("扫描件不能超过 20 MB。"), code="scan_too_large")


def _check_term(starts_on, ends_on, signed_on=None) -> None:
    if starts_on is None or ends_on is None:
        raise ValidationError(_("请填写合作期限的开始和结束日期。"), code="term_required")
    if ends_on < starts_on:
        raise ValidationError(_("合作结束日期（%(end)s）不能早于开始日期（%(start)s）。"),
                              params={"end": ends_on.isoformat(), "start": starts_on.isoformat()},
                              code="end_before_start")


def _refuse_duplicate_number(tenant, number: str, exclude_pk=None) -> None:
    if Agreement.objects.filter(tenant=tenant, number=number).exclude(pk=exclude_pk).exists():
        raise ValidationError(_("协议编号 %(number)s 已存在。"), params={"number": number}, code="duplicate_number")


def _attach(agreement: Agreement, scan) -> None:
    _check_scan(scan)
    save_on_commit(agreement.scan, scan.name, scan)
    agreement.scan_name = scan.name[:200]


@transaction.atomic
def agreement_create(*, partner: Partner, actor, starts_on: dt.date, ends_on: dt.date, signed_on: dt.date | None,
                     branch: Branch | None = None, salesperson=None, number: str = "", terms: str = "", scan=None,
                     draft: bool = False, request=None, _legacy_id=None, _report_id=None,
                     _skip_review: bool = False) -> Agreement:
    # _skip_review: a line of the daily report, already filed and checked by reports (S000-32).
    """A signed agreement (or, with ``draft``, a deal reported before signing). The first
    agreement of a partner is NEW, every later one a RENEWAL of the same partner."""
    from .review import refuse_unreviewed_signing

    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    tenant = partner.tenant
    branch = branch or partner.branch
    _check_branch(tenant, branch)
    _check_term(starts_on, ends_on)
    if not draft:
        if signed_on is None:
            raise ValidationError(_("请填写签订日期。"), code="signed_on_required")
        if signed_on > timezone.localdate() and not _skip_review:
            raise ValidationError(_("签订日期不能晚于今天。"), code="future_signing")
        if not _skip_review:
            refuse_unreviewed_signing(tenant=tenant)
    number = (number or "").strip() or next_number(tenant, signed_on or timezone.localdate())
    _refuse_duplicate_number(tenant, number)
    earlier = partner.agreements.filter(stage__in=[AgreementStage.SIGNED, AgreementStage.TERMINATED]).exists()
    agreement = Agreement(
        tenant=tenant, partner=partner, number=number, kind=AgreementKind.RENEWAL if earlier else AgreementKind.NEW,
        stage=AgreementStage.DRAFT if draft else AgreementStage.SIGNED, signed_on=None if draft else signed_on,
        starts_on=starts_on, ends_on=ends_on, salesperson=salesperson, branch=branch, terms=(terms or "").strip(),
        created_by=actor, legacy_signed_partner_id=_legacy_id, source_report_id=_report_id,
    )
    if scan is not None:
        _attach(agreement, scan)
    agreement.full_clean(exclude=["tenant", "partner", "created_by", "branch", "salesperson", "scan"])
    try:
        with transaction.atomic():
            agreement.save()
    except IntegrityError as exc:
        raise ValidationError(_("协议编号 %(number)s 已存在。"), params={"number": number},
                              code="duplicate_number") from exc
    if draft:
        kind = EventKind.DRAFTED
    else:
        kind = EventKind.RENEWED if agreement.kind == AgreementKind.RENEWAL else EventKind.SIGNED
    _event(partner, kind, actor=actor, agreement=agreement,
           note=f"{agreement.number} {starts_on.isoformat()}~{ends_on.isoformat()}")
    audit_record(tenant=tenant, actor=actor, verb="partners.agreement_draft" if draft else "partners.agreement_sign",
                 obj=agreement, after=model_snapshot(agreement, AGREEMENT_FIELDS), request=request)
    return agreement


def _lock(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().select_related("partner").get(pk=agreement.pk)


@transaction.atomic
def agreement_attach_scan(*, agreement: Agreement, actor, scan, request=None) -> Agreement:
    agreement = _lock(agreement)
    if agreement.stage == AgreementStage.CANCELLED:
        raise ValidationError(_("已撤销的报备不能上传扫描件。"), code="cancelled")
    old = agreement.scan_name
    _attach(agreement, scan)
    agreement.save(update_fields=["scan", "scan_name", "updated_at"])
    _event(agreement.partner, EventKind.SCAN, actor=actor, agreement=agreement, note=agreement.scan_name)
    audit_record(tenant=agreement.tenant, actor=actor, verb="partners.agreement_scan", obj=agreement,
                 before={"scan": old}, after={"scan": agreement.scan_name}, request=request)
    return agreement


@transaction.atomic
def agreement_terminate(*, agreement: Agreement, actor, terminated_on: dt.date, reason: str, request=None) -> Agreement:
    agreement = _lock(agreement)
    if agreement.stage != AgreementStage.SIGNED:
        raise ValidationError(_("只有已签订的协议可以终止。"), code="not_signed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写终止原因。"), code="reason_required")
    if terminated_on is None or (agreement.signed_on and terminated_on < agreement.signed_on):
        raise ValidationError(_("终止日期不能早于签订日期。"), code="terminated_before_signed")
    agreement.stage, agreement.terminated_on, agreement.termination_reason = (
        AgreementStage.TERMINATED, terminated_on, reason[:200])
    agreement.save(update_fields=["stage", "terminated_on", "termination_reason", "updated_at"])
    _event(agreement.partner, EventKind.TERMINATED, actor=actor, agreement=agreement,
           note=f"{agreement.number} {terminated_on.isoformat()} {reason}")
    audit_record(tenant=agreement.tenant, actor=actor, verb="partners.agreement_terminate", obj=agreement,
                 before={"stage": AgreementStage.SIGNED}, after={"stage": agreement.stage, "reason": reason},
                 request=request)
    return agreement


@transaction.atomic
def agreement_cancel(*, agreement: Agreement, actor, reason: str, request=None) -> Agreement:
    """Withdraw a draft, or a signed agreement filed by mistake whose original has not moved
    and that has no scan (e.g. a line removed from the daily report). Anything further along
    is terminated instead."""
    agreement = _lock(agreement)
    if agreement.stage == AgreementStage.CANCELLED:
        return agreement
    movable = agreement.stage == AgreementStage.DRAFT or (
        agreement.stage == AgreementStage.SIGNED and agreement.original_state == OriginalState.TO_SEND
        and not agreement.scan and not agreement.courier)
    if not movable:
        raise ValidationError(_("协议已有扫描件或原件已寄出，不能撤销，请改为终止。"), code="not_cancellable")
    before = agreement.stage
    agreement.stage = AgreementStage.CANCELLED
    agreement.save(update_fields=["stage", "updated_at"])
    _event(agreement.partner, EventKind.CANCELLED, actor=actor, agreement=agreement, note=reason)
    audit_record(tenant=agreement.tenant, actor=actor, verb="partners.agreement_cancel", obj=agreement,
                 before={"stage": before}, after={"stage": agreement.stage, "reason": reason}, request=request)
    return agreement


@transaction.atomic
def draft_sign(*, agreement: Agreement, actor, signed_on: dt.date | None = None, request=None) -> Agreement:
    """DRAFT -> SIGNED: the reported deal is the agreement, with its terms as reviewed."""
    agreement = _lock(agreement)
    if agreement.stage != AgreementStage.DRAFT:
        raise ValidationError(_("只有洽谈报备可以转为签订。"), code="not_draft")
    if not agreement.scan:
        raise ValidationError(_("请先上传已签署的协议扫描件。"), code="scan_required")
    earlier = agreement.partner.agreements.filter(
        stage__in=[AgreementStage.SIGNED, AgreementStage.TERMINATED]).exclude(pk=agreement.pk).exists()
    agreement.stage, agreement.signed_on = AgreementStage.SIGNED, signed_on or timezone.localdate()
    agreement.kind = AgreementKind.RENEWAL if earlier else AgreementKind.NEW
    agreement.save(update_fields=["stage", "signed_on", "kind", "updated_at"])
    _event(agreement.partner, EventKind.RENEWED if earlier else EventKind.SIGNED, actor=actor, agreement=agreement,
           note=_("报备转签订 %(n)s") % {"n": agreement.number})
    audit_record(tenant=agreement.tenant, actor=actor, verb="partners.draft_sign", obj=agreement,
                 before={"stage": AgreementStage.DRAFT}, after={"stage": agreement.stage}, request=request)
    return agreement


# --- the paper original ----------------------------------------------------------------------

def _refuse_unless_signed(agreement: Agreement) -> None:
    if agreement.stage not in (AgreementStage.SIGNED, AgreementStage.TERMINATED):
        raise ValidationError(_("协议尚未签订，没有纸质原件。"), code="not_signed")


@transaction.atomic
def original_send(*, agreement: Agreement, actor, courier: str, waybill: str, sent_on: dt.date,
                  request=None) -> Agreement:
    """待寄出 -> 已寄出. A second 已寄出 is refused, and so is one on an original already received."""
    agreement = _lock(agreement)
    _refuse_unless_signed(agreement)
    state = agreement.original_state
    if state == OriginalState.SENT:
        raise ValidationError(_("原件已于 %(day)s 寄出（%(courier)s %(waybill)s），不能重复登记寄出。"),
                              params={"day": agreement.sent_on, "courier": agreement.courier,
                                      "waybill": agreement.waybill}, code="already_sent")
    if state in (OriginalState.RECEIVED, OriginalState.ARCHIVED):
        raise ValidationError(_("总部已收到原件，不能再登记寄出。"), code="already_received")
    courier, waybill = (courier or "").strip(), (waybill or "").strip()
    if not courier or not waybill:
        raise ValidationError(_("请填写快递公司和运单号。"), code="courier_required")
    if sent_on is None:
        raise ValidationError(_("请填写寄出日期。"), code="sent_on_required")
    if agreement.signed_on and sent_on < agreement.signed_on:
        raise ValidationError(_("寄出日期不能早于签订日期。"), code="sent_before_signed")
    if sent_on > timezone.localdate():
        raise ValidationError(_("寄出日期不能晚于今天。"), code="future_sent_on")
    agreement.original_state = OriginalState.SENT
    agreement.courier, agreement.waybill, agreement.sent_on = courier[:40], waybill[:40], sent_on
    agreement.save(update_fields=["original_state", "courier", "waybill", "sent_on", "updated_at"])
    _event(agreement.partner, EventKind.SENT, actor=actor, agreement=agreement, note=f"{courier} {waybill}")
    audit_record(tenant=agreement.tenant, actor=actor, verb="partners.original_send", obj=agreement,
                 before={"original_state": state},
                 after={"original_state": agreement.original_state, "courier": courier, "waybill": waybill,
                        "sent_on": sent_on.isoformat()}, request=request)
    return agreement


@transaction.atomic
def original_receive(*, agreement: Agreement, actor, result: str, remarks: str = "", request=None) -> Agreement:
    """已寄出 -> 总部已收 (complete) or back to 待寄出 (missing pages / wrong copy: returned to
    the branch, whose GM is told)."""
    from marketing.notifications.services import notify
    from marketing.roles import Role
    from marketing.selectors import users_with_roles

    agreement = _lock(agreement)
    _refuse_unless_signed(agreement)
    state = agreement.original_state
    if state == OriginalState.TO_SEND:
        raise ValidationError(_("原件尚未登记寄出，不能签收。"), code="not_sent")
    if state in (OriginalState.RECEIVED, OriginalState.ARCHIVED):
        raise ValidationError(_("原件已签收，不能重复签收。"), code="already_received")
    if result not in CheckResult.values:
        raise ValidationError(_("请选择核对结果。"), code="result_required")
    remarks = (remarks or "").strip()
    if result != CheckResult.COMPLETE and not remarks:
        raise ValidationError(_("退回分公司时请在备注中说明缺什么。"), code="remarks_required")
    agreement.check_result, agreement.check_remarks = result, remarks[:200]
    agreement.received_by, agreement.received_at = actor, timezone.now()
    if result == CheckResult.COMPLETE:
        agreement.original_state = OriginalState.RECEIVED
        kind, verb = EventKind.RECEIVED, "partners.original_receive"
    else:
        agreement.original_state = OriginalState.TO_SEND
        kind, verb = EventKind.RETURNED, "partners.original_return"
    agreement.save(update_fields=["original_state", "check_result", "check_remarks", "received_by", "received_at",
                                  "updated_at"])
    _event(agreement.partner, kind, actor=actor, agreement=agreement,
           note=f"{CheckResult(result).label} {remarks}".strip())
    audit_record(tenant=agreement.tenant, actor=actor, verb=verb, obj=agreement, before={"original_state": state},
                 after={"original_state": agreement.original_state, "check_result": result, "remarks": remarks},
                 request=request)
    if kind == EventKind.RETURNED:
        gms = list(users_with_roles(tenant=agreement.tenant, roles=[Role.BRANCH_GM], branch=agreement.branch))
        notify(tenant=agreement.tenant, kind="partners.original_returned", users=gms,
               subject=_("[原件退回] 合作协议 %(n)s") % {"n": agreement.number},
               lines=[_("%(p)s 的协议 %(n)s 原件经总部核对未通过（%(r)s：%(m)s），请补齐后重新寄出。")
                      % {"p": agreement.partner.name, "n": agreement.number, "r": CheckResult(result).label,
                         "m": remarks}],
               link=f"/partners/{agreement.partner_id}/",
               dedupe_key=f"partners:returned:{agreement.pk}:{agreement.received_at.isoformat()}")
    return agreement


@transaction.atomic
def original_archive(*, agreement: Agreement, actor, location: str, request=None) -> Agreement:
    """总部已收 -> 已归档 (box / shelf)."""
    agreement = _lock(agreement)
    _refuse_unless_signed(agreement)
    state = agreement.original_state
    if state == OriginalState.ARCHIVED:
        raise ValidationError(_("原件已归档于 %(loc)s。"), params={"loc": agreement.archive_location},
                              code="already_archived")
    if state != OriginalState.RECEIVED:
        raise ValidationError(_("总部签收并核对原件后才能归档。"), code="not_received")
    location = (location or "").strip()
    if not location:
        raise ValidationError(_("请填写归档位置（档案盒/柜号）。"), code="location_required")
    agreement.original_state, agreement.archive_location, agreement.archived_at = (
        OriginalState.ARCHIVED, location[:60], timezone.now())
    agreement.save(update_fields=["original_state", "archive_location", "archived_at", "updated_at"])
    _event(agreement.partner, EventKind.ARCHIVED, actor=actor, agreement=agreement, note=location)
    audit_record(tenant=agreement.tenant, actor=actor, verb="partners.original_archive", obj=agreement,
                 before={"original_state": state},
                 after={"original_state": agreement.original_state, "location": location}, request=request)
    return agreement


# --- one line of a day's signings ------------------------------------------------------------

@transaction.atomic
def signing_file(*, tenant: Tenant, actor, branch: Branch, signed_on: dt.date, starts_on: dt.date, ends_on: dt.date,
                 partner: Partner | None = None, new_partner: dict | None = None, number: str = "",
                 salesperson=None, terms: str = "", scan=None, request=None) -> Agreement:
    """A signing reported for ``branch``: on an existing partner (a renewal never becomes a
    second dealer) or on a partner registered here. Both rows or neither."""
    _check_branch(tenant, branch)
    if partner is None:
        if not new_partner:
            raise ValidationError(_("请选择已登记的合作单位，或填写新单位资料。"), code="partner_required")
        partner = partner_create(tenant=tenant, actor=actor, branch=branch, salesperson=salesperson, request=request,
                                 **new_partner)
    elif partner.tenant_id != tenant.pk:
        raise ValidationError(_("合作单位不属于本租户。"), code="cross_tenant")
    return agreement_create(partner=partner, actor=actor, branch=branch, signed_on=signed_on, starts_on=starts_on,
                            ends_on=ends_on, salesperson=salesperson, number=number, terms=terms, scan=scan,
                            request=request)
