"""The register's rows about warranty products, the price list, contract requests with the
sell-through gate and the numbered contract ledger (/work/shared/seed-rules.md), one test per
row, each naming its id. Built with the real services (contracts/tests/helpers.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts.approvals import CONTRACT_REQUEST_KEY, PRODUCT_DESIGN_KEY
from contracts.models import (
    ConfirmationStatus,
    Contract,
    ContractEvent,
    ContractState,
    PriceListConfirmation,
    PriceListStatus,
    PrintOrder,
    PrintOrderStatus,
    ProductStatus,
    ProductVersion,
    Recommendation,
    RequestStatus,
    VersionStatus,
)
from contracts.services import ledger
from contracts.services import pricelist as pricelist_services
from contracts.services import products as product_services
from contracts.services import requests as request_services
from contracts.tests.helpers import (
    DESIGN_PATH,
    PDF,
    approve,
    approved_product,
    current_step,
    dispatched,
    make_batch,
    make_design,
    make_request,
    numbers_of,
    pending,
    receive,
    request_through_chain,
    sign,
    version_data,
    void,
)
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.audit import AuditEvent
from marketing.demo import membership_of

pytestmark = pytest.mark.django_db

FRIDAY = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, an ordinary working Friday


def _reload(org, obj):
    with org.scope():
        return type(obj).objects.get(pk=obj.pk)


def _contract(org, number):
    with org.scope():
        return Contract.objects.get(number=number)


def _today(org):
    return ledger.local_today(org.tenant)


# --- products (延保产品) and the product design chain ----------------------------------------


def test_S000_03_each_product_carries_its_contract_clauses_document(org_a, client_as):
    """S000-03: a product cannot go into approval without its contract clauses; the approved
    product's current version serves that document, and a new version carries it over."""
    with pytest.raises(ValidationError) as exc:
        make_design(org_a, code="YB-NOC", clauses=False)
    assert exc.value.code == "clauses_required"
    with org_a.scope():
        assert not ProductVersion.objects.filter(
            product__code="YB-NOC", status=VersionStatus.SUBMITTED
        ).exists()

    product = approved_product(org_a, code="YB-CL")
    v1 = product.current_version
    assert v1.clauses_name == "条款.pdf"
    download = client_as(org_a.users["sales"]).get(reverse("contracts:version_clauses", args=[v1.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    user = org_a.users["sales"]
    with org_a.scope():
        v2 = product_services.product_version_create(
            product=product,
            membership=membership_of(user),
            actor=user,
            data=version_data(org_a, price="3180.00"),
            submit=True,
        )
    assert v2.number == 2 and v2.clauses.name == v1.clauses.name and v2.clauses_name == "条款.pdf"


def test_S000_36_product_design_chain_order(org_a):
    """S000-36: 分总签字确认 → 产品设计部签字 → 市场营销部审核签字 → 营运部确认签字 → 财务部明确签字 →
    总经理核准签字, each step signed only by its own signatory, in that order."""
    version = make_design(org_a, code="YB-CH")
    expected = [
        "分公司总经理签字",
        "产品设计部签字",
        "市场营销部审核",
        "营运部确认",
        "财务部签字",
        "总经理核准",
    ]
    for persona, step in zip(DESIGN_PATH, expected, strict=True):
        assert current_step(org_a, version) == step
        assert org_a.users[persona].pk in {t.assignee_id for t in pending(org_a, version)}
        for other in DESIGN_PATH:
            if other != persona:
                assert not pending(org_a, version, user=org_a.users[other]), (step, other)
        approve(org_a, version, persona)
    assert current_step(org_a, version) is None
    with org_a.scope():
        signed = list(
            ApprovalTask.objects.filter(
                flow__object_id=version.pk, flow__document_type=PRODUCT_DESIGN_KEY, status=TaskStatus.APPROVED
            )
            .order_by("step__position")
            .values_list("step__name", "acted_by_id")
        )
    assert signed == [(s, org_a.users[p].pk) for s, p in zip(expected, DESIGN_PATH, strict=True)]
    assert _reload(org_a, version).status == VersionStatus.APPROVED
    assert _reload(org_a, version.product).status == ProductStatus.APPROVED


def _to_marketing_step(org, code):
    version = make_design(org, code=code)
    approve(org, version, "bgm")
    approve(org, version, "design")
    task = pending(org, version, user=org.users["mspec"])[0]
    return version, task


def test_S000_07_marketing_verifies_the_product_system_before_it_is_used(org_a):
    """S000-07: the marketing step is a verify step whose checklist includes 产品体系完整准确; it
    cannot pass with an item unticked, and until the chain approves, the product cannot be put
    on sale, priced, printed or requested."""
    version, task = _to_marketing_step(org_a, "YB-V7")
    assert task.step.name == "市场营销部审核" and task.step.kind == StepKind.VERIFY
    assert list(task.step.checklist) == ["产品要素", "合同条款", "产品体系完整准确"]
    with pytest.raises(ValidationError) as exc:
        approve(org_a, version, "mspec", checklist=["产品要素", "合同条款"])
    assert exc.value.code == "checklist_incomplete"
    assert current_step(org_a, version) == "市场营销部审核"
    # not yet approved: not usable anywhere
    product = _reload(org_a, version.product)
    assert product.status == ProductStatus.DESIGN
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            product_services.product_set_status(product=product, actor=org_a.users["mspec"], move="online")
        assert exc.value.code == "bad_move"
        draft = pricelist_services.pricelist_draft(tenant=org_a.tenant, actor=org_a.users["mspec"])
        with pytest.raises(ValidationError) as exc:
            pricelist_services.entry_save(
                price_list=draft,
                actor=org_a.users["mspec"],
                product=product,
                vehicle_class="A级",
                term_months=24,
                price=Decimal("2980"),
            )
        assert exc.value.code == "product_not_priceable"
    with pytest.raises(ValidationError) as exc:
        make_batch(org_a, product, first="V7-000001", last="V7-000010")
    assert exc.value.code == "product_not_ready"
    with pytest.raises(ValidationError) as exc:
        make_request(org_a, product, 5)
    assert exc.value.code == "product_not_online"
    # every item ticked: recorded on the task, and the chain moves on
    approve(org_a, version, "mspec")
    with org_a.scope():
        task.refresh_from_db()
    assert task.status == TaskStatus.APPROVED
    assert task.checklist_values == {"产品要素": True, "合同条款": True, "产品体系完整准确": True}
    assert current_step(org_a, version) == "营运部确认"


def test_S000_08_marketing_checks_elements_and_clauses_match_the_product(org_a):
    """S000-08: marketing ticks 产品要素 and 合同条款 against the version it reviews (coverage,
    term, mileage, price and the clauses file are on the version); a mismatch is rejected back
    to the applicant, the product stays 设计中, and the corrected version goes through the whole
    review again."""
    version, task = _to_marketing_step(org_a, "YB-V8")
    assert {"产品要素", "合同条款"} <= set(task.step.checklist)
    with org_a.scope():
        v = ProductVersion.objects.get(pk=version.pk)
    assert (v.coverage, v.term_months, v.mileage_limit, v.price, bool(v.clauses)) == (
        "发动机、变速箱",
        24,
        60000,
        Decimal("2980.00"),
        True,
    )
    from marketing.approvals import services as approvals

    with org_a.scope():
        approvals.approval_reject(
            task=task, actor=org_a.users["mspec"], reason="合同条款与产品要素不符：里程上限"
        )
    version = _reload(org_a, version)
    assert version.status == VersionStatus.REJECTED
    assert _reload(org_a, version.product).status == ProductStatus.DESIGN
    user = org_a.users["sales"]
    with org_a.scope():
        product_services.version_update(
            version=version,
            membership=membership_of(user),
            actor=user,
            data={"mileage_limit": 80000},
            submit=True,
        )
    assert current_step(org_a, version) == "分公司总经理签字"  # the whole review again
    for persona in DESIGN_PATH:
        approve(org_a, version, persona)
    version = _reload(org_a, version)
    assert version.status == VersionStatus.APPROVED and version.mileage_limit == 80000


# --- the price list (产品体系报价表) --------------------------------------------------------


def test_S000_38_published_price_list_goes_to_every_branch_gm_to_confirm(
    org_a, client_as, django_capture_on_commit_callbacks
):
    """S000-38: publishing creates one confirmation per branch GM (with their branches) and
    e-mails them; each GM confirms or objects (with a comment); marketing sees who has not."""
    product = approved_product(org_a)
    with org_a.scope():
        draft = pricelist_services.pricelist_draft(tenant=org_a.tenant, actor=org_a.users["mspec"])
        pricelist_services.entry_save(
            price_list=draft,
            actor=org_a.users["mspec"],
            product=product,
            vehicle_class="A级",
            term_months=24,
            price=Decimal("2980"),
        )
        with django_capture_on_commit_callbacks(execute=True):
            published = pricelist_services.pricelist_publish(
                price_list=draft, actor=org_a.users["mspec"], effective_on=_today(org_a)
            )
        rows = {c.user_id: c for c in PriceListConfirmation.objects.filter(price_list=published)}
    assert published.status == PriceListStatus.PUBLISHED
    bgm, bgm2, allroles = (org_a.users[p] for p in ("bgm", "bgm2", "allroles"))
    assert set(rows) == {bgm.pk, bgm2.pk, allroles.pk}
    assert rows[bgm.pk].branches == "甲一分公司" and rows[bgm2.pk].branches == "甲二分公司"
    assert {c.status for c in rows.values()} == {ConfirmationStatus.PENDING}
    notices = [m for m in mail.outbox if "产品体系报价表第 1 版" in m.subject and "请确认" in m.subject]
    assert sorted(a for m in notices for a in m.to) == sorted([bgm.email, bgm2.email, allroles.email])
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            pricelist_services.confirmation_decide(
                confirmation=rows[bgm2.pk], actor=bgm, decision="confirmed"
            )
        assert exc.value.code == "not_yours"
        with pytest.raises(ValidationError) as exc:
            pricelist_services.confirmation_decide(
                confirmation=rows[bgm2.pk], actor=bgm2, decision="objected"
            )
        assert exc.value.code == "comment_required"
        pricelist_services.confirmation_decide(confirmation=rows[bgm.pk], actor=bgm, decision="confirmed")
        pricelist_services.confirmation_decide(
            confirmation=rows[bgm2.pk], actor=bgm2, decision="objected", comment="24 个月偏贵"
        )
    page = client_as(org_a.users["mspec"]).get(reverse("contracts:pricelist_detail", args=[published.pk]))
    assert [c.user_id for c in page.context["pending"]] == [allroles.pk]
    assert "1 人未确认" in page.content.decode() and "24 个月偏贵" in page.content.decode()


# --- the contract request (产品合同申领表) -------------------------------------------------


def test_S000_40_only_products_on_sale_go_on_to_the_contract_request(org_a, client_as):
    """S000-40: the request form offers the products on sale (已上线) only; an approved product not
    yet online, or one retired meanwhile, cannot be asked for."""
    online = approved_product(org_a, code="YB-ON")
    approved_only = approved_product(org_a, code="YB-AP", online=False)
    retired = approved_product(org_a, code="YB-RT")
    with org_a.scope():
        product_services.product_set_status(product=retired, actor=org_a.users["mspec"], move="retire")
    form = client_as(org_a.users["sales"]).get(reverse("contracts:request_create")).context["form"]
    assert list(form.fields["product"].queryset) == [online]
    for product in (approved_only, _reload(org_a, retired)):
        with pytest.raises(ValidationError) as exc:
            make_request(org_a, product, 5)
        assert exc.value.code == "product_not_online"
    doc = make_request(org_a, online, 5, submit=False)
    with org_a.scope():
        product_services.product_set_status(product=online, actor=org_a.users["mspec"], move="retire")
        with pytest.raises(ValidationError) as exc:
            request_services.request_submit(doc=doc, actor=org_a.users["sales"])
    assert exc.value.code == "product_not_online"
    assert _reload(org_a, doc).status == RequestStatus.DRAFT


def test_S000_41_branch_submits_the_gm_signs_then_it_goes_to_marketing(org_a):
    """S000-41: a salesperson of the branch files the 产品合同申领表; the requesting branch's GM
    signs first (no other GM can); only then does marketing get it."""
    product = approved_product(org_a)
    doc = make_request(org_a, product, 10)
    assert doc.number == f"SL-{_today(org_a).year}-00001"
    assert _reload(org_a, doc).status == RequestStatus.SUBMITTED
    tasks = pending(org_a, doc, CONTRACT_REQUEST_KEY)
    assert {t.step.name for t in tasks} == {"分公司总经理签字"}
    assert org_a.users["bgm"].pk in {t.assignee_id for t in tasks}
    assert not pending(org_a, doc, CONTRACT_REQUEST_KEY, org_a.users["bgm2"])
    assert not pending(org_a, doc, CONTRACT_REQUEST_KEY, org_a.users["mspec"])  # marketing waits for the GM
    approve(org_a, doc, "bgm", key=CONTRACT_REQUEST_KEY, comment="同意申领")
    with org_a.scope():
        signed = ApprovalTask.objects.get(
            flow__object_id=doc.pk, flow__document_type=CONTRACT_REQUEST_KEY, status=TaskStatus.APPROVED
        )
    assert (signed.step.name, signed.acted_by_id, signed.comment) == (
        "分公司总经理签字",
        org_a.users["bgm"].pk,
        "同意申领",
    )
    assert current_step(org_a, doc, CONTRACT_REQUEST_KEY) == "市场专员核对动销率"
    assert pending(org_a, doc, CONTRACT_REQUEST_KEY, org_a.users["mspec"])
    # a salesperson cannot file for another branch
    with pytest.raises(ValidationError) as exc:
        make_request(org_a, product, 3, applicant="sales", branch="A2")
    assert exc.value.code == "branch_not_allowed"


def _rate_branch(org, product, *, dispatched_n, received, signed, voided):
    """A1 with known figures: 动销率 = signed / (dispatched − voided)."""
    _doc, dispatch = dispatched(org, product, dispatched_n)
    n = numbers_of(org, dispatch)
    receive(org, n[0], n[received - 1])
    for x in n[:signed]:
        sign(org, x)
    for x in n[signed : signed + voided]:
        void(org, x)
    return n


@time_machine.travel(FRIDAY, tick=False)
def test_S000_43_rate_met_and_stock_enough_dispatch_next_working_day_by_mail(
    org_a, django_capture_on_commit_callbacks
):
    """S000-43: rate 7 / (10 − 1) = 77.8 % ≥ 60 % and 90 in stock ≥ 40: 待派发 for the next working
    day (Friday → Monday 2026-11-30), the branch GM and applicant are e-mailed; the dispatch then
    assigns the 40 lowest in-stock numbers to the branch and e-mails again."""
    product = approved_product(org_a)
    make_batch(org_a, product)  # LZ-2026-000001 … 000100
    _rate_branch(org_a, product, dispatched_n=10, received=8, signed=7, voided=1)
    doc = make_request(org_a, product, 40)
    with django_capture_on_commit_callbacks(execute=True):
        doc = request_through_chain(org_a, doc)
    assert doc.status == RequestStatus.TO_DISPATCH and doc.recommendation == Recommendation.DISPATCH
    assert (doc.rate, doc.bar, doc.stock, doc.first_request) == (
        Decimal("0.7778"),
        Decimal("0.6000"),
        90,
        False,
    )
    assert doc.planned_dispatch_on == dt.date(2026, 11, 30) and doc.print_order_id is None
    notice = [m for m in mail.outbox if doc.number in m.subject and "2026-11-30 派发" in m.subject]
    recipients = sorted(a for m in notice for a in m.to)
    assert recipients == sorted(
        [org_a.users["bgm"].email, org_a.users["allroles"].email, org_a.users["sales"].email]
    )  # the branch's GMs and the applicant
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        dispatch = request_services.request_dispatch(doc=doc, actor=org_a.users["mspec"])
    numbers = numbers_of(org_a, dispatch)
    assert numbers == [f"LZ-2026-{i:06d}" for i in range(11, 51)]
    assert (dispatch.first_number, dispatch.last_number) == ("LZ-2026-000011", "LZ-2026-000050")
    with org_a.scope():
        assert set(Contract.objects.filter(number__in=numbers).values_list("state", "branch_id")) == {
            (ContractState.DISPATCHED, org_a.branches["A1"].pk)
        }
    assert any("已派发 40 份" in m.subject and org_a.users["sales"].email in m.to for m in mail.outbox)


@time_machine.travel(FRIDAY, tick=False)
def test_S000_44_rate_met_but_stock_short_orders_printing_dispatch_five_working_days_later(
    org_a, django_capture_on_commit_callbacks
):
    """S000-44 (and the contract half of S000-04): rate met, 20 in stock < 50 asked: 待印刷, a print
    order for the 30 missing, planned dispatch 5 working days later (Friday → Friday 2026-12-04),
    e-mailed; dispatch is refused until the printed batch enters stock against that order."""
    product = approved_product(org_a)
    make_batch(org_a, product, last="LZ-2026-000030")
    _rate_branch(org_a, product, dispatched_n=10, received=8, signed=7, voided=1)
    doc = make_request(org_a, product, 50)
    with django_capture_on_commit_callbacks(execute=True):
        doc = request_through_chain(org_a, doc)
    assert doc.status == RequestStatus.PRINTING and doc.recommendation == Recommendation.PRINT
    assert doc.stock == 20 and doc.planned_dispatch_on == dt.date(2026, 12, 4)
    with org_a.scope():
        order = PrintOrder.objects.get(pk=doc.print_order_id)
    assert (order.number, order.quantity, order.status, order.ordered_on, order.expected_on) == (
        "YS-2026-0001",
        30,
        PrintOrderStatus.ORDERED,
        dt.date(2026, 11, 27),
        dt.date(2026, 12, 4),
    )
    assert any(
        doc.number in m.subject and "安排印刷" in m.subject and "2026-12-04" in m.subject for m in mail.outbox
    )
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        request_services.request_dispatch(doc=doc, actor=org_a.users["mspec"])
    assert exc.value.code == "stock_short"
    with org_a.scope():
        ledger.batch_create(
            tenant=org_a.tenant,
            actor=org_a.users["mspec"],
            product=product,
            first_number="LZ-2026-000031",
            last_number="LZ-2026-000060",
            printer="利民印刷厂",
            unit_cost=Decimal("1.50"),
            received_on=_today(org_a),
            print_order=order,
        )
        order.refresh_from_db()
        assert order.status == PrintOrderStatus.RECEIVED
        dispatch = request_services.request_dispatch(doc=doc, actor=org_a.users["mspec"])
    assert (dispatch.quantity, dispatch.first_number, dispatch.last_number) == (
        50,
        "LZ-2026-000011",
        "LZ-2026-000060",
    )


def test_S000_04_marketing_arranges_printing_of_contracts_and_of_promotional_items(org_a):
    """S000-04: contracts — a passing request short of stock makes a print order (印刷单) for the
    shortfall, closed by the printed batch; promotional items — the shipped SC-006 form with
    printing goes through marketing's 印刷采购申请, the printer and the stock-in."""
    product = approved_product(org_a)
    make_batch(org_a, product, last="LZ-2026-000005")
    doc = request_through_chain(org_a, make_request(org_a, product, 12))
    with org_a.scope():
        order = PrintOrder.objects.get(pk=doc.print_order_id)
    assert (order.product_id, order.quantity, order.created_by_id) == (product.pk, 7, org_a.users["mspec"].pk)
    with org_a.scope():
        assert AuditEvent.objects.filter(
            verb="contracts.print_order_create", object_id=str(order.pk)
        ).exists()
        batch = ledger.batch_create(
            tenant=org_a.tenant,
            actor=org_a.users["mspec"],
            product=product,
            first_number="LZ-2026-000006",
            last_number="LZ-2026-000012",
            printer="利民印刷厂",
            unit_cost=Decimal("1.20"),
            received_on=_today(org_a),
            print_order=order,
        )
        order.refresh_from_db()
    assert order.status == PrintOrderStatus.RECEIVED and batch.print_order_id == order.pk

    from marketing.workflows import services as workflows
    from marketing.workflows.models import FormTemplate
    from marketing.workflows.setup import ensure_shipped
    from marketing.workflows.tests.helpers import approve as wf_approve
    from marketing.workflows.tests.helpers import pending as wf_pending

    user = org_a.users["sales"]
    with org_a.scope():
        ensure_shipped(tenant=org_a.tenant, actor=org_a.users["admin"])
        template = FormTemplate.objects.get(tenant=org_a.tenant, code="SC-006")
        req = workflows.request_create(
            template=template,
            actor=user,
            membership=membership_of(user),
            title="折页",
            branch=org_a.branches["A1"],
            raw={
                "material": "折页",
                "format": "A4",
                "content": "卖点",
                "due": "2026-03-20",
                "printing": "需要印刷",
                "quantity": "5000",
            },
        )
    names = {u.pk: k for k, u in org_a.users.items()}
    route = []
    for _i in range(10):
        tasks = wf_pending(org_a, req)
        if not tasks:
            break
        task = next(t for t in tasks if names.get(t.assignee_id) != "allroles")
        route.append((task.step.name, names[task.assignee_id]))
        wf_approve(org_a, req, names[task.assignee_id])
    assert route[3:] == [
        ("填写印刷采购申请", "mspec"),
        ("采购部交印刷厂", "ops"),
        ("印刷完成入库", "gmassist"),
    ]


def test_S000_45_rate_below_the_bar_is_refused_with_the_figures_as_reason(org_a):
    """S000-45: rate 3 / (10 − 1) = 33.3 % < 60 %: the recommendation is to refuse, a plain approval
    is refused (below_bar), and marketing's refusal sends the request back rejected with the
    figures written as the reason."""
    product = approved_product(org_a)
    make_batch(org_a, product)
    _rate_branch(org_a, product, dispatched_n=10, received=8, signed=3, voided=1)
    doc = make_request(org_a, product, 5)
    approve(org_a, doc, "bgm", key=CONTRACT_REQUEST_KEY)
    with org_a.scope():
        a = request_services.assess(_reload(org_a, doc))
    assert (a["signed"], a["dispatched"], a["voided"], a["rate"], a["passes"]) == (
        3,
        10,
        1,
        Decimal("0.3333"),
        False,
    )
    assert a["recommendation"] == Recommendation.REFUSE and a["planned"] is None
    with pytest.raises(ValidationError) as exc:
        approve(org_a, doc, "mspec", key=CONTRACT_REQUEST_KEY)
    assert exc.value.code == "below_bar"
    assert _reload(org_a, doc).status == RequestStatus.SUBMITTED
    task = pending(org_a, doc, CONTRACT_REQUEST_KEY, org_a.users["mspec"])[0]
    with org_a.scope():
        request_services.request_refuse(doc=_reload(org_a, doc), task=task, actor=org_a.users["mspec"])
        task.refresh_from_db()
    assert _reload(org_a, doc).status == RequestStatus.REJECTED
    assert task.comment == (
        "动销率未达标，不予派发。动销率 33.3% = 客户已签 3 ÷（已派发 10 − 回收作废 1）；"
        "达标线 60%；总部库存 90 份。"
    )
    with org_a.scope():
        assert not Contract.objects.filter(state=ContractState.DISPATCHED, dispatch__request=doc).exists()


def test_S000_46_branch_confirms_receipt_and_keeps_its_own_statistics(org_a, client_as):
    """S000-46: the receiving branch confirms the dispatch (the reply e-mail) once — another
    branch cannot — and its usage page shows its own figures only."""
    product = approved_product(org_a)
    make_batch(org_a, product)
    doc, dispatch = dispatched(org_a, product, 6)
    dispatched(org_a, product, 4, applicant="sales2", branch="A2", gm="bgm2")
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        request_services.dispatch_confirm(
            dispatch=dispatch, actor=org_a.users["bgm2"], membership=membership_of(org_a.users["bgm2"])
        )
    assert exc.value.code == "not_your_branch"
    with org_a.scope():
        request_services.dispatch_confirm(
            dispatch=dispatch, actor=org_a.users["bgm"], membership=membership_of(org_a.users["bgm"])
        )
        with pytest.raises(ValidationError) as exc:
            request_services.dispatch_confirm(
                dispatch=dispatch, actor=org_a.users["sales"], membership=membership_of(org_a.users["sales"])
            )
    assert exc.value.code == "already_confirmed"
    dispatch = _reload(org_a, dispatch)
    assert (dispatch.confirmed_on, dispatch.confirmed_by_id) == (_today(org_a), org_a.users["bgm"].pk)
    assert _reload(org_a, doc).status == RequestStatus.RECEIVED
    n = numbers_of(org_a, dispatch)
    receive(org_a, n[0], n[2])
    sign(org_a, n[0])
    rows = client_as(org_a.users["bgm"]).get(reverse("contracts:usage")).context["rows"]
    assert [
        (r["group"], r["product"], r["received"], r["signed"], r["remaining"], r["total"]) for r in rows
    ] == [("甲一区", "YB-T24", 3, 1, 3, 6)]


# --- the weekly usage analysis (合同动销率 2–7) -----------------------------------------------


@pytest.fixture
def usage_setup(org_a):
    """Region 甲一区: A1 10 dispatched of YB-P1 (6 received, 3 signed, 1 voided), A2 4 dispatched.
    Region 甲二区: A3 5 dispatched of YB-P2 (2 received, 2 signed), filed by allroles (its own GM)."""
    p1 = approved_product(org_a, code="YB-P1")
    p2 = approved_product(org_a, code="YB-P2")
    make_batch(org_a, p1, first="P1-000001", last="P1-000100", cost="2.00")
    make_batch(org_a, p2, first="P2-000001", last="P2-000050", cost="3.50")
    _d, a1 = dispatched(org_a, p1, 10)
    n = numbers_of(org_a, a1)
    receive(org_a, n[0], n[5])
    for x in n[:3]:
        sign(org_a, x)
    void(org_a, n[3])
    dispatched(org_a, p1, 4, applicant="sales2", branch="A2", gm="bgm2")
    doc = make_request(org_a, p2, 5, applicant="allroles", branch="A3")  # the GM step is skipped for its GM
    approve(org_a, doc, "mspec", key=CONTRACT_REQUEST_KEY)
    with org_a.scope():
        a3 = request_services.request_dispatch(doc=_reload(org_a, doc), actor=org_a.users["mspec"])
    m = numbers_of(org_a, a3)
    receive(org_a, m[0], m[1], holder="allroles")
    sign(org_a, m[0])
    sign(org_a, m[1])
    return p1, p2, n


def _usage(org, as_of=None, **kw):
    from contracts.selectors_ledger import usage

    with org.scope():
        return {
            (r["group"], r["product"]): r for r in usage(tenant=org.tenant, as_of=as_of or _today(org), **kw)
        }


def test_S000_48_in_use_is_received_minus_signed_minus_voided(org_a, usage_setup):
    """S000-48: 在途使用 = 销售领取 − 客户已签 − 回收作废: 6 − 3 − 1 = 2 in 甲一区, 2 − 2 − 0 = 0 in
    甲二区; a dispatched contract nobody received cannot be voided, so it never goes negative."""
    rows = _usage(org_a)
    assert (
        rows["甲一区", "YB-P1"]["received"],
        rows["甲一区", "YB-P1"]["signed"],
        rows["甲一区", "YB-P1"]["voided"],
        rows["甲一区", "YB-P1"]["in_use"],
    ) == (6, 3, 1, 2)
    assert rows["甲二区", "YB-P2"]["in_use"] == 0
    _p1, _p2, n = usage_setup
    with pytest.raises(ValidationError, match="请先登记领取人"):
        void(org_a, n[8])
    receive(org_a, n[6])
    assert _usage(org_a)["甲一区", "YB-P1"]["in_use"] == 3


def test_S000_49_customer_signed_comes_from_the_crm_signed_list(org_a, usage_setup):
    """S000-49: 客户已签 is the count of contracts marked signed from the CRM's list (合同编号, 签约日期):
    importing 2 of the received numbers moves 客户已签 from 3 to 5; the same list again changes
    nothing; a number not yet received is refused and the whole file applies nothing."""
    from contracts import imports
    from contracts.models import ImportKind, ImportStatus
    from contracts.tests.helpers import xlsx

    _p1, _p2, n = usage_setup
    today = _today(org_a).isoformat()

    def upload(rows):
        with org_a.scope():
            job = imports.import_upload(
                tenant=org_a.tenant,
                kind=ImportKind.SIGNINGS,
                filename="crm.xlsx",
                content=xlsx(("合同编号", "签约日期"), rows),
                actor=org_a.users["mspec"],
            )
            if job.status == ImportStatus.READY:
                job = imports.import_confirm(job=job, actor=org_a.users["mspec"])
        return job

    bad = upload([(n[4], today), (n[7], today)])  # n[7] was never received
    assert bad.status == ImportStatus.INVALID
    assert _usage(org_a)["甲一区", "YB-P1"]["signed"] == 3
    good = upload([(n[4], today), (n[5], today)])
    assert good.status == ImportStatus.DONE and good.result["moved"] == 2
    assert _contract(org_a, n[4]).state == ContractState.SIGNED and _contract(
        org_a, n[4]
    ).signed_on == _today(org_a)
    assert _usage(org_a)["甲一区", "YB-P1"]["signed"] == 5
    again = upload([(n[4], today), (n[5], today)])
    assert again.status == ImportStatus.DONE and again.result["moved"] == 0
    assert _usage(org_a)["甲一区", "YB-P1"]["signed"] == 5


def test_S000_50_voided_are_miswritten_or_damaged_contracts_recovered(org_a, usage_setup):
    """S000-50: 回收作废 needs its reason (填错 / 损坏), is final, and counts in the region's 回收作废;
    a contract damaged in HQ stock is voided too but counts for no region."""
    _p1, _p2, n = usage_setup
    with pytest.raises(ValidationError) as exc:
        void(org_a, n[4], reason="")
    assert exc.value.code == "reason_required"
    void(org_a, n[4], reason="污损")
    c = _contract(org_a, n[4])
    assert (c.state, c.void_reason, c.voided_on) == (ContractState.VOIDED, "污损", _today(org_a))
    with pytest.raises(ValidationError, match="不能重复作废"):
        void(org_a, n[4])
    with pytest.raises(ValidationError, match="已由客户签约，不能作废"):
        void(org_a, n[0])
    void(org_a, "P1-000090", reason="印刷破损")  # still in HQ stock
    row = _usage(org_a)["甲一区", "YB-P1"]
    assert (row["voided"], row["in_use"], row["total"]) == (2, 1, 14)
    assert _contract(org_a, "P1-000090").state == ContractState.VOIDED


def test_S000_51_remaining_valid_is_the_blank_contracts_left_per_region(org_a, usage_setup):
    """S000-51: 剩余有效 = dispatched to the region and neither received nor voided: 甲一区 (10 − 6)
    + 4 = 8, 甲二区 5 − 2 = 3; per branch A1 4, A2 4; HQ stock is no region's."""
    rows = _usage(org_a)
    assert rows["甲一区", "YB-P1"]["remaining"] == 8 and rows["甲二区", "YB-P2"]["remaining"] == 3
    by_branch = _usage(org_a, region_id=org_a.regions["RA1"].pk)
    assert {k: r["remaining"] for k, r in by_branch.items()} == {
        ("甲一分公司", "YB-P1"): 4,
        ("甲二分公司", "YB-P1"): 4,
    }
    _p1, _p2, n = usage_setup
    receive(org_a, n[6], n[7])
    assert _usage(org_a)["甲一区", "YB-P1"]["remaining"] == 6


def test_S000_52_package_total_is_every_contract_of_the_product_to_date(org_a, usage_setup):
    """S000-52: 套餐总量 = every contract of the product dispatched to the region up to the date,
    whatever its state: 甲一区 10 + 4 = 14 today; as of before the A2 dispatch, 10."""
    assert _usage(org_a)["甲一区", "YB-P1"]["total"] == 14 and _usage(org_a)["甲二区", "YB-P2"]["total"] == 5
    yesterday = _today(org_a) - dt.timedelta(days=1)
    with org_a.scope():
        a1 = Contract.objects.filter(branch=org_a.branches["A1"])
        assert a1.count() == 10
        for c in a1:  # move A1's whole history one day back
            Contract.objects.filter(pk=c.pk).update(
                dispatched_on=yesterday,
                received_on=c.received_on and yesterday,
                signed_on=c.signed_on and yesterday,
                voided_on=c.voided_on and yesterday,
            )
    earlier = _usage(org_a, as_of=yesterday)
    assert set(earlier) == {("甲一区", "YB-P1")} and earlier["甲一区", "YB-P1"]["total"] == 10


def test_S000_53_signing_ratio_is_signed_over_package_total(org_a, usage_setup, client_as):
    """S000-53: 签约量占比 = 客户已签 ÷ 套餐总量: 3 / 14 = 21.43 %, 2 / 5 = 40 %; the xlsx carries it as a
    number with a percent format."""
    import io

    from openpyxl import load_workbook

    rows = _usage(org_a)
    assert rows["甲一区", "YB-P1"]["ratio"] == Decimal("0.2143") and rows["甲二区", "YB-P2"][
        "ratio"
    ] == Decimal("0.4000")
    data = (
        client_as(org_a.users["mspec"])
        .get(reverse("contracts:usage_export"), {"as_of": _today(org_a).isoformat()})
        .content
    )
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["I1"].value == "签约量占比"
    assert [ws["I2"].value, ws["I3"].value] == [pytest.approx(0.2143), pytest.approx(0.4)]
    assert ws["I2"].number_format.endswith("%")


def test_S000_11_contract_cost_ledger_per_region(org_a, usage_setup):
    """S000-11: 各地区使用合同成本 = copies dispatched to the region × the unit cost of their batch,
    one row per region, product and batch: 甲一区 14 × 2.00 = 28.00, 甲二区 3 × 1.10 = 3.30 (a second
    batch of YB-P1) and 5 × 3.50 = 17.50."""
    from contracts.selectors_ledger import cost_ledger

    p1, _p2, _n = usage_setup
    make_batch(org_a, p1, first="K1-000001", last="K1-000003", cost="1.10")  # lower numbers: dispatched first
    doc = make_request(org_a, p1, 3, applicant="allroles", branch="A3")  # first YB-P1 request of A3
    approve(org_a, doc, "mspec", key=CONTRACT_REQUEST_KEY)
    with org_a.scope():
        request_services.request_dispatch(doc=_reload(org_a, doc), actor=org_a.users["mspec"])
        rows = cost_ledger(tenant=org_a.tenant, as_of=_today(org_a))
    assert [
        (r["region"], r["product"], r["batch"], r["copies"], r["unit_cost"], r["amount"]) for r in rows
    ] == [
        ("甲一区", "YB-P1", "P1-000001 – P1-000100", 14, Decimal("2.0000"), Decimal("28.00")),
        ("甲二区", "YB-P1", "K1-000001 – K1-000003", 3, Decimal("1.1000"), Decimal("3.30")),
        ("甲二区", "YB-P2", "P2-000001 – P2-000050", 5, Decimal("3.5000"), Decimal("17.50")),
    ]


def test_S000_54_operations_submits_the_usage_figures_every_friday(
    org_a, client_as, django_capture_on_commit_callbacks
):
    """S000-54: on the tenant's Friday (Shanghai time) operations is reminded once; operations
    confirms the week's figures on the page (once); a salesperson cannot."""
    from contracts.models import UsageWeek
    from contracts.services.usage import usage_remind

    thursday_utc_friday_shanghai = dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC)  # Fri 01:00 in Shanghai
    with time_machine.travel(dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC), tick=False), org_a.scope():
        assert usage_remind(tenant=org_a.tenant) is False  # Thursday
    with (
        time_machine.travel(thursday_utc_friday_shanghai, tick=False),
        org_a.scope(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert usage_remind(tenant=org_a.tenant) is True
        assert usage_remind(tenant=org_a.tenant) is False
        week = UsageWeek.objects.get(tenant=org_a.tenant)
    assert week.as_of == dt.date(2026, 11, 27)
    reminders = [m for m in mail.outbox if "请确认本周合同使用情况（截至 2026-11-27）" in m.subject]
    assert sorted(a for m in reminders for a in m.to) == sorted(
        [org_a.users["ops"].email, org_a.users["allroles"].email]
    )
    with time_machine.travel(dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC), tick=False):
        assert (
            client_as(org_a.users["sales"])
            .post(reverse("contracts:usage_confirm"), {"as_of": "2026-11-27"})
            .status_code
            == 403
        )
        client_as(org_a.users["ops"]).post(reverse("contracts:usage_confirm"), {"as_of": "2026-11-27"})
    week = _reload(org_a, week)
    assert week.confirmed_by_id == org_a.users["ops"].pk and week.confirmed_at is not None


# --- the numbered ledger (seed 003 制度 3; seed 001 销售助理 2) -------------------------------


def test_S003_02_contracts_carry_numbers(org_a):
    """S003-02: a print batch gives every copy its number, prefix + zero-padded counter, unique in
    the tenant: 3 copies → LZ-2026-000001…000003; an overlapping range or another digit width
    of the same prefix is refused."""
    product = approved_product(org_a)
    batch = make_batch(org_a, product, first="LZ-2026-000001", last="LZ-2026-000003")
    with org_a.scope():
        assert list(
            Contract.objects.filter(batch=batch).order_by("number").values_list("number", flat=True)
        ) == ["LZ-2026-000001", "LZ-2026-000002", "LZ-2026-000003"]
    assert (batch.first_number, batch.last_number, batch.copies) == ("LZ-2026-000001", "LZ-2026-000003", 3)
    with pytest.raises(ValidationError) as exc:
        make_batch(org_a, product, first="LZ-2026-000003", last="LZ-2026-000005")
    assert exc.value.code == "overlap"
    with pytest.raises(ValidationError) as exc:
        make_batch(org_a, product, first="LZ-2026-0004", last="LZ-2026-0009")  # same prefix, other width
    assert exc.value.code == "bad_range"
    with org_a.scope():
        assert Contract.objects.filter(number__startswith="LZ-2026-").count() == 3


def test_S003_03_every_receipt_of_a_contract_is_registered(org_a):
    """S003-03: 领用登记 — receiving numbers records, per contract, the holder, the date and a dated
    event (已派发 → 已领取) by the registering user, plus one audit entry naming the range; a
    contract never registered cannot be signed."""
    product = approved_product(org_a)
    make_batch(org_a, product)
    _doc, dispatch = dispatched(org_a, product, 5)
    n = numbers_of(org_a, dispatch)
    with pytest.raises(ValidationError, match="未登记领取"):
        sign(org_a, n[3])
    day = _today(org_a)
    assert receive(org_a, n[0], n[2], on=day) == 3
    for number in n[:3]:
        c = _contract(org_a, number)
        assert (c.state, c.holder_id, c.holder_name, c.received_on) == (
            ContractState.RECEIVED,
            org_a.users["sales"].pk,
            org_a.users["sales"].display_name,
            day,
        )
        with org_a.scope():
            event = ContractEvent.objects.filter(contract=c).order_by("-id").first()
        assert (event.from_state, event.to_state, event.on, event.actor_id) == (
            ContractState.DISPATCHED,
            ContractState.RECEIVED,
            day,
            org_a.users["mspec"].pk,
        )
    with org_a.scope():
        audit = AuditEvent.objects.filter(verb="contracts.receive").get()
    assert audit.after["from"] == n[0] and audit.after["to"] == n[2] and audit.after["count"] == 3
    assert (
        _contract(org_a, n[3]).state == ContractState.DISPATCHED and _contract(org_a, n[3]).holder_id is None
    )


def test_S001_23_the_contract_ledger_classifies_files_and_keeps_every_contract(org_a, client_as):
    """S001-23 (the sales contracts): every contract is one ledger record classified by product,
    state and branch (the ledger filters on each), filed with its batch and the full history of
    its moves, and kept: a signed or voided contract is final and its batch cannot be deleted."""
    from django.db.models import ProtectedError

    p1 = approved_product(org_a, code="YB-K1")
    p2 = approved_product(org_a, code="YB-K2")
    b1 = make_batch(org_a, p1, first="K1-0001", last="K1-0010")
    make_batch(org_a, p2, first="K2-0001", last="K2-0005")
    _doc, dispatch = dispatched(org_a, p1, 4)
    n = numbers_of(org_a, dispatch)
    receive(org_a, n[0], n[1])
    sign(org_a, n[0])
    client = client_as(org_a.users["mspec"])

    def listed(**params):
        return sorted(c.number for c in client.get(reverse("contracts:ledger"), params).context["page"])

    assert listed(product=p2.pk) == [f"K2-{i:04d}" for i in range(1, 6)]
    assert listed(product=p1.pk, state="signed") == ["K1-0001"]
    assert listed(product=p1.pk, state="dispatched") == ["K1-0003", "K1-0004"]
    assert listed(branch=org_a.branches["A1"].pk) == ["K1-0001", "K1-0002", "K1-0003", "K1-0004"]
    c = _contract(org_a, "K1-0001")
    assert c.batch_id == b1.pk and c.product_id == p1.pk
    detail = client.get(reverse("contracts:contract_detail", args=[c.pk]))
    assert [(e.from_state, e.to_state) for e in detail.context["events"]] == [
        ("", "in_stock"),
        ("in_stock", "dispatched"),
        ("dispatched", "received"),
        ("received", "signed"),
    ]
    with pytest.raises(ValidationError, match="已由客户签约，不能作废"):
        void(org_a, "K1-0001")
    with org_a.scope(), pytest.raises(ProtectedError):
        b1.delete()
    assert _contract(org_a, "K1-0001").state == ContractState.SIGNED
