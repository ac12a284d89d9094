"""The contract request (产品合同申领表, S000-41..46) on the approval engine, the sell-through
gate at the marketing step, print orders, dispatch of concrete numbers and the branch's
receipt confirmation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing.approvals.registry import DocumentType, register
from marketing.approvals.services import approval_reject, approval_start
from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.roles import Role
from marketing.selectors import users_with_roles, visible_branches
from reports.summary import pct as _summary_pct  # one rounding rule for every rate shown
from reports.workcal import WorkCalendar

from ..mail import absolute, emails_of, mail_language, send_notice
from ..models import (
    Contract,
    ContractRequest,
    ContractSequence,
    ContractState,
    Dispatch,
    PrintOrder,
    PrintOrderStatus,
    ProductStatus,
    Recommendation,
    RequestStatus,
)
from ..selectors_ledger import contract_settings, sell_through, stock_of
from .ledger import apply_moves, local_today

EDIT_FIELDS = ["branch", "product", "quantity", "reason"]


def _next_number(tenant, kind: str, width: int) -> str:
    year = local_today(tenant).year
    seq, _created = ContractSequence.objects.select_for_update().get_or_create(tenant=tenant, kind=kind, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{kind}-{year}-{seq.last:0{width}d}"


def _check(*, membership, data) -> None:
    branch, product = data.get("branch"), data.get("product")
    if branch is None or not visible_branches(membership=membership).filter(pk=branch.pk).exists():
        raise ValidationError(_("您不能为该分公司申领合同。"), code="branch_not_allowed")
    if product is None or product.status != ProductStatus.ONLINE:
        raise ValidationError(_("只能申领已上线产品的合同。"), code="product_not_online")
    quantity = data.get("quantity") or 0
    if not 1 <= quantity <= 100000:
        raise ValidationError(_("申领份数应为 1 到 100000。"), code="bad_quantity")


@transaction.atomic
def request_create(*, tenant, membership, actor, data: dict, submit: bool = False, request=None) -> ContractRequest:
    _check(membership=membership, data=data)
    doc = ContractRequest(tenant=tenant, applicant=actor, number=_next_number(tenant, "SL", 5),
                          **{k: data[k] for k in EDIT_FIELDS if k in data})
    doc.full_clean()
    doc.save()
    audit_record(tenant=tenant, actor=actor, verb="contracts.request_create", obj=doc,
                 after=model_snapshot(doc, ["number", *EDIT_FIELDS]), request=request)
    if submit:
        request_submit(doc=doc, actor=actor, request=request)
    return doc


@transaction.atomic
def request_update(*, doc, membership, actor, data: dict, submit: bool = False, request=None) -> ContractRequest:
    doc = ContractRequest.objects.select_for_update().get(pk=doc.pk)
    if doc.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人可以修改。"), code="not_applicant")
    if not doc.is_editable:
        raise ValidationError(_("审批中或已通过的申领不能修改。"), code="not_editable")
    _check(membership=membership, data={**{k: getattr(doc, k) for k in EDIT_FIELDS}, **data})
    before = model_snapshot(doc, EDIT_FIELDS)
    for k in EDIT_FIELDS:
        if k in data:
            setattr(doc, k, data[k])
    doc.full_clean()
    doc.save()
    old, new = changed_fields(before, model_snapshot(doc, EDIT_FIELDS))
    if new:
        audit_record(tenant=doc.tenant, actor=actor, verb="contracts.request_update", obj=doc, before=old, after=new,
                     request=request)
    if submit:
        request_submit(doc=doc, actor=actor, request=request)
    return doc


@transaction.atomic
def request_submit(*, doc, actor, request=None) -> ContractRequest:
    doc = ContractRequest.objects.select_for_update().select_related("product").get(pk=doc.pk)
    if doc.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人可以提交。"), code="not_applicant")
    if not doc.is_editable:
        raise ValidationError(_("该申领已提交，不能重复提交。"), code="not_editable")
    if doc.product.status != ProductStatus.ONLINE:
        raise ValidationError(_("只能申领已上线产品的合同。"), code="product_not_online")
    old = doc.status
    doc.status, doc.submitted_at, doc.override_reason = RequestStatus.SUBMITTED, timezone.now(), ""
    doc.save(update_fields=["status", "submitted_at", "override_reason"])
    audit_record(tenant=doc.tenant, actor=actor, verb="contracts.request_submit", obj=doc,
                 before={"status": old}, after={"status": doc.status}, request=request)
    approval_start(document=doc, actor=actor, request=request)
    return doc


# --- the sell-through gate ------------------------------------------------------------------


def assess(doc) -> dict:
    """What marketing sees: 动销率 and the figures behind it, the bar, HQ stock and the
    recommendation. Also what is snapshotted on the request when the chain ends."""
    settings = contract_settings(doc.tenant)
    figures = sell_through(tenant=doc.tenant, branch=doc.branch, product=doc.product,
                           window_days=settings.sell_through_window_days, today=local_today(doc.tenant))
    stock = stock_of(tenant=doc.tenant, product=doc.product)
    bar = doc.product.sell_through_bar
    first = figures["dispatched"] == 0
    # no dispatch history because the ledger's opening state was never imported: not 首次申领
    opening_pending = first and _opening_pending(doc.tenant)
    first = first and not opening_pending
    passes = first or (figures["rate"] is not None and figures["rate"] >= bar)
    if not passes:
        recommendation = Recommendation.REFUSE
    elif stock >= doc.quantity:
        recommendation = Recommendation.DISPATCH
    else:
        recommendation = Recommendation.PRINT
    calendar = WorkCalendar(doc.tenant)
    today = local_today(doc.tenant)
    if recommendation == Recommendation.DISPATCH:
        planned = calendar.next_working(today)
    elif recommendation == Recommendation.PRINT:
        planned = today
        for _i in range(settings.print_lead_working_days):
            planned = calendar.next_working(planned)
    else:
        planned = None
    return {**figures, "bar": bar, "stock": stock, "first_request": first, "opening_pending": opening_pending,
            "passes": passes,
            "recommendation": recommendation, "recommendation_label": Recommendation(recommendation).label,
            "planned": planned, "window_days": settings.sell_through_window_days,
            "print_days": settings.print_lead_working_days}


def _opening_pending(tenant) -> bool:
    from ..opening import opening_pending

    return opening_pending(tenant)


def figures_text(a: dict) -> str:
    if a.get("opening_pending"):
        return _("合同台账期初尚未导入：该分公司在系统中没有派发记录，动销率无法判断（不按首次申领处理）。")
    if a["first_request"]:
        return _("首次申领：该分公司尚无派发记录。")
    rate = "—" if a["rate"] is None else _summary_pct(str(a["rate"]))
    return _("动销率 %(rate)s = 客户已签 %(signed)s ÷（已派发 %(dispatched)s − 回收作废 %(voided)s）；"
             "达标线 %(bar)s；总部库存 %(stock)s 份。") % {
        "rate": rate, "signed": a["signed"], "dispatched": a["dispatched"], "voided": a["voided"],
        "bar": f"{a['bar'] * 100:.0f}%", "stock": a["stock"]}


def _notes(doc) -> list[str]:
    a = assess(doc)
    lines = [figures_text(a), str(Recommendation(a["recommendation"]).label)]
    if a["recommendation"] == Recommendation.REFUSE:
        lines.append(_("未达标：请驳回；如需超标准批准，请在申领单页面填写理由。"))
    elif a["planned"]:
        lines.append(_("计划派发日期：%(d)s") % {"d": a["planned"]})
    return lines


@transaction.atomic
def request_refuse(*, doc, task, actor, version=None, request=None) -> ContractRequest:
    """Marketing refuses with the figures as the reason (S000-45)."""
    a = assess(doc)
    with mail_language():  # stored in the history, read by others: in the product's language
        reason = _("动销率未达标，不予派发。") + figures_text(a)
    approval_reject(task=task, actor=actor, reason=reason, version=version, request=request)
    return ContractRequest.objects.get(pk=doc.pk)


@transaction.atomic
def request_override(*, doc, actor, reason: str, request=None) -> ContractRequest:
    """Marketing may pass a request below the bar with a written reason (audited); the approval
    that follows then goes through."""
    doc = ContractRequest.objects.select_for_update().get(pk=doc.pk)
    reason = (reason or "").strip()
    if doc.status != RequestStatus.SUBMITTED:
        raise ValidationError(_("只有审批中的申领可以超标准批准。"), code="not_submitted")
    if not reason:
        raise ValidationError(_("请填写超标准批准的理由。"), code="reason_required")
    doc.override_reason = reason[:2000]
    doc.save(update_fields=["override_reason"])
    audit_record(tenant=doc.tenant, actor=actor, verb="contracts.request_override", obj=doc,
                 after={"override_reason": doc.override_reason, "figures": figures_text(assess(doc))},
                 request=request)
    return doc


def _branch_people(doc):
    people = list(users_with_roles(tenant=doc.tenant, roles=[Role.BRANCH_GM], branch=doc.branch))
    return [*people, doc.applicant]


def on_request_approved(doc, actor) -> None:
    """Chain done: snapshot the figures, then dispatch next working day or order printing."""
    a = assess(doc)
    if not a["passes"] and not doc.override_reason:
        raise ValidationError(_("动销率未达标（%(f)s）：请驳回，或在申领单页面填写超标准批准理由后再批准。")
                              % {"f": figures_text(a)}, code="below_bar")
    if not a["passes"]:
        # override: the stock decides between dispatch and printing
        a = {**a, "recommendation": Recommendation.DISPATCH if a["stock"] >= doc.quantity else Recommendation.PRINT}
        calendar, planned = WorkCalendar(doc.tenant), local_today(doc.tenant)
        for _i in range(1 if a["recommendation"] == Recommendation.DISPATCH else a["print_days"]):
            planned = calendar.next_working(planned)
        a["planned"] = planned
    doc.rate, doc.dispatched_count, doc.signed_count, doc.voided_count = (
        a["rate"], a["dispatched"], a["signed"], a["voided"])
    doc.bar, doc.stock, doc.first_request, doc.recommendation = a["bar"], a["stock"], a["first_request"], \
        a["recommendation"]
    doc.decided_by, doc.decided_at, doc.planned_dispatch_on = actor, timezone.now(), a["planned"]
    old = doc.status
    if a["recommendation"] == Recommendation.DISPATCH:
        doc.status = RequestStatus.TO_DISPATCH
    else:
        doc.status = RequestStatus.PRINTING
        doc.print_order = PrintOrder.objects.create(
            tenant=doc.tenant, number=_next_number(doc.tenant, "YS", 4), product=doc.product,
            quantity=max(doc.quantity - a["stock"], 1), ordered_on=local_today(doc.tenant),
            expected_on=a["planned"], created_by=actor)
        audit_record(tenant=doc.tenant, actor=actor, verb="contracts.print_order_create", obj=doc.print_order,
                     after={"quantity": doc.print_order.quantity, "expected_on": a["planned"], "request": doc.number})
    doc.save()
    audit_record(tenant=doc.tenant, actor=actor, verb="contracts.request_approved", obj=doc,
                 before={"status": old},
                 after={"status": doc.status, "rate": doc.rate, "bar": doc.bar, "stock": doc.stock,
                        "recommendation": doc.recommendation, "planned_dispatch_on": doc.planned_dispatch_on,
                        "override_reason": doc.override_reason or None})
    with mail_language():
        if doc.status == RequestStatus.TO_DISPATCH:
            subject = _("[合同申领] %(n)s 已通过，%(d)s 派发") % {"n": doc.number, "d": doc.planned_dispatch_on}
            body = _("您好：\n\n申领单 %(n)s（%(p)s × %(q)s 份）已通过审核，市场部将于 %(d)s 派发。\n\n查看：%(url)s\n")
        else:
            subject = _("[合同申领] %(n)s 已通过，安排印刷，计划 %(d)s 派发") % {"n": doc.number,
                                                                      "d": doc.planned_dispatch_on}
            body = _("您好：\n\n申领单 %(n)s（%(p)s × %(q)s 份）已通过审核。总部库存不足，已安排印刷，"
                     "计划于 %(d)s 派发。\n\n查看：%(url)s\n")
        send_notice(tenant=doc.tenant, to=emails_of(_branch_people(doc)), subject=subject, body=body % {
            "n": doc.number, "p": doc.product.code, "q": doc.quantity, "d": doc.planned_dispatch_on,
            "url": absolute(reverse("contracts:request_detail", kwargs={"pk": doc.pk}))})


def _set_status(doc, actor, status, verb):
    old = doc.status
    doc.status = status
    doc.save(update_fields=["status"])
    audit_record(tenant=doc.tenant, actor=actor, verb=f"contracts.request_{verb}", obj=doc,
                 before={"status": old}, after={"status": status})


def on_request_rejected(doc, actor, reason) -> None:
    _set_status(doc, actor, RequestStatus.REJECTED, "rejected")


def on_request_withdrawn(doc, actor) -> None:
    _set_status(doc, actor, RequestStatus.WITHDRAWN, "withdrawn")


def register_type(key: str, chain) -> None:
    register(DocumentType(
        key=key, label=gettext_lazy("合同申领"), model="contracts.ContractRequest",
        get_applicant=lambda doc: doc.applicant,
        get_title=lambda doc: f"{doc.number} {doc.branch.name} {doc.product.code} × {doc.quantity}",
        get_url=lambda doc: reverse("contracts:request_detail", kwargs={"pk": doc.pk}),
        get_branch=lambda doc: doc.branch,
        condition_fields={"quantity": gettext_lazy("申领份数")},
        condition_values=lambda doc: {"quantity": doc.quantity},
        on_approved=on_request_approved, on_rejected=on_request_rejected, on_withdrawn=on_request_withdrawn,
        reviewer_notes=_notes, default_chain=chain,
    ))


# --- dispatch and receipt -------------------------------------------------------------------


@transaction.atomic
def request_dispatch(*, doc, actor, request=None) -> Dispatch:
    """Assign the lowest in-stock numbers of the product to the branch (S000-43)."""
    doc = ContractRequest.objects.select_for_update(of=("self",)).select_related("product", "branch", "print_order").get(pk=doc.pk)
    if doc.status not in (RequestStatus.TO_DISPATCH, RequestStatus.PRINTING):
        raise ValidationError(_("该申领当前状态为“%(s)s”，不能派发。") % {"s": doc.get_status_display()},
                              code="not_dispatchable")
    picked = list(Contract.objects.select_for_update().filter(
        tenant=doc.tenant, product=doc.product, state=ContractState.IN_STOCK).order_by("number")
        .values_list("pk", "number", "stocked_on")[:doc.quantity])
    if len(picked) < doc.quantity:
        raise ValidationError(_("总部库存只有 %(n)s 份，不足 %(q)s 份：请等印刷入库后再派发。")
                              % {"n": len(picked), "q": doc.quantity}, code="stock_short")
    today = local_today(doc.tenant)
    dispatch = Dispatch.objects.create(
        tenant=doc.tenant, request=doc, branch=doc.branch, product=doc.product, quantity=doc.quantity,
        first_number=picked[0][1], last_number=picked[-1][1], dispatched_on=today, dispatched_by=actor)
    apply_moves(tenant=doc.tenant, actor=actor, to_state=ContractState.DISPATCHED, source=f"dispatch:{dispatch.pk}",
                moves=[{"contract_id": pk, "from_state": ContractState.IN_STOCK, "on": today,
                        "branch_id": doc.branch_id, "dispatch_id": dispatch.pk, "note": doc.branch.name}
                       for pk, _n, _s in picked])
    old = doc.status
    doc.status = RequestStatus.DISPATCHED
    doc.save(update_fields=["status"])
    audit_record(tenant=doc.tenant, actor=actor, verb="contracts.dispatch", obj=doc, before={"status": old},
                 after={"status": doc.status, "from": dispatch.first_number, "to": dispatch.last_number,
                        "count": doc.quantity, "branch": doc.branch.name}, request=request)
    with mail_language():
        send_notice(tenant=doc.tenant, to=emails_of(_branch_people(doc)),
                    subject=_("[合同派发] %(n)s 已派发 %(q)s 份，请收到后确认") % {"n": doc.number, "q": doc.quantity},
                    body=_("您好：\n\n申领单 %(n)s 的 %(q)s 份合同（%(a)s – %(b)s）已于 %(d)s 派发。\n"
                           "收到后请在系统中确认收货：%(url)s\n") % {
                        "n": doc.number, "q": doc.quantity, "a": dispatch.first_number, "b": dispatch.last_number,
                        "d": today, "url": absolute(reverse("contracts:request_detail", kwargs={"pk": doc.pk}))})
    return dispatch


@transaction.atomic
def dispatch_confirm(*, dispatch, actor, membership, request=None) -> Dispatch:
    """The branch confirms receipt (the seed's reply e-mail, S000-46)."""
    dispatch = Dispatch.objects.select_for_update().select_related("request").get(pk=dispatch.pk)
    if not visible_branches(membership=membership).filter(pk=dispatch.branch_id).exists():
        raise ValidationError(_("只有收货分公司可以确认收货。"), code="not_your_branch")
    if dispatch.confirmed_on:
        raise ValidationError(_("该派发已确认收货。"), code="already_confirmed")
    dispatch.confirmed_on, dispatch.confirmed_by = local_today(dispatch.tenant), actor
    dispatch.save(update_fields=["confirmed_on", "confirmed_by"])
    doc = dispatch.request
    doc.status = RequestStatus.RECEIVED
    doc.save(update_fields=["status"])
    audit_record(tenant=dispatch.tenant, actor=actor, verb="contracts.dispatch_confirm", obj=doc,
                 before={"status": RequestStatus.DISPATCHED},
                 after={"status": doc.status, "confirmed_on": dispatch.confirmed_on}, request=request)
    return dispatch


def print_order_open(order: PrintOrder) -> bool:
    return order.status == PrintOrderStatus.ORDERED
