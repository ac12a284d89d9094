"""Every path through a chain, on the expense document type (registered by the expenses app)."""

from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from expenses.models import ActivityKind, ExpenseRequest, ExpenseStatus
from expenses.services import expense_submit, expense_update
from expenses.tests.helpers import (
    LEGACY_PATH,
    approve,
    approve_through,
    current_step,
    flow_of,
    make_expense,
    pending,
    use_legacy_chain,
)
from marketing import services as platform
from marketing.approvals import services as approvals
from marketing.approvals.models import (
    ApprovalStep,
    ApprovalTask,
    FlowStatus,
    StepMode,
    StepStatus,
    TaskStatus,
)
from marketing.approvals.registry import StepSpec
from marketing.approvals.selectors import chain_for, inbox
from marketing.demo import membership_of
from marketing.models import AuditEvent
from marketing.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _legacy_expense_chain(request):
    """These tests exercise the engine on the pre-issue-8 expense chain (conditions, branch
    steps, five signers); seed 000's default chain is pinned in expenses/tests/test_chain.py."""
    if "org_a" in request.fixturenames:
        use_legacy_chain(request.getfixturevalue("org_a"))


def _status(org, expense):
    with org.scope():
        return ExpenseRequest.objects.get(pk=expense.pk).status


def test_straight_through_routine_request(org_a):
    expense = make_expense(org_a)
    assert current_step(org_a, expense) == "分公司总经理签字"
    seen = []
    for persona in ["bgm", "mspec", "mdirector", "finance", "cashier"]:
        seen.append(current_step(org_a, expense))
        approve(org_a, expense, persona, comment=f"ok {persona}")
    assert seen == ["分公司总经理签字", "市场部审核", "市场营销总监审批", "财务核实", "分公司出纳备案"]
    assert _status(org_a, expense) == ExpenseStatus.ARCHIVED
    flow = flow_of(org_a, expense)
    assert flow.status == FlowStatus.APPROVED and flow.finished_at is not None
    with org_a.scope():
        gm_step = ApprovalStep.objects.get(flow=flow, name="总经理审批")
        assert gm_step.status == StepStatus.SKIPPED
        signed = ApprovalTask.objects.filter(flow=flow, status=TaskStatus.APPROVED).select_related("acted_by")
        assert [t.acted_by.username for t in signed] == [org_a.users[p].username for p in
                                                          ["bgm", "mspec", "mdirector", "finance", "cashier"]]
        assert all(t.decided_at for t in signed)
        assert AuditEvent.objects.filter(verb="approvals.approve", object_id=str(flow.pk)).count() == 5
        assert AuditEvent.objects.filter(verb="expenses.archived", object_id=str(expense.pk)).exists()


def test_special_activity_needs_gm_not_director(org_a):
    expense = make_expense(org_a, activity_kind=ActivityKind.SPECIAL)
    approve(org_a, expense, "bgm")
    approve(org_a, expense, "mspec")
    assert current_step(org_a, expense) == "总经理审批"
    assert [t.assignee for t in pending(org_a, expense)] == [org_a.users["gm"], org_a.users["allroles"]] or \
        {t.assignee.pk for t in pending(org_a, expense)} == {org_a.users["gm"].pk, org_a.users["allroles"].pk}
    approve(org_a, expense, "gm")
    assert current_step(org_a, expense) == "财务核实"


def test_over_ratio_adds_gm_after_director(org_a):
    with org_a.scope():
        platform.tenant_settings_update(tenant=org_a.tenant, actor=None, data={"expense_ratio_limit": Decimal("0.03")})
    expense = make_expense(org_a, amount=Decimal("3500.00"))  # 3.5% > 3%
    approve_through(org_a, expense, ["bgm", "mspec", "mdirector"])
    assert current_step(org_a, expense) == "总经理审批"
    under = make_expense(org_a, amount=Decimal("2500.00"))
    approve_through(org_a, under, ["bgm", "mspec", "mdirector"])
    assert current_step(org_a, under) == "财务核实"


def test_reject_then_edit_and_resubmit_keeps_history(org_a, django_capture_on_commit_callbacks):
    expense = make_expense(org_a)
    approve(org_a, expense, "bgm")
    task = pending(org_a, expense, org_a.users["mspec"])[0]
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_reject(task=task, actor=org_a.users["mspec"], reason="  ")
    assert exc.value.code == "reason_required"
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        approvals.approval_reject(task=task, actor=org_a.users["mspec"], reason="比例算错")
    assert _status(org_a, expense) == ExpenseStatus.REJECTED
    assert pending(org_a, expense) == []
    assert any("已驳回" in m.subject for m in mail.outbox)
    sales = org_a.users["sales"]
    with org_a.scope():
        expense_update(expense=expense, membership=membership_of(sales), actor=sales,
                       data={"amount": Decimal("2000.00")}, submit=True)
    flow = flow_of(org_a, expense)
    assert flow.round == 2 and flow.status == FlowStatus.IN_PROGRESS
    assert current_step(org_a, expense) == "分公司总经理签字"
    with org_a.scope():
        assert ApprovalStep.objects.filter(flow=flow, round=1).count() == 6
        assert ApprovalTask.objects.filter(flow=flow, status=TaskStatus.REJECTED, comment="比例算错").exists()


