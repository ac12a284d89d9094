"""Benchmark: the departure handover of a person owning 20,000 customers and 2,000 blank
contracts in a 100,000-customer tenant.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_people .venv/bin/python bench/bench_handover.py
    .venv/bin/python bench/bench_handover.py            # SQLite file under /tmp

Builds (once) the tenant with bulk inserts (the services are exercised by the tests). Then:
the checklist (time, queries — the same for a person with 10 customers and one with 20,000),
and the handover of the customers and the contracts to a colleague (time, queries, peak
Python heap), each inside a savepoint that is rolled back, so the bench can be re-run."""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_handover.sqlite3")
os.environ.setdefault("VAR_DIR", "/tmp/bench-handover-var")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from contracts.models import Contract, ContractState, PrintBatch, Product  # noqa: E402
from customers.models import Customer  # noqa: E402
from marketing import services  # noqa: E402
from marketing.models import Tenant, User  # noqa: E402
from marketing.people import handover  # noqa: E402
from marketing.people import services as people  # noqa: E402
from marketing.people.models import Departure  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", 100_000))
OWNED = int(os.environ.get("BENCH_OWNED", 20_000))
CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", 2_000))
SLUG = "bench-handover"
BATCH = 5000


def build() -> Tenant:
    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        return tenant
    t0 = time.perf_counter()
    tenant, admin = services.tenant_create(name="交接压测", slug=SLUG, marketing_mailbox="m@bench.test",
                                          admin_username="bh_admin", admin_password="Bench-pass-2026!")
    with tenant_scope(tenant):
        region = services.region_create(tenant=tenant, actor=None, code="R1", name="全国")
        branches = [services.branch_create(tenant=tenant, actor=None, region=region, code=f"B{i:02d}",
                                           name=f"分公司{i:02d}", city="上海") for i in range(10)]

        def mk(name, roles, br):
            return services.user_create(tenant=tenant, actor=None, username=name, password=None, full_name=name,
                                        roles=roles, branches=br)

        leaver = mk("bh_leaver", [Role.SALESPERSON], branches[:1])
        mk("bh_small", [Role.SALESPERSON], branches[:1])
        mk("bh_colleague", [Role.SALESPERSON], branches[:1])
        others = [mk(f"bh_sales{i}", [Role.SALESPERSON], [branches[i % 10]]) for i in range(20)]
        small = User.objects.get(username="bh_small")
        for start in range(0, CUSTOMERS, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, CUSTOMERS)):
                owner = leaver if n < OWNED else (small if n < OWNED + 10 else others[n % 20])
                rows.append(Customer(tenant=tenant, name=f"客户{n:06d}", branch=branches[0] if n < OWNED + 10
                                     else branches[n % 10], owner=owner))
            Customer.objects.bulk_create(rows)
            print(f"  {min(start + BATCH, CUSTOMERS):>7} customers", end="\r", flush=True)
        product = Product.objects.create(tenant=tenant, code="BH", name="压测产品", status="online", created_by=admin)
        batch = PrintBatch.objects.create(tenant=tenant, product=product, prefix="BH-", start=1, end=CONTRACTS,
                                          width=6, printer="压测", unit_cost=Decimal("1.00"),
                                          received_on=date.today() - timedelta(days=30))
        Contract.objects.bulk_create([
            Contract(tenant=tenant, number=batch.number(n), product=product, batch=batch,
                     state=ContractState.RECEIVED, branch=branches[0], holder=leaver, holder_name=leaver.full_name,
                     stocked_on=batch.received_on, dispatched_on=batch.received_on, received_on=batch.received_on)
            for n in range(1, CONTRACTS + 1)], batch_size=BATCH)
    print(f"built {CUSTOMERS} customers ({OWNED} owned) and {CONTRACTS} contracts in {time.perf_counter() - t0:.0f}s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return tenant


def timed(fn):
    """Time and queries of one run; then the Python heap peak (tracemalloc) of a second run in a
    savepoint that is rolled back (tracemalloc slows allocation, so it is not timed)."""
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        with transaction.atomic():
            result = fn()
            transaction.set_rollback(True)
        elapsed = time.perf_counter() - t0
    tracemalloc.start()
    with transaction.atomic():
        fn()
        transaction.set_rollback(True)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, len(ctx.captured_queries) - 2, peak / 2**20  # minus the savepoint pair


def main() -> None:
    tenant = build()
    with tenant_scope(tenant):
        admin = User.objects.get(username="bh_admin")
        leaver, small = User.objects.get(username="bh_leaver"), User.objects.get(username="bh_small")
        colleague = User.objects.get(username="bh_colleague")
        with transaction.atomic():
            today = timezone.localdate()
            d_big = people.departure_file(tenant=tenant, actor=admin, user=leaver, last_day=today + timedelta(days=40))
            d_small = people.departure_file(tenant=tenant, actor=admin, user=small, last_day=today + timedelta(days=40))
            for label, d in (("checklist, 10 customers", d_small), (f"checklist, {OWNED} customers", d_big)):
                d = Departure.objects.get(pk=d.pk)
                lines, s, q, mb = timed(lambda d=d: handover.checklist(d))
                counts = {line.provider.key: line.count for line in lines}
                print(f"{label:<34} {s * 1000:8.1f} ms  {q:3d} queries  peak {mb:6.1f} MiB  "
                      f"customers={counts['customers']} contracts={counts['contracts']}")
            n, s, q, mb = timed(lambda: people.line_resolve(departure=d_big, actor=admin, line="customers",
                                                            to_user=colleague))
            print(f"{'handover: customers':<34} {s * 1000:8.1f} ms  {q:3d} queries  peak {mb:6.1f} MiB  moved={n}")
            def job_run():  # the background path (jobs.py): start, claim, batches, done
                from marketing.people import jobs

                job = jobs.handover_job_start(departure=d_big, actor=admin, to_user=colleague)
                jobs.handover_job_run(job_pk=job.pk)
                job.refresh_from_db()
                return job.done

            n, s, q, mb = timed(job_run)
            print(f"{'handover: customers (job)':<34} {s * 1000:8.1f} ms  {q:3d} queries  peak {mb:6.1f} MiB  moved={n}")
            n, s, q, mb = timed(lambda: people.line_resolve(departure=d_big, actor=admin, line="contracts",
                                                            to_user=colleague))
            print(f"{'handover: contracts':<34} {s * 1000:8.1f} ms  {q:3d} queries  peak {mb:6.1f} MiB  moved={n}")
            people.line_resolve(departure=d_big, actor=admin, line="customers", to_user=colleague)
            lines = handover.checklist(Departure.objects.get(pk=d_big.pk))
            assert {line.provider.key: line.count for line in lines}["customers"] == 0
            transaction.set_rollback(True)  # re-runnable


if __name__ == "__main__":
    main()
