import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from contracts.approvals import CONTRACT_REQUEST_KEY
from contracts.models import (
    Contract,
    ContractRequest,
    ContractSettings,
    PrintOrder,
    Recommendation,
    RequestStatus,
)
from contracts.selectors_ledger import sell_through, unconfirmed_dispatches
from contracts.services import requests as services
from contracts.tests.helpers import (
    approve,
    approved_product,
    current_step,
    dispatched,
    make_batch,
    make_request,
    numbers_of,
    pending,
    receive,
    request_through_chain,
    sign,
    void,
)
from marketing.audit import AuditEvent
from marketing.demo import membership_of

pytestmark = pytest.mark.django_db

FRIDAY = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, an ordinary Friday


def _reload(org, doc):
    with org.scope():
        return ContractRequest.objects.get(pk=doc.pk)


def _rate_branch(org, product, *, dispatched_n=10, received=8, signed=5, voided=1):
    """A1 with known figures: 动销率 = signed / (dispatched − voided)."""
    _doc, dispatch = dispatched(org, product, dispatched_n)
    n = numbers_of(org, dispatch)
    receive(org, n[0], n[received - 1])
    for x in n[:signed]:
        sign(org, x)
    for x in n[signed:signed + voided]:
        void(org, x)
    return n


def test_chain_is_branch_gm_then_marketing(org_a):
    product = approved_product(org_a)
    doc = make_request(org_a, product, 10)
    assert current_step(org_a, doc, CONTRACT_REQUEST_KEY) == "分公司总经理签字"
    assert not pending(org_a, doc, CONTRACT_REQUEST_KEY, org_a.users["bgm2"])  # the other branch's GM
    approve(org_a, doc, "bgm", key=CONTRACT_REQUEST_KEY)
    assert current_step(org_a, doc, CONTRACT_REQUEST_KEY) == "市场专员核对动销率"


@time_machine.travel(FRIDAY, tick=False)
def test_first_request_passes_and_is_dispatched_next_working_day(org_a, django_capture_on_commit_callbacks):
    """S000-42/43: no dispatch yet = 首次申领; stock enough: next working day (Friday -> Monday)."""
    product = approved_product(org_a)
    make_batch(org_a, product)
    doc = make_request(org_a, product, 40)
    approve(org_a, doc, "bgm", key=CONTRACT_REQUEST_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        approve(org_a, doc, "mspec", key=CONTRACT_REQUEST_KEY)
    doc = _reload(org_a, doc)
    assert doc.status == RequestStatus.TO_DISPATCH and doc.first_request
    assert doc.recommendation == Recommendation.DISPATCH and doc.stock == 100
    assert doc.planned_dispatch_on == dt.date(2026, 11, 30)
    assert any(doc.number in m.subject and "2026-11-30" in m.subject and org_a.users["bgm"].email in m.to
               for m in mail.outbox)


@time_machine.travel(FRIDAY, tick=False)
def test_rate_meets_bar_but_stock_short_orders_printing_five_working_days_later(org_a, django_capture_on_commit_callbacks):
    product = approved_product(org_a)
    make_batch(org_a, product, last="LZ-2026-000030")
    _rate_branch(org_a, product, dispatched_n=10, received=8, signed=7, voided=1)  # 7 / 9 = 77.8 %
    doc = make_request(org_a, product, 50)  # 20 left in stock
    with django_capture_on_commit_callbacks(execute=True):
        doc = request_through_chain(org_a, doc)
    assert doc.status == RequestStatus.PRINTING and doc.recommendation == Recommendation.PRINT
    assert doc.rate == Decimal("0.7778") and not doc.first_request
    assert doc.planned_dispatch_on == dt.date(2026, 12, 4)
    with org_a.scope():
        order = PrintOrder.objects.get(pk=doc.print_order_id)
    assert order.quantity == 30 and order.expected_on == dt.date(2026, 12, 4)
    assert any("安排印刷" in m.subject and "2026-12-04" in m.subject for m in mail.outbox)
    # the settings change the lead time
    with org_a.scope():
        ContractSettings.objects.create(tenant=org_a.tenant, print_lead_working_days=2)
        assert services.assess(doc)["planned"] == dt.date(2026, 12, 1)


def test_below_bar_is_refused_with_the_figures_unless_overridden(org_a, client_as):
    product = approved_product(org_a)
    make_batch(org_a, product)
    _rate_branch(org_a, product, dispatched_n=10, received=8, signed=3, voided=1)  # 3 / 9 = 33 %
    doc = make_request(org_a, product, 5)
    approve(org_a, doc, "bgm", key=CONTRACT_REQUEST_KEY)
    # a plain approval is refused: the bar is not met and no override reason was written
    with pytest.raises(ValidationError) as exc:
        approve(org_a, doc, "mspec", key=CONTRACT_REQUEST_KEY)
    assert exc.value.code == "below_bar"
    assert _reload(org_a, doc).status == RequestStatus.SUBMITTED
    client = client_as(org_a.users["mspec"])
    page = client.get(reverse("contracts:request_detail", args=[doc.pk]))
    assert page.context["a"]["passes"] is False and "33.3%" in page.context["figures"]
    assert "客户已签 3" in page.content.decode() and "已派发 10" in page.content.decode()
    flow = page.context["flow"]
    client.post(reverse("contracts:request_decide", args=[doc.pk]), {"action": "refuse", "version": flow.version})
    doc = _reload(org_a, doc)
    assert doc.status == RequestStatus.REJECTED
    with org_a.scope():
        from marketing.approvals.models import ApprovalTask

        reason = ApprovalTask.objects.filter(flow=flow, status="rejected").values_list("comment", flat=True).first()
    assert "动销率未达标" in reason and "33.3%" in reason
    # resubmitted and overridden with a written reason
    user = org_a.users["sales"]
    with org_a.scope():
        services.request_submit(doc=doc, actor=user)
    approve(org_a, doc, "bgm", key=CONTRACT_REQUEST_KEY)
    flow.refresh_from_db()
    empty = client.post(reverse("contracts:request_decide", args=[doc.pk]),
                        {"action": "override", "reason": "", "version": flow.version})
    assert empty.status_code == 302 and _reload(org_a, doc).status == RequestStatus.SUBMITTED
    client.post(reverse("contracts:request_decide", args=[doc.pk]),
                {"action": "override", "reason": "新渠道铺货", "version": flow.version})
    doc = _reload(org_a, doc)
    assert doc.status == RequestStatus.TO_DISPATCH and doc.override_reason == "新渠道铺货"
    assert doc.rate == Decimal("0.3333") and doc.bar == Decimal("0.6000")
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="contracts.request_override", object_id=str(doc.pk)).exists()


