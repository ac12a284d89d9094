"""Build products and walk them through the chain with the real services."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.approvals import PRODUCT_DESIGN_KEY
from contracts.services import products as product_services
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.demo import membership_of

PDF = b"%PDF-1.4\n% test\n%%EOF\n"


def pdf_upload(name="条款.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def version_data(org, branch="A1", **overrides):
    data = {
        "branch": org.branches[branch], "name": "动力总成延保", "vehicle_type": "燃油乘用车", "term_months": 24,
        "mileage_limit": 60000, "price": Decimal("2980.00"), "coverage": "发动机、变速箱", "reason": "渠道需求",
    }
    data.update(overrides)
    return data


def make_design(org, applicant="sales", code="YB-T24", submit=True, clauses=True, **overrides):
    user = org.users[applicant]
    with org.scope():
        return product_services.product_design_create(
            tenant=org.tenant, membership=membership_of(user), actor=user, code=code,
            data=version_data(org, **overrides), clauses=pdf_upload() if clauses else None, submit=submit,
        )


def pending(org, doc, key=PRODUCT_DESIGN_KEY, user=None):
    with org.scope():
        qs = ApprovalTask.objects.filter(flow__object_id=doc.pk, flow__document_type=key,
                                         status=TaskStatus.PENDING).select_related("step", "assignee", "flow")
        if user is not None:
            qs = qs.filter(assignee=user)
        return list(qs)


def current_step(org, doc, key=PRODUCT_DESIGN_KEY):
    tasks = pending(org, doc, key)
    return tasks[0].step.name if tasks else None


def approve(org, doc, persona, key=PRODUCT_DESIGN_KEY, **kwargs):
    user = org.users[persona]
    task = pending(org, doc, key, user)[0]
    if task.step.kind == StepKind.VERIFY:
        kwargs.setdefault("checklist", task.step.checklist)
    with org.scope():
        return approvals.approval_approve(task=task, actor=user, **kwargs)


DESIGN_PATH = ["bgm", "design", "mspec", "ops", "finance", "gm"]


def approved_product(org, code="YB-T24", online=True, **overrides):
    version = make_design(org, code=code, **overrides)
    for persona in DESIGN_PATH:
        approve(org, version, persona)
    with org.scope():
        version.refresh_from_db()
        product = version.product
        product.refresh_from_db()
        if online:
            product = product_services.product_set_status(product=product, actor=org.users["mspec"], move="online")
    return product


# --- ledger ---------------------------------------------------------------------------------

def make_batch(org, product, first="LZ-2026-000001", last="LZ-2026-000100", days_ago=10, cost="1.50", actor="mspec"):
    import datetime as dt

    from contracts.services import ledger

    with org.scope():
        return ledger.batch_create(tenant=org.tenant, actor=org.users[actor], product=product, first_number=first,
                                   last_number=last, printer="利民印刷厂", unit_cost=Decimal(cost),
                                   received_on=ledger.local_today(org.tenant) - dt.timedelta(days=days_ago))


def make_request(org, product, quantity, applicant="sales", branch="A1", submit=True):
    from contracts.services import requests as request_services

    user = org.users[applicant]
    with org.scope():
        return request_services.request_create(
            tenant=org.tenant, membership=membership_of(user), actor=user, submit=submit,
            data={"branch": org.branches[branch], "product": product, "quantity": quantity, "reason": ""})


def request_through_chain(org, doc, gm="bgm", marketing="mspec"):
    from contracts.approvals import CONTRACT_REQUEST_KEY

    approve(org, doc, gm, key=CONTRACT_REQUEST_KEY)
    approve(org, doc, marketing, key=CONTRACT_REQUEST_KEY)
    with org.scope():
        doc.refresh_from_db()
    return doc


def dispatched(org, product, quantity, applicant="sales", branch="A1", gm="bgm"):
    """A request approved and dispatched: returns (request, dispatch)."""
    from contracts.services import requests as request_services

    doc = request_through_chain(org, make_request(org, product, quantity, applicant=applicant, branch=branch), gm=gm)
    with org.scope():
        dispatch = request_services.request_dispatch(doc=doc, actor=org.users["mspec"])
        doc.refresh_from_db()
    return doc, dispatch


def numbers_of(org, dispatch):
    from contracts.models import Contract

    with org.scope():
        return list(Contract.objects.filter(dispatch=dispatch).order_by("number").values_list("number", flat=True))


def receive(org, first, last="", holder="sales", on=None):
    from contracts.services import ledger

    with org.scope():
        return ledger.contracts_receive(tenant=org.tenant, actor=org.users["mspec"], first_number=first,
                                        last_number=last, holder=org.users[holder],
                                        on=on or ledger.local_today(org.tenant))


def sign(org, number, on=None):
    from contracts.models import Contract
    from contracts.services import ledger

    with org.scope():
        return ledger.contract_sign(contract=Contract.objects.get(number=number), actor=org.users["mspec"],
                                    on=on or ledger.local_today(org.tenant))


def void(org, number, on=None, reason="填错"):
    from contracts.models import Contract
    from contracts.services import ledger

    with org.scope():
        return ledger.contract_void(contract=Contract.objects.get(number=number), actor=org.users["mspec"],
                                    on=on or ledger.local_today(org.tenant), reason=reason)


def xlsx(header, rows) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
