"""E-mails of the approval machinery. The service queues a Celery task after commit (ids
only); the task re-reads the flow inside the tenant's scope, composes and sends. A rolled-back
action sends nothing, and a slow mail server never holds up the approver's click."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext as _

PENDING, CC, FINISHED, REJECTED = "pending", "cc", "finished", "rejected"


def _absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{url}"


def _queue(kind: str, flow, *, step=None, users=(), actor=None, comment: str = "") -> None:
    from marketing.tasks import send_approval_notice

    kwargs = {
        "kind": kind, "tenant_id": flow.tenant_id, "flow_id": flow.pk, "step_id": getattr(step, "pk", None),
        "user_ids": [u.pk for u in users], "actor_id": getattr(actor, "pk", None), "comment": comment,
    }
    transaction.on_commit(lambda: send_approval_notice.delay(**kwargs))


def queue_pending(*, flow, step, users) -> None:
    _queue(PENDING, flow, step=step, users=users)


def queue_cc(*, flow, step, users) -> None:
    _queue(CC, flow, step=step, users=users)


def queue_finished(*, flow) -> None:
    _queue(FINISHED, flow)


def queue_decided(*, flow, verb: str, actor, comment: str) -> None:
    _queue(REJECTED, flow, actor=actor, comment=comment)


def _with_delegates(flow, users) -> list:
    from .selectors import active_delegations, local_today

    delegates = active_delegations(tenant=flow.tenant, day=local_today(flow.tenant)).filter(
        delegator_id__in=[u.pk for u in users]
    ).select_related("delegate")
    return list(users) + [d.delegate for d in delegates]


def compose(*, kind: str, flow, step=None, users=(), actor=None, comment: str = "") -> list[EmailMessage]:
    sender, url = flow.tenant.marketing_mailbox, _absolute(flow.url)
    if kind == PENDING:
        to = sorted({u.email for u in _with_delegates(flow, users) if u.email and u.is_active})
        subject = _("[待审批] %(title)s") % {"title": flow.title}
        body = _("您好：\n\n%(applicant)s 提交的“%(title)s”已到达“%(step)s”，等待您处理。\n\n查看并处理：%(url)s\n") % {
            "applicant": flow.applicant.display_name, "title": flow.title, "step": step.name, "url": url,
        }
    elif kind == CC:
        to = sorted({u.email for u in users if u.email and u.is_active})
        subject = _("[抄送] %(title)s") % {"title": flow.title}
        body = _("您好：\n\n“%(title)s”抄送给您（%(step)s）。\n\n查看：%(url)s\n") % {
            "title": flow.title, "step": step.name, "url": url,
        }
    elif kind == FINISHED:
        to = [flow.applicant.email] if flow.applicant.email else []
        subject = _("[已通过] %(title)s") % {"title": flow.title}
        body = _("您好：\n\n您提交的“%(title)s”已全部审批通过。\n\n查看：%(url)s\n") % {"title": flow.title, "url": url}
    else:
        to = [flow.applicant.email] if flow.applicant.email else []
        subject = _("[已驳回] %(title)s") % {"title": flow.title}
        body = _("您好：\n\n您提交的“%(title)s”被 %(actor)s 驳回。\n理由：%(reason)s\n\n修改后可重新提交：%(url)s\n") % {
            "title": flow.title, "actor": actor.display_name if actor else "", "reason": comment, "url": url,
        }
    return [EmailMessage(subject, body, sender, to)] if to else []


def deliver(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
