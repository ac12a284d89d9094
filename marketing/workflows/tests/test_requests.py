"""A form built with every field type runs on the approval engine: conditions on its own
fields, positions resolved in the applicant's region, versions with requests in flight,
joint sign-off of a chain change, the engine's return/withdraw/transfer unchanged, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from marketing.approvals import services as approvals
from marketing.approvals.models import (
    ApprovalChainVersion,
    ChainVersionStatus,
    FlowStatus,
    StepKind,
    StepMode,
    StepScope,
)
from marketing.approvals.registry import StepSpec, condition_fields, get_type
from marketing.models import AuditEvent
from marketing.roles import Role
from marketing.workflows import services
from marketing.workflows.models import FormAttachment, FormRequest, FormVersion, RequestStatus, VersionStatus

from .helpers import (
    EVERY_TYPE,
    F,
    approve,
    file_request,
    flow_of,
    make_form,
    pdf,
    pending_people,
    reject,
    step_names,
)

pytestmark = pytest.mark.django_db

GM_STEP = StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER)
FIN_STEP = StepSpec(name="财务审核", role=Role.FINANCE)


def test_form_with_every_field_type_is_filed_and_approved(org_a, django_capture_on_commit_callbacks):
    from customers.models import Customer

    with org_a.scope():
        customer = Customer.objects.create(tenant=org_a.tenant, name="星程汽车", branch=org_a.branches["A1"],
                                           owner=org_a.users["sales"])
    template = make_form(org_a, steps=[FIN_STEP])
    with django_capture_on_commit_callbacks(execute=True):
        req = file_request(org_a, template, detail="两天", headcount="30", amount="12000.5", day="2026-05-01",
                           period=["2026-05-01", "2026-05-02"], people=[str(org_a.users["gm"].pk)],
                           target=str(org_a.branches["A2"].pk), customer=str(customer.pk),
                           lines=[{"item": "场地", "amount": "8000"}, {"item": "餐饮", "amount": "4000.5"}],
                           uploads={"files": [pdf()]})
    with org_a.scope():
        req.refresh_from_db()
        attachment = FormAttachment.objects.get(request=req)
        assert attachment.file.read().startswith(b"%PDF")
    assert req.number == "T-001-0001" and req.status == RequestStatus.SUBMITTED
    assert req.values["amount"] == "12000.50"
    assert req.values["files"] == [{"id": attachment.pk, "name": "plan.pdf"}]
    assert req.values["lines"] == [{"item": "场地", "amount": "8000.00"}, {"item": "餐饮", "amount": "4000.50"}]
    assert pending_people(org_a, req) == {"finance", "allroles"}
    approve(org_a, req, "finance")
    with org_a.scope():
        req.refresh_from_db()
        assert req.status == RequestStatus.APPROVED and req.finished_at is not None
        verbs = set(AuditEvent.objects.filter(tenant=org_a.tenant).values_list("verb", flat=True))
    assert {"workflows.request_submit", "workflows.request_approved", "approvals.start", "approvals.approve"} <= verbs


def test_field_errors_write_nothing(org_a):
    template = make_form(org_a, steps=[FIN_STEP])
    with pytest.raises(ValidationError) as exc:
        file_request(org_a, template, amount="abc", nature="其他", uploads={"files": [pdf("x.exe")]})
    assert set(exc.value.message_dict) == {"amount", "nature"}
    with pytest.raises(ValidationError) as exc:  # values fine, the file is not
        file_request(org_a, template, uploads={"files": [pdf("x.exe")]})
    assert exc.value.code == "bad_file_type"
    with org_a.scope():
        assert not FormRequest.objects.filter(template=template).exists()
        assert not FormAttachment.objects.exists()
        template.refresh_from_db()
        assert template.request_seq == 0


def test_condition_fields_come_from_the_form(org_a):
    template = make_form(org_a, steps=[FIN_STEP])
    with org_a.scope():
        fields = condition_fields(get_type(template.approval_key), org_a.tenant)
    assert {k: f.type for k, f in fields.items()} == {
        "headcount": "number", "amount": "money", "nature": "choice", "target": "choice", "branch": "choice",
        "region": "choice"}
    assert fields["nature"].choices == (("常规", "常规"), ("特殊", "特殊"))
    assert ("A2", "甲二分公司") in fields["target"].choices


def test_a_chain_may_not_test_a_field_the_form_lacks(org_a):
    with pytest.raises(ValidationError) as exc:
        make_form(org_a, steps=[StepSpec(name="x", role=Role.GENERAL_MANAGER, condition="budget > 5")])
    assert exc.value.code == "bad_condition_field"


@pytest.mark.parametrize(("values", "branch", "expected"), [
    ({"amount": "50000.00"}, "A1", ["财务审核"]),  # money > 50000 is false at exactly 50000
    ({"amount": "50000.01"}, "A1", ["财务审核", "大额总经理审批"]),
    ({"nature": "特殊"}, "A1", ["财务审核", "特殊活动执行董事审批"]),
    ({}, "A3", ["财务审核", "广州分公司运营备案"]),  # branch in A3
    ({"target": "A2"}, "A1", ["财务审核", "目标分公司为甲二时人事备案"]),  # a branch field of the form
])
def test_conditions_on_form_fields(org_a, values, branch, expected):
    steps = [
        FIN_STEP,
        StepSpec(name="大额总经理审批", role=Role.GENERAL_MANAGER, condition="amount > 50000"),
        StepSpec(name="特殊活动执行董事审批", role=Role.EXECUTIVE_DIRECTOR, condition="nature == 特殊"),
        StepSpec(name="广州分公司运营备案", role=Role.OPERATIONS, kind=StepKind.RECORD, condition="branch in A3"),
        StepSpec(name="目标分公司为甲二时人事备案", role=Role.HR, kind=StepKind.RECORD, condition="target == A2"),
    ]
    template = make_form(org_a, steps=steps)
    if "target" in values:
        values = {**values, "target": str(org_a.branches[values["target"]].pk)}
    req = file_request(org_a, template, applicant="allroles" if branch == "A3" else "sales", branch=branch, **values)
    applied = [name for name, status in step_names(org_a, req) if status != "skipped"]
    assert applied == expected


def test_position_is_resolved_in_the_applicants_region(org_a):
    """大客户部经理 of the applicant's region: RA1 (A1, A2) → rm; RA2 (A3) → hr (as set up here)."""
    with org_a.scope():
        position = approvals.position_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="大客户部经理")
        approvals.position_assign(position=position, actor=org_a.users["admin"], user=org_a.users["rm"],
                                  region=org_a.regions["RA1"])
        approvals.position_assign(position=position, actor=org_a.users["admin"], user=org_a.users["hr"],
                                  region=org_a.regions["RA2"])
    template = make_form(org_a, steps=[StepSpec(name="大客户部经理审批", position="大客户部经理",
                                                role=Role.REGIONAL_MANAGER, scope=StepScope.REGION)])
    assert pending_people(org_a, file_request(org_a, template, applicant="sales", branch="A1")) == {"rm"}
    assert pending_people(org_a, file_request(org_a, template, applicant="sales2", branch="A2")) == {"rm"}
    assert pending_people(org_a, file_request(org_a, template, applicant="allroles", branch="A3")) == {"hr"}


