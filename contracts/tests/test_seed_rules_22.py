"""Issue 22, the contracts rows: print batches reconciled against the printer's quote and bill,
and the printer's settlement confirmed (S000-09)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts.models import PrintBatch
from contracts.services import printing
from contracts.tests.helpers import approved_product, make_batch
from marketing.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(org_a):
    product = approved_product(org_a)
    return make_batch(org_a, product, last="LZ-2026-000200", cost="0.8725")  # 200 copies


def _reload(org, batch):
    with org.scope():
        return PrintBatch.objects.get(pk=batch.pk)


def test_S000_09_quote_and_bill_against_the_internal_ledger(org_a, client_as, batch):
    """S000-09: the ledger's cost is unit cost × copies (200 × 0.8725 = 174.50); the page shows
    the printer's quote and bill and both differences."""
    assert batch.copies == 200 and batch.ledger_amount == Decimal("174.50")
    client = client_as(org_a.users["mspec"])
    detail = reverse("contracts:batch_detail", args=[batch.pk])
    assert "未核对" in client.get(detail).content.decode()
    response = client.post(
        reverse("contracts:batch_reconcile", args=[batch.pk]),
        {"quote_amount": "170.00", "bill_amount": "174.50"},
    )
    assert response.status_code == 302
    batch = _reload(org_a, batch)
    assert (batch.quote_amount, batch.bill_amount) == (Decimal("170.00"), Decimal("174.50"))
    assert (batch.bill_minus_quote, batch.bill_minus_ledger, batch.quote_minus_ledger) == (
        Decimal("4.50"),
        Decimal("0.00"),
        Decimal("-4.50"),
    )
    page = client.get(detail).content.decode()
    assert "¥174.50" in page and "¥170.00" in page and "¥4.50" in page and "¥0.00" in page
    assert "待结账" in page and reverse("contracts:batch_settle", args=[batch.pk]) in page
    with org_a.scope():
        event = AuditEvent.objects.get(verb="contracts.batch_reconcile", object_id=str(batch.pk))
    assert event.before == {"quote_amount": None, "bill_amount": None}
    assert Decimal(event.after["bill_minus_quote"]) == Decimal("4.50")
    assert Decimal(event.after["ledger_amount"]) == Decimal("174.50")
    # a negative bill is refused and changes nothing
    client.post(
        reverse("contracts:batch_reconcile", args=[batch.pk]), {"quote_amount": "170", "bill_amount": "-1"}
    )
    assert _reload(org_a, batch).bill_amount == Decimal("174.50")


def test_S000_09_settlement_confirmed_once_and_then_final(org_a, client_as, batch):
    """S000-09: settlement (已结账) needs the quote and the bill, a note when the bill differs, is
    audited, and is refused the second time; a settled batch's figures no longer change."""
    actor = org_a.users["mspec"]
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            printing.batch_settle(batch=batch, actor=actor)
        assert exc.value.code == "amounts_required"
        printing.batch_reconcile(
            batch=batch, actor=actor, quote_amount=Decimal("170.00"), bill_amount=Decimal("174.50")
        )
        with pytest.raises(ValidationError) as exc:
            printing.batch_settle(batch=batch, actor=actor, note="  ")
        assert exc.value.code == "note_required"
        assert not PrintBatch.objects.get(pk=batch.pk).is_settled
    client = client_as(actor)
    settle = reverse("contracts:batch_settle", args=[batch.pk])
    assert client.post(settle, {"note": "报价未含覆膜，按内部台账结算"}).status_code == 302
    settled = _reload(org_a, batch)
    assert (
        settled.is_settled
        and settled.settled_by == actor
        and settled.settlement_note == "报价未含覆膜，按内部台账结算"
    )
    with org_a.scope():
        event = AuditEvent.objects.get(verb="contracts.batch_settle", object_id=str(batch.pk))
        assert (
            event.actor == actor
            and event.after["settled"] is True
            and Decimal(event.after["bill_minus_ledger"]) == 0
        )
        with pytest.raises(ValidationError) as exc:
            printing.batch_settle(batch=batch, actor=actor, note="再结一次")
        assert exc.value.code == "already_settled"
        with pytest.raises(ValidationError) as exc:
            printing.batch_reconcile(
                batch=batch, actor=actor, quote_amount=Decimal("1"), bill_amount=Decimal("1")
            )
        assert exc.value.code == "already_settled"
    second = client.post(settle, {"note": "再结一次"}, follow=True).content.decode()
    assert "已结账，不能再修改或重复结账" in second
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="contracts.batch_settle", object_id=str(batch.pk)).count() == 1
    after = _reload(org_a, batch)
    assert (after.bill_amount, after.settled_at) == (Decimal("174.50"), settled.settled_at)
    page = client.get(reverse("contracts:batch_detail", args=[batch.pk])).content.decode()
    assert "已结账" in page and settle not in page
    assert "已结账" in client.get(reverse("contracts:batches")).content.decode()


def test_S000_09_matching_bill_settles_without_note(org_a, batch):
    """S000-09: when quote, bill and ledger agree (174.50 each) no note is needed."""
    actor = org_a.users["mspec"]
    with org_a.scope():
        printing.batch_reconcile(
            batch=batch, actor=actor, quote_amount=Decimal("174.50"), bill_amount=Decimal("174.50")
        )
        assert printing.batch_settle(batch=batch, actor=actor).is_settled


