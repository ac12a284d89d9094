"""Demo products, price lists and contracts, built through the services and the approval
engine, so every state is a real one with its history. Idempotent: does nothing if the tenant
already has products."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.approvals.registry import StepSpec, get_type
from marketing.approvals.selectors import chain_for
from marketing.demo import membership_of
from marketing.roles import Role
from marketing.selectors import users_with_roles, visible_branches

from . import exports, imports, selectors
from .approvals import CONTRACT_REQUEST_KEY, PRODUCT_DESIGN_KEY
from .models import Contract, ImportKind, Product
from .services import ledger as ledger_services
from .services import pricelist as pricelist_services
from .services import products as product_services
from .services import requests as request_services

PDF_BYTES = b"%PDF-1.4\n% demo clauses\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

PRODUCTS = [
    # code, name, vehicle, term, mileage, price
    ("YB-A24", "尊享动力总成延保 24 个月", "10 万元以下燃油乘用车", 24, 60000, "2980.00"),
    ("YB-B36", "全面保障延保 36 个月", "10-30 万元燃油乘用车", 36, 100000, "5680.00"),
    ("YB-E24", "新能源三电延保 24 个月", "新能源乘用车", 24, None, "4280.00"),
    ("YB-C12", "商用车动力延保 12 个月", "轻型商用车", 12, 50000, "1880.00"),
    ("YB-L60", "豪华车长效延保 60 个月", "30 万元以上乘用车", 60, 150000, "12800.00"),
    ("YB-X12", "二手车基础延保 12 个月", "车龄 8 年以内二手车", 12, 30000, "1280.00"),
]


def _holders(personas: dict, role: str) -> list:
    return [u for u in personas.values() if role in membership_of(u).roles]


def ensure_demo_chain(tenant, key: str, applicant) -> None:
    """A small demo tenant may lack some departments: keep only the steps somebody can sign
    (a tenant admin would edit the chain the same way)."""
    specs = chain_for(tenant=tenant, key=key)
    keep: list[StepSpec] = []
    for spec in specs:
        people = users_with_roles(tenant=tenant, roles=[spec.role]).exclude(pk=applicant.pk)
        if people.exists():
            keep.append(spec)
    if len(keep) != len(specs) and keep:
        admin = users_with_roles(tenant=tenant, roles=[Role.TENANT_ADMIN]).first() or applicant
        approvals.chain_save(tenant=tenant, actor=admin, key=key, steps=keep)


def pending_task(document, key: str):
    return (ApprovalTask.objects.filter(flow__document_type=key, flow__object_id=document.pk,
                                        status=TaskStatus.PENDING).select_related("step", "assignee", "flow").first())


def approve_steps(document, key: str, times: int = 99, comment: str = "同意") -> None:
    for _i in range(times):
        task = pending_task(document, key)
        if task is None:
            return
        approvals.approval_approve(task=task, actor=task.assignee, comment=comment,
                                   checklist=task.step.checklist if task.step.kind == StepKind.VERIFY else ())


def _clauses(code: str) -> ContentFile:
    return ContentFile(PDF_BYTES, name=f"{code}-合同条款.pdf")


def _design(tenant, applicant, index: int, *, submit=True):
    code, name, vehicle, term, km, price = PRODUCTS[index]
    membership = membership_of(applicant)
    branch = visible_branches(membership=membership).filter(is_headquarters=False).first() or \
        visible_branches(membership=membership).first()
    return product_services.product_design_create(
        tenant=tenant, membership=membership, actor=applicant, code=code,
        data={"branch": branch, "name": name, "vehicle_type": vehicle, "term_months": term, "mileage_limit": km,
              "price": Decimal(price), "reason": "当地 4S 店渠道需求，客户询价较多。",
              "coverage": "发动机、变速箱、驱动桥主要零部件的维修费用；含道路救援。"},
        clauses=_clauses(code), submit=submit,
    )


def seed_products(*, tenant, personas: dict, rich: bool) -> dict:
    applicants = _holders(personas, Role.SALESPERSON) or _holders(personas, Role.BRANCH_GM)
    if not applicants:
        return {}
    applicant = applicants[0]
    ensure_demo_chain(tenant, PRODUCT_DESIGN_KEY, applicant)
    marketing = (_holders(personas, Role.MARKETING_SPECIALIST) or [applicant])[0]
    made = {}
    first = _design(tenant, applicant, 0)
    approve_steps(first, PRODUCT_DESIGN_KEY)
    product_services.product_set_status(product=first.product, actor=marketing, move="online")
    made["online"] = first.product
    second = _design(tenant, applicant, 1)
    approve_steps(second, PRODUCT_DESIGN_KEY, times=1)  # waits further down the chain
    made["design"] = second.product
    if not rich:
        return made
    third = _design(tenant, applicant, 2)
    approve_steps(third, PRODUCT_DESIGN_KEY)
    product_services.product_set_status(product=third.product, actor=marketing, move="online")
    # a change to an online product: version 2 on its way through the chain
    product = Product.objects.get(pk=first.product_id)
    v2 = product_services.product_version_create(
        product=product, membership=membership_of(applicant), actor=applicant,
        data={"branch": first.branch, "name": product.name, "vehicle_type": first.vehicle_type,
              "term_months": 24, "mileage_limit": 80000, "price": Decimal("3180.00"),
              "coverage": first.coverage + "新增：涡轮增压器。", "reason": "里程上限提高到 8 万公里。"},
        submit=True,
    )
    approve_steps(v2, PRODUCT_DESIGN_KEY, times=2)
    fourth = _design(tenant, applicant, 3)
    approve_steps(fourth, PRODUCT_DESIGN_KEY, times=2)
    task = pending_task(fourth, PRODUCT_DESIGN_KEY)
    if task is not None:
        approvals.approval_reject(task=task, actor=task.assignee, reason="商用车赔付率测算不足，请补充数据后重新提交。")
    fifth = _design(tenant, applicant, 4)
    approve_steps(fifth, PRODUCT_DESIGN_KEY)
    product_services.product_set_status(product=fifth.product, actor=marketing, move="retire")
    sixth = _design(tenant, applicant, 5)
    approve_steps(sixth, PRODUCT_DESIGN_KEY)  # approved, waits for the price list
    made.update(second_online=third.product, retired=fifth.product, approved=sixth.product)
    return made


def seed_pricelist(*, tenant, personas: dict, rich: bool, made: dict) -> None:
    marketing = _holders(personas, Role.MARKETING_SPECIALIST)
    if not marketing or "online" not in made:
        return
    actor = marketing[0]
    today = timezone.localdate(timezone=tenant.zone)
    priced = list(Product.objects.filter(tenant=tenant, status__in=pricelist_services.PRICEABLE).select_related("current_version"))
    draft = pricelist_services.pricelist_draft(tenant=tenant, actor=actor)
    for product in priced:
        v = product.current_version
        for cls_index, vehicle_class in enumerate(["A 级（10 万以下）", "B 级（10-20 万）", "C 级（20-30 万）"]):
            for term in (12, 24, 36):
                price = (v.price * Decimal(term) / Decimal(v.term_months) * (Decimal("1") + Decimal(cls_index) / 5))
                pricelist_services.entry_save(price_list=draft, actor=actor, product=product,
                                              vehicle_class=vehicle_class, term_months=term,
                                              price=price.quantize(Decimal("1")))
    first = pricelist_services.pricelist_publish(price_list=draft, actor=actor, effective_on=today,
                                                 note="首版报价表")
    confirmations = list(first.confirmations.select_related("user"))
    for index, confirmation in enumerate(confirmations):
        if index == 0:
            pricelist_services.confirmation_decide(confirmation=confirmation, actor=confirmation.user,
                                                   decision="confirmed")
        elif index == 1 and rich:
            pricelist_services.confirmation_decide(confirmation=confirmation, actor=confirmation.user,
                                                   decision="objected", comment="B 级 36 个月价格偏高，当地竞品 6800 元。")
    ops = _holders(personas, Role.OPERATIONS)
    if ops:
        pricelist_services.implementation_tick(price_list=first, product=made["online"], actor=ops[0])
    second = pricelist_services.pricelist_draft(tenant=tenant, actor=actor)
    # the draft's content round-trips through the xlsx import (previewed, waiting for confirmation)
    content = exports.pricelist_xlsx(second, selectors.pricelist_matrix(second))
    imports.import_upload(tenant=tenant, kind=ImportKind.PRICE_LIST, filename="报价表草稿.xlsx", content=content,
                          actor=actor, target_id=second.pk)
    if not rich:
        return
    entry = second.entries.filter(product=made["online"], term_months=36).order_by("vehicle_class").first()
    if entry is not None:
        pricelist_services.entry_save(price_list=second, actor=actor, product=entry.product,
                                      vehicle_class=entry.vehicle_class, term_months=36,
                                      price=entry.price - Decimal("200"))
    pricelist_services.entry_save(price_list=second, actor=actor, product=made["online"],
                                  vehicle_class="新能源", term_months=24, price=Decimal("3380"))
    pricelist_services.pricelist_publish(price_list=second, actor=actor, effective_on=today + timedelta(days=14),
                                         note="B/C 级调价，新增新能源档")
    pricelist_services.pricelist_draft(tenant=tenant, actor=actor)  # the next draft, open


def _request(tenant, applicant, product, quantity, *, submit=True):
    membership = membership_of(applicant)
    branch = visible_branches(membership=membership).filter(is_headquarters=False).first()
    return request_services.request_create(
        tenant=tenant, membership=membership, actor=applicant, submit=submit,
        data={"branch": branch, "product": product, "quantity": quantity, "reason": "本月 4S 店渠道签单增加，空白合同不足。"})


def _numbers(tenant, dispatch, count, skip=0):
    return list(Contract.objects.filter(tenant=tenant, dispatch=dispatch).order_by("number")
                .values_list("number", flat=True)[skip:skip + count])


def _receive_sign(tenant, actor, applicant, dispatch, *, receive, sign, void=0):
    today = ledger_services.local_today(tenant)
    numbers = _numbers(tenant, dispatch, receive)
    if not numbers:
        return
    ledger_services.contracts_receive(tenant=tenant, actor=actor, first_number=numbers[0], last_number=numbers[-1],
                                      holder=applicant, on=today)
    for number in numbers[:sign]:
        ledger_services.contract_sign(contract=Contract.objects.get(tenant=tenant, number=number), actor=actor, on=today)
    for number in numbers[sign:sign + void]:
        ledger_services.contract_void(contract=Contract.objects.get(tenant=tenant, number=number), actor=actor,
                                      on=today, reason="填写错误，已收回")


def seed_ledger(*, tenant, personas: dict, rich: bool, made: dict) -> None:
    marketing = _holders(personas, Role.MARKETING_SPECIALIST)
    applicants = _holders(personas, Role.SALESPERSON)
    if not marketing or not applicants or "online" not in made:
        return
    product = Product.objects.get(pk=made["online"].pk)
    mspec, sales = marketing[0], applicants[0]
    ensure_demo_chain(tenant, CONTRACT_REQUEST_KEY, sales)
    today = ledger_services.local_today(tenant)
    size = 500 if rich else 100
    ledger_services.batch_create(tenant=tenant, actor=mspec, product=product, first_number="LZ-2026-000001",
                                 last_number=f"LZ-2026-{size:06d}", printer="上海利民印刷厂",
                                 unit_cost=Decimal("1.85"), received_on=today - timedelta(days=20))
    first = _request(tenant, sales, product, 60)  # 首次申领
    approve_steps(first, CONTRACT_REQUEST_KEY)
    dispatch = request_services.request_dispatch(doc=first, actor=mspec)
    _receive_sign(tenant, mspec, sales, dispatch, receive=42, sign=40, void=2)
    request_services.dispatch_confirm(dispatch=dispatch, actor=sales, membership=membership_of(sales))
    # passes the bar (40 ÷ (60 − 2) = 69 %) but asks for more than the stock: print order
    stock = Contract.objects.filter(tenant=tenant, product=product, state="in_stock").count()
    short = _request(tenant, sales, product, stock + 80)
    approve_steps(short, CONTRACT_REQUEST_KEY)
    waiting = _request(tenant, sales, product, 10)  # waits for marketing's sell-through check
    approve_steps(waiting, CONTRACT_REQUEST_KEY, times=1)
    ledger_content = _signings_xlsx(_numbers(tenant, dispatch, 2, skip=0), today)
    imports.import_upload(tenant=tenant, kind=ImportKind.SIGNINGS, filename="CRM签约清单.xlsx", content=ledger_content,
                          actor=mspec)  # the same CRM list again: previewed, changes nothing
    if not rich:
        return
    _request(tenant, sales, product, 20, submit=False)  # draft
    others = applicants[1:]
    if others:
        other = others[0]
        low = _request(tenant, other, product, 50)
        approve_steps(low, CONTRACT_REQUEST_KEY)
        low_dispatch = request_services.request_dispatch(doc=low, actor=mspec)
        _receive_sign(tenant, mspec, other, low_dispatch, receive=20, sign=5)  # dispatched, not confirmed
        refused = _request(tenant, other, product, 30)
        approve_steps(refused, CONTRACT_REQUEST_KEY, times=1)
        task = pending_task(refused, CONTRACT_REQUEST_KEY)
        if task is not None:
            request_services.request_refuse(doc=refused, task=task, actor=task.assignee)
        override = _request(tenant, other, product, 10)
        approve_steps(override, CONTRACT_REQUEST_KEY, times=1)
        task = pending_task(override, CONTRACT_REQUEST_KEY)
        if task is not None:
            request_services.request_override(doc=override, actor=task.assignee,
                                              reason="新开 4S 店渠道，首月铺货，总监同意。")
            approvals.approval_approve(task=task, actor=task.assignee, comment="超标准批准")


def _signings_xlsx(numbers, day) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["合同编号", "签约日期"])
    for n in numbers:
        ws.append([n, day.isoformat()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def seed(*, tenant, personas: dict, rich: bool) -> None:
    if Product.objects.filter(tenant=tenant).exists():
        return
    get_type(PRODUCT_DESIGN_KEY)
    made = seed_products(tenant=tenant, personas=personas, rich=rich)
    made = {k: Product.objects.get(pk=v.pk) for k, v in made.items()}  # as the services left them
    seed_pricelist(tenant=tenant, personas=personas, rich=rich, made=made)
    seed_ledger(tenant=tenant, personas=personas, rich=rich, made=made)