def test_return_to_earlier_step_runs_it_again(org_a):
    expense = make_expense(org_a)
    approve_through(org_a, expense, ["bgm", "mspec", "mdirector"])
    task = pending(org_a, expense, org_a.users["finance"])[0]
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_return(task=task, actor=org_a.users["finance"], to_position=5, reason="x")
    assert exc.value.code == "bad_return_target"
    with org_a.scope():
        approvals.approval_return(task=task, actor=org_a.users["finance"], to_position=2, reason="请复核比例")
    assert current_step(org_a, expense) == "市场部审核"
    approve(org_a, expense, "mspec")
    assert current_step(org_a, expense) == "市场营销总监审批"


def test_withdraw_by_applicant_only(org_a):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_withdraw(flow=flow, actor=org_a.users["bgm"])
    assert exc.value.code == "not_applicant"
    with org_a.scope():
        approvals.approval_withdraw(flow=flow, actor=org_a.users["sales"])
    assert _status(org_a, expense) == ExpenseStatus.WITHDRAWN
    assert pending(org_a, expense) == []
    with org_a.scope():
        expense_submit(expense=expense, actor=org_a.users["sales"])
    assert flow_of(org_a, expense).round == 2


def test_withdraw_after_the_end_is_refused(org_a):
    expense = make_expense(org_a)
    approve_through(org_a, expense, LEGACY_PATH)
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_withdraw(flow=flow_of(org_a, expense), actor=org_a.users["sales"])
    assert exc.value.code == "stale"
    assert _status(org_a, expense) == ExpenseStatus.ARCHIVED


def test_transfer_to_colleague_with_same_role(org_a):
    expense = make_expense(org_a)
    approve(org_a, expense, "bgm")
    task = pending(org_a, expense, org_a.users["mspec"])[0]
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_transfer(task=task, actor=org_a.users["mspec"], to_user=org_a.users["finance"])
    assert exc.value.code == "bad_transfer_target"
    with org_a.scope():
        colleague = platform.user_create(tenant=org_a.tenant, actor=None, username="mspec2", password="x-Pass-2026!",
                                         full_name="甲市场专员二", roles=[Role.MARKETING_SPECIALIST])
        approvals.approval_transfer(task=task, actor=org_a.users["mspec"], to_user=colleague, comment="我休假")
        task.refresh_from_db()
    assert task.status == TaskStatus.TRANSFERRED and task.transferred_to == colleague
    assert pending(org_a, expense, colleague)
    with org_a.scope():
        approvals.approval_approve(task=pending(org_a, expense, colleague)[0], actor=colleague,
                                   checklist=["费用比例", "合同金额", "费用金额"])
    assert current_step(org_a, expense) == "市场营销总监审批"


def test_delegation_lets_stand_in_act_on_behalf(org_a):
    expense = make_expense(org_a)
    approve_through(org_a, expense, ["bgm", "mspec"])
    director, deputy = org_a.users["mdirector"], org_a.users["gmassist"]
    with org_a.scope():
        assert not inbox(tenant=org_a.tenant, user=deputy).exists()
        approvals.delegation_create(tenant=org_a.tenant, actor=director, delegate=deputy,
                                    starts_on=__import__("datetime").date.today(),
                                    ends_on=__import__("datetime").date.today())
        task = inbox(tenant=org_a.tenant, user=deputy).get()
        approvals.approval_approve(task=task, actor=deputy, comment="代批")
        task.refresh_from_db()
    assert task.assignee == director and task.acted_by == deputy and task.on_behalf


def test_delegation_outside_its_dates_gives_nothing(org_a):
    expense = make_expense(org_a)
    approve_through(org_a, expense, ["bgm", "mspec"])
    director, deputy = org_a.users["mdirector"], org_a.users["gmassist"]
    with time_machine.travel("2026-03-02 09:00 +0800"), org_a.scope():
        import datetime as dt

        approvals.delegation_create(tenant=org_a.tenant, actor=director, delegate=deputy,
                                    starts_on=dt.date(2026, 3, 2), ends_on=dt.date(2026, 3, 3))
    with time_machine.travel("2026-03-04 09:00 +0800"):
        task = pending(org_a, expense, director)[0]
        with org_a.scope(), pytest.raises(ValidationError) as exc:
            approvals.approval_approve(task=task, actor=deputy)
        assert exc.value.code == "not_assignee"


