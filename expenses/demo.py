"""Demo expense requests, built through the services and the approval engine (so every
state is a real one, with its history). Idempotent: does nothing if the tenant has requests."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, StepKind, TaskStatus
from marketing.demo import membership_of
from marketing.roles import Role
from marketing.selectors import visible_branches

from . import services
from .models import ActivityKind, ExpenseRequest

PDF_BYTES = b"%PDF-1.4\n% demo quote\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

ACTIVITIES = [
    ("4S 店联合车主讲堂", "与合作 4S 店举办延保知识讲堂，现场签约"),
    ("修理厂渠道答谢会", "答谢合作修理厂，推广新延保套餐"),
    ("车展展位", "本地车展展位租赁及物料"),
    ("经销商季度激励", "经销商季度销售激励活动"),
    ("社区推广日", "社区车主服务日，免费检测并推广延保"),
]


def _holders(personas: dict, role: str) -> list:
    return [u for u in personas.values() if role in membership_of(u).roles]


def _file(name: str) -> ContentFile:
    return ContentFile(PDF_BYTES, name=name)


def _new(tenant, applicant, *, n: int, kind=ActivityKind.ROUTINE, ratio=Decimal("0.03"), submit=True, branch=None,
         with_contract=True):
    membership = membership_of(applicant)
    branch = branch or visible_branches(membership=membership).first()
    activity, purpose = ACTIVITIES[n % len(ACTIVITIES)]
    contract = Decimal(random.choice([80000, 120000, 250000, 400000, 600000]))
    amount = (contract * ratio).quantize(Decimal("0.01"))
    if not with_contract:
        contract = None  # an activity or promotion budget: no related contract, no ratio
    return services.expense_create(
        tenant=tenant, membership=membership, actor=applicant, submit=submit,
        data={
            "branch": branch, "activity": activity, "purpose": purpose, "activity_kind": kind,
            "contract_amount": contract, "amount": amount, "payee_name": f"{branch.city or branch.name}市星程广告有限公司",
            "payee_bank": "中国工商银行" + (branch.city or "") + "分行", "payee_account": f"62220210{n:010d}",
            "planned_date": timezone.localdate() + timedelta(days=7 + n),
        },
        files=[("quote", _file("报价单.pdf"))],
    )


def _pending(expense):
    return (
        ApprovalTask.objects.filter(flow__document_type="expenses.request", flow__object_id=expense.pk,
                                    status=TaskStatus.PENDING)
        .select_related("step", "assignee")
        .first()
    )


def _approve(expense, times: int, comment: str = "同意") -> None:
    for _i in range(times):
        task = _pending(expense)
        if task is None:
            return
        approvals.approval_approve(task=task, actor=task.assignee, comment=comment,
                                   checklist=task.step.checklist if task.step.kind == StepKind.VERIFY else ())


def _seed_budgets(tenant, personas: dict) -> None:
    """S001-13: this month's and this year's budget of every branch, and one HQ department's
    (idempotent: only periods that have none yet)."""
    from marketing.models import Branch

    from . import budgets
    from .models import Budget, BudgetPeriod

    actor = next(iter(_holders(personas, Role.FINANCE) or _holders(personas, Role.TENANT_ADMIN)
                      or personas.values()), None)
    if actor is None:
        return
    today = timezone.localdate()
    wanted = [({"branch": b}, kind, amount) for b in Branch.objects.filter(tenant=tenant, is_active=True)
              for kind, amount in ((BudgetPeriod.MONTH, Decimal("200000.00")), (BudgetPeriod.YEAR, Decimal("2400000.00")))]
    wanted.append(({"department": "市场部"}, BudgetPeriod.MONTH, Decimal("50000.00")))
    for owner, kind, amount in wanted:
        period = budgets.normalize_period(kind, today)
        lookup = {"branch": owner["branch"]} if "branch" in owner else {"branch__isnull": True,
                                                                           "department": owner["department"]}
        if Budget.objects.filter(tenant=tenant, period_kind=kind, period=period, **lookup).exists():
            continue
        budgets.budget_create(tenant=tenant, actor=actor, data={
            "branch": owner.get("branch"), "department": owner.get("department", ""), "period_kind": kind,
            "period": period, "amount": amount, "note": "演示预算"})


def seed(*, tenant, personas: dict, rich: bool) -> None:
    _seed_budgets(tenant, personas)
    if ExpenseRequest.objects.filter(tenant=tenant).exists():
        return
    random.seed(20260401 + tenant.pk)
    applicants = _holders(personas, Role.SALESPERSON) or _holders(personas, Role.BRANCH_GM)
    if not applicants:
        return
    applicant = applicants[0]
    first = _new(tenant, applicant, n=1)
    if rich:
        _approve(first, 1)  # marketing reviewed; waits for finance (the small tenant has no finance: waits for review)
    flow_task = _pending(first)
    if flow_task is not None:
        approvals.approval_comment(flow=flow_task.flow, actor=applicant, body="附上活动方案。",
                                   attachment=_file("活动方案.pdf"))
    others = [u for u in personas.values() if u.pk != applicant.pk]
    if others:
        approvals.delegation_create(tenant=tenant, actor=others[0], delegate=others[-1],
                                    starts_on=timezone.localdate(), ends_on=timezone.localdate() + timedelta(days=7),
                                    reason="出差")
    if not rich:
        return
    gm = _holders(personas, Role.GENERAL_MANAGER)
    assistants = _holders(personas, Role.GM_ASSISTANT)
    if gm and assistants:
        approvals.delegation_create(tenant=tenant, actor=gm[0], delegate=assistants[0],
                                    starts_on=timezone.localdate(), ends_on=timezone.localdate() + timedelta(days=5),
                                    reason="总经理出差，总助代批")
    second_applicant = applicants[1] if len(applicants) > 1 else applicant
    _new(tenant, applicant, n=2, submit=False)  # draft
    _new(tenant, second_applicant, n=3)  # waits for marketing's review
    routine = _new(tenant, applicant, n=4)
    _approve(routine, 2)  # at the branch cashier
    special = _new(tenant, applicant, n=5, kind=ActivityKind.SPECIAL, with_contract=False)
    _approve(special, 1)  # a promotion budget without contract, at finance
    _new(tenant, applicant, n=6, ratio=Decimal("0.082"))  # over the ratio limit: flagged to marketing
    at_finance = _new(tenant, applicant, n=7)
    _approve(at_finance, 1)
    at_branch_gm = _new(tenant, applicant, n=8)
    _approve(at_branch_gm, 3)  # reviewed, verified, recorded: waits for 分总签字
    for n in (9, 10, 11, 12):
        done = _new(tenant, applicant, n=n, ratio=Decimal("0.02") + Decimal(n) / 1000, with_contract=n != 9)
        _approve(done, 10)  # the whole chain: archived
        if n in (11, 12):
            fin = _holders(personas, Role.FINANCE)
            if fin:
                services.expense_mark_paid(expense=done, actor=fin[0], paid_on=timezone.localdate(),
                                           reference=f"FK{timezone.localdate():%Y%m%d}{n:03d}")
    rejected = _new(tenant, applicant, n=13, ratio=Decimal("0.049"))
    _approve(rejected, 1)
    task = _pending(rejected)
    if task is not None:
        approvals.approval_reject(task=task, actor=task.assignee, reason="合同金额与合同台账不符，请核对后重新提交。")
    withdrawn = _new(tenant, applicant, n=14)
    flow = _pending(withdrawn).flow
    approvals.approval_withdraw(flow=flow, actor=applicant)
    resubmitted = _new(tenant, applicant, n=15)
    task = _pending(resubmitted)
    approvals.approval_reject(task=task, actor=task.assignee, reason="请补充报价单。")
    services.expense_submit(expense=resubmitted, actor=applicant)
    returned = _new(tenant, applicant, n=16)
    _approve(returned, 1)
    task = _pending(returned)
    if task is not None and task.step.position > 1:
        approvals.approval_return(task=task, actor=task.assignee, to_position=1, reason="费用比例计算有误，请市场部复核。")
