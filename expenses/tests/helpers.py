"""Build expense requests and walk them through the chain with the real services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from expenses import services
from expenses.models import ActivityKind
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalFlow, ApprovalTask, StepKind, StepScope, TaskStatus
from marketing.approvals.registry import StepSpec
from marketing.demo import membership_of
from marketing.roles import Role

PDF = b"%PDF-1.4\n% test\n%%EOF\n"


def pdf_upload(name="quote.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def expense_data(org, branch="A1", **overrides):
    data = {
        "branch": org.branches[branch],
        "activity": "车主讲堂",
        "purpose": "与 4S 店联合举办",
        "activity_kind": ActivityKind.ROUTINE,
        "contract_amount": Decimal("100000.00"),
        "amount": Decimal("3000.00"),
        "payee_name": "星程广告",
        "payee_bank": "工商银行",
        "payee_account": "6222021000012345",
        "planned_date": date.today() + timedelta(days=10),
    }
    data.update(overrides)
    return data


def make_expense(org, applicant="sales", submit=True, files=(), **overrides):
    user = org.users[applicant]
    with org.scope():
        return services.expense_create(
            tenant=org.tenant, membership=membership_of(user), actor=user,
            data=expense_data(org, **overrides), files=files, submit=submit,
        )


def flow_of(org, expense) -> ApprovalFlow:
    with org.scope():
        return ApprovalFlow.objects.get(document_type="expenses.request", object_id=expense.pk)


def pending(org, expense, user=None):
    with org.scope():
        qs = ApprovalTask.objects.filter(flow__object_id=expense.pk, flow__document_type="expenses.request",
                                         status=TaskStatus.PENDING).select_related("step", "assignee")
        if user is not None:
            qs = qs.filter(assignee=user)
        return list(qs)


def current_step(org, expense) -> str | None:
    tasks = pending(org, expense)
    return tasks[0].step.name if tasks else None


def approve(org, expense, persona, **kwargs):
    user = org.users[persona]
    task = pending(org, expense, user)[0]
    if task.step.kind == StepKind.VERIFY:
        kwargs.setdefault("checklist", task.step.checklist)
    with org.scope():
        return approvals.approval_approve(task=task, actor=user, **kwargs)


# Seed 000's chain (S000-23): 市场审核 → 财务核对 → 分公司出纳备案 → 分总签字.
ROUTINE_PATH = ["mspec", "finance", "cashier", "bgm"]

# The chain the product shipped before issue 8 (branch GM first, director and GM steps, archive
# at the cashier). The engine's tests save it explicitly: they test the machinery on a chain
# with conditions, countersigns and branch steps, not the expense default.
LEGACY_CHAIN = [
    StepSpec(name="分公司总经理签字", role=Role.BRANCH_GM, scope=StepScope.BRANCH),
    StepSpec(name="市场部审核", role=Role.MARKETING_SPECIALIST, kind=StepKind.VERIFY,
             checklist=("费用比例", "合同金额", "费用金额")),
    StepSpec(name="市场营销总监审批", role=Role.MARKETING_DIRECTOR, condition="is_special == false"),
    StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER,
             condition="is_special == true or ratio_over_limit == true"),
    StepSpec(name="财务核实", role=Role.FINANCE, kind=StepKind.VERIFY, checklist=("人员", "费用", "账户", "时间节点")),
    StepSpec(name="分公司出纳备案", role=Role.BRANCH_CASHIER, kind=StepKind.RECORD, scope=StepScope.BRANCH),
]
LEGACY_PATH = ["bgm", "mspec", "mdirector", "finance", "cashier"]


def use_legacy_chain(org) -> None:
    with org.scope():
        approvals.chain_save(tenant=org.tenant, actor=org.users["admin"], key="expenses.request",
                             steps=LEGACY_CHAIN)


def approve_through(org, expense, personas=ROUTINE_PATH):
    for persona in personas:
        approve(org, expense, persona)
