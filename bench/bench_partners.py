"""Benchmark: the partners register (customers/partners) at size.

Seeds a throw-away database with a tenant of B branches, P partners and A agreements (default
a small run 20/5,000/12,000 and the issue's 200/50,000/120,000), then times, as a marketing
specialist through the test client: the partner list (first page), the list filtered by
region + expiring within 60 days, the register filtered by original state, the register xlsx
export of one region, and the daily summary's new-partner columns (the provider alone).

    .venv/bin/python bench/bench_partners.py                       # both sizes, SQLite in a temp dir
    .venv/bin/python bench/bench_partners.py --sizes 200:50000:120000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_partners .venv/bin/python bench/bench_partners.py

Prints per size and operation: wall time (best of --repeat), peak Python memory (tracemalloc,
one separate run) and the SQL query count, which must be the same at both sizes.
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
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench-partners-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from customers.partners import services  # noqa: E402
from customers.partners.models import Agreement, AgreementKind, OriginalState, Partner, PartnerType  # noqa: E402
from customers.partners.summary_columns import figures  # noqa: E402
from marketing import services as org_services  # noqa: E402
from marketing.models import Branch, Region, Tenant  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402

DAY = dt.date(2026, 11, 20)
REGION_SIZE = 25
STATES = [OriginalState.TO_SEND, OriginalState.SENT, OriginalState.RECEIVED, OriginalState.ARCHIVED]


@transaction.atomic
def seed(n_branches: int, n_partners: int, n_agreements: int, slug: str):
    rnd = random.Random(n_partners)
    tenant, admin = org_services.tenant_create(
        name=f"Bench partners {n_partners}", slug=slug, marketing_mailbox=f"marketing@{slug}.test",
        admin_username=f"{slug}_admin", admin_password="Bench!pass-2026",
    )
    with tenant_scope(tenant):
        n_regions = max(1, n_branches // REGION_SIZE)
        regions = Region.objects.bulk_create(
            [Region(tenant=tenant, code=f"R{i}", name=f"第{i}大区", sort_order=i) for i in range(n_regions)])
        branches = Branch.objects.bulk_create(
            [Branch(tenant=tenant, region=regions[i % n_regions], code=f"B{i:04d}", name=f"第{i}分公司", city="上海",
                    sort_order=i) for i in range(n_branches)])
        services.ensure_default_types(tenant)
        types = list(PartnerType.objects.filter(tenant=tenant))
        user = org_services.user_create(tenant=tenant, actor=None, username=f"{slug}_mspec", password=None,
                                        full_name="市场专员", email=f"mspec@{slug}.test",
                                        roles=[Role.MARKETING_SPECIALIST], branches=[])
        partners = []
        for i in range(n_partners):
            b = branches[i % n_branches]
            partners.append(Partner(tenant=tenant, type=types[i % 2], name=f"合作单位{i:06d}", branch=b,
                                    region_id=b.region_id, city="上海", created_by=admin))
        Partner.objects.bulk_create(partners, batch_size=5000)
        partners = list(Partner.objects.filter(tenant=tenant).only("pk", "branch_id"))
        batch, per = [], {}
        for i in range(n_agreements):
            p = partners[i % len(partners)]
            per[p.pk] = per.get(p.pk, 0) + 1
            signed = DAY - dt.timedelta(days=rnd.randint(0, 900))
            batch.append(Agreement(
                tenant=tenant, partner_id=p.pk, number=f"BN-{i:07d}",
                kind=AgreementKind.NEW if per[p.pk] == 1 else AgreementKind.RENEWAL, signed_on=signed,
                starts_on=signed, ends_on=signed + dt.timedelta(days=364), branch_id=p.branch_id,
                original_state=STATES[i % 4], created_by=admin))
            if len(batch) >= 5000:
                Agreement.objects.bulk_create(batch)
                batch = []
        Agreement.objects.bulk_create(batch)
    return tenant, user


def measure(fn, repeat):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fn()
    tracemalloc.start()
    fn()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 1024 / 1024, len(queries)


def run(size: tuple[int, int, int], repeat: int) -> list[tuple]:
    n_branches, n_partners, n_agreements = size
    slug = f"bp{n_partners}"
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        t0 = time.perf_counter()
        tenant, user = seed(n_branches, n_partners, n_agreements, slug)
        print(f"  seeded {n_branches} branches / {n_partners} partners / {n_agreements} agreements in "
              f"{time.perf_counter() - t0:.1f} s")
    else:
        from marketing.models import User

        user = User.objects.get(username=f"{slug}_mspec")
    # Keep one connection across requests so the query capture sees them.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(user)
    with tenant_scope(tenant):
        region = Region.objects.filter(tenant=tenant).order_by("pk").first()

    def get(url, **params):
        def call():
            r = client.get(url, params)
            assert r.status_code == 200, (url, r.status_code)
            if r.get("Content-Type", "").startswith("application/vnd"):
                assert len(r.content) > 1000
        return call

    def provider():
        with tenant_scope(tenant):
            figures(tenant=tenant, business_day=DAY)

    ops = [
        ("partner list", get("/partners/")),
        ("list region+expiring 60d", get("/partners/", region=region.pk, expiring_days=60)),
        ("register original=sent", get("/partners/register/", original="sent")),
        ("register export, 1 region", get("/partners/register/export/", region=region.pk)),
        ("summary columns", provider),
    ]
    return [(name, *measure(fn, repeat)) for name, fn in ops]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["20:5000:12000", "200:50000:120000"],
                        help="branches:partners:agreements")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; load average {os.getloadavg()[0]:.2f}")
    for s in args.sizes:
        size = tuple(int(x) for x in s.split(":"))
        print(f"size {s}")
        print(f"  {'operation':<28} {'wall s':>7} {'peak MiB':>9} {'queries':>7}")
        for name, wall, peak, queries in run(size, args.repeat):
            print(f"  {name:<28} {wall:>7.3f} {peak:>9.1f} {queries:>7}")


if __name__ == "__main__":
    main()