def test_countersign_needs_every_signer(org_a):
    with org_a.scope():
        finance2 = platform.user_create(tenant=org_a.tenant, actor=None, username="fin2", password="x-Pass-2026!",
                                        full_name="甲财务二", roles=[Role.FINANCE])
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key="expenses.request", steps=[
            StepSpec(name="分总签字", role=Role.BRANCH_GM, scope="branch"),
            StepSpec(name="财务会签", role=Role.FINANCE, mode=StepMode.ALL),
        ])
    expense = make_expense(org_a)
    approve(org_a, expense, "bgm")
    signers = {t.assignee.pk for t in pending(org_a, expense)}
    assert signers == {org_a.users["finance"].pk, finance2.pk, org_a.users["allroles"].pk}
    approve(org_a, expense, "finance")
    with org_a.scope():
        approvals.approval_approve(task=pending(org_a, expense, finance2)[0], actor=finance2)
    assert _status(org_a, expense) == ExpenseStatus.SUBMITTED  # allroles has not signed yet
    approve(org_a, expense, "allroles")
    assert _status(org_a, expense) == ExpenseStatus.ARCHIVED


def test_or_sign_first_signature_closes_the_step(org_a):
    expense = make_expense(org_a)
    assert {t.assignee.pk for t in pending(org_a, expense)} == {org_a.users["bgm"].pk, org_a.users["allroles"].pk}
    approve(org_a, expense, "allroles")
    with org_a.scope():
        flow = flow_of(org_a, expense)
        bgm_task = ApprovalTask.objects.get(flow=flow, assignee=org_a.users["bgm"])
    assert bgm_task.status == TaskStatus.CANCELLED
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_approve(task=bgm_task, actor=org_a.users["bgm"])
    assert exc.value.code == "stale"


def test_nobody_approves_their_own_document(org_a):
    # allroles holds every role: as applicant they are left out of every step.
    expense = make_expense(org_a, applicant="allroles")
    flow = flow_of(org_a, expense)
    with org_a.scope():
        assert not ApprovalTask.objects.filter(flow=flow, assignee=org_a.users["allroles"]).exists()
        task = pending(org_a, expense)[0]
        with pytest.raises(ValidationError) as exc:
            approvals.approval_approve(task=task, actor=org_a.users["allroles"])
    assert exc.value.code == "self_approval"


def test_branch_gm_applicant_skips_own_signature_step(org_a):
    expense = make_expense(org_a, applicant="bgm2", branch="A2")
    flow = flow_of(org_a, expense)
    with org_a.scope():
        step = ApprovalStep.objects.get(flow=flow, position=1)
    # allroles also holds A2's branch GM role, so the step still needs a signature
    assert step.status == StepStatus.ACTIVE
    assert {t.assignee.pk for t in pending(org_a, expense)} == {org_a.users["allroles"].pk}


def test_step_without_anyone_else_is_refused_and_nothing_changes(org_b):
    # Only the applicant (allroles) holds finance tenant-wide: refused, never skipped.
    with org_b.scope():
        approvals.chain_save(tenant=org_b.tenant, actor=org_b.users["admin"], key="expenses.request", steps=[
            StepSpec(name="财务核实", role=Role.FINANCE),
        ])
    with pytest.raises(ValidationError) as exc:
        make_expense(org_b, applicant="allroles", branch="B1")
    assert exc.value.code == "no_assignee"
    with org_b.scope():
        assert not ExpenseRequest.objects.exists()


def test_chain_of_only_own_branch_steps_cannot_self_approve(org_a):
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key="expenses.request", steps=[
            StepSpec(name="分总签字", role=Role.BRANCH_GM, scope="branch"),
        ])
    with pytest.raises(ValidationError) as exc:
        make_expense(org_a, applicant="allroles", branch="A3")  # allroles is A3's only branch GM
    assert exc.value.code == "no_approver"


def test_verify_step_needs_every_checklist_item(org_a):
    expense = make_expense(org_a)
    approve(org_a, expense, "bgm")
    task = pending(org_a, expense, org_a.users["mspec"])[0]
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_approve(task=task, actor=org_a.users["mspec"], checklist=["费用比例"])
    assert exc.value.code == "checklist_incomplete"
    assert current_step(org_a, expense) == "市场部审核"


def test_stale_version_is_refused(org_a):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["bgm"])[0]
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_approve(task=task, actor=org_a.users["bgm"], version=flow.version - 1)
    assert exc.value.code == "stale"


