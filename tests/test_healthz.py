"""/healthz (issue 9): database, broker, Redis and beat's dispatchers; 503 when one is down."""

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from marketing.health import HEARTBEATS
from marketing.models import Heartbeat
from reports import tasks

pytestmark = pytest.mark.django_db


def _beat(age_s=10):
    for name in HEARTBEATS:
        Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now() - dt.timedelta(seconds=age_s)})


def test_all_up_is_200_json():
    _beat()
    response = Client().get("/healthz")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "redis", "beat"}
    assert all(c["ok"] for c in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_dispatchers_write_the_heartbeat():
    from customers.partners.tasks import dispatch_reminders as partners_reminders
    from customers.tasks import remind_overdue_followups
    from marketing.people.tasks import people_midnight_all
    from reports.meetings import tasks as meeting_tasks

    assert Client().get("/healthz").status_code == 503  # beat never ran
    # Every dispatcher listed in marketing.health.HEARTBEATS, run once.
    for dispatcher in (tasks.dispatch_summaries, tasks.dispatch_reminders, remind_overdue_followups,
                       meeting_tasks.dispatch, partners_reminders, people_midnight_all):
        dispatcher()
    assert Client().get("/healthz").json()["status"] == "ok"


def test_stale_beat_is_503_but_the_web_probe_stays_up():
    _beat(age_s=3600)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["ok"] is False and "dispatch_summaries" in response.json()["checks"]["beat"]["detail"]
    assert Client().get("/healthz", {"probe": "web"}).status_code == 200


def test_database_down_is_503():
    _beat()
    with mock.patch.object(connection, "ensure_connection", side_effect=OSError("connection refused")):
        response = Client().get("/healthz", {"probe": "web"})
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "error": "OSError", "ms": checks["database"]["ms"]}  # no host text


def test_broker_and_redis_down_are_503(settings):
    _beat()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/healthz", {"probe": "web"})
    assert response.status_code == 503 and response.json()["checks"]["broker"]["ok"] is False
    settings.CELERY_BROKER_URL = "memory://"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/healthz", {"probe": "web"})
    assert response.status_code == 503 and response.json()["checks"]["redis"]["ok"] is False


def test_redis_up_is_reported(settings, redis_url):
    settings.REDIS_URL = redis_url
    settings.CELERY_BROKER_URL = redis_url
    body = Client().get("/healthz", {"probe": "web"}).json()
    assert body["checks"]["redis"] == {**body["checks"]["redis"], "ok": True, "configured": True}
    assert body["checks"]["broker"]["ok"] is True


def test_connection_health_checks_are_on():
    from django.conf import settings

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
