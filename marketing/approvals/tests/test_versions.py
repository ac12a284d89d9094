"""Chain versions (every saved change is a numbered version; requests in flight finish on the
version they started with) and joint sign-off of a chain change by named people before it
takes effect (seed 004: 流程变更需会签)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from expenses.tests.helpers import flow_of, make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.models import (
    ApprovalChain,
    ApprovalChainVersion,
    ApprovalFlow,
    ApprovalTask,
    ChainVersionStatus,
    FlowStatus,
    StepMode,
    TaskStatus,
)
from marketing.approvals.registry import StepSpec
from marketing.approvals.selectors import chain_for
from marketing.models import AuditEvent
from marketing.roles import Role

pytestmark = pytest.mark.django_db

KEY = "expenses.request"
V1 = [StepSpec(name="市场部审核", role=Role.MARKETING_SPECIALIST), StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER)]
V2 = [StepSpec(name="财务核实", role=Role.FINANCE)]
V3 = [StepSpec(name="执行董事审批", role=Role.EXECUTIVE_DIRECTOR)]


def _save(org, steps, actor="admin", **kwargs):
    with org.scope():
        return approvals.chain_save(tenant=org.tenant, actor=org.users[actor], key=KEY, steps=steps, **kwargs)


def _sign(org, version, persona, reject=False):
    with org.scope():
        task = ApprovalTask.objects.get(flow__document_type="approvals.chain_change", flow__object_id=version.pk,
                                        assignee=org.users[persona], status=TaskStatus.PENDING)
        if reject:
            return approvals.approval_reject(task=task, actor=org.users[persona], reason="不同意调整")
        return approvals.approval_approve(task=task, actor=org.users[persona], comment="同意")


def _approve_as(org, expense, persona):
    task = pending(org, expense, org.users[persona])[0]
    with org.scope():
        return approvals.approval_approve(task=task, actor=org.users[persona])


def _chain_names(org):
    with org.scope():
        return [s.name for s in chain_for(tenant=org.tenant, key=KEY)]


def _versions(org):
    with org.scope():
        return list(ApprovalChainVersion.objects.filter(tenant=org.tenant, document_type=KEY)
                    .order_by("number").values_list("number", "status"))


def test_requests_in_flight_finish_on_their_version(org_a):
    _save(org_a, V1)
    on_v1 = make_expense(org_a)
    rejected_on_v1 = make_expense(org_a)
    assert flow_of(org_a, on_v1).chain_version == 1
    _save(org_a, V2)
    assert _versions(org_a) == [(1, "published"), (2, "published")]
    assert _chain_names(org_a) == ["财务核实"]

    on_v2 = make_expense(org_a)
    assert flow_of(org_a, on_v2).chain_version == 2
    assert {t.step.name for t in pending(org_a, on_v2)} == {"财务核实"}
    # The v1 request walks on through v1's steps, to the end.
    _approve_as(org_a, on_v1, "mspec")
    assert {t.step.name for t in pending(org_a, on_v1)} == {"总经理审批"}
    _approve_as(org_a, on_v1, "gm")
    assert flow_of(org_a, on_v1).status == FlowStatus.APPROVED

    # A rejected request that is resubmitted starts a new round on the version then in force.
    task = pending(org_a, rejected_on_v1, org_a.users["mspec"])[0]
    with org_a.scope():
        approvals.approval_reject(task=task, actor=org_a.users["mspec"], reason="补充材料")
        from expenses.models import ExpenseRequest
        from expenses.services import expense_submit

        expense_submit(expense=ExpenseRequest.objects.get(pk=rejected_on_v1.pk), actor=org_a.users["sales"])
    flow = flow_of(org_a, rejected_on_v1)
    assert (flow.round, flow.chain_version) == (2, 2)
    assert {t.step.name for t in pending(org_a, rejected_on_v1)} == {"财务核实"}


def test_a_request_on_the_builtin_chain_has_no_version(org_a):
    expense = make_expense(org_a)
    assert flow_of(org_a, expense).chain_version is None


def test_joint_sign_off_before_a_change_takes_effect(org_a):
    gm, exec_ = org_a.users["gm"], org_a.users["exec"]
    # Setting the sign-off list the first time: nobody has to sign yet, so it applies at once.
    _save(org_a, V1, signoff_users=[gm.pk, exec_.pk, org_a.users["admin"].pk])
    with org_a.scope():
        assert ApprovalChain.objects.get(tenant=org_a.tenant).signoff_users == [gm.pk, exec_.pk,
                                                                                org_a.users["admin"].pk]
    _save(org_a, V2, note="财务统一核实")
    with org_a.scope():
        v2 = ApprovalChainVersion.objects.get(tenant=org_a.tenant, number=2)
        flow = ApprovalFlow.objects.get(document_type="approvals.chain_change", object_id=v2.pk)
        assignees = set(ApprovalTask.objects.filter(flow=flow, status=TaskStatus.PENDING)
                        .values_list("assignee_id", flat=True))
        assert flow.steps.get().mode == StepMode.ALL
    assert v2.status == ChainVersionStatus.PENDING
    assert v2.signers == [gm.pk, exec_.pk]  # the proposer (admin) is not asked to co-sign themself
    assert assignees == {gm.pk, exec_.pk}
    assert _chain_names(org_a) == ["市场部审核", "总经理审批"]  # not in force yet
    with pytest.raises(ValidationError) as exc:
        _save(org_a, V3)
    assert exc.value.code == "change_pending"
    # A request filed while the change waits runs on v1.
    meanwhile = make_expense(org_a)
    assert flow_of(org_a, meanwhile).chain_version == 1

    _sign(org_a, v2, "gm")
    assert _chain_names(org_a) == ["市场部审核", "总经理审批"]  # 会签: one signature is not enough
    _sign(org_a, v2, "exec")
    assert _chain_names(org_a) == ["财务核实"]
    assert _versions(org_a) == [(1, "published"), (2, "published")]
    assert {t.step.name for t in pending(org_a, meanwhile)} == {"市场部审核"}  # still v1

    # v3: one signer refuses -> the change does not happen.
    _save(org_a, V3)
    with org_a.scope():
        v3 = ApprovalChainVersion.objects.get(tenant=org_a.tenant, number=3)
    _sign(org_a, v3, "exec", reject=True)
    assert _versions(org_a)[-1] == (3, "rejected")
    assert _chain_names(org_a) == ["财务核实"]
    with org_a.scope():
        verbs = set(AuditEvent.objects.filter(tenant=org_a.tenant, verb__startswith="approvals.chain")
                    .values_list("verb", flat=True))
    assert {"approvals.chain_save", "approvals.chain_propose"} <= verbs
    with pytest.raises(ValidationError) as exc, org_a.scope():
        approvals.chain_reset(tenant=org_a.tenant, actor=org_a.users["admin"], key=KEY)
    assert exc.value.code == "signoff_required"


def test_sign_off_in_the_browser_pages(org_a, org_b, client_as):
    gm = org_a.users["gm"]
    _save(org_a, V1, signoff_users=[gm.pk])
    admin = client_as(org_a.users["admin"])
    url = reverse("approvals:chain_edit", args=[KEY])
    from marketing.approvals.forms import chain_post_from_rows, spec_initial

    with org_a.scope():
        rows = [spec_initial(s) for s in V2]
    data = chain_post_from_rows(rows)
    data["op"], data["note"] = "save", "改为财务核实"
    data.setlist("signoff", [str(gm.pk)])
    answer = admin.post(url, {k: data.getlist(k) for k in data})
    with org_a.scope():
        v2 = ApprovalChainVersion.objects.get(tenant=org_a.tenant, number=2)
    assert answer.status_code == 302 and answer["Location"] == reverse("approvals:chain_version", args=[v2.pk])
    page = client_as(gm).get(answer["Location"])
    assert page.status_code == 200 and "财务核实" in page.content.decode() and "待会签" in page.content.decode()
    assert client_as(org_a.users["sales"]).get(answer["Location"]).status_code == 404
    assert client_as(org_b.users["allroles"]).get(answer["Location"]).status_code == 404
    # The inbox shows the change to the signer; the engine's action endpoint signs it.
    assert "v2" in client_as(gm).get(reverse("approvals:inbox")).content.decode()
    with org_a.scope():
        flow = ApprovalFlow.objects.get(document_type="approvals.chain_change", object_id=v2.pk)
        task = ApprovalTask.objects.get(flow=flow, assignee=gm, status=TaskStatus.PENDING)
    client_as(gm).post(reverse("approvals:act", args=[flow.pk]),
                       {"action": "approve", "task": task.pk, "version": flow.version, "comment": "同意"})
    assert _chain_names(org_a) == ["财务核实"]


def test_chains_overview_shows_version_and_pending_change(org_a, client_as):
    gm = org_a.users["gm"]
    _save(org_a, V1, signoff_users=[gm.pk])
    admin = client_as(org_a.users["admin"])
    body = admin.get(reverse("approvals:chains")).content.decode()
    assert "v1" in body and "版本历史" in body
    assert "审批流程变更会签" not in body  # the sign-off type has a fixed chain: not editable
    _save(org_a, V2)
    assert "v2 正在会签" in admin.get(reverse("approvals:chains")).content.decode()
    assert admin.get(reverse("approvals:chain_edit", args=["approvals.chain_change"])).status_code == 404
