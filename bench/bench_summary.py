"""Benchmark: compile one daily summary (HTML + text + xlsx + PDF) for a big tenant.

Seeds a throw-away database with a tenant of N branches (default: 50 and 500), a roster of
10 people per branch (5,000 for 500 branches), two years of daily collections for every
branch and this month's targets and reports, then times one summary.

    .venv/bin/python bench/bench_summary.py                 # 50 and 500 branches, SQLite in a temp dir
    .venv/bin/python bench/bench_summary.py --branches 500  # one size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_reports .venv/bin/python bench/bench_summary.py

Prints, per size: wall time and CPU time of this process (best of --repeat runs, without
tracing; CPU time is the fairer number on a shared, loaded machine), peak Python memory
(tracemalloc, one separate run) and the SQL query count. Target: < 2 s for 500 branches,
and the same query count for 50 and 500 branches. "charts s": what the two e-mail charts
(issue #20, matplotlib) add -- the best of --repeat runs of ``charts.summary_charts`` (the
message renders them once, for the e-mail and the PDF); target < 1 s at 500 branches.
"html KiB": the e-mail's HTML body (kept within 100 KB).
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
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "VAR_DIR" not in os.environ and "DATABASE_URL" not in os.environ:
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-reports-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from marketing import services as org_services  # noqa: E402
from marketing.models import Branch, Region  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402
from reports.mailing import build_summary_message  # noqa: E402
from reports.models import Collection, DailyReport, MonthlyTarget, ReportStatus, RosterEntry  # noqa: E402
from reports.selectors import summary_recipients  # noqa: E402
from reports.summary import compile_summary  # noqa: E402
from reports.workcal import WorkCalendar  # noqa: E402

BUSINESS_DAY = dt.date(2026, 11, 20)
PEOPLE_PER_BRANCH = 10
REGION_SIZE = 25


@transaction.atomic
def seed(n_branches: int, slug: str):
    rnd = random.Random(n_branches)
    tenant, admin = org_services.tenant_create(
        name=f"Bench {n_branches}", slug=slug, marketing_mailbox=f"marketing@{slug}.test",
        admin_username=f"{slug}_admin", admin_password="Bench!pass-2026",
    )
    with tenant_scope(tenant):
        n_regions = max(1, n_branches // REGION_SIZE)
        regions = Region.objects.bulk_create(
            [Region(tenant=tenant, code=f"R{i}", name=f"第{i}大区", sort_order=i) for i in range(n_regions)]
        )
        branches = Branch.objects.bulk_create(
            [Branch(tenant=tenant, region=regions[i % n_regions], code=f"B{i:04d}", name=f"第{i}分公司", city="上海",
                    sort_order=i) for i in range(n_branches)]
        )
        for i in range(min(n_branches, 20)):  # some branch GMs as recipients
            org_services.user_create(tenant=tenant, actor=None, username=f"{slug}_gm{i}", password=None,
                                     full_name=f"分总{i}", email=f"gm{i}@{slug}.test", roles=[Role.BRANCH_GM],
                                     branches=[branches[i]])
        positions = ["销售", "业务员", "销售经理", "大区经理", "出纳"]
        RosterEntry.objects.bulk_create(
            [RosterEntry(tenant=tenant, branch=b, name=f"员工{b.code}{j}", position=positions[j % 5],
                         hire_date=dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randint(0, 900)),
                         leave_date=(dt.date(2026, 6, 1) if j == 9 else None))
             for b in branches for j in range(PEOPLE_PER_BRANCH)],
            batch_size=2000,
        )
        calendar = WorkCalendar(tenant)
        days, d = [], BUSINESS_DAY
        while d > BUSINESS_DAY - dt.timedelta(days=730):
            if calendar.is_working(d):
                days.append(d)
            d -= dt.timedelta(days=1)
        batch = []
        for b in branches:
            for d in days:
                batch.append(Collection(tenant=tenant, branch=b, day=d, amount=Decimal(rnd.randint(0, 50000))))
                if len(batch) >= 5000:
                    Collection.objects.bulk_create(batch)
                    batch = []
        Collection.objects.bulk_create(batch)
        MonthlyTarget.objects.bulk_create(
            [MonthlyTarget(tenant=tenant, branch=b, month=BUSINESS_DAY.replace(day=1), amount=Decimal(800000))
             for i, b in enumerate(branches) if i % 7]
        )
        due = calendar.due_at(BUSINESS_DAY)
        DailyReport.objects.bulk_create(
            [DailyReport(tenant=tenant, branch=b, business_day=BUSINESS_DAY, status=ReportStatus.SUBMITTED,
                         narrative="上午拜访4S店两家，下午与修理厂洽谈合作。" * 3, customer_visits=5, contracts_signed=2,
                         problems="物料不足", next_plan="继续跟进", due_at=due,
                         submitted_at=due - dt.timedelta(minutes=rnd.randint(-60, 600)), created_by=admin)
             for i, b in enumerate(branches) if i % 10]
        )
    return tenant, len(days)


def charts_time(data, repeat: int) -> float:
    from reports.charts import summary_charts

    best = best_cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        drawn = summary_charts(data)
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    assert all(c.png for c in drawn), [c.note for c in drawn]
    return best, best_cpu


def one_summary(tenant):
    data = compile_summary(tenant=tenant, business_day=BUSINESS_DAY, now=dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC))
    recipients = [u.email for u in summary_recipients(tenant=tenant)]
    message = build_summary_message(tenant=tenant, data=data, recipients=recipients, msg_id="<bench@x>")
    raw = message.message().as_bytes()  # renders the MIME tree: HTML, text, xlsx, PDF
    return data, raw


def run(n_branches: int, repeat: int) -> dict:
    slug = f"bench{n_branches}"
    from marketing.models import Tenant

    tenant = Tenant.objects.filter(slug=slug).first()
    seed_time = 0.0
    if tenant is None:
        t0 = time.perf_counter()
        tenant, _days = seed(n_branches, slug)
        seed_time = time.perf_counter() - t0
    with tenant_scope(tenant):
        one_summary(tenant)  # warm-up: imports, font registration
        best = best_cpu = float("inf")
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            data, raw = one_summary(tenant)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        with CaptureQueriesContext(connection) as queries:
            one_summary(tenant)
        tracemalloc.start()
        one_summary(tenant)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        chart_s, chart_cpu = charts_time(data, repeat)
        html = next(p for p in __import__("email").message_from_bytes(raw).walk() if p.get_content_type() == "text/html")
        html_kib = len(html.get_payload(decode=True)) / 1024
        roster = RosterEntry.objects.filter(tenant=tenant).count()
        collections = Collection.objects.filter(tenant=tenant).count()
    return {"branches": n_branches, "roster": roster, "collections": collections, "seconds": best, "cpu": best_cpu,
            "peak_mib": peak / 1024 / 1024, "queries": len(queries), "mail_kib": len(raw) / 1024, "seed_s": seed_time,
            "charts_s": chart_s, "charts_cpu": chart_cpu, "html_kib": html_kib}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, nargs="*", default=[50, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'branches':>8} {'roster':>7} {'collections':>11} {'wall s':>7} {'cpu s':>6} {'peak MiB':>9} {'queries':>7} {'mail KiB':>8} {'seed s':>7} {'charts s':>8} {'chart cpu':>9} {'html KiB':>8}")
    for n in args.branches:
        r = run(n, args.repeat)
        print(f"{r['branches']:>8} {r['roster']:>7} {r['collections']:>11} {r['seconds']:>7.3f} {r['cpu']:>6.3f} {r['peak_mib']:>9.1f} "
              f"{r['queries']:>7} {r['mail_kib']:>8.0f} {r['seed_s']:>7.1f} {r['charts_s']:>8.3f} {r['charts_cpu']:>9.3f} {r['html_kib']:>8.1f}")


if __name__ == "__main__":
    main()
