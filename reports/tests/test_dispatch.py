"""The per-minute dispatchers at scale (issue 10): what is due is found in a constant number
of queries, and every job is claimed before it is queued, so it is queued once -- even while
it waits in the queue, with two beats, or two dispatchers racing on PostgreSQL."""

import datetime as dt
import threading
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django_scopes import scopes_disabled

from marketing import services as org_services
from marketing.models import Tenant
from reports import dispatch, tasks
from reports.models import DailySummary, DispatchClaim, DispatchKind, SummaryStatus

from .helpers import at

D = dt.date(2026, 11, 20)  # Friday -> sent Monday 23rd 10:00 (Asia/Shanghai)
MONDAY_10 = at(2026, 11, 23, 10, 0)

pytestmark = pytest.mark.django_db


def _queued(mocked) -> list[tuple]:
    return sorted(c.args for c in mocked.call_args_list)


def test_dispatcher_run_twice_queues_once_while_the_job_waits(org_a, org_b):
    # No worker picks the job up (the summary row is not there yet): still queued once.
    with mock.patch.object(tasks.send_summary, "delay") as delay:
        with time_machine.travel(MONDAY_10, tick=False):
            assert tasks.dispatch_summaries() == 2
            assert tasks.dispatch_summaries() == 0
        with time_machine.travel(MONDAY_10 + dt.timedelta(minutes=5), tick=False):
            assert tasks.dispatch_summaries() == 0
    assert _queued(delay) == sorted([(org_a.tenant.pk, D.isoformat()), (org_b.tenant.pk, D.isoformat())])
    with scopes_disabled():
        assert DispatchClaim.objects.filter(kind=DispatchKind.SUMMARY).count() == 2
        assert not DailySummary.objects.exists()


def test_a_lost_message_is_queued_again_once_after_the_requeue_delay(org_a, org_b):
    with mock.patch.object(tasks.send_summary, "delay") as delay:
        with time_machine.travel(MONDAY_10, tick=False):
            tasks.dispatch_summaries()
        later = MONDAY_10 + dispatch.REQUEUE_AFTER + dt.timedelta(minutes=1)
        with time_machine.travel(later, tick=False):
            assert tasks.dispatch_summaries() == 2
            assert tasks.dispatch_summaries() == 0
    assert len(delay.call_args_list) == 4


def test_sent_summary_is_not_a_candidate_and_the_worker_sends_once(org_a, org_b):
    with time_machine.travel(MONDAY_10, tick=False):
        assert tasks.dispatch_summaries() == 2  # eager in tests: sent right away
    with time_machine.travel(MONDAY_10 + dispatch.REQUEUE_AFTER * 2, tick=False):
        assert dispatch.summary_candidates(MONDAY_10 + dispatch.REQUEUE_AFTER * 2) == []
        assert tasks.dispatch_summaries() == 0
    with scopes_disabled():
        assert set(DailySummary.objects.values_list("status", flat=True)) == {SummaryStatus.SENT}


def test_retry_due_is_queued_once_per_attempt(org_a, org_b):
    with org_a.scope():
        DailySummary.objects.create(tenant=org_a.tenant, business_day=D, status=SummaryStatus.RETRYING,
                                    claimed_at=MONDAY_10, attempts=2, next_attempt_at=MONDAY_10 + dt.timedelta(minutes=2))
    with mock.patch.object(tasks.send_summary, "delay") as delay:
        with time_machine.travel(MONDAY_10 + dt.timedelta(minutes=1), tick=False):
            tasks.dispatch_summaries()  # back-off not over: only the other tenant's first send
        assert _queued(delay) == [(org_b.tenant.pk, D.isoformat())]
        delay.reset_mock()
        with time_machine.travel(MONDAY_10 + dt.timedelta(minutes=2), tick=False):
            tasks.dispatch_summaries()
            tasks.dispatch_summaries()
    assert _queued(delay) == [(org_a.tenant.pk, D.isoformat())]
    with scopes_disabled():
        claim = DispatchClaim.objects.get(tenant=org_a.tenant, kind=DispatchKind.SUMMARY)
    assert (claim.generation, claim.attempt) == (1, 3)


def test_reminders_queued_once_per_tenant_and_day(org_a, org_b):
    with mock.patch.object(tasks.send_reminders, "delay") as delay:
        with time_machine.travel(at(2026, 11, 23, 9, 29), tick=False):
            assert tasks.dispatch_reminders() == 0
        for minute in (30, 31, 59):
            with time_machine.travel(at(2026, 11, 23, 9, minute), tick=False):
                tasks.dispatch_reminders()
        with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):  # the deadline: window closed
            assert tasks.dispatch_reminders() == 0
        with time_machine.travel(at(2026, 11, 24, 9, 30), tick=False):  # next day: again
            assert tasks.dispatch_reminders() == 2
    assert len(delay.call_args_list) == 4


def test_dispatcher_queries_do_not_grow_with_tenants(org_a, org_b, django_assert_max_num_queries):
    def queries_at(now):
        with (mock.patch.object(tasks.send_summary, "delay"), time_machine.travel(now, tick=False),
              django_assert_max_num_queries(10) as ctx):
            tasks.dispatch_summaries()
        return len(ctx)

    queries_at(at(2026, 11, 22, 3, 0))  # the very first run creates the heartbeat row (marketing/health.py)
    quiet_two = queries_at(at(2026, 11, 23, 3, 0))
    due_two = queries_at(MONDAY_10)
    for i in range(4):
        org_services.tenant_create(name=f"丙{i}", slug=f"c{i}", marketing_mailbox=f"m@c{i}.test",
                                   admin_username=f"c{i}_admin", admin_password="Test!pass-2026")
    assert queries_at(at(2026, 11, 24, 3, 0)) == quiet_two
    assert queries_at(at(2026, 11, 24, 10, 0)) == due_two
    with scopes_disabled():
        assert DispatchClaim.objects.filter(business_day=dt.date(2026, 11, 23)).count() == Tenant.objects.count()


def test_each_tenants_time_zone_and_calendar(org_a, org_b):
    Tenant.objects.filter(pk=org_a.tenant.pk).update(time_zone="Asia/Tokyo")  # one hour ahead
    with mock.patch.object(tasks.send_summary, "delay") as delay:
        with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
            assert tasks.dispatch_summaries() == 1
        with time_machine.travel(at(2026, 10, 1, 10, 0), tick=False):  # National Day: nothing
            assert tasks.dispatch_summaries() == 0
    assert _queued(delay) == [(org_a.tenant.pk, D.isoformat())]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_dispatchers_on_postgres_queue_each_job_once(require_postgres, org_a, org_b):
    barrier = threading.Barrier(4)
    won, errors = [], []

    def beat():
        try:
            barrier.wait(timeout=10)
            won.extend(dispatch.due_summary_jobs(MONDAY_10))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(j.tenant_id for j in won) == sorted([org_a.tenant.pk, org_b.tenant.pk])
