"""Benchmark: the leaders' dashboard endpoints and the monthly meeting pack for a big tenant.

Seeds a throw-away database with a tenant of N branches (default 500) and 12 months of
history: daily collections of every branch on every working day, a target per branch and
month, the daily reports of the last 30 working days, 4 customers per branch with visits.
Then, for a general manager (every branch) and one branch GM (one branch), times each
dashboard endpoint's figures (``reports.leaders.selectors.chart`` + JSON encoding, best of
--repeat) with its SQL query count, and the pack of the last month: compile, xlsx, PDF --
wall time and peak Python memory (tracemalloc).

    .venv/bin/python bench/bench_dashboard.py                 # 500 branches, SQLite in a temp dir
    .venv/bin/python bench/bench_dashboard.py --branches 50 500
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_dashboard .venv/bin/python bench/bench_dashboard.py

The query count of an endpoint must be the same for 1 and 500 branches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-dashboard-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from marketing import services as org_services  # noqa: E402
from marketing.demo import membership_of  # noqa: E402
from marketing.models import Branch, Region  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402
from reports.leaders import selectors  # noqa: E402
from reports.meetings.exports import pack_pdf, pack_xlsx  # noqa: E402
from reports.meetings.pack import compile_pack  # noqa: E402
from reports.models import Collection, DailyReport, MonthlyTarget, ReportStatus  # noqa: E402
from reports.workcal import WorkCalendar  # noqa: E402

MONTH = dt.date(2026, 11, 1)  # the month looked at (and the pack's month)
TODAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai on 1 December
REGION_SIZE = 25


@transaction.atomic
def seed(n_branches: int, slug: str):
    from customers.models import Customer, Visit

    rnd = random.Random(n_branches)
    tenant, admin = org_services.tenant_create(
        name=f"Bench {n_branches}", slug=slug, marketing_mailbox=f"marketing@{slug}.test",
        admin_username=f"{slug}_admin", admin_password="Bench!pass-2026",
    )
    with tenant_scope(tenant):
        n_regions = max(1, n_branches // REGION_SIZE)
        regions = Region.objects.bulk_create(
            [Region(tenant=tenant, code=f"R{i}", name=f"第{i}大区", sort_order=i) for i in range(n_regions)])
        branches = Branch.objects.bulk_create(
            [Branch(tenant=tenant, region=regions[i % n_regions], code=f"B{i:04d}", name=f"第{i}分公司", city="上海",
                    sort_order=i) for i in range(n_branches)])
        gm = org_services.user_create(tenant=tenant, actor=None, username=f"{slug}_gm", password=None,
                                      full_name="总经理", email=f"gm@{slug}.test", roles=[Role.GENERAL_MANAGER],
                                      branches=[])
        bgm = org_services.user_create(tenant=tenant, actor=None, username=f"{slug}_bgm", password=None,
                                       full_name="分总", email=f"bgm@{slug}.test", roles=[Role.BRANCH_GM],
                                       branches=[branches[0]])
        calendar = WorkCalendar(tenant)
        start = dt.date(2025, 12, 1)
        days, d = [], start
        while d <= TODAY:
            if calendar.is_working(d):
                days.append(d)
            d += dt.timedelta(days=1)
        batch = []
        for b in branches:
            for d in days:
                batch.append(Collection(tenant=tenant, branch=b, day=d, amount=Decimal(rnd.randint(0, 50000))))
                if len(batch) >= 5000:
                    Collection.objects.bulk_create(batch)
                    batch = []
        Collection.objects.bulk_create(batch)
        months = sorted({d.replace(day=1) for d in days})
        MonthlyTarget.objects.bulk_create(
            [MonthlyTarget(tenant=tenant, branch=b, month=m, amount=Decimal(800000))
             for m in months for i, b in enumerate(branches) if i % 7], batch_size=5000)
        reports = []
        for d in days[-30:]:
            due = calendar.due_at(d)
            reports += [DailyReport(tenant=tenant, branch=b, business_day=d, status=ReportStatus.SUBMITTED,
                                    narrative="拜访客户", due_at=due, created_by=admin,
                                    submitted_at=due - dt.timedelta(minutes=rnd.randint(-60, 600)))
                        for i, b in enumerate(branches) if (i + d.day) % 9]
        DailyReport.objects.bulk_create(reports, batch_size=5000)
        customers = Customer.objects.bulk_create(
            [Customer(tenant=tenant, name=f"客户{b.code}-{j}", branch=b, owner=gm) for b in branches for j in range(4)],
            batch_size=5000)
        Visit.objects.bulk_create(
            [Visit(tenant=tenant, customer=c, visited_on=MONTH + dt.timedelta(days=rnd.randint(0, 40)), visited_by=gm,
                   outcome="意向", next_step="报价") for c in customers for _ in range(2)], batch_size=5000)
    return tenant, gm, bgm


def timed(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    with CaptureQueriesContext(connection) as q:
        fn()
    return best, len(q), out


def run(n_branches: int, repeat: int) -> None:
    from marketing.models import Tenant, User

    slug = f"benchdash{n_branches}"
    tenant = Tenant.objects.filter(slug=slug).first()
    t0 = time.perf_counter()
    if tenant is None:
        tenant, gm, bgm = seed(n_branches, slug)
    else:
        gm, bgm = User.objects.get(username=f"{slug}_gm"), User.objects.get(username=f"{slug}_bgm")
    seed_s = time.perf_counter() - t0
    with tenant_scope(tenant):
        print(f"-- {n_branches} branches × 12 months: {Collection.objects.filter(tenant=tenant).count()} collections, "
              f"{DailyReport.objects.filter(tenant=tenant).count()} reports; seed {seed_s:.1f} s")
        print(f"{'endpoint':>14} {'reader':>6} {'wall ms':>8} {'queries':>7} {'KiB':>6}")
        for who, user in (("gm", gm), ("bgm", bgm)):
            membership = membership_of(user)
            for name in selectors.CHARTS:
                def endpoint(name=name, membership=membership):
                    scope = selectors.build_scope(membership=membership, month=MONTH, today=TODAY)
                    return json.dumps(selectors.decorate(selectors.chart(name, scope, NOW)), cls=DjangoJSONEncoder)
                endpoint()  # warm-up
                s, n, body = timed(endpoint, repeat)
                print(f"{name:>14} {who:>6} {s * 1000:>8.1f} {n:>7} {len(body) / 1024:>6.1f}")
        compile_pack(tenant=tenant, month=MONTH, now=NOW)  # warm-up
        s, n, data = timed(lambda: compile_pack(tenant=tenant, month=MONTH, now=NOW), repeat)
        tracemalloc.start()
        compile_pack(tenant=tenant, month=MONTH, now=NOW)
        _c, peak_compile = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        t0 = time.perf_counter()
        xlsx = pack_xlsx(data)
        xs = time.perf_counter() - t0
        t0 = time.perf_counter()
        pdf = pack_pdf(data)
        ps = time.perf_counter() - t0
        tracemalloc.start()
        pack_xlsx(data)
        pack_pdf(data)
        _c, peak_files = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"pack compile {s:.2f} s, {n} queries, peak {peak_compile / 2**20:.1f} MiB; "
              f"xlsx {xs:.2f} s ({len(xlsx) / 1024:.0f} KiB), PDF {ps:.2f} s ({len(pdf) / 1024:.0f} KiB), "
              f"files peak {peak_files / 2**20:.1f} MiB; {len(data['customers'])} customers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--branches", type=int, nargs="*", default=[500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; load average {os.getloadavg()[0]:.2f}")
    for n in args.branches:
        run(n, args.repeat)


if __name__ == "__main__":
    main()
