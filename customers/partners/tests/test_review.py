"""Pre-signing review on the approval engine (S003-05, S001-04): a draft agreement goes
branch GM -> 市场营销总监; the approved draft becomes the agreement when the signed scan is
attached, nothing retyped; a tenant may make the review required."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.partners import review, services
from customers.partners.models import AgreementKind, AgreementStage, EventKind
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, FlowStatus, TaskStatus

from .conftest import pdf

START, END = dt.date(2026, 12, 10), dt.date(2027, 12, 9)


def approve_as(org, user_key, flow):
    task = ApprovalTask.objects.filter(step__flow=flow, status=TaskStatus.PENDING,
                                       assignee=org.users[user_key]).first()
    assert task is not None, f"{user_key} has no pending task"
    return approvals.approval_approve(task=task, actor=org.users[user_key])


def submit(make_a, org):
    p = make_a.partner()
    with org.scope():
        return review.draft_submit(partner=p, actor=org.users["bgm"], starts_on=START, ends_on=END,
                                   terms="返佣 8%，季度结算")


def test_default_chain_branch_gm_then_marketing_director(make_a, org_a):
    from marketing.approvals.selectors import flow_for

    draft = submit(make_a, org_a)
    with org_a.scope():
        flow = flow_for(tenant=org_a.tenant, document=draft)
        assert [s.name for s in flow.steps.order_by("position")] == ["分公司总经理审核", "市场营销总监审批"]
        assert review.review_state(draft) == "pending"
        first = ApprovalTask.objects.filter(step__flow=flow, status=TaskStatus.PENDING)
        assert {t.assignee for t in first} <= {org_a.users["bgm"], org_a.users["allroles"]}


def test_approved_draft_becomes_the_agreement_when_scan_attached(make_a, org_a,
                                                                  django_capture_on_commit_callbacks):
    draft = submit(make_a, org_a)
    from marketing.approvals.selectors import flow_for

    with org_a.scope():
        flow = flow_for(tenant=org_a.tenant, document=draft)
        approve_as(org_a, "allroles", flow) if not ApprovalTask.objects.filter(
            step__flow=flow, status=TaskStatus.PENDING, assignee=org_a.users["bgm"]).exists() else approve_as(
            org_a, "bgm", flow)
        flow.refresh_from_db()
        approve_as(org_a, "mdirector", flow)
        flow.refresh_from_db()
        assert flow.status == FlowStatus.APPROVED
        draft.refresh_from_db()
        assert draft.stage == AgreementStage.DRAFT and review.review_state(draft) == "approved"
        with django_capture_on_commit_callbacks(execute=True):
            services.agreement_attach_scan(agreement=draft, actor=org_a.users["bgm"], scan=pdf())
            review.draft_sign_if_ready(agreement=draft, actor=org_a.users["bgm"])
        draft.refresh_from_db()
        assert (draft.stage, draft.kind, draft.terms, draft.starts_on) == (
            AgreementStage.SIGNED, AgreementKind.NEW, "返佣 8%，季度结算", START)
        kinds = list(draft.events.values_list("kind", flat=True))
        assert kinds[0] == EventKind.DRAFTED and EventKind.REVIEW_APPROVED in kinds and kinds[-1] == EventKind.SIGNED


def test_pending_draft_is_not_signed_by_a_scan(make_a, org_a):
    draft = submit(make_a, org_a)
    with org_a.scope():
        services.agreement_attach_scan(agreement=draft, actor=org_a.users["bgm"], scan=pdf())
        review.draft_sign_if_ready(agreement=draft, actor=org_a.users["bgm"])
        draft.refresh_from_db()
        assert draft.stage == AgreementStage.DRAFT


def test_required_review_refuses_direct_signing(make_a, org_a, client_as):
    p = make_a.partner()
    with org_a.scope():
        services.settings_update(tenant=org_a.tenant, actor=org_a.users["mspec"], original_due_working_days=10,
                                 review_required=True)
        with pytest.raises(ValidationError) as exc:
            services.agreement_create(partner=p, actor=org_a.users["bgm"], signed_on=dt.date(2026, 11, 2),
                                      starts_on=START, ends_on=END)
        assert exc.value.code == "review_required"
        assert not p.agreements.exists()


def test_draft_page_shows_the_panel(make_a, org_a, client_as):
    draft = submit(make_a, org_a)
    html = client_as(org_a.users["mdirector"]).get(reverse("partners:detail", args=[draft.partner_id])).content
    assert "报备审批中".encode() in html


def test_draft_form_submits_review(make_a, org_a, client_as):
    p = make_a.partner()
    r = client_as(org_a.users["bgm"]).post(
        reverse("partners:agreement_create", args=[p.pk]) + "?draft=1",
        {"draft": "1", "starts_on": "2026-12-10", "ends_on": "2027-12-09", "terms": "拟合作", "number": "",
         "salesperson": ""})
    assert r.status_code == 302
    with org_a.scope():
        draft = p.agreements.get()
        assert draft.stage == AgreementStage.DRAFT and review.review_state(draft) == "pending"
