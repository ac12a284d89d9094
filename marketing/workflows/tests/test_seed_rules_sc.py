"""Seed 004's shipped approval forms (SC-001…SC-008 without SC-004), one test per register row of
/work/shared/seed-rules.md: exact fields, exact chain steps, who signs, which condition skips what."""

from __future__ import annotations

import pytest

from marketing.approvals import services as approvals
from marketing.approvals.models import Position
from marketing.workflows.models import FormTemplate

from .helpers import step_names
from .test_shipped import _file, _template, _walk, shipped  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db


def _fields(org, code):
    with org.scope():
        version = _template(org, code).versions.get()
    return {f["key"]: (f["label"], f["type"], f["required"]) for f in version.fields}


def _chain(org, code):
    from marketing.approvals.selectors import chain_for

    with org.scope():
        steps = chain_for(tenant=org.tenant, key=_template(org, code).approval_key)
    return [(s.name, s.position, str(s.kind), str(s.scope), s.condition) for s in steps]


def _staff(org, name, persona, **place):
    with org.scope():
        position = Position.objects.get(tenant=org.tenant, name=name)
        approvals.position_assign(
            position=position, actor=org.users["admin"], user=org.users[persona], **place
        )
        return position


def test_S004_03_each_process_has_its_code_and_owning_department(org_a):
    """S004-03: 流程代号 SC-00x and 主管部门 市场部 on every shipped seed-004 form."""
    with org_a.scope():
        rows = list(
            FormTemplate.objects.filter(tenant=org_a.tenant, code__startswith="SC-")
            .order_by("code")
            .values_list("code", "name", "category")
        )
    assert rows == [
        ("SC-001", "市场调研计划", "市场部"),
        ("SC-002", "市场调研", "市场部"),
        ("SC-003", "促销方案", "市场部"),
        ("SC-005", "定价", "市场部"),
        ("SC-006", "宣传物料设计", "市场部"),
        ("SC-007", "市场活动", "市场部"),
        ("SC-008", "培训", "市场部"),
    ]


def test_S004_04_sc001_research_plan_fields(org_a):
    """S004-04: the research plan carries plan, content, scheme and budget."""
    fields = _fields(org_a, "SC-001")
    assert fields["plan"] == ("调研计划", "textarea", True)
    assert fields["content"] == ("调研内容", "textarea", True)
    assert fields["scheme"] == ("调研方案", "textarea", False)
    assert fields["budget"] == ("调研预算", "money", True)


def test_S004_05_sc001_product_marketing_manager_reviews_and_returns_comments(org_a):
    """S004-05: the first step is the 产品市场部经理's review; a rejection sends the plan back with the comment."""
    assert _chain(org_a, "SC-001")[0] == ("产品市场部经理审核", "产品市场部经理", "approve", "tenant", "")
    req = _file(org_a, "SC-001", {"plan": "华东调研", "content": "竞品", "budget": "30000", "kind": "常规"})
    from .helpers import reject

    reject(org_a, req, "mdirector", reason="预算偏高，请修改")
    with org_a.scope():
        req.refresh_from_db()
        from marketing.approvals.models import ApprovalTask

        task = ApprovalTask.objects.get(
            flow__object_id=req.pk,
            flow__document_type=f"form:{req.template_id}",
            assignee=org_a.users["mdirector"],
        )
    assert req.status == "rejected" and task.comment == "预算偏高，请修改"


@pytest.mark.parametrize(
    ("kind", "gm_review"),
    [("常规", "skipped"), ("年度", "waiting"), ("月度", "waiting"), ("重大专项", "waiting")],
)
def test_S004_06_sc001_gm_review_except_routine_research(org_a, kind, gm_review):
    """S004-06: 事业部经理 approves the budget; annual/monthly/major research also goes to the GM, routine skips it."""
    assert _chain(org_a, "SC-001")[1:3] == [
        ("事业部经理审批预算", "事业部经理", "approve", "tenant", ""),
        ("总经理审核签署", "", "approve", "tenant", "kind != 常规"),
    ]
    req = _file(org_a, "SC-001", {"plan": "p", "content": "c", "budget": "1", "kind": kind})
    assert dict(step_names(org_a, req))["总经理审核签署"] == gm_review


