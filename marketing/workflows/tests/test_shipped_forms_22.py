"""Shipped forms of issue #22 that seed 001 (营销中心岗位职责) names and seed 004 SC-007's
活动样板: each test names its rule id of /work/shared/seed-rules.md."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from marketing.approvals import services as approvals
from marketing.approvals.models import Position
from marketing.demo import membership_of
from marketing.models import AuditEvent
from marketing.workflows import services
from marketing.workflows.models import FormRequest, FormTemplate, RequestStatus, VersionStatus

from .helpers import pdf, pending_people, reject
from .test_shipped import _file, _template, _walk, shipped  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db


def test_issue22_forms_ship_to_new_tenants_and_existing_ones_by_the_button(org_a, client_as):
    """A new tenant gets YX-001…003 published; an existing tenant without them gets them from
    the templates page's button (idempotent; a form it already has is left alone)."""
    with org_a.scope():
        for code in ("YX-001", "YX-002", "YX-003"):
            assert (
                FormTemplate.objects.get(tenant=org_a.tenant, code=code).versions.get().status
                == VersionStatus.PUBLISHED
            )
        assert {"市场部经理", "生产中心"} <= set(
            Position.objects.filter(tenant=org_a.tenant).values_list("name", flat=True)
        )
        # An "existing tenant" from before these forms: drop them and their chains.
        from marketing.approvals.models import ApprovalChain

        old = FormTemplate.objects.filter(tenant=org_a.tenant, code__startswith="YX-")
        ApprovalChain.objects.filter(
            tenant=org_a.tenant, document_type__in=[t.approval_key for t in old]
        ).delete()
        old.delete()
        sc7 = FormTemplate.objects.get(tenant=org_a.tenant, code="SC-007")
        services.template_update(template=sc7, actor=org_a.users["admin"], name="市场活动（本公司）")
    client = client_as(org_a.users["admin"])
    page = client.get("/workflows/templates/").content.decode()
    assert "YX-001 外发文件审核" in page and "YX-003 订单" in page and "SC-007 市场活动" not in page
    assert client.get("/workflows/templates/shipped/").status_code == 405
    client.post("/workflows/templates/shipped/")
    with org_a.scope():
        codes = sorted(FormTemplate.objects.filter(tenant=org_a.tenant).values_list("code", flat=True))
        sc7.refresh_from_db()
        assert (
            AuditEvent.objects.filter(
                tenant=org_a.tenant, verb="workflows.template_create", actor=org_a.users["admin"]
            ).count()
            >= 3
        )
    assert codes == [
        "SC-001",
        "SC-002",
        "SC-003",
        "SC-005",
        "SC-006",
        "SC-007",
        "SC-008",
        "YX-001",
        "YX-002",
        "YX-003",
    ]
    assert sc7.name == "市场活动（本公司）"
    assert "添加缺少的内置表单" not in client.get("/workflows/templates/").content.decode()
    assert client_as(org_a.users["sales"]).post("/workflows/templates/shipped/").status_code == 403


# --- S001-06 外发文件审核 ---------------------------------------------------------------------------

OUTGOING = {
    "doc_title": "致经销商的调价通知",
    "recipient": "华东区全部经销商",
    "purpose": "通知 12 月起新价格",
}


