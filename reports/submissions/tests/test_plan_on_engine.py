"""The monthly sales plan (SC-004) is reviewed on the approval engine: 产品市场部经理 签准 or
签否 (the drafter rewrites), then 呈报总经理 (S004-14, S004-15, S004-16)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalFlow, ApprovalTask, FlowStatus, TaskStatus
from marketing.models import Membership
from reports.submissions import services
from reports.submissions.approval import KEY
from reports.submissions.models import RevisionKind, SubmissionRule, SubmissionStatus

SH = ZoneInfo("Asia/Shanghai")
PERIOD = dt.date(2026, 11, 26)  # Thursday, a working day: the plan for December
PLAN = {"plan": [{"branch": "甲一分公司", "target": "300000.00", "measures": "重点客户回访"},
                 {"branch": "甲二分公司", "target": "150000.50", "measures": "新签 2 家经销商"}]}


def m_of(org, key):
    return Membership.objects.get(tenant=org.tenant, user=org.users[key])


def plan_rule(org):
    return SubmissionRule.objects.get(tenant=org.tenant, code="monthly_sales_plan")


def submit(org, data=PLAN, submit=True, **kw):
    return services.submission_save(
        membership=m_of(org, "rm"), rule=plan_rule(org), period=PERIOD, branch=None, data=data, submit=submit,
        now=dt.datetime(2026, 11, 25, 16, 0, tzinfo=SH), **kw,
    )


def pending(flow, user=None):
    qs = ApprovalTask.objects.filter(flow=flow, status=TaskStatus.PENDING)
    return qs.filter(assignee=user) if user is not None else qs


def flow_of(sub):
    return ApprovalFlow.objects.get(tenant=sub.tenant, document_type=KEY, object_id=sub.pk)


@pytest.mark.django_db
def test_s004_14_16_plan_goes_to_the_marketing_manager_then_the_general_manager(org_a):
    with org_a.scope():
        assert plan_rule(org_a).review_on_engine  # shipped on, for every new tenant
        sub = submit(org_a)
        flow = flow_of(sub)
        assert (sub.status, flow.status) == (SubmissionStatus.SUBMITTED, FlowStatus.IN_PROGRESS)
        # No 产品市场部经理 position in this tenant: the step falls back to the director role.
        first = pending(flow, org_a.users["mdirector"]).get()
        assert first.step.name == "产品市场部经理审核"
        # The direct accept / send back of other rules is not offered for this one.
        with pytest.raises(ValidationError) as exc:
            services.submission_review(membership=m_of(org_a, "mdirector"), submission=sub, accept=True)
        assert exc.value.code == "on_engine"
        approvals.approval_approve(task=first, actor=org_a.users["mdirector"], comment="签准")
        sub.refresh_from_db()
        assert sub.status == SubmissionStatus.SUBMITTED  # still with the GM
        gm_task = pending(flow, org_a.users["gm"]).get()
        assert gm_task.step.name == "呈报总经理"
        approvals.approval_approve(task=gm_task, actor=org_a.users["gm"])
        sub.refresh_from_db()
        flow.refresh_from_db()
        assert (sub.status, sub.reviewed_by, flow.status) == (SubmissionStatus.ACCEPTED, org_a.users["gm"],
                                                               FlowStatus.APPROVED)
        # S004-16: the approved plan is copied to finance (a cc step never blocks the flow).
        cc = flow.steps.get(name="转交财务经理")
        assert cc.kind == "cc" and cc.status == "done"


@pytest.mark.django_db
def test_s004_15_refused_plan_is_rewritten_and_the_earlier_version_stays(org_a):
    with org_a.scope():
        sub = submit(org_a)
        flow = flow_of(sub)
        approvals.approval_reject(task=pending(flow, org_a.users["mdirector"]).get(), actor=org_a.users["mdirector"],
                                  reason="甲二分公司计划偏低，请重拟")
        sub.refresh_from_db()
        assert (sub.status, sub.review_comment) == (SubmissionStatus.RETURNED, "甲二分公司计划偏低，请重拟")
        old = sub.revisions.get()
        assert (old.kind, old.revision, old.data) == (RevisionKind.RETURNED, 1, PLAN)
        rewritten = {"plan": [{**PLAN["plan"][0]}, {**PLAN["plan"][1], "target": "200000"}]}
        sub = submit(org_a, data=rewritten, expected_version=sub.version)
        flow.refresh_from_db()
        assert (sub.status, sub.revision, flow.status, flow.round) == (
            SubmissionStatus.SUBMITTED, 2, FlowStatus.IN_PROGRESS, 2)
        assert pending(flow, org_a.users["mdirector"]).exists()


@pytest.mark.django_db
def test_plan_in_approval_cannot_be_changed_until_withdrawn(org_a):
    with org_a.scope():
        sub = submit(org_a)
        with pytest.raises(ValidationError) as exc:
            submit(org_a, data={"plan": []}, submit=False)
        assert exc.value.code == "in_approval"
        sub.refresh_from_db()
        assert sub.data == PLAN
        approvals.approval_withdraw(flow=flow_of(sub), actor=org_a.users["rm"])
        sub.refresh_from_db()
        assert sub.status == SubmissionStatus.DRAFT and sub.first_submitted_at is not None
        sub = submit(org_a, data={"plan": PLAN["plan"][:1]})
        assert flow_of(sub).status == FlowStatus.IN_PROGRESS


@pytest.mark.django_db
def test_a_change_after_acceptance_is_approved_again(org_a):
    with org_a.scope():
        sub = submit(org_a)
        flow = flow_of(sub)
        for who in ("mdirector", "gm"):
            approvals.approval_approve(task=pending(flow, org_a.users[who]).get(), actor=org_a.users[who])
        sub = submit(org_a, data={"plan": PLAN["plan"][:1]}, submit=False)  # a change is always re-reviewed
        flow.refresh_from_db()
        assert (sub.status, sub.revision, flow.status, flow.round) == (
            SubmissionStatus.SUBMITTED, 2, FlowStatus.IN_PROGRESS, 2)
        assert sub.revisions.get().kind == RevisionKind.ACCEPTED


@pytest.mark.django_db
def test_the_product_marketing_manager_position_signs_and_can_open_the_plan(org_a, org_b, client_as):
    with org_a.scope():
        position = approvals.position_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="产品市场部经理")
        approvals.position_assign(position=position, actor=org_a.users["admin"], user=org_a.users["sales2"])
        sub = submit(org_a)
        flow = flow_of(sub)
        assert list(pending(flow).values_list("assignee__username", flat=True)) == [org_a.users["sales2"].username]
    page = client_as(org_a.users["sales2"]).get(f"/plans/s/{sub.pk}/")
    assert page.status_code == 200
    assert "产品市场部经理审核" in page.content.decode()
    assert client_as(org_b.users["allroles"]).get(f"/plans/s/{sub.pk}/").status_code == 404
    # Someone who neither submits, reviews nor signs it does not see it.
    assert client_as(org_a.users["sales"]).get(f"/plans/s/{sub.pk}/").status_code == 404


@pytest.mark.django_db
def test_condition_on_the_plan_total(org_a):
    """The chain editor can route on the plan's total (e.g. large plans to the GM only)."""
    from reports.submissions.approval import _values

    with org_a.scope():
        sub = submit(org_a)
        assert _values(sub)["total"] == Decimal("450000.50")
