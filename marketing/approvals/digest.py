"""The daily digest of pending approvals. Each (user, day) is claimed as a row before the
e-mail goes out, so a re-run, a retry or two workers never send a second copy."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApprovalDigest, ApprovalTask, TaskStatus
from .notify import _absolute
from .selectors import local_today

logger = logging.getLogger(__name__)


def digest_send_for_tenant(*, tenant) -> int:
    day = local_today(tenant)
    pending = (
        ApprovalTask.objects.filter(tenant=tenant, status=TaskStatus.PENDING)
        .select_related("flow", "step", "assignee")
        .order_by("created_at")
    )
    per_user: dict = defaultdict(list)
    for task in pending:
        if task.assignee.email and task.assignee.is_active:
            per_user[task.assignee].append(task)
    sent = 0
    for user, tasks in per_user.items():
        try:
            with transaction.atomic():
                claim = ApprovalDigest.objects.create(tenant=tenant, user=user, day=day, pending_count=len(tasks))
        except IntegrityError:
            continue  # already sent today
        lines = [f"- {t.flow.title}（{t.step.name}）{_absolute(t.flow.url)}" for t in tasks]
        message = EmailMessage(
            _("[审批日报] 您有 %(n)s 项待审批") % {"n": len(tasks)},
            _("您好，以下单据等待您处理：\n\n%(lines)s\n") % {"lines": "\n".join(lines)},
            tenant.marketing_mailbox,
            [user.email],
        )
        try:
            message.send()
        except Exception:
            ApprovalDigest.objects.filter(pk=claim.pk).delete()  # release the claim: the retry sends
            raise
        claim.sent_at = timezone.now()
        claim.save(update_fields=["sent_at"])
        sent += 1
    return sent