def test_S001_06_outgoing_document_is_reviewed_by_the_marketing_director(
    org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = _file(
            org_a,
            "YX-001",
            OUTGOING,
            applicant="mspec",
            branch=None,
            uploads={"document": [pdf("调价通知.pdf")]},
        )
    assert req.values["doc_title"] == "致经销商的调价通知" and req.values["recipient"] == "华东区全部经销商"
    assert [i["name"] for i in req.values["document"]] == ["调价通知.pdf"]
    assert pending_people(org_a, req) - {"allroles"} == {"mdirector"}
    assert _walk(org_a, req) == [("营销总监审核", "mdirector")]


def test_S001_06_outgoing_document_needs_the_file_and_can_be_sent_back(org_a):
    with pytest.raises(ValidationError) as exc:
        _file(org_a, "YX-001", {"recipient": "经销商"}, applicant="mspec", branch=None)
    assert set(exc.value.message_dict) == {"doc_title", "document", "purpose"}
    req = _file(org_a, "YX-001", OUTGOING, applicant="mspec", branch=None, uploads={"document": [pdf()]})
    reject(org_a, req, "mdirector", reason="措辞需修改")
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED


# --- S001-26 工程计划单 / 生产计划单 --------------------------------------------------------------------

PLAN = {
    "plan_kind": "生产计划单",
    "due": "2026-12-20",
    "contract_no": "HT-2026-031",
    "items": [{"product": "A 型机柜", "quantity": "40", "due": "2026-12-18"}],
}


def test_S001_26_plan_sheet_salesperson_then_finance_then_production_centre(org_a):
    """The assistant (here the marketing specialist) files it for branch A1: the branch's
    salesperson signs, then finance, then it is handed to the production centre (position
    生产中心; its holder receives it, the operations role while nobody holds it)."""
    req = _file(org_a, "YX-002", PLAN, applicant="mspec")
    assert req.values["items"] == [{"product": "A 型机柜", "quantity": "40", "due": "2026-12-18"}]
    # Only A1's salesperson signs first, not A2's.
    assert pending_people(org_a, req) - {"allroles"} == {"sales"}
    assert _walk(org_a, req) == [
        ("销售人员签字", "sales"),
        ("财务人员签字", "finance"),
        ("递交生产中心", "ops"),
    ]


def test_S001_26_production_centre_position_holder_receives_the_sheet(org_a):
    with org_a.scope():
        centre = Position.objects.get(tenant=org_a.tenant, name="生产中心")
        approvals.position_assign(position=centre, actor=org_a.users["admin"], user=org_a.users["design"])
    req = _file(org_a, "YX-002", {**PLAN, "plan_kind": "工程计划单"}, applicant="mspec", branch="A2")
    assert _walk(org_a, req) == [
        ("销售人员签字", "sales2"),
        ("财务人员签字", "finance"),
        ("递交生产中心", "design"),
    ]


def test_S001_26_plan_sheet_requires_kind_lines_and_date(org_a):
    with pytest.raises(ValidationError) as exc:
        _file(org_a, "YX-002", {"plan_kind": "采购单"}, applicant="mspec")
    assert set(exc.value.message_dict) == {"plan_kind", "items", "due"}


# --- S001-10 订单 ----------------------------------------------------------------------------------


def test_S001_10_order_with_customer_and_partner_reviewed_by_the_marketing_manager(org_a):
    from customers.models import Customer
    from customers.partners import services as partners
    from customers.partners.models import PartnerType

    with org_a.scope():
        customer = Customer.objects.create(
            tenant=org_a.tenant, name="星程汽车", branch=org_a.branches["A1"], owner=org_a.users["sales"]
        )
        partners.ensure_default_types(org_a.tenant)
        dealer = PartnerType.objects.get(tenant=org_a.tenant, code="dealer")
        partner = partners.partner_create(
            tenant=org_a.tenant,
            actor=org_a.users["mspec"],
            type=dealer,
            name="恒通汽车销售",
            branch=org_a.branches["A1"],
            credit_code="",
            salesperson=org_a.users["sales"],
        )
    req = _file(
        org_a,
        "YX-003",
        {
            "customer": str(customer.pk),
            "partner": str(partner.pk),
            "product": "延保服务",
            "quantity": "12",
            "amount": "23988",
            "delivery": "2027-01-15",
        },
        applicant="sales",
    )
    assert {
        k: req.values[k] for k in ("customer", "partner", "product", "quantity", "amount", "delivery")
    } == {
        "customer": customer.pk,
        "partner": partner.pk,
        "product": "延保服务",
        "quantity": "12",
        "amount": "23988.00",
        "delivery": "2027-01-15",
    }
    with org_a.scope():
        from marketing.workflows.display import Names, text_of

        names = Names(tenant=org_a.tenant, requests=[req])
        fields = {f["key"]: f for f in req.version.fields}
        assert text_of(fields["partner"], req.values["partner"], names) == "恒通汽车销售"
        assert text_of(fields["customer"], req.values["customer"], names) == "星程汽车"
    assert _walk(org_a, req) == [("市场部经理审核", "mdirector")]


def test_S001_10_order_marketing_manager_position_and_partner_reach(org_a, org_b):
    """Staffed 市场部经理 signs; another tenant's partner is refused; the order's required
    figures are checked."""
    from customers.partners import services as partners
    from customers.partners.models import PartnerType

    with org_b.scope():
        partners.ensure_default_types(org_b.tenant)
        foreign = partners.partner_create(
            tenant=org_b.tenant,
            actor=org_b.users["mspec"],
            type=PartnerType.objects.get(tenant=org_b.tenant, code="dealer"),
            name="乙方经销商",
            branch=org_b.branches["B1"],
            credit_code="",
        )
    with pytest.raises(ValidationError) as exc:
        _file(
            org_a,
            "YX-003",
            {"partner": str(foreign.pk), "product": "延保", "quantity": "x", "amount": "1"},
            applicant="mspec",
        )
    assert set(exc.value.message_dict) == {"partner", "quantity", "delivery"}
    with org_a.scope():
        manager = Position.objects.get(tenant=org_a.tenant, name="市场部经理")
        approvals.position_assign(position=manager, actor=org_a.users["admin"], user=org_a.users["rm"])
    req = _file(
        org_a, "YX-003", {"product": "延保", "quantity": "3", "amount": "5997", "delivery": "2027-01-15"}
    )
    assert _walk(org_a, req) == [("市场部经理审核", "rm")]


# --- S004-28 活动方案的修订与活动样板 ------------------------------------------------------------------

ACTIVITY = {
    "activity": "技术交流会",
    "nature": "常规",
    "period": ["2026-04-10", "2026-04-11"],
    "place": "本地会展中心",
    "budget": "18000",
}


def _approved_activity(org, applicant="mspec"):
    req = _file(
        org, "SC-007", ACTIVITY, applicant=applicant, title="春季技术交流会", uploads={"plan": [pdf()]}
    )
    _walk(org, req)
    return req


def test_S004_28_revised_activity_plan_is_the_next_version_approved_again(org_a):
    """Problems found while the approved plan runs: its applicant files revision 2 (v2), which
    goes through the chain again; v1 stays approved; only the latest approved one is revised."""
    first = _approved_activity(org_a)
    user = org_a.users["mspec"]
    with org_a.scope():
        second = services.request_revise(
            document=first,
            actor=user,
            membership=membership_of(user),
            title="春季技术交流会（修订）",
            raw={**ACTIVITY, "place": "新会展中心", "budget": "21000"},
        )
    assert (second.number, second.revision, second.revision_of_id) == (f"{first.number}-v2", 2, first.pk)
    assert second.values["place"] == "新会展中心" and second.values["budget"] == "21000.00"
    assert second.status == RequestStatus.SUBMITTED and _walk(org_a, second) == [
        ("产品市场部经理批准", "mdirector"),
        ("活动记录与效果评估", "allroles"),  # S004-27: the record closes the request
    ]
    with org_a.scope():
        first.refresh_from_db()
        assert first.status == RequestStatus.APPROVED and first.values["place"] == "本地会展中心"
        assert [r.number for r in services.revisions_of(first)] == [first.number, f"{first.number}-v2"]
        with pytest.raises(ValidationError) as exc:  # v1 is no longer the latest
            services.request_revise(
                document=first, actor=user, membership=membership_of(user), title="x", raw=ACTIVITY
            )
        assert exc.value.code == "not_latest"
        third = services.request_revise(
            document=second,
            actor=user,
            membership=membership_of(user),
            title="第三版",
            raw={**ACTIVITY, "nature": "特殊"},
        )
        assert (third.number, third.revision, third.revision_of_id) == (f"{first.number}-v3", 3, first.pk)
        with pytest.raises(ValidationError) as exc:  # v3 still under review
            services.request_revise(
                document=third, actor=user, membership=membership_of(user), title="x", raw=ACTIVITY
            )
        assert exc.value.code == "not_approved"
        with pytest.raises(ValidationError) as exc:
            services.request_revise(
                document=third,
                actor=org_a.users["mdirector"],
                membership=membership_of(org_a.users["mdirector"]),
                title="x",
                raw=ACTIVITY,
            )
        assert exc.value.code == "not_applicant"
        event = AuditEvent.objects.get(
            tenant=org_a.tenant, verb="workflows.request_revise", object_id=str(second.pk)
        )
        assert event.before["number"] == first.number and event.after["revision"] == 2
    assert _walk(org_a, third) == [("总经理批准", "gm"), ("活动记录与效果评估", "allroles")]  # the revision is routed on its own values


def test_S004_28_finished_activity_saved_as_a_model_and_a_new_one_started_from_it(org_a, client_as):
    first = _approved_activity(org_a)
    client = client_as(org_a.users["mspec"])
    page = client.get(f"/workflows/requests/{first.pk}/").content.decode()
    assert "存为样板" in page and "修订方案" in page
    client.post(f"/workflows/requests/{first.pk}/sample/", {"name": "技术交流会样板"})
    with org_a.scope():
        from marketing.workflows.models import FormSample

        sample = FormSample.objects.get(tenant=org_a.tenant)
        event = AuditEvent.objects.get(tenant=org_a.tenant, verb="workflows.sample_save")
    assert (sample.name, sample.source_id, sample.template_id) == (
        "技术交流会样板",
        first.pk,
        first.template_id,
    )
    assert sample.values == {
        k: v for k, v in first.values.items() if k != "plan"
    }  # files stay with the request
    assert event.actor_id == org_a.users["mspec"].pk and event.after["source"] == first.number
    # Another salesperson's branch starts from the model: the form comes prefilled.
    sc7 = _template(org_a, "SC-007")
    other = client_as(org_a.users["sales2"])
    form = other.get(f"/workflows/templates/{sc7.pk}/new/?sample={sample.pk}").content.decode()
    assert (
        'value="新会展中心"' not in form
        and 'value="本地会展中心"' in form
        and 'value="技术交流会样板"' in form
    )
    with org_a.scope():
        user = org_a.users["sales2"]
        started = services.request_create(
            template=sc7,
            actor=user,
            membership=membership_of(user),
            title="二分公司技术交流会",
            branch=org_a.branches["A2"],
            raw={**services.sample_initial(sample, services.published_version(sc7)), "place": "二分公司展厅"},
            sample=sample,
        )
        submitted = AuditEvent.objects.get(
            tenant=org_a.tenant, verb="workflows.request_submit", object_id=str(started.pk)
        )
    assert started.sample_id == sample.pk and started.values["budget"] == "18000.00"
    assert started.values["place"] == "二分公司展厅" and submitted.after["sample"] == {
        "id": sample.pk,
        "name": "技术交流会样板",
    }


def test_S004_28_models_only_from_approved_requests_by_applicant_or_admin_and_per_tenant(
    org_a, org_b, client_as
):
    with org_a.scope():
        pending_req = _file(org_a, "SC-007", ACTIVITY, applicant="mspec")
        with pytest.raises(ValidationError) as exc:
            services.sample_save(document=pending_req, actor=org_a.users["mspec"], name="样板")
        assert exc.value.code == "not_approved"
    first = _approved_activity(org_a)
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.sample_save(document=first, actor=org_a.users["sales"], name="样板")
        assert exc.value.code == "not_allowed"
        sample = services.sample_save(document=first, actor=org_a.users["admin"], name="样板")
        with pytest.raises(ValidationError) as exc:
            services.sample_save(document=first, actor=org_a.users["mspec"], name="样板")
        assert exc.value.code == "duplicate_sample"
        sc6 = _template(org_a, "SC-006")
        with pytest.raises(ValidationError) as exc:
            services.request_create(
                template=sc6,
                actor=org_a.users["mspec"],
                membership=membership_of(org_a.users["mspec"]),
                title="x",
                branch=None,
                raw={},
                sample=sample,
            )
        assert exc.value.code == "bad_sample"
    # Tenant B's admin: A's request is 404, A's sample id is not offered.
    client = client_as(org_b.users["admin"])
    assert client.post(f"/workflows/requests/{first.pk}/sample/", {"name": "偷"}).status_code == 404
    assert client.get(f"/workflows/requests/{first.pk}/revise/").status_code == 404
    sc7_b = _template(org_b, "SC-007")
    page = client.get(f"/workflows/templates/{sc7_b.pk}/new/?sample={sample.pk}").content.decode()
    assert "本地会展中心" not in page and "从样板" not in page


def test_S004_28_revise_page_files_the_revision(org_a, client_as):
    first = _approved_activity(org_a)
    client = client_as(org_a.users["mspec"])
    form = client.get(f"/workflows/requests/{first.pk}/revise/").content.decode()
    assert 'value="本地会展中心"' in form and "提交修订方案" in form
    response = client.post(
        f"/workflows/requests/{first.pk}/revise/",
        {
            "op": "submit",
            "title": "修订版",
            "v-activity": "技术交流会",
            "v-nature": "常规",
            "v-period-start": "2026-04-12",
            "v-period-end": "2026-04-13",
            "v-place": "新会展中心",
            "v-budget": "19000",
        },
    )
    with org_a.scope():
        revision = FormRequest.objects.get(tenant=org_a.tenant, revision_of=first)
    assert response.status_code == 302 and response["Location"] == f"/workflows/requests/{revision.pk}/"
    assert revision.values["period"] == ["2026-04-12", "2026-04-13"] and revision.revision == 2
    detail = client.get(f"/workflows/requests/{revision.pk}/").content.decode()
    assert first.number in detail and "v2" in detail
    # The other applicant cannot revise someone's plan.
    assert client_as(org_a.users["sales"]).get(f"/workflows/requests/{first.pk}/revise/").status_code in (
        302,
        404,
    )


# --- S001-01 营销总监审核营销、企划计划 ----------------------------------------------------------------

SC001 = {"plan": "华东新品调研", "content": "竞品价格", "budget": "30000", "kind": "常规"}
SC003 = {"goal": "目标", "strategy": "策略", "actions": "行动", "schedule": ["2026-04-01", "2026-06-30"]}


def test_S001_01_plan_forms_are_reviewed_by_the_marketing_director_on_a_new_tenant(org_a):
    """SC-001 (research plan) and SC-003 (promotion plan) open with the department review,
    whose position (产品市场部经理) nobody holds on a new tenant: the 市场营销总监 reviews, as
    seed 001 says (营销总监审核公司各项营销、企划计划)."""
    with org_a.scope():
        assert not Position.objects.get(tenant=org_a.tenant, name="产品市场部经理").holders.exists()
    sc1 = _file(org_a, "SC-001", SC001, applicant="mspec")
    assert pending_people(org_a, sc1) - {"allroles"} == {"mdirector"}
    assert _walk(org_a, sc1)[0] == ("产品市场部经理审核", "mdirector")
    sc3 = _file(org_a, "SC-003", SC003, applicant="mspec")
    assert _walk(org_a, sc3)[0] == ("部门经理审批", "mdirector")


def test_S001_01_director_review_is_a_tenant_setting_of_the_plan_chains(org_a):
    """A tenant that staffs 产品市场部经理 with someone else moves the department review to them;
    it keeps the director's review by adding the director's step in the chain editor (a new
    chain version; requests filed afterwards follow it)."""
    from marketing.approvals.registry import StepSpec
    from marketing.approvals.selectors import chain_for
    from marketing.roles import Role

    with org_a.scope():
        position = Position.objects.get(tenant=org_a.tenant, name="产品市场部经理")
        approvals.position_assign(position=position, actor=org_a.users["admin"], user=org_a.users["exec"])
    assert _walk(org_a, _file(org_a, "SC-003", SC003, applicant="mspec"))[0] == ("部门经理审批", "exec")
    with org_a.scope():
        sc3 = _template(org_a, "SC-003")
        steps = chain_for(tenant=org_a.tenant, key=sc3.approval_key)
        approvals.chain_save(
            tenant=org_a.tenant,
            actor=org_a.users["admin"],
            key=sc3.approval_key,
            steps=[StepSpec(name="营销总监审核", role=Role.MARKETING_DIRECTOR), *steps],
            note="营销总监审核企划计划",
        )
    route = _walk(org_a, _file(org_a, "SC-003", SC003, applicant="mspec"))
    assert route == [
        ("营销总监审核", "mdirector"),
        ("部门经理审批", "exec"),
        ("技术总监审批", "design"),
        ("总经理审批", "gm"),
        ("大客户部经理接收执行", "rm"),
    ]


def test_S004_28_models_are_renamed_and_deleted_by_their_creator_or_an_admin(org_a, org_b, client_as):
    """S004-28: the 活动样板 list of a form; its creator renames it (names stay unique per
    form), another salesperson may only use it, a form administrator may delete it, and a
    request started from a deleted model keeps its values. Another tenant gets 404."""
    first = _approved_activity(org_a)
    with org_a.scope():
        sample = services.sample_save(document=first, actor=org_a.users["mspec"], name="技术交流会样板")
        services.sample_save(document=first, actor=org_a.users["mspec"], name="备用样板")
        user = org_a.users["sales2"]
        sc7 = _template(org_a, "SC-007")
        started = services.request_create(
            template=sc7, actor=user, membership=membership_of(user), title="二分公司技术交流会",
            branch=org_a.branches["A2"], raw=services.sample_initial(sample, services.published_version(sc7)),
            sample=sample)
    owner = client_as(org_a.users["mspec"])
    listing = owner.get(f"/workflows/templates/{sc7.pk}/samples/").content.decode()
    assert "技术交流会样板" in listing and first.number in listing and 'value="delete"' in listing
    other = client_as(org_a.users["sales2"])
    assert 'value="delete"' not in other.get(f"/workflows/templates/{sc7.pk}/samples/").content.decode()
    change = f"/workflows/samples/{sample.pk}/"
    refused = other.post(change, {"op": "rename", "name": "改掉"}, follow=True).content.decode()
    assert "只有样板的创建人或表单管理员可以修改样板" in refused
    taken = owner.post(change, {"op": "rename", "name": "备用样板"}, follow=True).content.decode()
    assert "样板“备用样板”已存在" in taken
    assert owner.post(change, {"op": "rename", "name": "秋季交流会样板"}).status_code == 302
    assert client_as(org_b.users["admin"]).post(change, {"op": "delete"}).status_code == 404
    assert client_as(org_a.users["admin"]).post(change, {"op": "delete"}).status_code == 302
    with org_a.scope():
        from marketing.workflows.models import FormRequest, FormSample

        assert list(FormSample.objects.filter(tenant=org_a.tenant).values_list("name", flat=True)) == ["备用样板"]
        kept = FormRequest.objects.get(pk=started.pk)
        assert kept.sample_id is None and kept.values["place"] == "本地会展中心"
        verbs = list(AuditEvent.objects.filter(tenant=org_a.tenant, verb__in=[
            "workflows.sample_rename", "workflows.sample_delete"]).order_by("id").values_list("verb", "before"))
    assert verbs == [("workflows.sample_rename", {"name": "技术交流会样板"}),
                     ("workflows.sample_delete", {"name": "秋季交流会样板", "values": sample.values})]
