"""Demo receivables: finance's sheet imported through the import (so an import job exists),
lines in every ageing bucket, one doubtful line with its reason, and collection actions."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone

from marketing.models import Branch

from . import imports, services
from .models import Receivable


def sheet(rows: list[list], title: str | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(imports.TEMPLATE_HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def seed(*, tenant, personas, rich: bool) -> None:
    if Receivable.objects.filter(tenant=tenant).exists():
        return
    actor = next((personas[k] for k in ("finance", "mspec", "admin", "allroles") if k in personas), None)
    if actor is None:
        return
    sales = next((user for key, user in personas.items() if key.startswith("sales")), None)
    today = timezone.localdate()
    branches = list(Branch.objects.filter(tenant=tenant).order_by("code")[: 3 if rich else 1])
    offsets = [-20, 10, 45, 75, 120, 240] if rich else [-20, 45]
    rows = []
    for b_index, branch in enumerate(branches):
        for o_index, days in enumerate(offsets):
            amount = 10000 * (o_index + 1) + 1000 * b_index
            rows.append([f"示例客户{b_index + 1}-{o_index + 1}", f"DEMO-{branch.code}-{o_index + 1:03d}", f"{amount}.00",
                         (today - dt.timedelta(days=days)).isoformat(), f"{amount // 4}.00", branch.name,
                         sales.full_name if sales else ""])
    job = imports.import_create(tenant=tenant, filename="应收账款明细-示例.xlsx", content=sheet(rows, "应收账款明细表"),
                                actor=actor, schedule=False)
    job = imports.import_validate(job=job)
    job = imports.import_confirm(job=job, actor=actor, schedule=False)
    imports.import_apply(job=job)
    oldest = Receivable.objects.filter(tenant=tenant).order_by("due_date").first()
    if oldest is None:
        return
    services.receivable_flag(receivable=oldest, actor=actor, flag="doubtful",
                             reason="客户经营困难，多次催收未果，列为呆账。")
    services.collection_action_add(receivable=oldest, actor=actor, action="电话催收", owner=sales or actor,
                                   action_date=today - dt.timedelta(days=3), outcome="客户承诺月底前付一半。")
