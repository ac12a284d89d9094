"""Every write to the archive. Keyword-only, atomic, locked, audited; history rows are
written by django-simple-history on save, attributed to ``actor``."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.notifications.models import register_kind

from .crypto import phone_hash
from .models import (
    Complaint,
    ComplaintStatus,
    Contact,
    Customer,
    CustomerUserObjectPermission,
    Tag,
    Visit,
)
from .stages import stage_set

CUSTOMER_FIELDS = [
    "name", "shareholders", "address", "phone", "characteristics", "business_situation",
    "industry", "branch", "owner", "stage", "lost_reason",
]
CONTACT_FIELDS = [
    "name", "gender", "birth_year", "education", "phone", "address", "personality", "family",
    "purchase_role", "notes",
]
VISIT_FIELDS = [
    "visited_on", "visited_by", "companions", "analyst", "visit_type", "needs", "proposal", "outcome",
    "next_step", "next_date",
]
# Personal values never go into the audit log: the audit names the field, not the value.
SECRET_FIELDS = {"phone", "address", "family"}


def _redact(snapshot: dict, secret: set[str]) -> dict:
    return {k: ("***" if k in secret and v else v) for k, v in snapshot.items()}


def _audit_change(*, obj, actor, verb, before, after, request, secret=frozenset()):
    b, a = changed_fields(before, after)
    audit_record(
        tenant=obj.tenant, actor=actor, verb=verb, obj=obj,
        before=_redact(b, set(secret)), after=_redact(a, set(secret)), request=request,
    )


def _check_stage(tenant, old: str, new: str) -> None:
    stages = stage_set(tenant)
    if old == new:
        return
    if old == "":  # a new record: any active stage
        allowed = new in {s.code for s in stages.active}
    else:
        allowed = stages.may_move(old, new)
    if not allowed:
        raise ValidationError(_("客户阶段不能从“%(old)s”直接改为“%(new)s”。"), code="bad_stage_transition",
                              params={"old": stages.label(old) if old else "—", "new": stages.label(new)})


def _check_lost_reason(tenant, old: str, new: str, reason: str) -> None:
    """S002-10: a deal that fails is analysed before the next visit -- the reason is required."""
    if stage_set(tenant).needs_reason(old, new) and not (reason or "").strip():
        raise ValidationError({"lost_reason": ValidationError(
            _("标为“%(stage)s”时请写明失败原因。"), code="lost_reason_required",
            params={"stage": stage_set(tenant).label(new)})})


def check_shareholders(rows) -> list[dict]:
    """S003-11: the main shareholders and their stakes -- each a name and a stake above 0 and at
    most 100 %, together at most 100 %; whatever the caller (form, import, API). Returns the
    rows normalised (stakes as two-decimal strings)."""
    from decimal import Decimal, InvalidOperation

    if rows in (None, ""):
        return []
    if not isinstance(rows, list):
        raise ValidationError(_("股东信息格式不对。"), code="bad_shareholder")
    out, total = [], Decimal("0")
    for number, row in enumerate(rows, start=1):
        name = str((row or {}).get("name", "")).strip() if isinstance(row, dict) else ""
        try:
            stake = Decimal(str(row.get("stake"))).quantize(Decimal("0.01")) if isinstance(row, dict) else None
        except (InvalidOperation, TypeError, ValueError):
            stake = None
        if not name:
            raise ValidationError(_("第 %(n)s 位股东没有名称。"), code="bad_shareholder", params={"n": number})
        if stake is None or not Decimal("0") < stake <= Decimal("100"):
            raise ValidationError(_("第 %(n)s 行股份必须在 0 到 100 之间。"), code="bad_stake", params={"n": number})
        total += stake
        out.append({"name": name[:60], "stake": str(stake)})
    if total > Decimal("100"):
        raise ValidationError(_("股份合计 %(t)s%% 超过 100%%。"), code="stake_total", params={"t": total})
    return out


def _save_tags(customer: Customer, tags) -> None:
    tags = sorted(tags, key=lambda t: t.name)
    customer.tags.set(tags)
    customer.tag_names = "、".join(t.name for t in tags)[:300]


@transaction.atomic
def customer_create(*, tenant, actor, data: dict, tags=(), request=None) -> Customer:
    data = dict(data)
    if not data.get("stage"):
        data["stage"] = stage_set(tenant).initial
    _check_stage(tenant, "", data["stage"])
    _check_lost_reason(tenant, "", data["stage"], data.get("lost_reason", ""))
    if "shareholders" in data:
        data["shareholders"] = check_shareholders(data["shareholders"])
    customer = Customer(tenant=tenant, **{k: data[k] for k in CUSTOMER_FIELDS if k in data})
    customer.phone_hash = phone_hash(customer.phone)
    tags = sorted(tags, key=lambda t: t.name)
    customer.tag_names = "、".join(t.name for t in tags)[:300]
    customer._history_user = actor
    customer.save()
    if tags:
        customer.tags.set(tags)
    audit_record(
        tenant=tenant, actor=actor, verb="customers.customer_create", obj=customer,
        after=_redact(model_snapshot(customer, CUSTOMER_FIELDS), SECRET_FIELDS), request=request,
    )
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor, data: dict, tags=None, request=None) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk, tenant_id=customer.tenant_id)
    before = model_snapshot(customer, CUSTOMER_FIELDS + ["tag_names"])
    if "stage" in data:
        _check_stage(customer.tenant, customer.stage, data["stage"])
        _check_lost_reason(customer.tenant, customer.stage, data["stage"], data.get("lost_reason", customer.lost_reason))
    if "shareholders" in data:
        data = dict(data, shareholders=check_shareholders(data["shareholders"]))
    for key in CUSTOMER_FIELDS:
        if key in data:
            setattr(customer, key, data[key])
    customer.phone_hash = phone_hash(customer.phone)
    if tags is not None:
        _save_tags(customer, tags)
    after = model_snapshot(customer, CUSTOMER_FIELDS + ["tag_names"])
    if before == after:
        return customer
    customer._history_user = actor
    customer.save()
    _audit_change(
        obj=customer, actor=actor, verb="customers.customer_update", before=before, after=after,
        request=request, secret=SECRET_FIELDS,
    )
    return customer


@transaction.atomic
def customer_reassign(*, customer: Customer, actor, owner, request=None) -> Customer:
    """A salesperson leaves: the record moves to another owner, its history stays whole."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk, tenant_id=customer.tenant_id)
    if owner.pk == customer.owner_id:
        raise ValidationError(_("新负责人与当前负责人相同。"), code="same_owner")
    old = customer.owner_id
    customer.owner = owner
    customer._history_user = actor
    customer.save(update_fields=["owner", "updated_at"])
    audit_record(
        tenant=customer.tenant, actor=actor, verb="customers.customer_reassign", obj=customer,
        before={"owner": old}, after={"owner": owner.pk}, request=request,
    )
    return customer


