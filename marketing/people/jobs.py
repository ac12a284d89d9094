"""Large customer handovers in the background (docs/people.md, "Background handover").

Above ``services.BULK_CUSTOMERS`` customers the handover page starts a ``HandoverJob`` and a
Celery task moves the customers in batches. Exactly once: the task claims the job row under
``select_for_update`` (pending -> running); a repeated or re-delivered task finds it claimed and
writes nothing. Each batch is one transaction that locks the job row, moves the customers the
leaver still owns and adds to ``done``, so the progress page sees it and a batch never counts
twice. The audit event and the handover record are written once, by the transaction that marks
the job done. A failure rolls back its batch, marks the job failed with the reason (shown on the
page, and sent to whoever started it); the customers already moved stay moved and the line
shows what is left, so a new job can finish it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.notifications.services import notify

from . import services
from .models import DepartureStatus, HandoverJob, HandoverJobStatus


def needs_job(departure) -> bool:
    from customers.models import Customer

    return Customer.objects.filter(tenant=departure.tenant, owner=departure.user).count() > services.BULK_CUSTOMERS


def active_job(departure) -> HandoverJob | None:
    return HandoverJob.objects.filter(departure=departure, status__in=[HandoverJobStatus.PENDING,
                                                                      HandoverJobStatus.RUNNING]).first()


@transaction.atomic
def handover_job_start(*, departure, actor, to_user, request=None) -> HandoverJob:
    """Queue the customers handover of ``departure`` to ``to_user`` (same checks as
    ``services.line_resolve``); the task starts after commit."""
    from customers.models import Customer

    from .tasks import run_handover_job

    d = services._lock(departure)
    if d.status != DepartureStatus.OPEN:
        services._refuse(_("交接已进入签字或已结束。"), "not_open")
    membership = services._member(d.tenant, actor)
    if membership is None or actor.pk == d.user_id or not services.in_reach(membership=membership, user=d.user):
        services._refuse(_("您无权办理这一交接项。"), "not_entitled")
    services._check_colleague(d, to_user)
    if active_job(d) is not None:
        services._refuse(_("客户交接正在后台进行，请等待完成。"), "job_running")
    total = Customer.objects.filter(tenant=d.tenant, owner=d.user).count()
    try:
        with transaction.atomic():
            job = HandoverJob.objects.create(tenant=d.tenant, departure=d, line="customers", to_user=to_user,
                                             created_by=actor, total=total)
    except IntegrityError:  # a simultaneous start won the partial unique constraint
        services._refuse(_("客户交接正在后台进行，请等待完成。"), "job_running")
    audit_record(tenant=d.tenant, actor=actor, verb="people.handover_job_start", obj=d,
                 after={"job": job.pk, "line": "customers", "total": total, "to": to_user.pk}, request=request)
    transaction.on_commit(lambda: run_handover_job.delay(d.tenant_id, job.pk))
    return job


def handover_job_claim(*, job_pk) -> bool:
    """pending -> running under the row lock; False if someone else has it (or it is over)."""
    with transaction.atomic():
        job = HandoverJob.objects.select_for_update().filter(pk=job_pk).first()
        if job is None or job.status != HandoverJobStatus.PENDING:
            return False
        job.status, job.started_at = HandoverJobStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
        return True


@transaction.atomic
def handover_job_step(*, job_pk, size=None) -> bool:
    """One batch in one transaction. Returns True while there is more to do. A job that is not
    running (failed, done) is left alone."""
    job = HandoverJob.objects.select_for_update().select_related("departure__user", "to_user", "created_by").get(
        pk=job_pk)
    if job.status != HandoverJobStatus.RUNNING:
        return False
    d = services._lock(job.departure)
    if d.status != DepartureStatus.OPEN:
        services._refuse(_("交接已进入签字或已结束。"), "not_open")
    services._check_colleague(d, job.to_user)
    n = services.move_customer_batch(d, actor=job.created_by, to_user=job.to_user, now=timezone.now(),
                                     size=size or services.CUSTOMER_BATCH)
    if n:
        job.done += n
        job.total = max(job.total, job.done)  # customers assigned to the leaver meanwhile
        job.save(update_fields=["done", "total"])
        return True
    job.status, job.finished_at = HandoverJobStatus.DONE, timezone.now()
    job.total = job.done
    job.save(update_fields=["status", "finished_at", "total"])
    services._record(d, "customers", job.done, job.to_user, _("客户 %(n)d 家（后台交接）") % {"n": job.done},
                     job.created_by)
    audit_record(tenant=d.tenant, actor=job.created_by, verb="customers.customer_reassign_bulk", obj=d,
                 before={"owner": d.user_id}, after={"owner": job.to_user_id, "count": job.done, "job": job.pk})
    audit_record(tenant=d.tenant, actor=job.created_by, verb="people.line_resolve", obj=d,
                 after={"line": "customers", "count": job.done, "to": job.to_user_id, "job": job.pk})
    return False


@transaction.atomic
def handover_job_fail(*, job_pk, error: str) -> None:
    job = HandoverJob.objects.select_for_update().select_related("departure", "created_by").get(pk=job_pk)
    if job.status != HandoverJobStatus.RUNNING:
        return
    job.status, job.finished_at, job.error = HandoverJobStatus.FAILED, timezone.now(), (error or "")[:500]
    job.save(update_fields=["status", "finished_at", "error"])
    audit_record(tenant=job.tenant, actor=None, verb="people.handover_job_fail", obj=job.departure,
                 after={"job": job.pk, "done": job.done, "error": job.error})
    notify(tenant=job.tenant, kind="people.handover_job", users=[job.created_by],
           subject=_("客户交接失败：%(name)s") % {"name": job.departure.user.display_name},
           lines=[_("已交接 %(done)d / %(total)d 家客户。") % {"done": job.done, "total": job.total}, job.error],
           link=reverse("people:job", kwargs={"pk": job.pk}))


def handover_job_run(*, job_pk) -> str:
    """The task's body (inside the tenant scope)."""
    if not handover_job_claim(job_pk=job_pk):
        return "skipped"
    try:
        while handover_job_step(job_pk=job_pk):
            pass
    except ValidationError as exc:
        handover_job_fail(job_pk=job_pk, error="；".join(exc.messages))
        return "failed"
    except Exception as exc:  # recorded and shown; the batch in flight rolled back
        handover_job_fail(job_pk=job_pk, error=_("交接中断：%(e)s") % {"e": type(exc).__name__})
        return "failed"
    return "done"
