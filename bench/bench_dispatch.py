"""The scheduled jobs at scale: 1,000 tenants of 50 branches, every daily summary due at
10:00, sent by Celery workers from a Redis queue into PostgreSQL.

    .venv/bin/python bench/bench_dispatch.py                      # 1,000 tenants x 50 branches
    .venv/bin/python bench/bench_dispatch.py --tenants 200 --workers 1,2,4
    .venv/bin/python bench/bench_dispatch.py --reseed

It needs PostgreSQL (database ``h_perf_dispatch``, ``--db``) and Redis (db 5, ``--redis``):
* seeds (bulk inserts) N tenants, each with one region, 50 branches, one general manager
  (the summary's recipient) and every branch's report for business day D;
* measures the dispatcher's cost per minute -- wall time and SQL queries of one run -- when
  nothing is due (03:00), at 10:00 (claims + 1,000 messages queued) and at 10:01 (all
  claimed, nothing new), next to the previous per-tenant loop (3 queries per tenant);
* for each worker count (``--workers``): clears the summaries and claims, starts
  ``celery worker -c N`` (prefork, prefetch 1, acks late, as in production), runs the
  dispatcher once and reports the time from queuing to the last summary SENT.
E-mail goes to a backend that builds the complete MIME message (HTML, text, xlsx, PDF) and
drops it: the cost of sending is measured, not an SMTP server's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SLUG = "bd-dispatch"


class MimeOnlyBackend:
    """E-mail backend for the benchmark: builds every message's bytes, sends nothing."""

    def __init__(self, fail_silently=False, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        for m in messages:
            m.message().as_bytes()
        return len(messages)


def env_for(args) -> dict:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "marketing.settings",
        "DEBUG": "0",
        "DATABASE_URL": f"{PG}/{args.db}",
        "DB_CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": args.redis,
        "CELERY_RESULT_BACKEND": args.redis,
        "REDIS_URL": args.redis,
        "EMAIL_BACKEND": "bench_dispatch.MimeOnlyBackend",
        "VAR_DIR": "/tmp/bench-dispatch-var",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
    })
    return env


def setup(args):
    os.environ.update(env_for(args))
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def send_moment(now: dt.datetime):
    """The latest working day's 10:00:30 in Shanghai at or before ``now``, and its business day."""
    import zoneinfo

    from reports.workcal import WorkCalendar

    sh = zoneinfo.ZoneInfo("Asia/Shanghai")
    cal = WorkCalendar(None, overrides={})
    day = now.astimezone(sh).date()
    while not cal.is_working(day):
        day -= dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(10, 0, 30), tzinfo=sh)
    return moment, cal.previous_working(day)


def seed(args, business_day: dt.date) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from marketing.models import Branch, Membership, Region, RoleAssignment, Tenant, User
    from marketing.roles import Role
    from reports.models import DailyReport

    call_command("migrate", verbosity=0)
    with scopes_disabled():
        have = Tenant.objects.filter(slug__startswith=SLUG).count()
        if have == args.tenants and DailyReport.objects.filter(business_day=business_day).exists():
            print(f"data present: {have} tenants", flush=True)
            return
        if have:
            raise SystemExit(f"{have} bench tenants present, want {args.tenants}: use --reseed")
    t0 = time.perf_counter()
    now = timezone.now()
    password = make_password("Bench!pass-2026")
    with scopes_disabled():
        tenants = Tenant.objects.bulk_create([
            Tenant(name=f"压测租户{i:05d}", slug=f"{SLUG}-{i:05d}", marketing_mailbox=f"m@t{i:05d}.bench.test")
            for i in range(args.tenants)
        ])
        regions = Region.objects.bulk_create([Region(tenant=t, code="R1", name="全国") for t in tenants])
        Branch.objects.bulk_create([
            Branch(tenant=t, region=r, code=f"B{b:03d}", name=f"第{b}分公司", city="上海", sort_order=b)
            for t, r in zip(tenants, regions, strict=True) for b in range(args.branches)
        ], batch_size=5000)
        users = User.objects.bulk_create([
            User(username=f"{SLUG}-gm-{i:05d}", full_name=f"总经理{i}", email=f"gm@t{i:05d}.bench.test",
                 password=password) for i in range(args.tenants)
        ], batch_size=5000)
        members = Membership.objects.bulk_create([Membership(tenant=t, user=u) for t, u in zip(tenants, users, strict=True)])
        RoleAssignment.objects.bulk_create([
            RoleAssignment(tenant=m.tenant, membership=m, role=Role.GENERAL_MANAGER) for m in members
        ])
        by_tenant = {t.pk: u for t, u in zip(tenants, users, strict=True)}
        from reports.workcal import WorkCalendar

        due = WorkCalendar(None, overrides={}).next_working(business_day)
        due_at = dt.datetime.combine(due, dt.time(10, 0), tzinfo=dt.timezone(dt.timedelta(hours=8)))
        rows = []
        for b in Branch.objects.filter(tenant__slug__startswith=SLUG).values_list("pk", "tenant_id"):
            user = by_tenant[b[1]]
            rows.append(DailyReport(tenant_id=b[1], branch_id=b[0], business_day=business_day, status="submitted",
                                    narrative="今日拜访客户三家，签约一家。", customer_visits=3, contracts_signed=1,
                                    problems="无", next_plan="继续跟进", due_at=due_at,
                                    submitted_at=due_at - dt.timedelta(hours=1), submitted_by=user, created_by=user))
            if len(rows) == 5000:
                DailyReport.objects.bulk_create(rows)
                rows = []
        DailyReport.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {args.tenants} tenants x {args.branches} branches in {time.perf_counter() - t0:.0f}s "
          f"(now {now:%H:%M})", flush=True)


