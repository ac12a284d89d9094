"""Health for the load balancer and for monitoring (``/healthz``).

Checks, each with a short timeout: the database (``SELECT 1``), the Celery broker (Redis
``PING``; the local filesystem broker's folder), the Redis cache when one is configured,
and beat: each per-minute dispatcher writes a ``Heartbeat`` row when it runs, and a row
older than its allowed age (or missing) means beat or the worker is down -- reminders and
summaries would silently stop. The answer is JSON; 503 when any check fails.

``/healthz?probe=web`` checks only what a web process needs to serve pages (database,
broker) -- for a load balancer, so a stopped beat does not take the web out of rotation."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

# Heartbeats watched by /healthz and their allowed age in seconds (dispatchers run every minute).
HEARTBEATS = {
    "reports.dispatch_summaries": 300,
    "reports.dispatch_reminders": 300,
    "customers.remind_overdue_followups": 3600,
    "partners.dispatch_reminders": 2 * 3600,  # hourly
}
HEARTBEATS["meetings.dispatch"] = 1800  # 市场部月例会 dispatcher, every 10 minutes (issue 20)
HEARTBEATS["people.midnight"] = 3600  # departures/transfers at each tenant's midnight, every 15 minutes (issue 19)


class BeatLate(RuntimeError):
    pass


def record_heartbeat(name: str) -> None:
    """Called by a periodic task when it runs. Global row; no tenant scope needed."""
    from .models import Heartbeat

    # One upsert statement, the same on every run (dispatchers pin their query counts).
    Heartbeat.objects.bulk_create([Heartbeat(name=name, last_seen=timezone.now())], update_conflicts=True,
                                  unique_fields=["name"], update_fields=["last_seen"])


def _timed(check):
    started = time.monotonic()
    try:
        detail = check() or {}
        result = {"ok": True, **detail}
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported with its reason
        # The endpoint is public: the reason's text (host names, paths) only with DEBUG on.
        result = {"ok": False, "error": type(exc).__name__}
        if settings.DEBUG or isinstance(exc, BeatLate):
            result["detail"] = str(exc)[:300]
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def check_database():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _ping_redis(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def check_broker():
    url = settings.CELERY_BROKER_URL
    scheme = url.split(":", 1)[0]
    if scheme in {"redis", "rediss"}:
        _ping_redis(url)
    elif scheme == "filesystem":
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise OSError(f"broker folder not writable: {folder}")
    elif scheme != "memory":
        raise ValueError(f"unsupported broker scheme {scheme}")
    return {"transport": scheme}


def check_redis():
    if not settings.REDIS_URL:
        return {"configured": False}
    _ping_redis(settings.REDIS_URL)
    return {"configured": True}


def check_beat():
    from .models import Heartbeat

    now = timezone.now()
    seen = dict(Heartbeat.objects.filter(name__in=HEARTBEATS).values_list("name", "last_seen"))
    jobs, late = {}, []
    for name, max_age in HEARTBEATS.items():
        last = seen.get(name)
        age = (now - last).total_seconds() if last else None
        jobs[name] = {"last_seen": last.isoformat() if last else None,
                      "age_s": round(age) if age is not None else None, "max_age_s": max_age}
        if age is None or age > max_age:
            late.append(name)
    if late:
        raise BeatLate("not run recently: " + ", ".join(late))
    return {"jobs": jobs}


def health(*, probe: str = "full") -> tuple[bool, dict]:
    checks = {"database": _timed(check_database), "broker": _timed(check_broker), "redis": _timed(check_redis)}
    if probe != "web":
        checks["beat"] = _timed(check_beat) if checks["database"]["ok"] else {"ok": False, "error": "database down"}
    ok = all(c["ok"] for c in checks.values())
    return ok, {"status": "ok" if ok else "fail", "probe": "web" if probe == "web" else "full", "checks": checks,
                "time": timezone.now().isoformat()}