def test_countersign_and_named_people(org_a):
    template = make_form(org_a, steps=[
        StepSpec(name="会签", user_ids=(org_a.users["gm"].pk, org_a.users["finance"].pk), mode=StepMode.ALL),
    ])
    req = file_request(org_a, template)
    assert pending_people(org_a, req) == {"gm", "finance"}
    approve(org_a, req, "gm")
    assert pending_people(org_a, req) == {"finance"}
    approve(org_a, req, "finance")
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED


def test_in_flight_requests_keep_their_version(org_a):
    """A request filed on v1 keeps v1's fields and v1's chain after v2 (new field, new chain) is
    published; a new request uses v2 and its chain."""
    template = make_form(org_a, fields=[F("amount", "金额", "money", True)], steps=[FIN_STEP])
    old = file_request(org_a, template, amount="10")
    admin = org_a.users["admin"]
    with org_a.scope():
        services.draft_save(template=template, actor=admin, fields=[F("amount", "金额", "money", True),
                                                                    F("place", "地点", "text", True)])
        approvals.chain_save(tenant=org_a.tenant, actor=admin, key=template.approval_key, steps=[GM_STEP])
        v2 = services.version_publish(template=template, actor=admin)
        assert list(FormVersion.objects.filter(template=template).values_list("number", "status")) == [
            (2, VersionStatus.PUBLISHED), (1, VersionStatus.RETIRED)]
    assert v2.chain_version == 2 and v2.chain[0]["name"] == "总经理审批"
    with pytest.raises(ValidationError) as exc:
        file_request(org_a, template, amount="10")
    assert exc.value.message_dict == {"place": ["此项必填。"]}
    new = file_request(org_a, template, amount="10", place="上海")
    assert old.version.number == 1 and new.version.number == 2
    assert pending_people(org_a, old) == {"finance", "allroles"}
    assert pending_people(org_a, new) == {"gm", "allroles"}
    approve(org_a, old, "finance")
    with org_a.scope():
        old.refresh_from_db()
        assert old.status == RequestStatus.APPROVED and flow_of(org_a, old).chain_version == 1
        assert flow_of(org_a, new).chain_version == 2