def legacy_dispatch(now) -> int:
    """The dispatcher before issue 10, for the "before" column: per tenant, a calendar query,
    an existence check and a retry query; queues whatever has no summary row yet."""
    from marketing.models import Tenant
    from marketing.tenancy import tenant_scope
    from reports.mailing import due_summaries

    n = 0
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            n += len(due_summaries(tenant=tenant, now=now))
    return n


def timed(fn, *a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # a full log (9,000 entries) would make the count read 0
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        result = fn(*a)
        ms = (time.perf_counter() - t0) * 1000
    return result, ms, len(ctx)


def dispatcher_costs(moment) -> list[tuple[str, str, float, int, int]]:
    from unittest import mock

    from django_scopes import scopes_disabled

    from reports import dispatch, tasks
    from reports.models import DailySummary, DispatchClaim

    quiet = moment.replace(hour=3, minute=0)
    rows = []
    for label, now in (("03:00, nothing due", quiet), ("10:00, all due, none sent", moment)):
        for _ in range(2):  # warm
            legacy_dispatch(now)
        runs = [timed(legacy_dispatch, now) for _ in range(3)]
        rows.append(("before: per-tenant loop", label, statistics.median(r[1] for r in runs), runs[0][2], runs[0][0]))
    with scopes_disabled():
        DispatchClaim.objects.all().delete()
        DailySummary.objects.all().delete()
    with mock.patch.object(tasks.send_summary, "delay"):
        runs = [timed(dispatch.due_summary_jobs, quiet) for _ in range(3)]
        rows.append(("after: claims", "03:00, nothing due", statistics.median(r[1] for r in runs), runs[0][2],
                     len(runs[0][0])))
        won, ms, q = timed(dispatch.due_summary_jobs, moment)
        rows.append(("after: claims", "10:00, claim all (first run)", ms, q, len(won)))
        runs = [timed(dispatch.due_summary_jobs, moment + dt.timedelta(minutes=1)) for _ in range(3)]
        rows.append(("after: claims", "10:01, all claimed, none sent", statistics.median(r[1] for r in runs),
                     runs[0][2], len(runs[0][0])))
    with scopes_disabled():
        DispatchClaim.objects.all().delete()
    return rows


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_sample(master: int, db: str) -> dict[int, int]:
    """CPU ticks of the worker (master + pool processes) and of the database's backends other
    than this process's own connection."""
    from django.db import connection

    try:
        pool = [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        pool = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db])
        backends = [r[0] for r in cursor.fetchall()]
    return {pid: _ticks(pid) for pid in [master, *pool, *backends]}