@transaction.atomic
def customers_reassign_all(*, tenant, actor, from_user, to_user, request=None) -> int:
    """Move every customer of a departing salesperson; each move is its own history row."""
    moved = 0
    for customer in Customer.objects.select_for_update().filter(tenant=tenant, owner=from_user):
        customer_reassign(customer=customer, actor=actor, owner=to_user, request=request)
        moved += 1
    return moved


# --- contacts and visits -----------------------------------------------------------------


@transaction.atomic
def contact_create(*, customer: Customer, actor, data: dict, request=None) -> Contact:
    contact = Contact(tenant_id=customer.tenant_id, customer=customer, **{k: data[k] for k in CONTACT_FIELDS if k in data})
    contact.phone_hash = phone_hash(contact.phone)
    contact._history_user = actor
    contact.save()
    audit_record(
        tenant=customer.tenant, actor=actor, verb="customers.contact_create", obj=contact,
        object_label=f"{customer.name} / {contact.name}", request=request,
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor, data: dict, request=None) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk, tenant_id=contact.tenant_id)
    before = model_snapshot(contact, CONTACT_FIELDS)
    for key in CONTACT_FIELDS:
        if key in data:
            setattr(contact, key, data[key])
    after = model_snapshot(contact, CONTACT_FIELDS)
    if before == after:
        return contact
    contact.phone_hash = phone_hash(contact.phone)
    contact._history_user = actor
    contact.save()
    _audit_change(
        obj=contact, actor=actor, verb="customers.contact_update", before=before, after=after,
        request=request, secret=SECRET_FIELDS,
    )
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor, request=None) -> None:
    contact = Contact.objects.select_for_update().get(pk=contact.pk, tenant_id=contact.tenant_id)
    contact._history_user = actor
    audit_record(tenant=contact.tenant, actor=actor, verb="customers.contact_delete", obj=contact, request=request)
    contact.delete()