def test_S004_07_sc001_joint_signature_of_tech_director_gm_and_region_key_account_manager(org_a):
    """S004-07: 技术总监, 总经理 and the region's 大客户部经理 each sign (共同签准), the region's holder signing."""
    assert _chain(org_a, "SC-001")[3:] == [
        ("技术总监签准", "技术总监", "approve", "tenant", ""),
        ("总经理签准", "", "approve", "tenant", ""),
        ("大客户部经理签准", "大客户部经理", "approve", "region", ""),
    ]
    _staff(org_a, "大客户部经理", "bgm", region=org_a.branches["A1"].region)
    req = _file(org_a, "SC-001", {"plan": "p", "content": "c", "budget": "1", "kind": "常规"})
    assert _walk(org_a, req)[-3:] == [
        ("技术总监签准", "design"),
        ("总经理签准", "gm"),
        ("大客户部经理签准", "bgm"),
    ]


def test_S004_08_S004_09_sc002_results_recorded_by_key_account_manager_then_report_approved(org_a):
    """S004-08: the region's 大客户部经理 records the research results; S004-09: the 产品市场部经理 approves the report."""
    assert _chain(org_a, "SC-002") == [
        ("大客户部经理确认调研结果", "大客户部经理", "record", "region", ""),
        ("产品市场部经理审核调研报告", "产品市场部经理", "approve", "tenant", ""),
    ]
    assert _fields(org_a, "SC-002")["report"] == ("市场调研报告", "attachment", False)


def test_S004_10_S001_19_sc002_research_covers_competitors_needs_special_requirements(org_a):
    """S004-10: competitor info, customer needs, special requirements. S001-19: research in stages -- the plan
    (SC-001) and the research with its findings (SC-002) are separate forms, each approved."""
    fields = _fields(org_a, "SC-002")
    assert fields["competitors"] == ("竞争对手信息", "textarea", False)
    assert fields["needs"] == ("客户需求信息", "textarea", False)
    assert fields["special"] == ("专项要求", "textarea", False)
    assert fields["findings"] == ("调研结论", "textarea", True)
    req = _file(org_a, "SC-002", {"topic": "需求", "findings": "价格敏感", "competitors": "A 品牌"})
    assert req.values["competitors"] == "A 品牌"


def test_S004_11_sc003_goals_strategy_actions_schedule(org_a):
    """S004-11: the promotion plan states goals, strategy, actions and schedule (all required)."""
    from django.core.exceptions import ValidationError

    fields = _fields(org_a, "SC-003")
    assert [fields[k] for k in ("goal", "strategy", "actions", "schedule")] == [
        ("推广目标", "textarea", True),
        ("推广策略", "textarea", True),
        ("行动计划", "textarea", True),
        ("进度", "daterange", True),
    ]
    with pytest.raises(ValidationError) as exc:
        _file(org_a, "SC-003", {"strategy": "s", "actions": "a", "schedule": ["2026-04-01", "2026-05-01"]})
    assert set(exc.value.message_dict) == {"goal"}


def test_S004_12_S004_13_sc003_dept_manager_tech_director_gm_then_key_account_executes(org_a):
    """S004-12: dept manager, tech director and GM approve in turn; S004-13: the region's 大客户部经理 takes it on."""
    assert _chain(org_a, "SC-003") == [
        ("部门经理审批", "产品市场部经理", "approve", "tenant", ""),
        ("技术总监审批", "技术总监", "approve", "tenant", ""),
        ("总经理审批", "", "approve", "tenant", ""),
        ("大客户部经理接收执行", "大客户部经理", "record", "region", ""),
    ]


