"""The daily digest of pending approvals, at the tenant's ``approval_digest_time`` (default
08:30) in the tenant's time zone. Each
(user, day) is claimed as a row in the same transaction that queues the message in the
outbox, so a re-run, a retry or two workers never queue a second copy, and the outbox's
retries cover a mail server that is down."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.notifications.links import absolute
from marketing.notifications.models import Kind, Purpose
from marketing.notifications.services import notify

from .models import ApprovalDigest, ApprovalTask, TaskStatus

logger = logging.getLogger(__name__)

DIGEST_TIME = dt.time(8, 30)  # the default of Tenant.approval_digest_time
DIGEST_WINDOW = dt.timedelta(hours=1)  # a beat outage shorter than this still sends today's digest


def digest_due(*, tenant, now: dt.datetime) -> bool:
    """True within an hour after the tenant's digest time, on the tenant's own clock."""
    local = now.astimezone(tenant.zone)
    start = dt.datetime.combine(local.date(), tenant.approval_digest_time or DIGEST_TIME, tzinfo=tenant.zone)
    return start <= local < start + DIGEST_WINDOW


def digest_send_for_tenant(*, tenant, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    day = now.astimezone(tenant.zone).date()
    pending = (
        ApprovalTask.objects.filter(tenant=tenant, status=TaskStatus.PENDING)
        .select_related("flow", "step", "assignee")
        .order_by("created_at")
    )
    per_user: dict = defaultdict(list)
    for task in pending:
        if task.assignee.is_active:
            per_user[task.assignee].append(task)
    queued = 0
    for user, tasks in per_user.items():
        try:
            with transaction.atomic():
                claim = ApprovalDigest.objects.create(tenant=tenant, user=user, day=day, pending_count=len(tasks))
                rows = notify(
                    tenant=tenant, kind=Kind.APPROVAL_DIGEST, users=[user], purpose=Purpose.APPROVALS,
                    subject=_("[审批日报] 您有 %(n)s 项待审批") % {"n": len(tasks)},
                    lines=[_("以下单据等待您处理："), ""]
                    + [f"- {t.flow.title}（{t.step.name}）{absolute(t.flow.url)}" for t in tasks],
                    link=reverse("approvals:inbox"), link_label=_("打开待我审批"), dedupe_key=f"digest:{user.pk}:{day.isoformat()}",
                )
                claim.sent_at = timezone.now() if rows else None
                claim.save(update_fields=["sent_at"])
        except IntegrityError:
            continue  # already queued today
        queued += 1 if rows else 0
    return queued
