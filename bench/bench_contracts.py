"""Benchmark: the contract ledger list, the weekly usage analysis and the sell-through check at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_contracts_bench .venv/bin/python bench/bench_contracts.py
    .venv/bin/python bench/bench_contracts.py            # SQLite file under /tmp

Builds a tenant with 200 branches in 10 regions and 5 online products, first with 5,000 contracts
(measured), then grows it to 500,000 (BENCH_CONTRACTS) and measures again: the query count of
every page must be the same at both sizes. Rows are bulk-inserted (the services are exercised
by the test suite; here we only need the rows): 10 % in HQ stock, 90 % dispatched to a branch,
of those 60 % received, of the received 60 % signed and 5 % voided, dates over 180 days.
Movement events are not built (no measured page reads them). Prints median time, Python peak
memory (tracemalloc) and queries per request."""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_contracts.sqlite3")
os.environ.setdefault("VAR_DIR", "/tmp/bench-contracts-var")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from contracts.models import (  # noqa: E402
    Contract,
    ContractRequest,
    ContractState,
    PrintBatch,
    Product,
    ProductStatus,
    ProductVersion,
    RequestStatus,
    VersionStatus,
)
from contracts.selectors_ledger import sell_through, usage  # noqa: E402
from marketing import services  # noqa: E402
from marketing.models import Branch, Tenant, User  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402

BRANCHES = int(os.environ.get("BENCH_BRANCHES", 200))
CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", 500_000))
SMALL = 5_000
PRODUCTS = 5
SLUG = "bench-contracts"
REPEAT = int(os.environ.get("BENCH_REPEAT", 7))
BATCH = 5000


def setup_tenant() -> Tenant:
    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        return tenant
    tenant, admin = services.tenant_create(name="压测公司", slug=SLUG, marketing_mailbox="m@bench.test",
                                          admin_username="benchc_admin", admin_password="Bench-pass-2026!")
    with tenant_scope(tenant):
        regions = [services.region_create(tenant=tenant, actor=None, code=f"R{r:02d}", name=f"大区{r:02d}",
                                          sort_order=r) for r in range(10)]
        branches = [services.branch_create(tenant=tenant, actor=None, region=regions[i % 10], code=f"B{i:03d}",
                                           name=f"分公司{i:03d}", city="上海") for i in range(BRANCHES)]

        def mk(name, roles, br=()):
            return services.user_create(tenant=tenant, actor=None, username=name, password="Bench-pass-2026!",
                                        full_name=name, roles=roles, branches=list(br))

        mk("benchc_mspec", [Role.MARKETING_SPECIALIST])
        sales = mk("benchc_sales", [Role.SALESPERSON], branches[:1])
        for p in range(PRODUCTS):
            product = Product.objects.create(tenant=tenant, code=f"YB-{p:02d}", name=f"延保产品{p:02d}",
                                             status=ProductStatus.ONLINE, created_by=admin)
            version = ProductVersion.objects.create(
                tenant=tenant, product=product, number=1, name=product.name, coverage="发动机", vehicle_type="乘用车",
                term_months=24, price=Decimal("2980"), branch=branches[0], applicant=admin,
                status=VersionStatus.APPROVED)
            product.current_version = version
            product.save(update_fields=["current_version"])
        ContractRequest.objects.create(tenant=tenant, number="SL-B-00001", branch=branches[0],
                                       product=Product.objects.get(tenant=tenant, code="YB-00"), quantity=100,
                                       applicant=sales, status=RequestStatus.SUBMITTED)
    return tenant


