from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, TaskStatus
from marketing.demo import membership_of
from marketing.materials import services
from marketing.materials.approvals import KEY

PDF = b"%PDF-1.4\n% test\n%%EOF\n"


def pdf(name="t.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_material(org, code="M1", stock=0, **data):
    with org.scope():
        m = services.material_create(tenant=org.tenant, actor=org.users["mspec"],
                                     data={"name": data.pop("name", f"物料{code}"), "code": code, "unit": "张",
                                           "active": True, **data})
        if stock:
            services.stock_receive(material=m, actor=org.users["mspec"], quantity=stock)
        m.refresh_from_db()
        return m


def make_request(org, lines, applicant="sales", branch="A1", note=""):
    user = org.users[applicant]
    with org.scope():
        return services.request_create(tenant=org.tenant, membership=membership_of(user), actor=user,
                                       branch=org.branches[branch], lines=lines, note=note)


def pending(org, req):
    with org.scope():
        return list(ApprovalTask.objects.filter(flow__document_type=KEY, flow__object_id=req.pk,
                                                status=TaskStatus.PENDING).select_related("step", "assignee"))


def approve(org, req, persona):
    user = org.users[persona]
    task = next(t for t in pending(org, req) if t.assignee_id == user.pk)
    with org.scope():
        approvals.approval_approve(task=task, actor=user)


def approved_request(org, lines, applicant="sales", branch="A1"):
    req = make_request(org, lines, applicant=applicant, branch=branch)
    approve(org, req, "bgm" if branch == "A1" else "bgm2")
    approve(org, req, "mspec")
    with org.scope():
        req.refresh_from_db()
    return req


def line_ids(org, req) -> dict:
    with org.scope():
        return {line.material.code: line.pk for line in req.lines.select_related("material")}