def test_sell_through_formula_and_window(org_a):
    product = approved_product(org_a)
    make_batch(org_a, product)
    _rate_branch(org_a, product, dispatched_n=12, received=10, signed=6, voided=2)
    with org_a.scope():
        figures = sell_through(tenant=org_a.tenant, branch=org_a.branches["A1"], product=product)
        other = sell_through(tenant=org_a.tenant, branch=org_a.branches["A2"], product=product)
        Contract.objects.filter(branch=org_a.branches["A1"]).update(dispatched_on=dt.date(2025, 1, 1))
        windowed = sell_through(tenant=org_a.tenant, branch=org_a.branches["A1"], product=product, window_days=90,
                                today=dt.date(2026, 6, 1))
    assert figures == {"dispatched": 12, "signed": 6, "voided": 2, "base": 10, "rate": Decimal("0.6000")}
    assert other["dispatched"] == 0 and other["rate"] is None
    assert windowed["dispatched"] == 0
    # exactly at the bar passes
    doc = make_request(org_a, product, 5)
    with org_a.scope():
        assert services.assess(doc)["passes"] is True


def test_dispatch_lowest_first_note_pdf_and_receipt(org_a, client_as, django_capture_on_commit_callbacks):
    product = approved_product(org_a)
    make_batch(org_a, product, first="LZ-2026-000101", last="LZ-2026-000200")
    make_batch(org_a, product, first="LZ-2026-000001", last="LZ-2026-000020")  # printed later, lower numbers
    doc = request_through_chain(org_a, make_request(org_a, product, 25))
    client = client_as(org_a.users["mspec"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("contracts:request_dispatch", args=[doc.pk]))
    doc = _reload(org_a, doc)
    assert doc.status == RequestStatus.DISPATCHED
    dispatch = doc.dispatch
    numbers = numbers_of(org_a, dispatch)
    assert numbers[0] == "LZ-2026-000001" and numbers[19] == "LZ-2026-000020" and numbers[-1] == "LZ-2026-000105"
    assert any("已派发 25 份" in m.subject for m in mail.outbox)
    again = client.post(reverse("contracts:request_dispatch", args=[doc.pk]), follow=True)
    assert "不能派发" in again.content.decode()
    pdf = client_as(org_a.users["bgm"]).get(reverse("contracts:dispatch_pdf", args=[dispatch.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "合同派发单" in text and "LZ-2026-000105" in text and "甲一分公司" in text
    # another branch cannot see or confirm it; its own branch confirms once
    assert client_as(org_a.users["bgm2"]).post(reverse("contracts:dispatch_confirm", args=[dispatch.pk])
                                               ).status_code == 404
    client_as(org_a.users["sales"]).post(reverse("contracts:dispatch_confirm", args=[dispatch.pk]))
    doc = _reload(org_a, doc)
    assert doc.status == RequestStatus.RECEIVED and doc.dispatch.confirmed_by_id == org_a.users["sales"].pk
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        services.dispatch_confirm(dispatch=doc.dispatch, actor=org_a.users["bgm"],
                                  membership=membership_of(org_a.users["bgm"]))
    assert exc.value.code == "already_confirmed"


def test_dispatch_refused_when_stock_is_short_then_works_after_printing(org_a, client_as):
    product = approved_product(org_a)
    make_batch(org_a, product, last="LZ-2026-000010")
    doc = request_through_chain(org_a, make_request(org_a, product, 30))
    assert doc.status == RequestStatus.PRINTING
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        services.request_dispatch(doc=doc, actor=org_a.users["mspec"])
    assert exc.value.code == "stock_short"
    with org_a.scope():
        order = PrintOrder.objects.get(pk=doc.print_order_id)
    client = client_as(org_a.users["mspec"])
    client.post(reverse("contracts:batches"), {
        "product": product.pk, "first_number": "LZ-2026-000011", "last_number": "LZ-2026-000040",
        "printer": "利民", "unit_cost": "1.6", "received_on": dt.date.today().isoformat(), "print_order": order.pk})
    with org_a.scope():
        order.refresh_from_db()
        assert order.status == "received"
        services.request_dispatch(doc=doc, actor=org_a.users["mspec"])
    assert _reload(org_a, doc).status == RequestStatus.DISPATCHED


def test_unconfirmed_dispatch_older_than_three_working_days_is_on_the_board(org_a, client_as):
    product = approved_product(org_a)
    make_batch(org_a, product, days_ago=30)
    with time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC), tick=False):  # Monday
        doc, dispatch = dispatched(org_a, product, 5)
    with org_a.scope():
        from reports.workcal import WorkCalendar

        cal = WorkCalendar(org_a.tenant, overrides={})
        thursday = unconfirmed_dispatches(tenant=org_a.tenant, today=dt.date(2026, 11, 26), calendar=cal)
        friday = unconfirmed_dispatches(tenant=org_a.tenant, today=dt.date(2026, 11, 27), calendar=cal)
    assert list(thursday) == [] and [d.pk for d in friday] == [dispatch.pk]  # Tue, Wed, Thu, Fri > 3
    with time_machine.travel(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC), tick=False):
        board = client_as(org_a.users["mspec"]).get(reverse("contracts:board"))
    assert [d.pk for d in board.context["unconfirmed"]] == [dispatch.pk]
    assert client_as(org_a.users["sales"]).get(reverse("contracts:board")).status_code == 403


def test_request_form_lists_online_products_only_and_reach(org_a, org_b, client_as):
    online = approved_product(org_a, code="YB-ON")
    approved_only = approved_product(org_a, code="YB-AP", online=False)
    client = client_as(org_a.users["sales"])
    form = client.get(reverse("contracts:request_create")).context["form"]
    assert list(form.fields["product"].queryset) == [online]
    assert set(form.fields["branch"].queryset) == {org_a.branches["A1"]}
    bad = client.post(reverse("contracts:request_create"), {"branch": org_a.branches["A1"].pk,
                                                            "product": approved_only.pk, "quantity": 5, "submit": "1"})
    assert bad.status_code == 200
    zero = client.post(reverse("contracts:request_create"), {"branch": org_a.branches["A1"].pk, "product": online.pk,
                                                             "quantity": 0, "submit": "1"})
    assert "至少 1 份" in zero.content.decode()
    ok = client.post(reverse("contracts:request_create"), {"branch": org_a.branches["A1"].pk, "product": online.pk,
                                                           "quantity": 5, "submit": "1"})
    assert ok.status_code == 302
    theirs = make_request(org_a, online, 3, applicant="sales2", branch="A2")
    with org_a.scope():
        doc = ContractRequest.objects.exclude(pk=theirs.pk).get()
    listing = client.get(reverse("contracts:request_list"))
    assert [r.pk for r in listing.context["page"]] == [doc.pk]
    assert client.get(reverse("contracts:request_detail", args=[theirs.pk])).status_code == 404
    marketing = client_as(org_a.users["mspec"]).get(reverse("contracts:request_list"))
    assert {r.pk for r in marketing.context["page"]} == {doc.pk, theirs.pk}
    gm = client_as(org_a.users["gm"]).get(reverse("contracts:request_list"))
    assert {r.pk for r in gm.context["page"]} == {doc.pk, theirs.pk}
    assert client_as(org_b.users["allroles"]).get(reverse("contracts:request_detail", args=[doc.pk])).status_code == 404
    export = client.get(reverse("contracts:request_export"))
    assert export.status_code == 200
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        make_request(org_a, online, 3, applicant="sales", branch="A2")
    assert exc.value.code == "branch_not_allowed"
