"""Messages of the approval machinery. The services call ``queue_*`` inside their
transaction; each writes outbox rows (marketing/notifications) in that same transaction, so a
rolled-back action leaves no message, and the worker sends after commit: a slow or failing
mail server or chat robot never holds up or breaks the approver's click. Each message
carries the absolute link to the flow (``SITE_URL``); a reader who is not signed in passes
through the login page and lands on it."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from marketing.notifications.models import Kind, Purpose
from marketing.notifications.services import notify

PENDING, CC, FINISHED, REJECTED = "pending", "cc", "finished", "rejected"


def _with_delegates(flow, users) -> list:
    from .selectors import active_delegations, local_today

    delegates = active_delegations(tenant=flow.tenant, day=local_today(flow.tenant)).filter(
        delegator_id__in=[u.pk for u in users]
    ).select_related("delegate")
    return list(users) + [d.delegate for d in delegates]


def compose(*, kind: str, flow, step=None, actor=None, comment: str = "") -> dict:
    """Subject, lines and outbox kind of one approval event (the link is the flow's page)."""
    if kind == PENDING:
        return {"kind": Kind.APPROVAL_PENDING, "subject": _("[待审批] %(title)s") % {"title": flow.title},
                "lines": [_("%(applicant)s 提交的“%(title)s”已到达“%(step)s”，等待您处理。") % {
                    "applicant": flow.applicant.display_name, "title": flow.title, "step": step.name}],
                "link_label": _("查看并处理")}
    if kind == CC:
        return {"kind": Kind.APPROVAL_CC, "subject": _("[抄送] %(title)s") % {"title": flow.title},
                "lines": [_("“%(title)s”抄送给您（%(step)s）。") % {"title": flow.title, "step": step.name}],
                "link_label": _("查看")}
    if kind == FINISHED:
        return {"kind": Kind.APPROVAL_FINISHED, "subject": _("[已通过] %(title)s") % {"title": flow.title},
                "lines": [_("您提交的“%(title)s”已全部审批通过。") % {"title": flow.title}], "link_label": _("查看")}
    return {"kind": Kind.APPROVAL_REJECTED, "subject": _("[已驳回] %(title)s") % {"title": flow.title},
            "lines": [_("您提交的“%(title)s”被 %(actor)s 驳回。") % {
                "title": flow.title, "actor": actor.display_name if actor else ""},
                _("理由：%(reason)s") % {"reason": comment}],
            "link_label": _("修改后可重新提交")}


def _queue(kind: str, flow, *, step=None, users=(), actor=None, comment: str = "") -> list:
    with override(settings.LANGUAGE_CODE):  # the company's language, not the clicking user's UI language
        message = compose(kind=kind, flow=flow, step=step, actor=actor, comment=comment)
        return notify(tenant=flow.tenant, users=users, link=flow.url, purpose=Purpose.APPROVALS, **message)


def queue_pending(*, flow, step, users) -> list:
    return _queue(PENDING, flow, step=step, users=_with_delegates(flow, users))


def queue_cc(*, flow, step, users) -> list:
    return _queue(CC, flow, step=step, users=users)


def queue_finished(*, flow) -> list:
    return _queue(FINISHED, flow, users=[flow.applicant])


def queue_decided(*, flow, verb: str, actor, comment: str) -> list:
    return _queue(REJECTED, flow, users=[flow.applicant], actor=actor, comment=comment)