def _check_analyst(tenant_id, analyst) -> None:
    """S002-07: the analyst named on a visit is an active member of the customer's tenant."""
    if analyst is None:
        return
    from marketing.models import Membership

    if not Membership.objects.filter(tenant_id=tenant_id, user_id=analyst.pk, is_active=True).exists():
        raise ValidationError(_("分析师必须是本公司的在职成员。"), code="analyst_not_member")


@transaction.atomic
def visit_create(*, customer: Customer, actor, data: dict, request=None) -> Visit:
    _check_analyst(customer.tenant_id, data.get("analyst"))
    visit = Visit(tenant_id=customer.tenant_id, customer=customer, **{k: data[k] for k in VISIT_FIELDS if k in data})
    visit._history_user = actor
    visit.save()
    audit_record(tenant=customer.tenant, actor=actor, verb="customers.visit_create", obj=visit, request=request)
    return visit


@transaction.atomic
def visit_update(*, visit: Visit, actor, data: dict, request=None) -> Visit:
    visit = Visit.objects.select_for_update().get(pk=visit.pk, tenant_id=visit.tenant_id)
    if "analyst" in data and data["analyst"] is not None and data["analyst"].pk != visit.analyst_id:
        _check_analyst(visit.tenant_id, data["analyst"])
    before = model_snapshot(visit, VISIT_FIELDS)
    for key in VISIT_FIELDS:
        if key in data:
            setattr(visit, key, data[key])
    after = model_snapshot(visit, VISIT_FIELDS)
    if before == after:
        return visit
    visit._history_user = actor
    visit.save()
    _audit_change(obj=visit, actor=actor, verb="customers.visit_update", before=before, after=after, request=request)
    return visit


# --- tags ----------------------------------------------------------------------------------


@transaction.atomic
def tags_get_or_create(*, tenant, names: list[str]) -> list[Tag]:
    names = sorted({n.strip()[:30] for n in names if n and n.strip()})
    existing = {t.name: t for t in Tag.objects.filter(tenant=tenant, name__in=names)}
    missing = [Tag(tenant=tenant, name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(tenant=tenant, name__in=names)}
    return [existing[n] for n in names]


# --- shares and temporary grants ------------------------------------------------------------


def _view_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="customers", codename="view_customer")


def _check_same_tenant(customer: Customer, user) -> None:
    from marketing.models import Membership

    if not Membership.objects.filter(tenant_id=customer.tenant_id, user_id=user.pk, is_active=True).exists():
        # Another tenant's user: refuse as if the user did not exist.
        raise ValidationError(_("找不到该用户。"), code="user_not_in_tenant")


@transaction.atomic
def customer_share(*, customer: Customer, actor, user, request=None) -> CustomerUserObjectPermission:
    """Share a customer with a colleague (no expiry) until the share is revoked."""
    _check_same_tenant(customer, user)
    if user.pk == customer.owner_id:
        raise ValidationError(_("不能共享给客户的负责人本人。"), code="share_to_owner")
    perm = _view_permission()
    row = (
        CustomerUserObjectPermission.all_grants.select_for_update()
        .filter(tenant_id=customer.tenant_id, user=user, permission=perm, content_object=customer)
        .first()
    )
    if row is None:
        row = CustomerUserObjectPermission.all_grants.create(
            tenant_id=customer.tenant_id, user=user, permission=perm, content_object=customer, granted_by=actor
        )
    elif row.expires_at is not None:
        row.expires_at, row.granted_by = None, actor
        row.save(update_fields=["expires_at", "granted_by"])
    else:
        raise ValidationError(_("该客户已共享给此用户。"), code="already_shared")
    audit_record(
        tenant=customer.tenant, actor=actor, verb="customers.customer_share", obj=customer,
        after={"user": user.pk}, request=request,
    )
    return row


