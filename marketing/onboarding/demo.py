"""Demo data: a checklist confirmation and one (invalid, harmless) opening upload per tenant, so
every page that takes an object id has an object in both test tenants. Idempotent. The demo
tenant has no TenantSetup row: its sell-through checks stay as they are."""

from __future__ import annotations

from django.utils import timezone

from .models import MarkKind, OpeningImport, OpeningKind, OpeningStatus, SetupMark


def seed(*, tenant, personas, rich: bool) -> None:
    admin = personas.get("admin")
    today = timezone.localdate(timezone=tenant.zone)
    SetupMark.objects.get_or_create(tenant=tenant, step="calendar", item=str(today.year), kind=MarkKind.CONFIRMED,
                                    defaults={"actor": admin})
    if not OpeningImport.objects.filter(tenant=tenant, filename="示例-期初台账.xlsx").exists():
        OpeningImport.objects.create(
            tenant=tenant, kind=OpeningKind.CONTRACTS, filename="示例-期初台账.xlsx", content=b"", sha256="",
            as_of=today, status=OpeningStatus.INVALID, total_rows=0, error_rows=1,
            errors=[{"row": None, "messages": ["文件为空。"]}], created_by=admin)
