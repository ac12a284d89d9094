"""A summary task delivered twice through a real Redis broker and consumed by a real
worker still sends one e-mail (needs PostgreSQL + Redis: CI pass 2)."""

import datetime as dt

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail

from marketing.celery import app
from reports import tasks
from reports.models import DailySummary, SummaryStatus

from .helpers import at

D = dt.date(2026, 11, 20)


def _reset_connections():
    """Drop the app's cached broker connections and backend so the new URLs take effect."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    app.__dict__.pop("backend", None)
    app._local.__dict__.pop("backend", None)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_task_delivered_twice_through_redis_sends_once(require_postgres, redis_url, org_a, settings):
    conf = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend", "broker_transport_options")}
    app.conf.update(broker_url=redis_url, task_always_eager=False, result_backend="cache+memory://",
                    broker_transport_options={"visibility_timeout": 60})
    _reset_connections()
    try:
        with (
            time_machine.travel(at(2026, 11, 23, 10), tick=True),
            start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30),
        ):
            results = [tasks.send_summary.apply_async((org_a.tenant.pk, D.isoformat())) for _ in range(2)]
            outcomes = sorted(r.get(timeout=60) for r in results)
    finally:
        app.conf.update(conf)
        _reset_connections()
    assert outcomes == ["sent", "skipped"]
    assert len(mail.outbox) == 1
    with org_a.scope():
        assert DailySummary.objects.get().status == SummaryStatus.SENT