def test_publish_refuses_a_chain_testing_a_removed_field(org_a):
    template = make_form(org_a, steps=[StepSpec(name="大额", role=Role.GENERAL_MANAGER, condition="amount > 100")])
    with org_a.scope():
        services.draft_save(template=template, actor=org_a.users["admin"], fields=[F("subject", "主题", "text")])
        with pytest.raises(ValidationError) as exc:
            services.version_publish(template=template, actor=org_a.users["admin"])
    assert exc.value.code == "chain_field_missing"


def test_publish_needs_a_chain(org_a):
    with org_a.scope():
        template = services.template_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="无流程", code="X-1")
        with pytest.raises(ValidationError) as exc:
            services.version_publish(template=template, actor=org_a.users["admin"])
        assert exc.value.code == "no_chain"
        with pytest.raises(ValidationError) as exc:
            services.request_create(template=template, actor=org_a.users["sales"], membership=None, title="x",
                                    branch=None, raw={})
        assert exc.value.code == "not_published"


def test_joint_signoff_of_a_chain_change(org_a):
    """S004-01: a change of the chain takes effect only after the named people have all signed
    it (on the engine itself); meanwhile requests run on the chain in force."""
    gm, design = org_a.users["gm"], org_a.users["design"]
    template = make_form(org_a, steps=[FIN_STEP], signoff_users=[gm.pk, design.pk])
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key=template.approval_key,
                             steps=[GM_STEP], note="增加总经理")
        change = ApprovalChainVersion.objects.get(tenant=org_a.tenant, document_type=template.approval_key,
                                                  status=ChainVersionStatus.PENDING)
    during = file_request(org_a, template)
    assert pending_people(org_a, during) == {"finance", "allroles"}  # still v1
    from marketing.approvals.models import ApprovalTask, TaskStatus

    with org_a.scope():
        tasks = {t.assignee_id: t for t in ApprovalTask.objects.filter(
            flow__document_type="approvals.chain_change", flow__object_id=change.pk, status=TaskStatus.PENDING)}
        assert set(tasks) == {gm.pk, design.pk}
        approvals.approval_approve(task=tasks[gm.pk], actor=gm)
        change.refresh_from_db()
        assert change.status == ChainVersionStatus.PENDING  # 会签: one signature is not enough
        approvals.approval_approve(task=tasks[design.pk], actor=design)
        change.refresh_from_db()
        assert change.status == ChainVersionStatus.PUBLISHED
    after = file_request(org_a, template)
    assert pending_people(org_a, after) == {"gm", "allroles"}
    assert pending_people(org_a, during) == {"finance", "allroles"}


def test_reject_then_resubmit_on_the_same_version(org_a):
    template = make_form(org_a, steps=[FIN_STEP])
    req = file_request(org_a, template, amount="10")
    reject(org_a, req, "finance", reason="金额不对")
    with org_a.scope():
        req.refresh_from_db()
        assert req.status == RequestStatus.REJECTED
        services.draft_save(template=template, actor=org_a.users["admin"],
                            fields=[*EVERY_TYPE, F("extra", "新字段", "text", True)])
        services.version_publish(template=template, actor=org_a.users["admin"])
        from marketing.demo import membership_of

        services.request_resubmit(document=req, actor=org_a.users["sales"], membership=membership_of(org_a.users["sales"]),
                                  title="改后", raw={"subject": "主题", "amount": "20", "nature": "常规"})
        req.refresh_from_db()
    assert req.status == RequestStatus.SUBMITTED and req.version.number == 1 and req.values["amount"] == "20.00"
    assert flow_of(org_a, req).round == 2 and flow_of(org_a, req).status == FlowStatus.IN_PROGRESS
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        services.request_resubmit(document=req, actor=org_a.users["sales"], membership=None, title="x", raw={})
    assert exc.value.code == "not_resubmittable"


