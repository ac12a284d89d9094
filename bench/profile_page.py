"""Profile one product page in-process on the bench_http database (no gunicorn, no wrk).

    .venv/bin/python bench/profile_page.py /customers/ gm            # ms per request
    .venv/bin/python bench/profile_page.py /customers/ sales --profile 30   # + cProfile top 30
    .venv/bin/python bench/profile_page.py /expenses/ finance --html /tmp/page.html

Needs the data of ``bench/bench_http.py`` (run it once). Production settings, DEBUG off,
secrets generated here; users: gm, sales (s007), finance. The time printed is the median
wall time of ``--n`` requests through Django's test client (middleware, view, template),
which on a quiet machine is the CPU cost without the HTTP server, and the median CPU time of
this process per request (steadier on a busy machine; PostgreSQL's share not included).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
USERS = {"gm": "bench-http_gm", "sales": "bench-http_s007", "finance": "bench-http_finance"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("who", choices=sorted(USERS))
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions (cProfile)")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--html", default="", help="write the page here")
    parser.add_argument("--dump", default="", help="write the cProfile stats here (pstats format)")
    parser.add_argument("--db", default="h_perf_http")
    parser.add_argument("--sql", action="store_true", help="print the queries of one warm request")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings.production")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "bench-field-key-0123456789")
    os.environ.setdefault("DATABASE_URL", f"{PG}/{args.db}")
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"))
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("SITE_URL", "http://127.0.0.1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("COOKIES_SECURE", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django_scopes import scopes_disabled

    from marketing.models import User

    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with scopes_disabled():
        user = User.objects.get(username=USERS[args.who])
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_ACCEPT_ENCODING="gzip")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(args.path)
    assert response.status_code == 200, response.status_code
    if args.html:
        body = response.content
        if response.get("Content-Encoding") == "gzip":
            import gzip

            body = gzip.decompress(body)
        Path(args.html).write_bytes(body)
    for _ in range(5):
        client.get(args.path)
    if args.sql:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            client.get(args.path)
        for q in queries.captured_queries:
            print(f"{q['time']:>6}  {q['sql'][:300] if float(q['time']) < 0.01 else q['sql']}")
    times, cpu = [], []
    for _ in range(args.n):
        t0, c0 = time.perf_counter(), time.process_time()
        client.get(args.path)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(f"{args.path} as {args.who}: wall median {statistics.median(times):.1f} ms, min {min(times):.1f} ms; "
          f"CPU of this process median {statistics.median(cpu):.1f} ms (without PostgreSQL's) over {args.n}; "
          f"{len(response.content)} bytes")
    if args.profile or args.dump:
        prof = cProfile.Profile(time.process_time)  # CPU time: waits on PostgreSQL left out
        prof.enable()
        for _ in range(10):
            client.get(args.path)
        prof.disable()
        if args.dump:
            prof.dump_stats(args.dump)
        if args.profile:
            pstats.Stats(prof).sort_stats(args.sort).print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
