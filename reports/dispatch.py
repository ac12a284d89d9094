"""The per-minute dispatchers at scale: what is due for *all* tenants in a constant number
of queries, claimed so that each job is queued exactly once (docs/performance.md).

Per run, whatever the number of tenants:
1. active tenants (id, time zone, times) -- one query;
2. calendar overrides of every tenant around today -- one query;
3. (summaries) retries due: RETRYING past their back-off, SENDING past the lease -- one query;
4. the rows that already settle a candidate (summaries of the candidate days) and the
   claims already taken for the candidates -- two queries, only when something is a
   candidate (after a tenant's send time);
5. new claims: one bulk INSERT that skips existing keys, then one SELECT of this run's rows.
A candidate whose claim exists but whose job has not started after ``REQUEUE_AFTER`` (a
lost message) is claimed again by a conditional UPDATE, so still only one dispatcher
re-queues it. Two beats on two machines, or a minute overlapping the next, queue nothing
twice; a tenant whose summary is waiting in the queue is not queued again.

The sending itself keeps its own exactly-once claim (``DailySummary`` in reports/mailing.py):
a duplicate message -- which these claims make rare -- sends nothing."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django_scopes import scopes_disabled

from marketing.models import Tenant

from .mailing import LEASE
from .models import DailySummary, DispatchClaim, DispatchKind, SummaryStatus, WorkdayOverride
from .workcal import WorkCalendar

REQUEUE_AFTER = dt.timedelta(minutes=30)
# Overrides loaded around today: enough for previous_working() across any real holiday.
OVERRIDE_WINDOW = dt.timedelta(days=60)


@dataclass(frozen=True)
class Job:
    tenant_id: int
    business_day: dt.date
    generation: int = 1
    attempt: int = 1

    @property
    def key(self):
        return (self.tenant_id, self.business_day, self.generation, self.attempt)


@dataclass(frozen=True)
class _TenantClock:
    pk: int
    local: dt.datetime
    calendar: WorkCalendar


def _clocks(now: dt.datetime, fields: tuple[str, ...]) -> list[tuple[_TenantClock, tuple]]:
    rows = list(Tenant.objects.filter(is_active=True).values_list("pk", "time_zone", *fields))
    if not rows:
        return []
    today = now.date()
    overrides: dict[int, dict[dt.date, bool]] = defaultdict(dict)
    with scopes_disabled():  # a platform job: one look at every tenant's overrides
        for tenant_id, day, working in WorkdayOverride.objects.filter(
            day__gte=today - OVERRIDE_WINDOW, day__lte=today + dt.timedelta(days=2), tenant__is_active=True
        ).values_list("tenant_id", "day", "is_working"):
            overrides[tenant_id][day] = working
    out = []
    for pk, zone, *values in rows:
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
        out.append((_TenantClock(pk, local, WorkCalendar(None, overrides=overrides[pk])), tuple(values)))
    return out


def summary_candidates(now: dt.datetime) -> list[Job]:
    """First sends due now: on a working day, from the tenant's send time on, the previous
    working day's summary -- unless a summary row for it exists (sent, sending, or made by
    hand)."""
    first = []
    for clock, (send_time,) in _clocks(now, ("summary_send_time",)):
        if clock.calendar.is_working(clock.local.date()) and clock.local.time() >= send_time:
            first.append(Job(clock.pk, clock.calendar.previous_working(clock.local.date())))
    if first:
        with scopes_disabled():
            settled = set(
                DailySummary.objects.filter(business_day__in={j.business_day for j in first})
                .values_list("tenant_id", "business_day")
            )
        first = [j for j in first if (j.tenant_id, j.business_day) not in settled]
    with scopes_disabled():
        again = DailySummary.objects.filter(tenant__is_active=True).filter(
            Q(status=SummaryStatus.RETRYING, next_attempt_at__lte=now)
            | Q(status=SummaryStatus.SENDING, claimed_at__lt=now - LEASE)
        ).values_list("tenant_id", "business_day", "generation", "attempts")
        retries = [Job(t, d, g, a + 1) for t, d, g, a in again]
    return first + retries


def reminder_candidates(now: dt.datetime) -> list[Job]:
    """Tenants inside their reminder window (reminder time until the deadline) on a working
    day: one reminder job per tenant and business day."""
    jobs = []
    for clock, (reminder_time, deadline) in _clocks(now, ("reminder_time", "report_deadline_time")):
        if clock.calendar.is_working(clock.local.date()) and reminder_time <= clock.local.time() < deadline:
            jobs.append(Job(clock.pk, clock.calendar.previous_working(clock.local.date())))
    return jobs


def claim(kind: str, jobs: list[Job], now: dt.datetime) -> list[Job]:
    """Claim the jobs; returns those this call won (each job is won by exactly one caller)."""
    if not jobs:
        return []
    jobs = list({j.key: j for j in jobs}.values())
    run = uuid.uuid4().hex
    with scopes_disabled():
        existing = {
            (c.tenant_id, c.business_day, c.generation, c.attempt): c
            for c in DispatchClaim.objects.filter(kind=kind, business_day__in={j.business_day for j in jobs})
            .only("tenant_id", "business_day", "generation", "attempt", "queued_at")
        }
        new = [j for j in jobs if j.key not in existing]
        DispatchClaim.objects.bulk_create(
            [DispatchClaim(tenant_id=j.tenant_id, kind=kind, business_day=j.business_day, generation=j.generation,
                           attempt=j.attempt, queued_at=now, run_id=run) for j in new],
            batch_size=1000, ignore_conflicts=True,
        )
        # Still wanted although queued long ago: the message was lost. Take it over, once.
        for j in jobs:
            old = existing.get(j.key)
            if old is not None and old.queued_at < now - REQUEUE_AFTER:
                DispatchClaim.objects.filter(pk=old.pk, queued_at=old.queued_at).update(queued_at=now, run_id=run)
        won = set(
            DispatchClaim.objects.filter(kind=kind, run_id=run).values_list(
                "tenant_id", "business_day", "generation", "attempt"
            )
        )
    return [j for j in jobs if j.key in won]


def due_summary_jobs(now: dt.datetime) -> list[Job]:
    return claim(DispatchKind.SUMMARY, summary_candidates(now), now)


def due_reminder_jobs(now: dt.datetime) -> list[Job]:
    return claim(DispatchKind.REMINDERS, reminder_candidates(now), now)
