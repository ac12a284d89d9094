"""Build approval forms and requests with the real services."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalFlow, ApprovalTask, TaskStatus
from marketing.demo import membership_of
from marketing.workflows import services

PDF = b"%PDF-1.4\n% test\n%%EOF\n"


def pdf(name="plan.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def F(key, label, kind, required=False, **extra):  # noqa: N802
    return {"key": key, "label": label, "type": kind, "required": required, "help": "", **extra}


EVERY_TYPE = [
    F("subject", "主题", "text", True), F("detail", "说明", "textarea"), F("headcount", "人数", "number"),
    F("amount", "金额", "money", True), F("day", "日期", "date"), F("period", "起止日期", "daterange"),
    F("nature", "性质", "choice", True, options=["常规", "特殊"]), F("people", "参加人员", "people"),
    F("target", "目标分公司", "branch"), F("customer", "客户", "customer"), F("files", "附件", "attachment"),
    F("lines", "明细", "table", columns=[{"key": "item", "label": "项目", "type": "text"},
                                       {"key": "amount", "label": "金额", "type": "money"}]),
]


def make_form(org, *, code="T-001", fields=None, steps, signoff_users=None, publish=True, actor="admin"):
    with org.scope():
        template = services.template_create(tenant=org.tenant, actor=org.users[actor], name="测试表单", code=code,
                                            fields=fields or EVERY_TYPE)
        approvals.chain_save(tenant=org.tenant, actor=org.users[actor], key=template.approval_key, steps=steps,
                             signoff_users=signoff_users)
        if publish:
            services.version_publish(template=template, actor=org.users[actor])
        return template


def file_request(org, template, *, applicant="sales", branch="A1", title="申请", uploads=None, **values):
    user = org.users[applicant]
    raw = {"subject": "主题", "amount": "100", "nature": "常规", **values}
    with org.scope():
        return services.request_create(template=template, actor=user, membership=membership_of(user), title=title,
                                       branch=org.branches[branch] if branch else None, raw=raw,
                                       uploads=uploads or {})


def flow_of(org, req) -> ApprovalFlow:
    with org.scope():
        return ApprovalFlow.objects.get(document_type=f"form:{req.template_id}", object_id=req.pk)


def pending(org, req):
    with org.scope():
        return list(ApprovalTask.objects.filter(flow__document_type=f"form:{req.template_id}", flow__object_id=req.pk,
                                                status=TaskStatus.PENDING).select_related("step", "assignee")
                    .order_by("step__position", "assignee__username"))


def pending_people(org, req) -> set[str]:
    names = {u.pk: k for k, u in org.users.items()}
    return {names.get(t.assignee_id, t.assignee_id) for t in pending(org, req)}


def step_names(org, req) -> list[tuple[str, str]]:
    with org.scope():
        return [(s.name, s.status) for s in flow_of(org, req).steps.order_by("round", "position")]


def approve(org, req, persona, comment="同意"):
    task = next(t for t in pending(org, req) if t.assignee_id == org.users[persona].pk)
    with org.scope():
        return approvals.approval_approve(task=task, actor=org.users[persona], comment=comment)


def reject(org, req, persona, reason="请补充"):
    task = next(t for t in pending(org, req) if t.assignee_id == org.users[persona].pk)
    with org.scope():
        return approvals.approval_reject(task=task, actor=org.users[persona], reason=reason)