@transaction.atomic
def grant_create(*, customer: Customer, actor, user, days: int, request=None) -> CustomerUserObjectPermission:
    """A temporary read grant (approved access request). Renewing extends the same row;
    an existing permanent share is left as it is."""
    _check_same_tenant(customer, user)
    if not 1 <= int(days) <= 365:
        raise ValidationError(_("授权天数必须在 1 到 365 之间。"), code="bad_days")
    expires = timezone.now() + timedelta(days=int(days))
    perm = _view_permission()
    row = (
        CustomerUserObjectPermission.all_grants.select_for_update()
        .filter(tenant_id=customer.tenant_id, user=user, permission=perm, content_object=customer)
        .first()
    )
    if row is None:
        try:
            with transaction.atomic():
                row = CustomerUserObjectPermission.all_grants.create(
                    tenant_id=customer.tenant_id, user=user, permission=perm, content_object=customer,
                    granted_by=actor, expires_at=expires,
                )
        except IntegrityError:
            # A concurrent grant for the same user and customer won the insert: extend that row.
            row = (
                CustomerUserObjectPermission.all_grants.select_for_update()
                .get(tenant_id=customer.tenant_id, user=user, permission=perm, content_object=customer)
            )
    if row.expires_at is not None and row.expires_at < expires:
        row.expires_at, row.granted_by = expires, actor
        row.save(update_fields=["expires_at", "granted_by"])
    audit_record(
        tenant=customer.tenant, actor=actor, verb="customers.grant_create", obj=customer,
        after={"user": user.pk, "expires_at": row.expires_at}, request=request,
    )
    return row


@transaction.atomic
def grant_revoke(*, grant: CustomerUserObjectPermission, actor, request=None) -> None:
    grant = CustomerUserObjectPermission.all_grants.select_for_update().select_related("content_object").get(
        pk=grant.pk, tenant_id=grant.tenant_id
    )
    audit_record(
        tenant=grant.content_object.tenant, actor=actor, verb="customers.grant_revoke", obj=grant.content_object,
        before={"user": grant.user_id, "expires_at": grant.expires_at}, request=request,
    )
    grant.delete()


@transaction.atomic
def grants_purge_expired(*, tenant, now=None) -> int:
    """Delete grants past their expiry. Idempotent; reads never depended on it."""
    now = now or timezone.now()
    deleted, _detail = CustomerUserObjectPermission.all_grants.filter(
        tenant=tenant, expires_at__isnull=False, expires_at__lte=now
    ).delete()
    return deleted


# --- complaints (S001-27) ----------------------------------------------------------------------

register_kind("customers.complaint", _lazy("客户投诉"))

COMPLAINT_FIELDS = ["received_on", "complainant", "content", "department", "handler"]


@transaction.atomic
def complaint_create(*, customer: Customer, actor, data: dict, request=None) -> Complaint:
    from django.urls import reverse

    from marketing.notifications.services import notify

    complaint = Complaint(tenant_id=customer.tenant_id, customer=customer, recorded_by=actor,
                          **{k: data[k] for k in COMPLAINT_FIELDS})
    complaint.save()
    audit_record(tenant=customer.tenant, actor=actor, verb="customers.complaint_create", obj=complaint,
                 after={"customer": customer.pk, "department": complaint.department, "handler": complaint.handler_id},
                 request=request)
    # The handler may not read the archive: the message names the complaint, not the customer.
    notify(tenant=customer.tenant, kind="customers.complaint", users=[complaint.handler],
           subject=_("【客户投诉】请跟进处理（%(dept)s）") % {"dept": complaint.get_department_display()},
           lines=[_("投诉日期 %(day)s，记录人 %(who)s。") % {"day": complaint.received_on,
                                                        "who": actor.display_name}],
           link=reverse("customers:complaints") + f"?status=open&handler={complaint.handler_id}")
    return complaint


@transaction.atomic
def complaint_close(*, complaint: Complaint, actor, outcome: str, closed_on, request=None) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk, tenant_id=complaint.tenant_id)
    if complaint.status == ComplaintStatus.CLOSED:
        raise ValidationError(_("该投诉已办结。"), code="already_closed")
    if not (outcome or "").strip():
        raise ValidationError({"outcome": ValidationError(_("请填写处理结果。"), code="outcome_required")})
    if closed_on < complaint.received_on:
        raise ValidationError({"closed_on": ValidationError(_("办结日期不能早于投诉日期。"),
                                                            code="closed_before_received")})
    complaint.status, complaint.outcome, complaint.closed_on = ComplaintStatus.CLOSED, outcome.strip(), closed_on
    complaint.save(update_fields=["status", "outcome", "closed_on"])
    audit_record(tenant=complaint.tenant, actor=actor, verb="customers.complaint_close", obj=complaint,
                 before={"status": ComplaintStatus.OPEN}, after={"status": complaint.status, "outcome": complaint.outcome},
                 request=request)
    return complaint