def test_S004_02_positions_follow_the_real_organisation_and_can_be_changed(org_a):
    """S004-02: an unstaffed position falls back to its role; staffing it changes who signs, unstaffing restores."""
    req = _file(
        org_a,
        "SC-003",
        {"goal": "g", "strategy": "s", "actions": "a", "schedule": ["2026-04-01", "2026-05-01"]},
    )
    assert _walk(org_a, req)[1] == ("技术总监审批", "design")
    position = _staff(org_a, "技术总监", "exec")
    req = _file(
        org_a,
        "SC-003",
        {"goal": "g", "strategy": "s", "actions": "a", "schedule": ["2026-04-01", "2026-05-01"]},
    )
    assert _walk(org_a, req)[1] == ("技术总监审批", "exec")
    with org_a.scope():
        holder = position.holders.get()
        approvals.position_unassign(holder=holder, actor=org_a.users["admin"])
    req = _file(
        org_a,
        "SC-003",
        {"goal": "g", "strategy": "s", "actions": "a", "schedule": ["2026-04-01", "2026-05-01"]},
    )
    assert _walk(org_a, req)[1] == ("技术总监审批", "design")


def test_S004_18_sc005_pricing_form(org_a):
    """S004-18: SC-005 pricing (no steps in the seed): 产品市场部经理审核 → 总经理审批; product, price, basis required."""
    assert _chain(org_a, "SC-005") == [
        ("产品市场部经理审核", "产品市场部经理", "approve", "tenant", ""),
        ("总经理审批", "", "approve", "tenant", ""),
    ]
    fields = _fields(org_a, "SC-005")
    assert [fields[k] for k in ("product", "price", "basis")] == [
        ("产品", "text", True),
        ("建议价格", "money", True),
        ("定价依据", "textarea", True),
    ]


def test_S004_19_sc006_design_need_type_format_content_timing(org_a):
    """S004-19: the design need gives type, format, content and timing."""
    fields = _fields(org_a, "SC-006")
    assert [fields[k] for k in ("material", "format", "content", "due")] == [
        ("物料类型", "choice", True),
        ("格式", "text", True),
        ("内容要求", "textarea", True),
        ("时间要求", "date", True),
    ]


PRINT = "printing == 需要印刷"


def test_S004_20_S004_21_S004_22_S004_23_sc006_chain(org_a):
    """S004-20 市场经理 designs; S004-21 dept manager reviews, 市场经理 archives; S004-22 with printing a purchase
    request and 采购 to the printer; S004-23 行政助理 receives into stock."""
    assert _chain(org_a, "SC-006") == [
        ("市场经理设计", "市场经理", "approve", "tenant", ""),
        ("部门经理审阅设计稿", "产品市场部经理", "approve", "tenant", ""),
        ("定稿存档", "市场经理", "record", "tenant", ""),
        ("填写印刷采购申请", "市场经理", "record", "tenant", PRINT),
        ("采购部交印刷厂", "采购专员", "approve", "tenant", PRINT),
        ("印刷完成入库", "行政助理", "record", "tenant", PRINT),
    ]
    base = {"material": "折页", "format": "A4", "content": "卖点", "due": "2026-03-20"}
    req = _file(org_a, "SC-006", {**base, "printing": "无需印刷"})
    assert [s for s, st in step_names(org_a, req) if st == "skipped"] == [
        "填写印刷采购申请",
        "采购部交印刷厂",
        "印刷完成入库",
    ]
    _staff(org_a, "行政助理", "hr")
    req = _file(org_a, "SC-006", {**base, "printing": "需要印刷"})
    assert _walk(org_a, req)[-1] == ("印刷完成入库", "hr")


def test_S000_10_sc006_design_drafts_are_archived_with_the_request(org_a):
    """S000-10: an approved SC-006 request keeps its design draft (设计稿) and lists among the approved ones."""
    from marketing.demo import membership_of
    from marketing.workflows import services
    from marketing.workflows.models import FormRequest, RequestStatus

    from .helpers import pdf

    user = org_a.users["sales"]
    with org_a.scope():
        req = services.request_create(
            template=_template(org_a, "SC-006"),
            actor=user,
            membership=membership_of(user),
            title="春季折页",
            branch=org_a.branches["A1"],
            uploads={"draft": [pdf("draft.pdf")]},
            raw={
                "material": "折页",
                "format": "A4",
                "content": "卖点",
                "due": "2026-03-20",
                "printing": "无需印刷",
            },
        )
    _walk(org_a, req)
    with org_a.scope():
        archived = FormRequest.objects.filter(template__code="SC-006", status=RequestStatus.APPROVED).get()
        assert archived.attachments.get().name == "draft.pdf"
        assert archived.values["draft"][0]["name"] == "draft.pdf"


