import pytest

from marketing.demo import DEMO_MAIN, build_tenant
from marketing.materials import demo
from marketing.materials.models import LibraryVersion, Material, MaterialRequest, Shipment, StockMovement
from marketing.tenancy import tenant_scope

pytestmark = pytest.mark.django_db


def test_rich_demo_is_consistent_and_idempotent(django_capture_on_commit_callbacks):
    tenant, people = build_tenant(DEMO_MAIN, password="pw-x-2026!")
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        demo.seed(tenant=tenant, personas=people, rich=True)
        demo.seed(tenant=tenant, personas=people, rich=True)
        assert Material.objects.count() == 4
        for m in Material.objects.all():
            assert m.on_hand == sum(StockMovement.objects.filter(material=m).values_list("delta", flat=True))
        assert sorted(MaterialRequest.objects.values_list("status", flat=True)) == ["dispatched", "submitted"]
        assert Shipment.objects.count() == 2
        assert LibraryVersion.objects.count() == 3
