"""Two approvers press "approve" on the same 或签 step at the same moment: exactly one
transition, the other gets a clear refusal. Real PostgreSQL only (row locks)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from expenses.tests.helpers import flow_of, make_expense, pending, use_legacy_chain
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalStep, ApprovalTask, StepStatus, TaskStatus
from marketing.tenancy import tenant_scope


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_one_wins(require_postgres, org_a):
    use_legacy_chain(org_a)  # first step: the branch GM's 或签 signature
    expense = make_expense(org_a)
    tasks = pending(org_a, expense)
    assert {t.assignee.pk for t in tasks} == {org_a.users["bgm"].pk, org_a.users["allroles"].pk}
    version = flow_of(org_a, expense).version
    barrier = threading.Barrier(len(tasks))
    outcomes: dict[str, str] = {}

    def press(task):
        try:
            barrier.wait(timeout=10)
            with tenant_scope(org_a.tenant):
                approvals.approval_approve(task=task, actor=task.assignee, version=version, comment="同时")
            outcomes[task.assignee.username] = "ok"
        except ValidationError as exc:
            outcomes[task.assignee.username] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["ok", "stale"], outcomes
    flow = flow_of(org_a, expense)
    with org_a.scope():
        assert ApprovalTask.objects.filter(flow=flow, status=TaskStatus.APPROVED).count() == 1
        assert ApprovalStep.objects.get(flow=flow, position=1).status == StepStatus.DONE
        # exactly one transition: the next step opened once
        assert ApprovalTask.objects.filter(flow=flow, step__position=2).count() == 2
    assert flow.version == version + 1
