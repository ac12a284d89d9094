"""Benchmark: plans and periodic reports at scale (reports/submissions).

Seeds a throw-away database with a tenant of N branches (default 50 and 500) and five
branch rules (the shipped 行动计划表 twice a week, 案例分享 weekly, 月度考核目标 monthly, and
two more weekly rules), each with one year of periods in which ~90 % of branches
submitted, then measures for the newest period of the busiest rule:

* the board (every branch's status), as a reviewer sees it;
* the digest (board + HTML + text + xlsx attachment, MIME rendered);
* a branch GM's "my submissions due" (home card).

    .venv/bin/python bench/bench_submissions.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_submissions .venv/bin/python bench/bench_submissions.py

Prints wall/CPU time (best of --repeat), peak Python memory (tracemalloc) and SQL queries
per operation; the query counts must not grow with branches or rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "VAR_DIR" not in os.environ and "DATABASE_URL" not in os.environ:
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-submissions-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from marketing import services as org_services  # noqa: E402
from marketing.models import Branch, Membership, Region, Tenant  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402
from reports.submissions import cadence, mailing, selectors  # noqa: E402
from reports.submissions.models import Submission, SubmissionRule, SubmissionStatus  # noqa: E402
from reports.workcal import WorkCalendar  # noqa: E402

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
RULES = ["action_plan", "case_sharing", "sales_targets", "weekly_stats", "weekly_training"]


@transaction.atomic
def seed(n_branches: int, slug: str) -> int:
    rnd = random.Random(n_branches)
    tenant, admin = org_services.tenant_create(
        name=f"Bench {n_branches}", slug=slug, marketing_mailbox=f"marketing@{slug}.test",
        admin_username=f"{slug}_admin", admin_password="Bench!pass-2026",
    )
    with tenant_scope(tenant):
        n_regions = max(1, n_branches // 25)
        regions = Region.objects.bulk_create(
            [Region(tenant=tenant, code=f"R{i}", name=f"第{i}大区", sort_order=i) for i in range(n_regions)])
        branches = Branch.objects.bulk_create(
            [Branch(tenant=tenant, region=regions[i % n_regions], code=f"B{i:04d}", name=f"第{i}分公司", city="上海",
                    sort_order=i) for i in range(n_branches)])
        gm = org_services.user_create(tenant=tenant, actor=None, username=f"{slug}_bgm", password=None,
                                      full_name="分总", email=f"bgm@{slug}.test", roles=[Role.BRANCH_GM],
                                      branches=branches[:3])
        org_services.user_create(tenant=tenant, actor=None, username=f"{slug}_dir", password=None, full_name="总监",
                                 email=f"dir@{slug}.test", roles=[Role.MARKETING_DIRECTOR])
        base = SubmissionRule.objects.get(tenant=tenant, code="case_sharing")
        for code, weekday in (("weekly_stats", 3), ("weekly_training", 1)):
            SubmissionRule.objects.create(
                tenant=tenant, code=code, name=code, fields=base.fields, submitter_roles=[Role.BRANCH_GM],
                scope="branch", cadence="weekly", weekdays=[weekday], reviewer_roles=[Role.MARKETING_DIRECTOR],
                digest_roles=[Role.MARKETING_DIRECTOR])
        cal = WorkCalendar(tenant)
        data = {"title": "案例", "customer": None, "story": "经过" * 40, "script": "话术" * 20, "recorder": gm.pk}
        batch, rows = [], 0
        for rule in SubmissionRule.objects.filter(tenant=tenant, code__in=RULES).select_related("tenant"):
            for period in cadence.nominal_dates(rule, NOW.date() - dt.timedelta(days=365), NOW.date(), cal):
                due = cadence.due_at(rule, period, cal)
                for b in branches:
                    if rnd.random() < 0.1:
                        continue
                    at = due - dt.timedelta(minutes=rnd.randint(-120, 600))
                    batch.append(Submission(
                        tenant=tenant, rule=rule, period=period, due_at=due, branch=b, submitter=gm,
                        status=SubmissionStatus.ACCEPTED if rnd.random() < 0.5 else SubmissionStatus.SUBMITTED,
                        data=data, search_text=data["story"], first_submitted_at=at, submitted_at=at))
                    if len(batch) >= 5000:
                        Submission.objects.bulk_create(batch)
                        rows += len(batch)
                        batch = []
        Submission.objects.bulk_create(batch)
        rows += len(batch)
    return rows


def measure(fn, repeat: int) -> dict:
    fn()  # warm-up
    best = best_cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    with CaptureQueriesContext(connection) as queries:
        fn()
    tracemalloc.start()
    fn()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"s": best, "cpu": best_cpu, "mib": peak / 1024 / 1024, "q": len(queries)}


def run(n_branches: int, repeat: int) -> list[tuple[str, dict]]:
    slug = f"benchsub{n_branches}"
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        t0 = time.perf_counter()
        rows = seed(n_branches, slug)
        print(f"seeded {n_branches} branches, {rows} submissions in {time.perf_counter() - t0:.1f} s")
        tenant = Tenant.objects.get(slug=slug)
    with tenant_scope(tenant):
        rule = SubmissionRule.objects.select_related("tenant").get(tenant=tenant, code="action_plan")
        cal = WorkCalendar(tenant)
        period = cadence.previous_periods(rule, cadence.current_period(rule, NOW, cal), cal, 1)[0]
        director = Membership.objects.select_related("tenant").prefetch_related("role_assignments").get(
            tenant=tenant, user__username=f"{slug}_dir")
        bgm = Membership.objects.select_related("tenant").prefetch_related("role_assignments").get(
            tenant=tenant, user__username=f"{slug}_bgm")
        total = Submission.objects.filter(tenant=tenant).count()

        def board():
            b = selectors.board(rule=rule, period=period, now=NOW, membership=director)
            assert b["total"] == n_branches
        def digest():
            msg = mailing.build_digest(rule=rule, period=period, now=NOW, recipients=["dir@x.test"])
            msg.message().as_bytes()
        def due():
            selectors.my_due(membership=bgm, now=NOW)
        return [(f"board ({total} rows)", measure(board, repeat)), ("digest", measure(digest, repeat)),
                ("my due", measure(due, repeat))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, nargs="*", default=[50, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'branches':>8} {'operation':<22} {'wall s':>7} {'cpu s':>6} {'peak MiB':>9} {'queries':>7}")
    for n in args.branches:
        for name, r in run(n, args.repeat):
            print(f"{n:>8} {name:<22} {r['s']:>7.3f} {r['cpu']:>6.3f} {r['mib']:>9.1f} {r['q']:>7}")


if __name__ == "__main__":
    main()