def test_someone_elses_task_is_refused(org_a):
    expense = make_expense(org_a)
    task = pending(org_a, expense, org_a.users["bgm"])[0]
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_approve(task=task, actor=org_a.users["finance"])
    assert exc.value.code == "not_assignee"


def test_next_people_get_an_email(org_a, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a)
    first = [m for m in mail.outbox if "待审批" in m.subject]
    assert first and org_a.users["bgm"].email in first[0].to
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve(org_a, expense, "bgm")
    assert any(org_a.users["mspec"].email in m.to for m in mail.outbox)


def test_chain_edit_applies_to_new_flows_only(org_a):
    running = make_expense(org_a)
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key="expenses.request",
                             steps=[StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER)])
        assert [s.name for s in chain_for(tenant=org_a.tenant, key="expenses.request")] == ["总经理审批"]
    assert current_step(org_a, running) == "分公司总经理签字"
    fresh = make_expense(org_a)
    assert current_step(org_a, fresh) == "总经理审批"
    approve(org_a, fresh, "gm")
    assert _status(org_a, fresh) == ExpenseStatus.ARCHIVED


def test_chain_save_validates(org_a):
    with org_a.scope():
        for steps, code in [
            ([], "empty_chain"),
            ([StepSpec(name="x", role=Role.FINANCE, kind="cc")], "cc_only"),
            ([StepSpec(name="x", role=Role.FINANCE, condition="nope == 1")], "bad_condition_field"),
            ([StepSpec(name="x", role=Role.FINANCE, kind="verify")], "empty_checklist"),
        ]:
            with pytest.raises(ValidationError) as exc:
                approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key="expenses.request",
                                     steps=steps)
            assert exc.value.code == code
        assert [s.name for s in chain_for(tenant=org_a.tenant, key="expenses.request")][0] == "分公司总经理签字"


def test_cc_step_informs_without_blocking(org_a):
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key="expenses.request", steps=[
            StepSpec(name="抄送总经理", role=Role.GENERAL_MANAGER, kind="cc"),
            StepSpec(name="财务核实", role=Role.FINANCE),
        ])
    expense = make_expense(org_a)
    assert current_step(org_a, expense) == "财务核实"
    with org_a.scope():
        assert ApprovalTask.objects.filter(flow=flow_of(org_a, expense), status=TaskStatus.CC,
                                           assignee=org_a.users["gm"]).exists()


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("", {}, True),
        ("amount > 10000", {"amount": Decimal("10000.01")}, True),
        ("amount > 10000", {"amount": Decimal("10000")}, False),
        ("is_special == true or ratio_over_limit == true", {"is_special": False, "ratio_over_limit": True}, True),
        ("is_special == true or ratio_over_limit == true", {"is_special": False, "ratio_over_limit": False}, False),
        ("amount >= 5 and is_special == false", {"amount": 5, "is_special": False}, True),
        ("amount >= 5 and is_special == false", {"amount": 5, "is_special": True}, False),
        ("amount < 5", {"amount": None}, False),
    ],
)
def test_condition_evaluation(expression, values, expected):
    from marketing.approvals.registry import condition_holds

    assert condition_holds(expression, values) is expected


@pytest.mark.parametrize("expression", ["amount >> 5", "amount", "== 5", "amount > 5; drop"])
def test_condition_syntax_errors(expression):
    from marketing.approvals.registry import parse_condition

    with pytest.raises(ValidationError):
        parse_condition(expression)


def test_resubmission_reevaluates_conditions(org_a):
    expense = make_expense(org_a)
    task = pending(org_a, expense, org_a.users["bgm"])[0]
    with org_a.scope():
        approvals.approval_reject(task=task, actor=org_a.users["bgm"], reason="请改为特殊活动")
        sales = org_a.users["sales"]
        expense_update(expense=expense, membership=membership_of(sales), actor=sales,
                       data={"activity_kind": ActivityKind.SPECIAL}, submit=True)
        flow = flow_of(org_a, expense)
        by_name = {s.name: s.status for s in ApprovalStep.objects.filter(flow=flow, round=2)}
    assert by_name["总经理审批"] == StepStatus.WAITING
    assert by_name["市场营销总监审批"] == StepStatus.SKIPPED


def test_stand_in_gets_the_email_too(org_a, django_capture_on_commit_callbacks):
    import datetime as dt

    with org_a.scope():
        approvals.delegation_create(tenant=org_a.tenant, actor=org_a.users["bgm"], delegate=org_a.users["rm"],
                                    starts_on=dt.date.today(), ends_on=dt.date.today())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a)
    to = {addr for m in mail.outbox for addr in m.to}
    assert org_a.users["rm"].email in to and org_a.users["bgm"].email in to
