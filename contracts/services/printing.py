"""The printer's side of a print batch (S000-09, seed 000 市场专员: 核对内部台账与印刷厂报价，确认
印刷厂结账): record the printer's quote and bill, compare both with the ledger's cost (unit cost ×
copies), and confirm the settlement (已结账). A settled batch is final: its figures no longer change."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record

from ..models import PrintBatch

FIELDS = ("quote_amount", "bill_amount")


def _lock(batch: PrintBatch) -> PrintBatch:
    batch = PrintBatch.objects.select_for_update().get(pk=batch.pk, tenant_id=batch.tenant_id)
    if batch.is_settled:
        raise ValidationError(_("该印刷批次已结账，不能再修改或重复结账。"), code="already_settled")
    return batch


def _figures(batch: PrintBatch) -> dict:
    return {
        "quote_amount": batch.quote_amount,
        "bill_amount": batch.bill_amount,
        "ledger_amount": batch.ledger_amount,
        "bill_minus_quote": batch.bill_minus_quote,
        "bill_minus_ledger": batch.bill_minus_ledger,
    }


@transaction.atomic
def batch_reconcile(
    *, batch: PrintBatch, actor, quote_amount: Decimal, bill_amount: Decimal, request=None
) -> PrintBatch:
    """Record (or correct, until settled) the printer's quote and bill of a batch."""
    batch = _lock(batch)
    for value in (quote_amount, bill_amount):
        if value is None or value < 0:
            raise ValidationError(_("报价与账单金额必须填写，且不能为负数。"), code="bad_amount")
    before = {f: getattr(batch, f) for f in FIELDS}
    batch.quote_amount, batch.bill_amount = quote_amount, bill_amount
    if before == {f: getattr(batch, f) for f in FIELDS}:
        return batch
    batch.save(update_fields=list(FIELDS))
    audit_record(
        tenant=batch.tenant,
        actor=actor,
        verb="contracts.batch_reconcile",
        obj=batch,
        before=before,
        after=_figures(batch),
        request=request,
    )
    return batch


@transaction.atomic
def batch_settle(*, batch: PrintBatch, actor, note: str = "", request=None) -> PrintBatch:
    """Confirm the printer's settlement (确认印刷厂结账). Needs the quote and the bill; when the bill
    differs from the quote or from the ledger, the note says why (it is what was reconciled)."""
    batch = _lock(batch)
    note = (note or "").strip()
    if batch.quote_amount is None or batch.bill_amount is None:
        raise ValidationError(_("请先登记印刷厂报价与账单金额，再确认结账。"), code="amounts_required")
    if (batch.bill_minus_quote or batch.bill_minus_ledger) and not note:
        raise ValidationError(_("账单与报价或内部台账不一致：请写明核对说明后再结账。"), code="note_required")
    batch.settled_at, batch.settled_by, batch.settlement_note = timezone.now(), actor, note
    batch.save(update_fields=["settled_at", "settled_by", "settlement_note"])
    audit_record(
        tenant=batch.tenant,
        actor=actor,
        verb="contracts.batch_settle",
        obj=batch,
        before={"settled": False},
        after={"settled": True, "note": note, **_figures(batch)},
        request=request,
    )
    return batch