def run_workers(args, n: int, moment, business_day) -> dict:
    import redis
    from django.db import connection
    from django_scopes import scopes_disabled

    from reports import dispatch, tasks
    from reports.models import DailySummary, DispatchClaim, SummaryStatus

    with scopes_disabled():
        DispatchClaim.objects.all().delete()
        DailySummary.objects.all().delete()
    redis.Redis.from_url(args.redis).flushdb()
    log = open(f"/tmp/bench-dispatch-worker-{n}.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "marketing", "worker", "-c", str(n), "-P", "prefork",
         "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-l", "WARNING", "-n", f"bench{n}@%h"],
        env=env_for(args), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        from marketing.celery import app

        deadline = time.time() + 60
        while time.time() < deadline and not app.control.ping(timeout=1):
            pass
        connection.close()
        cpu0 = _cpu_sample(worker.pid, args.db)
        t0 = time.perf_counter()
        jobs = dispatch.due_summary_jobs(moment)
        if args.sample:  # a shorter run: queue only the first N tenants' summaries
            jobs = jobs[: args.sample]
        for job in jobs:
            tasks.send_summary.delay(job.tenant_id, job.business_day.isoformat())
        queued = time.perf_counter() - t0
        total = len(jobs)
        done, last_report = 0, 0.0
        limit = time.time() + args.timeout
        while time.time() < limit:
            with scopes_disabled():
                done = DailySummary.objects.filter(business_day=business_day, status=SummaryStatus.SENT).count()
                failed = DailySummary.objects.filter(business_day=business_day, status=SummaryStatus.FAILED).count()
            if done + failed >= total:
                break
            if time.time() - last_report > 15:
                print(f"    {n} worker(s): {done}/{total} sent after {time.perf_counter() - t0:.0f}s", flush=True)
                last_report = time.time()
            time.sleep(0.5)
        elapsed = time.perf_counter() - t0
        cpu1 = _cpu_sample(worker.pid, args.db)
        cpu_s = sum(t - cpu0.get(pid, 0) for pid, t in cpu1.items()) / os.sysconf("SC_CLK_TCK")
        connection.close()
        return {"cpu_per_summary": cpu_s / max(done, 1), "workers": n, "queued": total, "sent": done, "failed": failed, "queue_s": queued,
                "last_s": elapsed, "per_s": done / elapsed if elapsed else 0, "timed_out": done + failed < total}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="h_perf_dispatch")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--branches", type=int, default=50)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds to wait for the last summary")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--sample", type=int, default=0,
                        help="queue only this many of the due summaries per worker run (0 = all)")
    parser.add_argument("--skip-costs", action="store_true", help="skip the dispatcher cost table")
    args = parser.parse_args()

    exists = subprocess.run(["psql", f"{PG}/postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname='{args.db}'"],
                            capture_output=True, text=True, check=True).stdout.strip() == "1"
    if exists and args.reseed:
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f'DROP DATABASE "{args.db}"'], check=True)
        exists = False
    if not exists:
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f'CREATE DATABASE "{args.db}"'], check=True)
    setup(args)
    from django.utils import timezone

    moment, business_day = send_moment(timezone.now())
    print(f"{args.tenants} tenants x {args.branches} branches; summaries of {business_day} due {moment:%Y-%m-%d %H:%M}"
          f" (Asia/Shanghai); load average {os.getloadavg()[0]:.1f}", flush=True)
    seed(args, business_day)

    if not args.skip_costs:
        print("\ndispatcher, one run (median of 3 where repeated)")
        print(f"{'dispatcher':26} {'moment':32} {'ms':>9} {'queries':>8} {'due':>6}")
        for name, label, ms, q, n in dispatcher_costs(moment):
            print(f"{name:26} {label:32} {ms:9.1f} {q:8d} {n:6d}", flush=True)

    results = []
    for n in [int(x) for x in args.workers.split(",") if x.strip()]:
        print(f"\n{n} worker process(es): dispatching at {moment:%H:%M:%S} ...", flush=True)
        r = run_workers(args, n, moment, business_day)
        results.append(r)
        print(f"  queued {r['queued']} in {r['queue_s']:.1f}s; {r['sent']} sent, {r['failed']} failed;"
              f" last summary after {r['last_s']:.0f}s ({r['per_s']:.1f}/s)"
              + ("  TIMED OUT" if r["timed_out"] else "") + f"; {r['cpu_per_summary']:.3f} CPU s per summary"
              f" (worker + database); load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n{'workers':>8} {'summaries':>10} {'queue s':>8} {'last summary s':>15} {'per s':>7}"
          f" {'CPU s/summary':>14}")
    for r in results:
        print(f"{r['workers']:8d} {r['sent']:10d} {r['queue_s']:8.1f} {r['last_s']:15.0f} {r['per_s']:7.1f}"
              f" {r['cpu_per_summary']:14.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
