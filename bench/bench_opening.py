"""Benchmark: a 300,000-row contract ledger opening (合同台账期初) -- upload check and confirm.

    .venv/bin/python bench/bench_opening.py                     # SQLite file under /tmp
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_onboarding_bench .venv/bin/python bench/bench_opening.py
    BENCH_ROWS=30000 .venv/bin/python bench/bench_opening.py    # smaller

Builds a fresh tenant (20 branches, 2 products, one salesperson per branch), writes an xlsx of
BENCH_ROWS contracts in every state (openpyxl write_only; 20 % 在库, the rest at branches:
dispatched / received / signed / voided), then times ``opening_create`` + ``opening_check`` (one streamed
validation pass: the check task's body) and the confirm (``opening_confirm`` claims the job,
``opening_apply`` -- the apply task's body -- checks and bulk-writes contracts and their dated
events in chunks in one streamed pass) and a re-import of the same file (no writes). Prints wall time
and Python peak memory (tracemalloc) of each step, and the file size."""

from __future__ import annotations

import io
import os
import resource
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/bench_opening.sqlite3")
os.environ.setdefault("VAR_DIR", "/tmp/bench-opening-var")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from contracts.models import Contract, ContractEvent, Product, ProductStatus  # noqa: E402
from marketing import services  # noqa: E402
from marketing.models import Tenant  # noqa: E402
from marketing.onboarding import services as onboarding  # noqa: E402
from marketing.onboarding.models import OpeningKind  # noqa: E402
from marketing.roles import Role  # noqa: E402
from marketing.tenancy import tenant_scope  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", 300_000))
BRANCHES = 20
AS_OF = date(2026, 12, 1)


def build_tenant():
    slug = f"bench-opening-{int(time.time())}"
    tenant, admin = services.tenant_create(name="期初基准", slug=slug, marketing_mailbox="m@bench.test",
                                           admin_username=f"{slug}-admin", admin_password="Bench!pass-2026")
    with tenant_scope(tenant):
        region = services.region_create(tenant=tenant, actor=admin, name="全国", code="ALL")
        branches = [services.branch_create(tenant=tenant, actor=admin, region=region, name=f"第{i:02d}分公司",
                                           code=f"B{i:02d}") for i in range(BRANCHES)]
        for i, b in enumerate(branches):
            services.user_create(tenant=tenant, actor=admin, username=f"{slug}-s{i}", password=None,
                                 full_name=f"销售{i:02d}", roles=[Role.SALESPERSON], branches=[b])
        for code in ("P1", "P2"):
            Product.objects.create(tenant=tenant, code=code, name=code, status=ProductStatus.ONLINE, created_by=admin)
    return tenant, admin


def ledger_xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append(["合同台账期初（基准）"])
    ws.append(["合同编号", "产品", "状态", "分公司", "领取人", "入库日期", "派发日期", "领取日期", "签约日期", "作废日期"])
    for n in range(1, rows + 1):
        b = n % BRANCHES
        kind = n % 10
        product = "P1" if n % 3 else "P2"
        number = f"LZ-{n:07d}"
        if kind < 2:
            ws.append([number, product, "在库", "", "", "2026-03-01", "", "", "", ""])
        elif kind < 4:
            ws.append([number, product, "已派发", f"第{b:02d}分公司", "", "2026-03-01", "2026-04-01", "", "", ""])
        elif kind < 6:
            ws.append([number, product, "已领取", f"第{b:02d}分公司", f"销售{b:02d}", "2026-03-01", "2026-04-01",
                       "2026-04-03", "", ""])
        elif kind < 9:
            ws.append([number, product, "客户已签", f"第{b:02d}分公司", f"销售{b:02d}", "2026-03-01", "2026-04-01",
                       "2026-04-03", "2026-05-01", ""])
        else:
            ws.append([number, product, "回收作废", f"第{b:02d}分公司", f"销售{b:02d}", "2026-03-01", "2026-04-01",
                       "2026-04-03", "", "2026-05-02"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


TRACE = os.environ.get("BENCH_TRACEMALLOC") == "1"  # Python-heap peak per step (slows the run 2-3x)


def measured(label, fn):
    if TRACE:
        tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    extra = ""
    if TRACE:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        extra = f"   python heap peak {peak / 1024 / 1024:7.1f} MB"
    print(f"{label:<28} {seconds:8.1f} s   process max RSS {rss:7.1f} MB{extra}", flush=True)
    return result


def main():
    with scopes_disabled():
        call_command("migrate", verbosity=0)
    tenant, admin = build_tenant()
    content = measured(f"write xlsx ({ROWS:,} rows)", lambda: ledger_xlsx(ROWS))
    print(f"file size                    {len(content) / 1024 / 1024:8.1f} MB")
    def upload():  # what the check task does after the browser upload
        job = onboarding.opening_create(tenant=tenant, kind=OpeningKind.CONTRACTS, filename="bench.xlsx",
                                        content=content, as_of=AS_OF, actor=admin)
        return onboarding.opening_check(job=job)

    def confirm(job):  # the claim, then what the apply task does
        return onboarding.opening_apply(job=onboarding.opening_confirm(job=job, actor=admin, enqueue=False))

    with tenant_scope(tenant):
        job = measured("upload + check", upload)
        assert job.status == "ready", job.errors[:5]
        job = measured("confirm (check + write)", lambda: confirm(job))
        assert job.status == "done", job.errors[:5]
        print(f"contracts {Contract.objects.filter(tenant=tenant).count():,}, "
              f"events {ContractEvent.objects.filter(tenant=tenant).count():,}")
        again = measured("re-import: upload + check", upload)
        again = measured("re-import: confirm", lambda: confirm(again))
        assert again.result["new"] == 0 and again.result["unchanged"] == ROWS, again.result
    Tenant.objects.filter(pk=tenant.pk).exists()


if __name__ == "__main__":
    main()
