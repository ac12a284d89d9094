"""HQ materials stock (S000-05): the ledger, on-hand = its sum, never negative."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from marketing.materials import services
from marketing.materials.models import Material, MovementKind, StockMovement

from .helpers import make_material

pytestmark = pytest.mark.django_db


def _sum(org, m):
    with org.scope():
        return StockMovement.objects.filter(material=m).aggregate(s=Sum("delta"))["s"] or 0


def test_on_hand_is_the_sum_of_the_ledger(org_a):
    """S000-05: HQ keeps a materials inventory: receipt + adjustments, each a ledger row."""
    m = make_material(org_a, stock=100)
    with org_a.scope():
        services.stock_adjust(material=m, actor=org_a.users["mspec"], delta=-7, reason="盘点破损")
        services.stock_receive(material=m, actor=org_a.users["mspec"], quantity=20, reason="印刷厂交货")
        m.refresh_from_db()
        kinds = list(StockMovement.objects.filter(material=m).order_by("id").values_list("kind", "delta",
                                                                                         "balance_after"))
    assert m.on_hand == 113 == _sum(org_a, m)
    assert kinds == [(MovementKind.RECEIPT, 100, 100), (MovementKind.ADJUST, -7, 93), (MovementKind.RECEIPT, 20, 113)]


def test_stock_never_goes_negative(org_a):
    m = make_material(org_a, stock=5)
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        services.stock_adjust(material=m, actor=org_a.users["mspec"], delta=-6, reason="盘点")
    assert exc.value.code == "insufficient_stock"
    assert "库存不足" in exc.value.messages[0] and "现有 5" in exc.value.messages[0]
    with org_a.scope():
        m.refresh_from_db()
    assert m.on_hand == 5 == _sum(org_a, m)


def test_database_refuses_a_negative_balance_too(org_a):
    m = make_material(org_a, stock=1)
    with org_a.scope(), pytest.raises(IntegrityError), transaction.atomic():
        Material.objects.filter(pk=m.pk).update(on_hand=-1)


def test_adjustment_needs_a_reason_and_a_nonzero_quantity(org_a):
    m = make_material(org_a, stock=3)
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.stock_adjust(material=m, actor=org_a.users["mspec"], delta=2, reason=" ")
        assert exc.value.code == "reason_required"
        with pytest.raises(ValidationError) as exc:
            services.stock_adjust(material=m, actor=org_a.users["mspec"], delta=0, reason="x")
        assert exc.value.code == "zero_quantity"
        with pytest.raises(ValidationError):
            services.stock_receive(material=m, actor=org_a.users["mspec"], quantity=0)
    assert _sum(org_a, m) == 3


def test_code_unique_per_tenant_not_across(org_a, org_b):
    make_material(org_a, code="X1")
    with pytest.raises(ValidationError) as exc:
        make_material(org_a, code="X1")
    assert "code" in exc.value.message_dict and "已存在" in exc.value.message_dict["code"][0]
    with org_b.scope():
        services.material_create(tenant=org_b.tenant, actor=org_b.users["mspec"],
                                 data={"name": "乙物料", "code": "X1", "unit": "个"})


def test_movements_are_audited(org_a):
    from marketing.models import AuditEvent

    m = make_material(org_a, stock=4)
    with org_a.scope():
        verbs = set(AuditEvent.objects.filter(object_id=str(m.pk), object_type="materials.Material")
                    .values_list("verb", flat=True))
    assert verbs == {"materials.material_create", "materials.stock_receive"}
