"""Every write on marketing-expense requests. Approval steps themselves are the engine's
(``marketing.approvals.services``); the hooks below keep this document's status in step."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.approvals.services import approval_start
from marketing.approvals.uploads import validate_attachment
from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.files import delete_on_commit, save_on_commit
from marketing.models import Tenant
from marketing.selectors import visible_branches

from .models import (
    MAX_AMOUNT,
    AttachmentKind,
    ExpenseAttachment,
    ExpenseRequest,
    ExpenseSequence,
    ExpenseStatus,
)

EDIT_FIELDS = [
    "branch", "activity", "purpose", "activity_kind", "contract_amount", "amount",
    "payee_name", "payee_bank", "payee_account", "planned_date",
]
MAX_ATTACHMENTS = 10


def compute_ratio(amount: Decimal, contract_amount: Decimal | None) -> Decimal | None:
    """Expense ÷ related contract amount, 4 places; None when the request has no contract."""
    if contract_amount is None or amount is None:
        return None
    return (Decimal(amount) / Decimal(contract_amount)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _next_number(tenant: Tenant) -> str:
    year = timezone.localtime(timezone.now(), tenant.zone).year
    seq, _created = ExpenseSequence.objects.select_for_update().get_or_create(tenant=tenant, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"YX-{year}-{seq.last:05d}"


def _check_branch(*, membership, branch) -> None:
    if not visible_branches(membership=membership).filter(pk=branch.pk).exists():
        raise ValidationError(_("您不能为该分公司申请费用。"), code="branch_not_allowed")


def _apply(expense: ExpenseRequest, data: dict) -> None:
    for name, value in data.items():
        if name not in EDIT_FIELDS:
            raise ValidationError(f"not an editable field: {name}", code="bad_field")
        setattr(expense, name, value)
    for name in ("amount", "contract_amount"):
        value = getattr(expense, name)
        if value is not None and value > MAX_AMOUNT:
            raise ValidationError(_("金额过大，请核对（上限 1 亿元）。"), code="amount_too_large")
    if expense.contract_amount is not None and expense.amount is not None and expense.amount > expense.contract_amount:
        raise ValidationError(_("费用金额不能超过相关合同金额。"), code="amount_over_contract")
    expense.ratio = compute_ratio(expense.amount, expense.contract_amount)
    expense.full_clean(exclude=["number"])


def _attach(expense, actor, files) -> None:
    files = list(files or [])
    existing = expense.attachments.count() if expense.pk else 0
    if existing + len(files) > MAX_ATTACHMENTS:
        raise ValidationError(_("每份申请最多 %(n)s 个附件。"), params={"n": MAX_ATTACHMENTS}, code="too_many_files")
    for kind, upload in files:
        validate_attachment(upload)
        att = ExpenseAttachment(
            tenant_id=expense.tenant_id, request=expense, kind=kind or AttachmentKind.OTHER,
            original_name=upload.name[:200], size=upload.size, uploaded_by=actor,
        )
        save_on_commit(att.file, upload.name, upload)  # written when the transaction commits
        att.save()


@transaction.atomic
def expense_create(*, tenant, membership, actor, data: dict, files=(), submit: bool = False, request=None):
    """A new request by ``actor`` for one of their branches; optionally submitted at once."""
    _check_branch(membership=membership, branch=data.get("branch"))
    expense = ExpenseRequest(tenant=tenant, applicant=actor, ratio_limit=tenant.expense_ratio_limit)
    _apply(expense, data)
    expense.number = _next_number(tenant)
    expense.save()
    _attach(expense, actor, files)
    audit_record(tenant=tenant, actor=actor, verb="expenses.create", obj=expense,
                 after=model_snapshot(expense, ["number", *EDIT_FIELDS, "ratio"]), request=request)
    if submit:
        expense_submit(expense=expense, actor=actor, request=request)
    return expense


@transaction.atomic
def expense_update(*, expense, membership, actor, data: dict, files=(), submit: bool = False, request=None):
    """The applicant edits a draft, rejected or withdrawn request (and may resubmit it)."""
    expense = ExpenseRequest.objects.select_for_update().get(pk=expense.pk)
    if expense.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人可以修改。"), code="not_applicant")
    if not expense.is_editable:
        raise ValidationError(_("审批中或已归档的申请不能修改。"), code="not_editable")
    if "branch" in data and data["branch"].pk != expense.branch_id:
        _check_branch(membership=membership, branch=data["branch"])
    before = model_snapshot(expense, EDIT_FIELDS + ["ratio"])
    _apply(expense, data)
    expense.save()
    _attach(expense, actor, files)
    old, new = changed_fields(before, model_snapshot(expense, EDIT_FIELDS + ["ratio"]))
    if new or files:
        audit_record(tenant=expense.tenant, actor=actor, verb="expenses.update", obj=expense, before=old, after=new,
                     request=request)
    if submit:
        expense_submit(expense=expense, actor=actor, request=request)
    return expense


@transaction.atomic
def expense_submit(*, expense, actor, request=None) -> ExpenseRequest:
    expense = ExpenseRequest.objects.select_for_update().select_related("tenant").get(pk=expense.pk)
    if expense.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人可以提交。"), code="not_applicant")
    if not expense.is_editable:
        raise ValidationError(_("该申请已提交，不能重复提交。"), code="not_editable")
    old = expense.status
    # The reviewer is shown the policy in force at submission; a later change of the tenant
    # setting does not silently re-route a request already on its way.
    expense.ratio_limit = expense.tenant.expense_ratio_limit
    expense.status, expense.submitted_at = ExpenseStatus.SUBMITTED, timezone.now()
    expense.save(update_fields=["ratio_limit", "status", "submitted_at"])
    audit_record(tenant=expense.tenant, actor=actor, verb="expenses.submit", obj=expense,
                 before={"status": old}, after={"status": expense.status, "ratio_limit": expense.ratio_limit},
                 request=request)
    approval_start(document=expense, actor=actor, request=request)
    return expense


@transaction.atomic
def expense_remove_attachment(*, attachment, actor, request=None) -> None:
    expense = ExpenseRequest.objects.select_for_update().get(pk=attachment.request_id)
    if expense.applicant_id != actor.pk or not expense.is_editable:
        raise ValidationError(_("只有申请人在提交前可以删除附件。"), code="not_editable")
    audit_record(tenant=expense.tenant, actor=actor, verb="expenses.attachment_remove", obj=expense,
                 before={"file": attachment.original_name}, request=request)
    delete_on_commit(attachment.file)  # the file goes only if the row's deletion commits
    attachment.delete()


@transaction.atomic
def expense_mark_paid(*, expense, actor, paid_on, reference: str, request=None) -> ExpenseRequest:
    """Finance records the payout (营销费用发放) of an archived request."""
    expense = ExpenseRequest.objects.select_for_update().get(pk=expense.pk)
    if expense.status != ExpenseStatus.ARCHIVED:
        raise ValidationError(_("只有已归档的申请可以登记发放。"), code="not_archived")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(_("请填写付款凭证号。"), code="reference_required")
    if paid_on is None or (expense.archived_at and paid_on < timezone.localtime(expense.archived_at).date()):
        raise ValidationError(_("发放日期不能早于归档日期。"), code="bad_paid_on")
    if paid_on > timezone.localdate():
        raise ValidationError(_("发放日期不能是将来的日期。"), code="bad_paid_on")
    expense.status, expense.paid_on, expense.payment_reference, expense.paid_by = (
        ExpenseStatus.PAID, paid_on, reference, actor,
    )
    expense.save(update_fields=["status", "paid_on", "payment_reference", "paid_by"])
    audit_record(tenant=expense.tenant, actor=actor, verb="expenses.paid", obj=expense,
                 before={"status": ExpenseStatus.ARCHIVED},
                 after={"status": expense.status, "paid_on": paid_on, "reference": reference}, request=request)
    return expense


# --- approval hooks (called by the engine inside its transaction, document locked) -----------


def _set_status(expense, actor, status, verb, **extra):
    old = expense.status
    expense.status = status
    for k, v in extra.items():
        setattr(expense, k, v)
    expense.save(update_fields=["status", *extra])
    audit_record(tenant=expense.tenant, actor=actor, verb=f"expenses.{verb}", obj=expense,
                 before={"status": old}, after={"status": status})


def on_approved(expense, actor) -> None:
    _set_status(expense, actor, ExpenseStatus.ARCHIVED, "archived", archived_at=timezone.now())
    from . import budgets

    budgets.consume_expense(expense, actor)  # S001-13: consumed at approval, once


def on_rejected(expense, actor, reason) -> None:
    _set_status(expense, actor, ExpenseStatus.REJECTED, "rejected")
    from . import budgets

    budgets.release_expense(expense, actor)  # only if it had consumed


def on_withdrawn(expense, actor) -> None:
    _set_status(expense, actor, ExpenseStatus.WITHDRAWN, "withdrawn")
    from . import budgets

    budgets.release_expense(expense, actor)  # only if it had consumed
