"""Benchmark: the approval inbox and the filtered expense list at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_approvals_bench .venv/bin/python bench/bench_approvals.py
    .venv/bin/python bench/bench_approvals.py            # SQLite file under /tmp

Builds (once) a tenant with 200 branches and 100,000 expense requests, each with its approval
flow, current step and task (bulk inserts: the services are exercised by the test suite; here
we only need the rows). Then it requests the inbox and a filtered list as a finance user and
as a branch user, checks the query count is the same at 1,000 and at 100,000 rows, and prints
the median time per request."""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_approvals.sqlite3")
os.environ.setdefault("VAR_DIR", "/tmp/bench-approvals-var")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from expenses.models import ExpenseRequest, ExpenseStatus  # noqa: E402
from marketing import services  # noqa: E402
from marketing.approvals.models import ApprovalFlow, ApprovalStep, ApprovalTask, StepStatus, TaskStatus  # noqa: E402
from marketing.models import Tenant  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402

BRANCHES = int(os.environ.get("BENCH_BRANCHES", 200))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 100_000))
SLUG = "bench-approvals"
REPEAT = 15
BATCH = 5000


def build() -> Tenant:
    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        return tenant
    t0 = time.perf_counter()
    tenant, admin = services.tenant_create(name="压测公司", slug=SLUG, marketing_mailbox="m@bench.test",
                                          admin_username="bench_admin", admin_password="Bench-pass-2026!")
    with tenant_scope(tenant):
        region = services.region_create(tenant=tenant, actor=None, code="R1", name="全国")
        branches = [services.branch_create(tenant=tenant, actor=None, region=region, code=f"B{i:03d}",
                                           name=f"分公司{i:03d}", city="上海") for i in range(BRANCHES)]
        mk = lambda name, roles, br=(): services.user_create(  # noqa: E731
            tenant=tenant, actor=None, username=name, password="Bench-pass-2026!", full_name=name, roles=roles,
            branches=list(br))
        finance = mk("bench_finance", [Role.FINANCE])
        bgm = mk("bench_bgm", [Role.BRANCH_GM], branches[:1])
        sales = [mk(f"bench_sales{i}", [Role.SALESPERSON], [branches[i]]) for i in range(20)]
        rng = random.Random(7)
        today = date.today()
        now = timezone.now()
        for start in range(0, REQUESTS, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, REQUESTS)):
                i = rng.randrange(20) if n % 10 else 0
                contract = Decimal(rng.choice([50000, 100000, 300000]))
                amount = (contract * Decimal(rng.choice(["0.02", "0.04", "0.06"]))).quantize(Decimal("0.01"))
                rows.append(ExpenseRequest(
                    tenant=tenant, number=f"YX-B-{n:06d}", branch=branches[i if n % 10 else rng.randrange(BRANCHES)],
                    applicant=sales[i], activity=f"活动{n}", purpose="压测", contract_amount=contract, amount=amount,
                    ratio=(amount / contract).quantize(Decimal("0.0001")), payee_name="收款方", payee_bank="银行",
                    payee_account="6222021000012345", planned_date=today + timedelta(days=n % 90),
                    status=rng.choice([ExpenseStatus.SUBMITTED, ExpenseStatus.ARCHIVED, ExpenseStatus.PAID]),
                    submitted_at=now,
                ))
            created = ExpenseRequest.objects.bulk_create(rows)
            if created[0].pk is None:
                created = list(ExpenseRequest.objects.filter(tenant=tenant, number__in=[r.number for r in rows]))
            flows = ApprovalFlow.objects.bulk_create([
                ApprovalFlow(tenant=tenant, document_type="expenses.request", object_id=e.pk, title=str(e),
                             url=f"/expenses/{e.pk}/", branch_id=e.branch_id, applicant_id=e.applicant_id,
                             started_at=now, current_position=1) for e in created
            ])
            if flows[0].pk is None:
                flows = list(ApprovalFlow.objects.filter(tenant=tenant, object_id__in=[e.pk for e in created]))
            steps = ApprovalStep.objects.bulk_create([
                ApprovalStep(tenant=tenant, flow=f, round=1, position=1, name="财务核实", kind="approve",
                             role=Role.FINANCE, scope="tenant", mode="any", status=StepStatus.ACTIVE) for f in flows
            ])
            if steps[0].pk is None:
                steps = list(ApprovalStep.objects.filter(flow__in=flows))
            ApprovalTask.objects.bulk_create([
                ApprovalTask(tenant=tenant, flow_id=s.flow_id, step=s,
                             assignee=finance if k % 3 else bgm,
                             status=TaskStatus.PENDING if k % 2 else TaskStatus.APPROVED) for k, s in enumerate(steps)
            ])
            print(f"  {min(start + BATCH, REQUESTS):>7} requests", end="\r", flush=True)
    print(f"built {REQUESTS} requests / {BRANCHES} branches in {time.perf_counter() - t0:.0f}s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do after a bulk load
    return tenant


def measure(client: Client, url: str) -> tuple[float, int]:
    client.get(url)  # warm
    times, queries = [], 0
    for _i in range(REPEAT):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return statistics.median(times) * 1000, queries


def main() -> None:
    tenant = build()
    from marketing.models import User

    with scopes_disabled():
        finance = User.objects.get(username="bench_finance")
        sales = User.objects.get(username="bench_sales0")
        total = ExpenseRequest.objects.filter(tenant=tenant).count()
        pending = ApprovalTask.objects.filter(tenant=tenant, assignee=finance, status=TaskStatus.PENDING).count()
    print(f"database: {connection.vendor}; {total} requests, finance has {pending} pending tasks")
    urls = [
        ("inbox (finance)", finance, "/approvals/"),
        ("inbox page 40 (finance)", finance, "/approvals/?page=40"),
        ("list filtered (finance)", finance, "/expenses/?status=submitted&amount_min=2000&since="
         + date.today().isoformat()),
        ("list filtered (branch sales)", sales, "/expenses/?status=archived&amount_max=20000"),
        ("list page 100 (finance)", finance, "/expenses/?page=100"),
    ]
    print(f"{'page':32} {'median ms':>10} {'queries':>8}")
    for label, user, url in urls:
        client = Client()
        client.force_login(user)
        ms, q = measure(client, url)
        print(f"{label:32} {ms:10.1f} {q:8d}")


if __name__ == "__main__":
    main()