def test_withdraw_goes_through_the_engine(org_a):
    template = make_form(org_a, steps=[FIN_STEP])
    req = file_request(org_a, template)
    with org_a.scope():
        approvals.approval_withdraw(flow=flow_of(org_a, req), actor=org_a.users["sales"])
        req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN


def test_numbers_are_per_form_and_unique_per_tenant(org_a, org_b):
    a = make_form(org_a, steps=[FIN_STEP])
    b = make_form(org_b, steps=[StepSpec(name="总经理", role=Role.GENERAL_MANAGER)])
    assert [file_request(org_a, a).number, file_request(org_a, a).number] == ["T-001-0001", "T-001-0002"]
    assert file_request(org_b, b, branch="B1").number == "T-001-0001"


def test_another_tenants_form_is_not_a_type_here(org_a, org_b):
    b = make_form(org_b, steps=[StepSpec(name="总经理", role=Role.GENERAL_MANAGER)])
    with org_a.scope(), pytest.raises(LookupError):
        get_type(b.approval_key)
    with org_b.scope():
        assert get_type(b.approval_key).label == "T-001 测试表单"


def test_money_condition_is_exact(org_a):
    template = make_form(org_a, steps=[FIN_STEP, StepSpec(name="大额", role=Role.GENERAL_MANAGER,
                                                          condition="amount >= 5000.01")])
    req = file_request(org_a, template, amount="5000.01")
    with org_a.scope():
        values = get_type(template.approval_key).values_of(req)
    assert values["amount"] == Decimal("5000.01")
    assert ("大额", "waiting") in step_names(org_a, req)


def test_engine_features_work_unchanged_for_a_form(org_a, django_capture_on_commit_callbacks):
    """E-mail to the step's people with a link to the request, inbox, return to an earlier
    step, a stand-in signing on someone's behalf, and the applicant's notice."""
    import datetime as dt

    from marketing.approvals.models import ApprovalTask, TaskStatus
    from marketing.approvals.selectors import inbox
    from marketing.notifications.models import Message

    template = make_form(org_a, steps=[FIN_STEP, GM_STEP])
    with django_capture_on_commit_callbacks(execute=True):
        req = file_request(org_a, template)
    link = f"/workflows/requests/{req.pk}/"
    with org_a.scope():
        assert Message.objects.filter(user=org_a.users["finance"], link__endswith=link).exists()
        assert [t.flow.object_id for t in inbox(tenant=org_a.tenant, user=org_a.users["finance"])] == [req.pk]
    approve(org_a, req, "finance")
    with org_a.scope():  # the GM returns it to 财务审核
        task = ApprovalTask.objects.get(flow=flow_of(org_a, req), assignee=org_a.users["gm"], status=TaskStatus.PENDING)
        approvals.approval_return(task=task, actor=org_a.users["gm"], to_position=1, reason="请核对金额")
    assert pending_people(org_a, req) == {"finance", "allroles"}
    with org_a.scope():  # finance is away: hr stands in and signs on finance's behalf
        today = dt.date.today()
        approvals.delegation_create(tenant=org_a.tenant, actor=org_a.users["finance"], delegate=org_a.users["hr"],
                                    starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=1))
        task = ApprovalTask.objects.get(flow=flow_of(org_a, req), assignee=org_a.users["finance"],
                                        status=TaskStatus.PENDING)
        approvals.approval_approve(task=task, actor=org_a.users["hr"], comment="代签")
        task.refresh_from_db()
        assert task.acted_by_id == org_a.users["hr"].pk
    with django_capture_on_commit_callbacks(execute=True):
        approve(org_a, req, "gm")
    with org_a.scope():
        req.refresh_from_db()
        assert req.status == RequestStatus.APPROVED
        assert Message.objects.filter(user=org_a.users["sales"], link__endswith=link).exists()
