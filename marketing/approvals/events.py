"""What happened in a flow, announced by ``services`` while its transaction is open.

The one seam between the state machine and everything that reacts to it (today: the
e-mails in ``notify``). ``services`` imports only this module; ``notify`` and ``digest`` are
imported here lazily, at call time, so none of notify / digest / selectors / services imports
another in a circle. ``notify`` decides *when* a message really leaves (it defers the send
to ``on_commit``, or an outbox row written in the same transaction): a rolled-back action
announces nothing."""

from __future__ import annotations


def _notify():
    from . import notify

    return notify


def step_opened(*, flow, step, users) -> None:
    """A step became active (or a task was transferred): ``users`` must act."""
    _notify().queue_pending(flow=flow, step=step, users=users)


def cc_sent(*, flow, step, users) -> None:
    """A 抄送 step ran: ``users`` are informed; nobody has to act."""
    _notify().queue_cc(flow=flow, step=step, users=users)


def flow_approved(*, flow) -> None:
    """The last step completed: the applicant hears the document went through."""
    _notify().queue_finished(flow=flow)


def flow_rejected(*, flow, actor, comment: str) -> None:
    """Someone rejected: the applicant hears who and why."""
    _notify().queue_decided(flow=flow, verb="reject", actor=actor, comment=comment)
