"""Benchmark: finance's receivables sheet at 200,000 lines, and the ageing report over them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_receivables .venv/bin/python bench/bench_receivables.py
    .venv/bin/python bench/bench_receivables.py          # SQLite file under /tmp
    BENCH_ROWS=20000 .venv/bin/python bench/bench_receivables.py   # a quicker run

Builds a tenant with 30 branches and 40 salespeople, writes an .xlsx of BENCH_ROWS lines
(a title row above the header, a totals line at the end), then measures with the real code
(``reports.receivables.imports`` / ``selectors``):
  * validate + apply of the whole file (one transaction), its peak Python memory
    (tracemalloc) and query count; then the same file again (idempotent: nothing written);
  * the ageing report (one grouped query) at 1,000 lines and at BENCH_ROWS lines, as a
    function call and as the page/xlsx a finance user requests: the query count must not
    grow with the lines."""

from __future__ import annotations

import dataclasses
import io
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_receivables.sqlite3")
os.environ.setdefault("VAR_DIR", "/tmp/bench-receivables-var")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from marketing import services  # noqa: E402
from marketing.models import Branch, Tenant  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402
from reports.receivables import imports  # noqa: E402
from reports.receivables.models import Receivable  # noqa: E402
from reports.receivables.selectors import ageing  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", 200_000))
BRANCHES = 30
SALES = 40
SLUG = "bench-receivables"
PASSWORD = "Bench-pass-2026!"
REPEAT = 7


def build() -> Tenant:
    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        return tenant
    tenant, _admin = services.tenant_create(name="压测公司", slug=SLUG, marketing_mailbox="m@bench.test",
                                           admin_username="bench_r_admin", admin_password=PASSWORD)
    with tenant_scope(tenant):
        region = services.region_create(tenant=tenant, actor=None, code="R1", name="全国")
        branches = [services.branch_create(tenant=tenant, actor=None, region=region, code=f"B{i:02d}",
                                           name=f"分公司{i:02d}", city="上海") for i in range(BRANCHES)]
        services.user_create(tenant=tenant, actor=None, username="bench_r_finance", password=PASSWORD,
                             full_name="压测财务", roles=[Role.FINANCE], branches=[])
        for i in range(SALES):
            services.user_create(tenant=tenant, actor=None, username=f"bench_r_sales{i}", password=PASSWORD,
                                 full_name=f"销售{i:02d}", roles=[Role.SALESPERSON], branches=[branches[i % BRANCHES]])
    return tenant


def sheet(rows: int, seed: int = 7) -> bytes:
    from openpyxl import Workbook

    rng = random.Random(seed)
    today = date.today()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("应收账款")
    ws.append(["2026年应收账款明细表"])
    ws.append(imports.TEMPLATE_HEADER)
    for n in range(rows):
        amount = rng.randrange(1000, 500000)
        received = rng.choice([0, 0, amount // 2, amount])
        # as finance's own export holds them: numbers and dates typed, text in shared strings
        ws.append([f"客户{n % 5000:04d}", f"FP{n:07d}", amount, today + timedelta(days=rng.randrange(-400, 60)),
                   received, f"分公司{n % BRANCHES:02d}", f"销售{n % SALES:02d}"])
    ws.append(["合计", "", "", "", "", "", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed_import(tenant, content: bytes, label: str, trace: bool = False) -> dict:
    """``trace``: measure the peak Python memory with tracemalloc (which slows Python code
    down, so the time of a traced run is not the time to quote)."""
    saved = imports.LIMITS
    if trace:  # tracemalloc makes reading ~4x slower: lift the reader's 300 s budget for this run only
        imports.LIMITS = dataclasses.replace(saved, max_seconds=3600)
        tracemalloc.start()
    with CaptureQueriesContext(connection) as ctx, tenant_scope(tenant):
        t0 = time.perf_counter()
        result, outcome = imports.import_file_now(tenant=tenant, filename="bench.xlsx", content=content)
        seconds = time.perf_counter() - t0
    peak = 0
    if trace:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        imports.LIMITS = saved
    assert result.ok, result.errors[:3]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory = f"peak {peak / 2**20:.0f} MiB (tracemalloc)" if trace else f"untraced, process max RSS so far {rss:.0f} MiB"
    print(f"{label}: {result.total} rows in {seconds:.1f}s, {memory}, "
          f"{len(ctx.captured_queries)} queries -> {outcome}")
    return {"seconds": seconds, "peak": peak, "queries": len(ctx.captured_queries), "outcome": outcome}


def timed_ageing(tenant, client: Client, label: str) -> tuple[int, int]:
    with tenant_scope(tenant):
        branches = Branch.objects.filter(tenant=tenant)
        times = []
        for _i in range(REPEAT):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                report = ageing(tenant=tenant, branches=branches, as_of=date.today())
                times.append(time.perf_counter() - t0)
        calls = len(ctx.captured_queries)
    page_times, page_queries = [], {}
    for fmt in ("html", "xlsx"):
        params = {"format": "xlsx"} if fmt == "xlsx" else {}
        client.get("/reports/receivables/", params)  # warm
        for _i in range(3):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get("/reports/receivables/", params)
                page_times.append((fmt, time.perf_counter() - t0))
            assert response.status_code == 200, response.status_code
            page_queries[fmt] = len(ctx.captured_queries)
    html = statistics.median(t for f, t in page_times if f == "html") * 1000
    xlsx = statistics.median(t for f, t in page_times if f == "xlsx") * 1000
    print(f"ageing {label}: {report.total.lines} open lines, {statistics.median(times) * 1000:.0f} ms, "
          f"{calls} query; page {html:.0f} ms / {page_queries['html']} queries; "
          f"xlsx {xlsx:.0f} ms / {page_queries['xlsx']} queries")
    return page_queries["html"], page_queries["xlsx"]


def main() -> None:
    tenant = build()
    with tenant_scope(tenant):
        Receivable.objects.filter(tenant=tenant).delete()
    from marketing.models import User

    client = Client()
    with tenant_scope(tenant):
        client.force_login(User.objects.get(username="bench_r_finance"))
    print(f"database: {connection.vendor}; {BRANCHES} branches, {SALES} salespeople")
    small = sheet(1000, seed=3)
    timed_import(tenant, small, "import 1,000")
    q_small = timed_ageing(tenant, client, "at 1,000")
    with tenant_scope(tenant):
        Receivable.objects.filter(tenant=tenant).delete()
    t0 = time.perf_counter()
    content = sheet(ROWS)
    print(f"sheet: {ROWS} rows, {len(content) / 2**20:.1f} MiB, written in {time.perf_counter() - t0:.1f}s")
    phases = os.environ.get("BENCH_PHASES", "time,trace").split(",")
    if "time" in phases:
        first = timed_import(tenant, content, f"import {ROWS:,}")
        assert first["outcome"]["created"] == ROWS
        again = timed_import(tenant, content, "re-import (same file)")
        assert again["outcome"]["changed"] is False
        with tenant_scope(tenant):
            Receivable.objects.filter(tenant=tenant).delete()
    if "trace" in phases:
        traced = timed_import(tenant, content, f"import {ROWS:,}, traced", trace=True)
        assert traced["outcome"]["created"] == ROWS
    else:
        timed_import(tenant, content, f"import {ROWS:,}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    q_big = timed_ageing(tenant, client, f"at {ROWS:,}")
    assert q_big == q_small, (q_small, q_big)
    print("query counts equal at 1,000 and", ROWS, "lines:", q_big)


if __name__ == "__main__":
    main()
