"""Read side of the confidentiality rules: the access log, the hourly read alert, and the
access request (客户档案查阅申请) that ends in a temporary grant.

``log_reads`` is called by every read path (detail, history, export, print, phone search)
inside the request. It writes one row per customer with one INSERT, then checks the
user's reads of the last hour against the tenant's threshold; crossing it claims a
``ReadAlert`` row for (user, clock hour) and queues one e-mail per general manager in the
outbox, in the same transaction (sent by the worker after commit)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from marketing.audit import audit_record, client_ip
from marketing.models import Membership
from marketing.notifications.models import Kind
from marketing.notifications.services import notify
from marketing.roles import Role
from marketing.selectors import users_with_roles

from .models import (
    AccessAction,
    AccessRequestStatus,
    Customer,
    CustomerAccessLog,
    CustomerAccessRequest,
    ReadAlert,
)
from .selectors import customer_reach, reads_in_last_hour


def log_reads(*, tenant, user, customers, action: str, request=None, now=None) -> int:
    now = now or timezone.now()
    ip = client_ip(request)
    agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    rows = [
        CustomerAccessLog(
            tenant=tenant, user=user, customer_id=getattr(c, "pk", c), action=action, at=now,
            ip_address=ip, user_agent=agent,
        )
        for c in customers
    ]
    if not rows:
        return 0
    CustomerAccessLog.objects.bulk_create(rows)
    check_read_alert(tenant=tenant, user=user, now=now)
    return len(rows)


def check_read_alert(*, tenant, user, now=None) -> ReadAlert | None:
    now = now or timezone.now()
    count = reads_in_last_hour(tenant=tenant, user=user, now=now)
    if count <= tenant.customer_read_alert_per_hour:
        return None
    hour = now.replace(minute=0, second=0, microsecond=0)
    if ReadAlert.objects.filter(tenant=tenant, user=user, hour=hour).exists():
        return None
    local = timezone.localtime(now, tenant.zone)
    try:
        with transaction.atomic():  # the claim, its audit row and the queued e-mails: all or nothing
            alert = ReadAlert.objects.create(tenant=tenant, user=user, hour=hour, reads=count)
            audit_record(
                tenant=tenant, actor=user, verb="customers.read_alert", object_label=str(user),
                after={"reads_last_hour": count, "threshold": tenant.customer_read_alert_per_hour},
            )
            with override(settings.LANGUAGE_CODE):
                _queue_read_alert(tenant=tenant, user=user, alert=alert, count=count, local=local)
    except IntegrityError:
        return None  # another request claimed this hour's alert first
    return alert


def _queue_read_alert(*, tenant, user, alert, count, local) -> None:
    notify(
        tenant=tenant, kind=Kind.READ_ALERT, users=users_with_roles(tenant=tenant, roles=[Role.GENERAL_MANAGER]),
        subject=_("客户档案超量查阅告警：%(user)s") % {"user": user.display_name},
        lines=[_("%(user)s 在 %(time)s 前一小时内查阅客户档案 %(count)s 次，超过阈值 %(limit)s 次。") % {
            "user": user.display_name, "time": local.strftime("%Y-%m-%d %H:%M"), "count": count,
            "limit": tenant.customer_read_alert_per_hour,
        }, _("请在“客户档案访问日志”中按用户查看明细。")],
        link=reverse("customers:access_log") + "?" + urlencode({"user": user.pk, "since": local.date().isoformat()}),
        link_label=_("查看访问日志"), dedupe_key=f"read-alert:{alert.pk}",
    )


# --- access requests ---------------------------------------------------------------------------


@transaction.atomic
def log_request_lookup(*, tenant, user, by: str, customer, request=None) -> None:
    """An access-request form searched the archive by name or phone. Audited hit or miss (no
    personal values); a phone hit also goes to the customer access log as a phone lookup."""
    audit_record(tenant=tenant, actor=user, verb="customers.access_request_lookup",
                 after={"by": by, "found": customer is not None}, request=request,
                 object_label=str(_("查阅申请：查找客户")))
    if customer is not None and by == "phone":
        log_reads(tenant=tenant, user=user, customers=[customer], action=AccessAction.PHONE_SEARCH, request=request)


@transaction.atomic
def access_request_submit(*, tenant, actor, customer: Customer, reason: str, days: int | None = None,
                          request=None) -> CustomerAccessRequest:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError(_("请写明查阅事由（至少 4 个字）。"), code="reason_required")
    days = int(days or tenant.customer_grant_days)
    if not 1 <= days <= 365:
        raise ValidationError(_("授权天数必须在 1 到 365 之间。"), code="bad_days")
    membership = Membership.objects.select_related("tenant").get(tenant=tenant, user=actor)
    if customer_reach(membership=membership).filter(pk=customer.pk).exists():
        raise ValidationError(_("你已可以查阅该客户档案，无需申请。"), code="already_readable")
    if CustomerAccessRequest.objects.filter(
        tenant=tenant, applicant=actor, customer=customer, status=AccessRequestStatus.PENDING
    ).exists():
        raise ValidationError(_("你对该客户已有一份审批中的申请。"), code="duplicate_request")
    doc = CustomerAccessRequest.objects.create(
        tenant=tenant, customer=customer, applicant=actor, reason=reason, days=days
    )
    audit_record(tenant=tenant, actor=actor, verb="customers.access_request_submit", obj=doc,
                 after={"customer": customer.pk, "days": days}, request=request)
    from .approval import start_approval

    start_approval(document=doc, actor=actor, request=request)
    return doc


def _lock(doc: CustomerAccessRequest) -> CustomerAccessRequest:
    doc = CustomerAccessRequest.objects.select_for_update().get(pk=doc.pk, tenant_id=doc.tenant_id)
    if doc.status != AccessRequestStatus.PENDING:
        raise ValidationError(_("该申请已处理，不能重复操作。"), code="not_pending")
    return doc


@transaction.atomic
def access_request_approve(*, doc: CustomerAccessRequest, actor, note: str = "", request=None) -> CustomerAccessRequest:
    """Called by the approval chain when its last step approves (inside its transaction)."""
    from .services import grant_create

    doc = _lock(doc)
    if actor is not None and actor.pk == doc.applicant_id:
        raise ValidationError(_("不能审批自己的申请。"), code="own_document")
    grant = grant_create(customer=doc.customer, actor=actor, user=doc.applicant, days=doc.days, request=request)
    doc.status = AccessRequestStatus.APPROVED
    doc.decided_by, doc.decided_at, doc.decision_note = actor, timezone.now(), (note or "")[:300]
    doc.grant_expires_at = grant.expires_at
    doc.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "grant_expires_at"])
    audit_record(tenant=doc.tenant, actor=actor, verb="customers.access_request_approve", obj=doc,
                 before={"status": AccessRequestStatus.PENDING}, after={"status": doc.status}, request=request)
    return doc


@transaction.atomic
def access_request_reject(*, doc: CustomerAccessRequest, actor, reason: str, request=None) -> CustomerAccessRequest:
    doc = _lock(doc)
    if not (reason or "").strip():
        raise ValidationError(_("拒绝时请填写理由。"), code="reason_required")
    doc.status = AccessRequestStatus.REJECTED
    doc.decided_by, doc.decided_at, doc.decision_note = actor, timezone.now(), reason.strip()[:300]
    doc.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(tenant=doc.tenant, actor=actor, verb="customers.access_request_reject", obj=doc,
                 before={"status": AccessRequestStatus.PENDING}, after={"status": doc.status}, request=request)
    return doc


@transaction.atomic
def access_request_withdraw(*, doc: CustomerAccessRequest, actor, request=None) -> CustomerAccessRequest:
    doc = _lock(doc)
    if actor.pk != doc.applicant_id:
        raise ValidationError(_("只有申请人可以撤回。"), code="not_applicant")
    doc.status = AccessRequestStatus.WITHDRAWN
    doc.decided_at = timezone.now()
    doc.save(update_fields=["status", "decided_at"])
    audit_record(tenant=doc.tenant, actor=actor, verb="customers.access_request_withdraw", obj=doc,
                 before={"status": AccessRequestStatus.PENDING}, after={"status": doc.status}, request=request)
    return doc