def test_S000_09_only_contract_managers_of_the_tenant_settle(org_a, org_b, client_as, batch):
    settle = reverse("contracts:batch_settle", args=[batch.pk])
    reconcile = reverse("contracts:batch_reconcile", args=[batch.pk])
    data = {"quote_amount": "1.00", "bill_amount": "1.00"}
    assert client_as(org_b.users["allroles"]).post(reconcile, data).status_code == 404
    assert client_as(org_b.users["allroles"]).post(settle).status_code == 404
    assert client_as(org_a.users["sales"]).post(reconcile, data).status_code == 403
    assert client_as(org_a.users["mspec"]).get(settle).status_code == 405
    assert _reload(org_a, batch).bill_amount is None


# --- S001-20: the product design's cost estimate and input-output ratio -----------------------


def test_S001_20_cost_estimate_and_input_output_ratio(org_a, client_as):
    """S001-20: 模拟定价、成本估算、投入产出比. Price 2980.00 × 500 = 1,490,000.00 out; 200,000.00
    development + 1,850.00 × 500 = 1,125,000.00 in; ratio 1,490,000 / 1,125,000 = 1.3244 -> 1.32."""
    from contracts.tests.helpers import make_design

    version = make_design(
        org_a,
        submit=False,
        estimated_unit_cost=Decimal("1850.00"),
        development_cost=Decimal("200000.00"),
        expected_sales=500,
    )
    with org_a.scope():
        from contracts.models import ProductVersion

        version = ProductVersion.objects.get(pk=version.pk)
    assert version.estimated_input == Decimal("1125000.00")
    assert version.estimated_output == Decimal("1490000.00")
    assert version.input_output_ratio == Decimal("1.32")
    page = (
        client_as(org_a.users["sales"])
        .get(reverse("contracts:version_detail", args=[version.pk]))
        .content.decode()
    )
    assert "投入产出比" in page and "1 : 1.32" in page and "¥1125000.00" in page
    # without a full estimate there is no ratio (and the page shows none)
    version.expected_sales = None
    assert version.estimated_input is None and version.input_output_ratio is None
    version.expected_sales, version.development_cost, version.estimated_unit_cost = (
        10,
        Decimal("0"),
        Decimal("0"),
    )
    assert version.input_output_ratio is None  # nothing put in: no ratio rather than a division by zero


def test_S000_09_a_stale_tab_cannot_settle_on_figures_changed_since(org_a, client_as, batch):
    """S000-09: the settle form carries the batch's row version; after someone else corrects the bill,
    the old tab's 确认结账 is refused with the note kept, and the batch stays unsettled."""
    from marketing.concurrency import VERSION_FIELD

    client = client_as(org_a.users["mspec"])
    page = client.get(reverse("contracts:batch_detail", args=[batch.pk]))
    seen = page.context["settle_form"].fields[VERSION_FIELD].initial
    with org_a.scope():
        printing.batch_reconcile(batch=batch, actor=org_a.users["mspec"], quote_amount=Decimal("170.00"),
                                 bill_amount=Decimal("999.00"))
    response = client.post(reverse("contracts:batch_settle", args=[batch.pk]),
                           {"note": "按报价结算", VERSION_FIELD: seen})
    assert response.status_code == 200
    form = response.context["settle_form"]
    assert form.data["note"] == "按报价结算" and "未保存" in response.content.decode()
    assert _reload(org_a, batch).settled_at is None


def _sheet(response):
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_S000_09_the_batch_export_carries_quote_bill_and_settlement(org_a, client_as, batch):
    """S000-09: the print-batch export shows the ledger's 174.50 beside the printer's quote
    170.00 and bill 174.50 (difference 4.50), who settled and the note."""
    actor = org_a.users["mspec"]
    with org_a.scope():
        printing.batch_reconcile(batch=batch, actor=actor, quote_amount=Decimal("170.00"),
                                 bill_amount=Decimal("174.50"))
    client = client_as(actor)
    [row] = _sheet(client.get(reverse("contracts:batch_export")))
    assert (row["台账金额"], row["印刷厂报价"], row["印刷厂账单"], row["账单−报价"], row["结账"]) == (
        174.5, 170.0, 174.5, 4.5, "未结账")
    with org_a.scope():
        printing.batch_settle(batch=batch, actor=actor, note="报价未含覆膜")
    [row] = _sheet(client.get(reverse("contracts:batch_export")))
    assert row["结账"] != "未结账" and (row["确认结账人"], row["核对说明"]) == (actor.display_name, "报价未含覆膜")


def test_S001_20_the_design_export_carries_the_cost_estimate(org_a, client_as):
    """S001-20: the product-design export lists the estimate: 1,125,000.00 in, 1,490,000.00
    out, ratio 1.32; a design without an estimate leaves those cells empty."""
    from contracts.tests.helpers import make_design

    make_design(org_a, submit=False, estimated_unit_cost=Decimal("1850.00"),
                development_cost=Decimal("200000.00"), expected_sales=500)
    rows = _sheet(client_as(org_a.users["sales"]).get(reverse("contracts:design_export")))
    estimated = [r for r in rows if r["预计销量"] == 500]
    assert [(r["预计投入"], r["预计产出"], r["投入产出比"]) for r in estimated] == [(1125000.0, 1490000.0, 1.32)]