def grow(tenant: Tenant, target: int) -> None:
    """Add contracts until the tenant has ``target``: one print batch per product and chunk."""
    with tenant_scope(tenant):
        have = Contract.objects.filter(tenant=tenant).count()
        if have >= target:
            return
        t0 = time.perf_counter()
        products = list(Product.objects.filter(tenant=tenant).order_by("code"))
        branch_ids = list(Branch.objects.filter(tenant=tenant).values_list("pk", flat=True))
        holder = User.objects.get(username="benchc_sales")
        rng = random.Random(have + 11)
        today = date.today()
        n = have
        while n < target:
            size = min(BATCH, target - n)
            product = products[(n // BATCH) % len(products)]
            batch = PrintBatch.objects.create(tenant=tenant, product=product, prefix="BC-", start=n + 1, end=n + size,
                                              width=7, printer="压测印刷厂", unit_cost=Decimal("1.80"),
                                              received_on=today - timedelta(days=200))
            rows = []
            for k in range(n + 1, n + size + 1):
                c = Contract(tenant=tenant, number=f"BC-{k:07d}", product=product, batch=batch,
                             stocked_on=batch.received_on)
                if rng.random() < 0.9:
                    c.branch_id = rng.choice(branch_ids)
                    c.dispatched_on = today - timedelta(days=rng.randrange(20, 180))
                    c.state = ContractState.DISPATCHED
                    if rng.random() < 0.6:
                        c.state, c.received_on = ContractState.RECEIVED, c.dispatched_on + timedelta(days=5)
                        c.holder, c.holder_name = holder, holder.full_name
                        roll = rng.random()
                        if roll < 0.6:
                            c.state, c.signed_on = ContractState.SIGNED, c.received_on + timedelta(days=7)
                        elif roll < 0.65:
                            c.state, c.voided_on, c.void_reason = ContractState.VOIDED, c.received_on, "填错"
                rows.append(c)
            Contract.objects.bulk_create(rows, batch_size=BATCH)
            n += size
            print(f"  {n:>7} contracts", end="\r", flush=True)
        print(f"grew to {target} contracts in {time.perf_counter() - t0:.0f}s" + " " * 10)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do after a bulk load


def measure(fn) -> tuple[float, float, int]:
    fn()  # warm
    times, peaks, queries = [], [], 0
    for _i in range(REPEAT):
        tracemalloc.start()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        queries = len(ctx.captured_queries)
    return statistics.median(times) * 1000, max(peaks) / 1024 / 1024, queries


def scenarios(tenant: Tenant):
    with scopes_disabled():
        mspec = User.objects.get(username="benchc_mspec")
        sales = User.objects.get(username="benchc_sales")
        request_pk = ContractRequest.objects.get(tenant=tenant, number="SL-B-00001").pk
        branch = Branch.objects.get(tenant=tenant, code="B000")
        region = branch.region
        product = Product.objects.get(tenant=tenant, code="YB-00")
    marketing, seller = Client(), Client()
    marketing.force_login(mspec)
    seller.force_login(sales)
    today = date.today().isoformat()

    def page(client, url):
        def run():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return run

    def sell_through_only():
        with tenant_scope(tenant):
            sell_through(tenant=tenant, branch=branch, product=product)

    def usage_only():
        with tenant_scope(tenant):
            usage(tenant=tenant, as_of=date.today())

    return [
        ("ledger list (marketing)", page(marketing, "/contracts/ledger/")),
        ("ledger filtered (marketing)", page(marketing, f"/contracts/ledger/?state=signed&branch={branch.pk}")),
        ("ledger page 50 (marketing)", page(marketing, "/contracts/ledger/?page=50")),
        ("ledger list (branch sales)", page(seller, "/contracts/ledger/")),
        ("usage page (regions)", page(marketing, f"/contracts/usage/?as_of={today}")),
        ("usage page (one region)", page(marketing, f"/contracts/usage/?as_of={today}&region={region.pk}")),
        ("usage xlsx download", page(marketing, f"/contracts/usage/export.xlsx?as_of={today}")),
        ("usage selector only", usage_only),
        ("request page w/ sell-through", page(marketing, f"/contracts/requests/{request_pk}/")),
        ("sell-through selector only", sell_through_only),
    ]


def run(tenant: Tenant, label: str) -> dict:
    with scopes_disabled():
        total = Contract.objects.filter(tenant=tenant).count()
    print(f"\n{label}: database {connection.vendor}, {total:,} contracts, {BRANCHES} branches")
    print(f"{'scenario':32} {'median ms':>10} {'peak MiB':>9} {'queries':>8}")
    out = {}
    for name, fn in scenarios(tenant):
        ms, mib, q = measure(fn)
        out[name] = q
        print(f"{name:32} {ms:10.1f} {mib:9.1f} {q:8d}")
    return out


def main() -> None:
    tenant = setup_tenant()
    grow(tenant, SMALL)
    small = run(tenant, "small")
    grow(tenant, CONTRACTS)
    large = run(tenant, "large")
    differ = {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    print("\nquery counts identical at both sizes" if not differ else f"\nQUERY COUNTS GREW: {differ}")


if __name__ == "__main__":
    main()
