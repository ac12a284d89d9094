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
