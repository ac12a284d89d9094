"""E-mails of the approval machinery. Recipients and texts are computed inside the
transaction; sending happens after commit, so a rolled-back action sends nothing."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{url}"


def _send(messages: list[tuple[str, str, str, list[str]]]) -> None:
    batch = [EmailMessage(subject, body, sender, to) for subject, body, sender, to in messages if to]
    if not batch:
        return
    try:
        get_connection().send_messages(batch)
    except Exception:  # the action succeeded; a mail outage must not undo it
        logger.exception("approval e-mail failed")


def _queue(messages) -> None:
    if messages:
        transaction.on_commit(lambda: _send(messages))


def _with_delegates(flow, users) -> list:
    from .selectors import active_delegations, local_today

    ids = [u.pk for u in users]
    delegates = active_delegations(tenant=flow.tenant, day=local_today(flow.tenant)).filter(
        delegator_id__in=ids
    ).select_related("delegate")
    return list(users) + [d.delegate for d in delegates]


def queue_pending(*, flow, step, users) -> None:
    subject = _("[待审批] %(title)s") % {"title": flow.title}
    body = _("您好：\n\n%(applicant)s 提交的“%(title)s”已到达“%(step)s”，等待您处理。\n\n查看并处理：%(url)s\n") % {
        "applicant": flow.applicant.display_name, "title": flow.title, "step": step.name, "url": _absolute(flow.url),
    }
    to = sorted({u.email for u in _with_delegates(flow, users) if u.email})
    _queue([(subject, body, flow.tenant.marketing_mailbox, to)] if to else [])


def queue_cc(*, flow, step, users) -> None:
    subject = _("[抄送] %(title)s") % {"title": flow.title}
    body = _("您好：\n\n“%(title)s”抄送给您（%(step)s）。\n\n查看：%(url)s\n") % {
        "title": flow.title, "step": step.name, "url": _absolute(flow.url),
    }
    to = sorted({u.email for u in users if u.email})
    _queue([(subject, body, flow.tenant.marketing_mailbox, to)] if to else [])


def queue_finished(*, flow) -> None:
    if not flow.applicant.email:
        return
    subject = _("[已通过] %(title)s") % {"title": flow.title}
    body = _("您好：\n\n您提交的“%(title)s”已全部审批通过。\n\n查看：%(url)s\n") % {
        "title": flow.title, "url": _absolute(flow.url),
    }
    _queue([(subject, body, flow.tenant.marketing_mailbox, [flow.applicant.email])])


def queue_decided(*, flow, verb: str, actor, comment: str) -> None:
    if not flow.applicant.email:
        return
    subject = _("[已驳回] %(title)s") % {"title": flow.title}
    body = _("您好：\n\n您提交的“%(title)s”被 %(actor)s 驳回。\n理由：%(reason)s\n\n修改后可重新提交：%(url)s\n") % {
        "title": flow.title, "actor": actor.display_name, "reason": comment, "url": _absolute(flow.url),
    }
    _queue([(subject, body, flow.tenant.marketing_mailbox, [flow.applicant.email])])