def _archived_design(org, title, when, *, files=("draft.pdf",), finish=True):
    """An SC-006 request filed and walked to 定稿存档 (no printing) at local time ``when``."""
    import time_machine

    from marketing.demo import membership_of
    from marketing.workflows import services

    from .helpers import pdf

    user = org.users["sales"]
    branch = next(iter(org.branches.values()))
    with time_machine.travel(when, tick=False):
        with org.scope():
            req = services.request_create(
                template=_template(org, "SC-006"), actor=user, membership=membership_of(user), title=title,
                branch=branch, uploads={"draft": [pdf(n) for n in files]},
                raw={"material": "折页", "format": "A4", "content": "卖点", "due": "2026-03-20", "printing": "无需印刷"},
            )
        if finish:
            _walk(org, req)
    return req


def test_S000_10_new_tenant_gets_the_quarterly_design_draft_collection(settings):
    """S000-10: 定期外宣品设计稿资料收集 -- every new tenant starts with a quarterly submission rule filed by the
    market specialist (the SC-006 designer's role), reviewed by the marketing director, due at each quarter's
    end on the working-day calendar (a quarter end on a weekend or holiday moves to the next working day)."""
    import datetime as dt

    from marketing.services import tenant_create
    from marketing.tenancy import tenant_scope
    from reports.submissions import cadence
    from reports.submissions.models import Cadence, Prefill, SubmissionRule, SubmitterScope
    from reports.workcal import WorkCalendar

    tenant, _admin = tenant_create(name="丙公司", slug="gamma", marketing_mailbox="m@gamma.test",
                                   admin_username="gamma-admin", admin_password="Gamma!pass-2026")
    with tenant_scope(tenant):
        rule = SubmissionRule.objects.get(tenant=tenant, code="design_drafts_quarterly")
        cal = WorkCalendar(tenant)
        assert (rule.name, rule.cadence, rule.scope, rule.prefill) == (
            "外宣品设计稿资料收集（季度）", Cadence.QUARTERLY, SubmitterScope.PERSON, Prefill.DESIGN_DRAFTS)
        assert (rule.submitter_roles, rule.reviewer_roles) == (["marketing_specialist"], ["marketing_director"])
        periods = list(cadence.nominal_dates(rule, dt.date(2024, 1, 1), dt.date(2024, 12, 31), cal))
        assert periods == [dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30), dt.date(2024, 12, 31)]
        # 2024-03-31 and 06-30 are Sundays: due the next working day, 18:00
        assert [cadence.due_date(rule, p, cal) for p in periods] == [
            dt.date(2024, 4, 1), dt.date(2024, 7, 1), dt.date(2024, 9, 30), dt.date(2024, 12, 31)]
        assert [cadence.period_label(rule, p) for p in periods] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
        assert cadence.due_at(rule, periods[0], cal).time() == dt.time(18, 0)


def test_S000_10_quarters_collection_lists_that_quarters_archived_design_drafts(org_a, org_b, client_as):
    """S000-10: 定期外宣品设计稿资料收集 -- the quarter's collection starts from the SC-006 requests archived (approved)
    in that quarter, local time: one row per request with its design-draft files. Not a request archived in
    another quarter, not one still in review, not another tenant's."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from marketing.demo import membership_of
    from reports.submissions import prefill
    from reports.submissions.models import SubmissionRule

    sh = ZoneInfo("Asia/Shanghai")
    spring = _archived_design(org_a, "春季折页", dt.datetime(2026, 2, 10, 10, tzinfo=sh), files=("a.pdf", "b.pdf"))
    last_day = _archived_design(org_a, "三月海报", dt.datetime(2026, 3, 31, 23, 30, tzinfo=sh))
    _archived_design(org_a, "去年展架", dt.datetime(2025, 12, 31, 23, 30, tzinfo=sh))
    _archived_design(org_a, "四月宣传册", dt.datetime(2026, 4, 1, 0, 30, tzinfo=sh))
    _archived_design(org_a, "审阅中", dt.datetime(2026, 3, 2, 10, tzinfo=sh), finish=False)
    _archived_design(org_b, "乙公司折页", dt.datetime(2026, 3, 2, 10, tzinfo=sh))
    with org_a.scope():
        rule = SubmissionRule.objects.get(tenant=org_a.tenant, code="design_drafts_quarterly")
        data = prefill.initial_for(rule=rule, period=dt.date(2026, 3, 31), branch=None,
                                   membership=membership_of(org_a.users["mspec"]))
    assert data == {"drafts": [
        {"number": spring.number, "title": "春季折页", "material": "折页", "files": "a.pdf、b.pdf", "archived": "2026-02-10"},
        {"number": last_day.number, "title": "三月海报", "material": "折页", "files": "draft.pdf",
         "archived": "2026-03-31"},
    ]}
    # The filing page starts from it.
    page = client_as(org_a.users["mspec"]).get(f"/plans/rules/{rule.pk}/submit/?period=2026-03-31")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{spring.number}"' in html and 'value="a.pdf、b.pdf"' in html and "乙公司折页" not in html


SC007 = {"activity": "技术交流会", "period": ["2026-04-10", "2026-04-11"]}


def test_S004_24_sc007_activity_types(org_a):
    """S004-24: advertising, public activities, product exhibitions, technical exchange meetings."""
    with org_a.scope():
        field = next(f for f in _template(org_a, "SC-007").versions.get().fields if f["key"] == "activity")
    assert (
        field["options"] == ["广告宣传", "公共活动", "产品展销", "技术交流会"] and field["required"] is True
    )


@pytest.mark.parametrize(
    ("nature", "route"), [("特殊", [("总经理批准", "gm"), ("活动记录与效果评估", "mspec")]),
                          ("常规", [("产品市场部经理批准", "mdirector"), ("活动记录与效果评估", "mspec")])]
)
def test_S004_25_S001_21_sc007_special_to_gm_routine_to_product_marketing_manager(org_a, nature, route):
    """S004-25: special → GM, routine → 产品市场部经理 (fallback 市场营销总监: S001-21, the budgeted activity is
    approved by the marketing director)."""
    assert _chain(org_a, "SC-007") == [
        ("总经理批准", "", "approve", "tenant", "nature == 特殊"),
        ("产品市场部经理批准", "产品市场部经理", "approve", "tenant", "nature == 常规"),
        ("活动记录与效果评估", "市场经理", "record", "tenant", ""),
    ]
    assert _fields(org_a, "SC-007")["budget"] == ("活动预算", "money", True)
    req = _file(org_a, "SC-007", {**SC007, "nature": nature, "budget": "8000"})
    assert req.values["budget"] == "8000.00"
    assert _walk(org_a, req) == route


@pytest.mark.parametrize("budget", [None, "", "0", "-5"])
def test_S004_25_S001_21_sc007_activity_budget_is_required_and_positive(org_a, budget):
    """S004-25 / S001-21: 每项推广活动的费用要有预算并经审批 -- a new tenant's shipped SC-007 requires the
    activity budget, a positive amount, checked by the service whatever the browser sends: no budget (or
    zero, or a negative one) is a field error on 活动预算 and files nothing."""
    from django.core.exceptions import ValidationError

    from marketing.workflows.models import FormRequest

    raw = {**SC007, "nature": "常规"}
    if budget is not None:
        raw["budget"] = budget
    with pytest.raises(ValidationError) as exc:
        _file(org_a, "SC-007", raw)
    expected = "此项必填。" if budget in (None, "") else ("请填写大于 0 的金额。" if budget == "0" else "金额不能为负数。")
    assert exc.value.message_dict == {"budget": [expected]}
    with org_a.scope():
        assert not FormRequest.objects.filter(tenant=org_a.tenant, template__code="SC-007").exists()


def test_S004_25_S001_21_sc007_form_page_shows_the_budget_error_and_files_with_one(org_a, client_as):
    """S004-25 / S001-21: on the form page a missing budget is shown on the field (nothing filed); with the
    budget the special activity is filed and goes to the GM as before."""
    from marketing.workflows.models import FormRequest

    from .helpers import pending_people

    sc7 = _template(org_a, "SC-007")
    client = client_as(org_a.users["sales"])
    post = {"op": "submit", "title": "经销商大会", "branch": str(org_a.branches["A1"].pk), "v-activity": "公共活动",
            "v-nature": "特殊", "v-period-start": "2026-06-01", "v-period-end": "2026-06-02"}
    page = client.post(f"/workflows/templates/{sc7.pk}/new/", post)
    assert page.status_code == 200 and "此项必填。" in page.content.decode()
    with org_a.scope():
        assert not FormRequest.objects.filter(tenant=org_a.tenant, template=sc7).exists()
    response = client.post(f"/workflows/templates/{sc7.pk}/new/", {**post, "v-budget": "260000"})
    with org_a.scope():
        req = FormRequest.objects.get(tenant=org_a.tenant, template=sc7)
    assert response.status_code == 302 and response["Location"] == f"/workflows/requests/{req.pk}/"
    assert req.values["budget"] == "260000.00"
    assert pending_people(org_a, req) - {"allroles"} == {"gm"}


def test_S004_25_S001_21_existing_tenants_sc007_form_is_left_as_it_was(org_a):
    """S004-25 / S001-21: the requirement is in the shipped definition (new tenants, 'install missing shipped
    forms'); a tenant's form that already exists -- here one whose published version still has an optional
    budget -- is not rewritten by the install, and its requests without a budget still file."""
    from marketing.workflows import services
    from marketing.workflows.setup import ensure_shipped

    sc7 = _template(org_a, "SC-007")
    with org_a.scope():
        version = sc7.versions.get()
        fields = [{**f, "required": False} if f["key"] == "budget" else f for f in version.fields]
        services.draft_save(template=sc7, actor=org_a.users["admin"], fields=fields)
        services.version_publish(template=sc7, actor=org_a.users["admin"])
        assert ensure_shipped(tenant=org_a.tenant, actor=org_a.users["admin"]) == []
    req = _file(org_a, "SC-007", {**SC007, "nature": "常规"})
    assert "budget" not in req.values


def test_S004_26_sc007_activity_plan_attachment(org_a):
    """S004-26: the activity plan (市场活动策划书) is filed with the request."""
    assert _fields(org_a, "SC-007")["plan"] == ("市场活动策划书", "attachment", False)


def test_S004_29_sc008_technical_service_request_of_type_training(org_a):
    """S004-29: 技术服务申请单, service type 培训, from the customers' or staff's needs."""
    with org_a.scope():
        fields = {f["key"]: f for f in _template(org_a, "SC-008").versions.get().fields}
    assert fields["service"]["options"] == ["培训"] and fields["service"]["required"] is True
    assert (fields["needs"]["label"], fields["needs"]["required"]) == ("需求说明", True)


def test_S004_30_S004_31_sc008_review_assign_plan_approve(org_a):
    """S004-30: 产品市场部经理 approves and assigns to the 市场经理; S004-31: the plan is recorded by the 市场经理
    and approved by the 产品市场部经理."""
    assert _chain(org_a, "SC-008") == [
        ("产品市场部经理审核并安排", "产品市场部经理", "approve", "tenant", ""),
        ("市场经理制定培训计划", "市场经理", "record", "tenant", ""),
        ("产品市场部经理审批培训计划", "产品市场部经理", "approve", "tenant", ""),
        ("收集培训调查表并总结", "市场经理", "record", "tenant", ""),
        ("产品市场部经理审阅培训总结", "产品市场部经理", "approve", "tenant", ""),
    ]
    _staff(org_a, "市场经理", "ops")
    req = _file(org_a, "SC-008", {"service": "培训", "audience": "顾问", "needs": "话术"})
    assert _walk(org_a, req) == [
        ("产品市场部经理审核并安排", "mdirector"),
        ("市场经理制定培训计划", "ops"),
        ("产品市场部经理审批培训计划", "mdirector"),
        ("收集培训调查表并总结", "ops"),
        ("产品市场部经理审阅培训总结", "mdirector"),
    ]


def test_S003_01_marketing_staff_director_supervisor_salespeople(org_a):
    """S003-01: 市场部总监 and 业务员 are roles; 市场主管 is a position (岗位) that signs where the seed says so
    (the departure handover), falling back to the marketing director while nobody holds it."""
    from marketing.people.approvals import DEFAULT_CHAIN
    from marketing.roles import Role

    assert (Role.MARKETING_DIRECTOR.label, Role.SALESPERSON.label) == ("市场营销总监", "销售")
    step = next(s for s in DEFAULT_CHAIN if s.position == "市场主管")
    assert (step.name, step.role) == ("市场部主管签字", Role.MARKETING_DIRECTOR)
    with org_a.scope():
        position = approvals.position_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="市场主管")
    assert position.name == "市场主管"


def _comments(org, req) -> list[tuple[str, str]]:
    from marketing.approvals.models import ApprovalTask, TaskStatus

    with org.scope():
        return list(
            ApprovalTask.objects.filter(
                flow__document_type=f"form:{req.template_id}", flow__object_id=req.pk, status=TaskStatus.APPROVED
            )
            .order_by("step__position")
            .values_list("step__name", "comment")
        )


def test_S004_27_S001_22_sc007_activity_recorded_and_evaluated_before_it_closes(org_a):
    """S004-27: once the plan is approved it is carried out and recorded (活动记录); S001-22: the effect is
    evaluated. The approved activity stays 审批中 until the 市场经理 files the record with its evaluation."""
    from marketing.workflows.models import RequestStatus

    from .helpers import approve, pending_people

    _staff(org_a, "市场经理", "ops")
    req = _file(org_a, "SC-007", {**SC007, "nature": "常规", "budget": "8000"})
    approve(org_a, req, "mdirector")
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.SUBMITTED and pending_people(org_a, req) == {"ops"}
    approve(org_a, req, "ops", comment="到场 42 人，意向客户 9 家，签约 2 家；费用 7,600 元")
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert _comments(org_a, req)[-1] == ("活动记录与效果评估", "到场 42 人，意向客户 9 家，签约 2 家；费用 7,600 元")


def test_S004_32_sc008_survey_summary_reported_to_the_product_marketing_manager(org_a):
    """S004-32: after the training the 培训调查表 are collected and summarised (analysis, improvements) by the
    market manager, and the summary is reported to (approved by) the product-marketing manager."""
    from marketing.workflows.models import RequestStatus

    from .helpers import approve, pending_people

    _staff(org_a, "市场经理", "ops")
    req = _file(org_a, "SC-008", {"service": "培训", "audience": "顾问", "needs": "话术"})
    for persona in ("mdirector", "ops", "mdirector"):
        approve(org_a, req, persona)
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.SUBMITTED and pending_people(org_a, req) == {"ops"}
    approve(org_a, req, "ops", comment="回收调查表 18 份，满意度 4.6/5；改进：增加案例演练")
    assert pending_people(org_a, req) - {"allroles"} == {"mdirector"}  # the fallback role (all-roles walker aside)
    approve(org_a, req, "mdirector", comment="总结已阅")
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert [name for name, _c in _comments(org_a, req)][-2:] == ["收集培训调查表并总结", "产品市场部经理审阅培训总结"]
    assert _comments(org_a, req)[-2][1] == "回收调查表 18 份，满意度 4.6/5；改进：增加案例演练"
