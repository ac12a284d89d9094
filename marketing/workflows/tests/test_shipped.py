"""The shipped forms (seed 004 §三, shipped.py): every new tenant has them, published, and
each one's route is the seed's. Rule ids from /work/shared/seed-rules.md in the test names."""

from __future__ import annotations

import pytest

from marketing.approvals import services as approvals
from marketing.approvals.models import Position
from marketing.demo import membership_of
from marketing.workflows import services
from marketing.workflows.models import FormTemplate, RequestStatus, VersionStatus
from marketing.workflows.setup import ensure_shipped

from .helpers import approve, pending

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shipped(org_a, org_b):
    """What tenant_created gives a new tenant (switched off for the shared test tenants)."""
    for org in (org_a, org_b):
        with org.scope():
            ensure_shipped(tenant=org.tenant, actor=org.users["admin"])


def _template(org, code):
    with org.scope():
        return FormTemplate.objects.get(tenant=org.tenant, code=code)


def _file(org, code, values, applicant="sales", branch="A1", uploads=None, title="申请"):
    user = org.users[applicant]
    with org.scope():
        return services.request_create(template=_template(org, code), actor=user, membership=membership_of(user),
                                       title=title, branch=org.branches[branch] if branch else None, raw=values,
                                       uploads=uploads or {})


def _walk(org, req) -> list[tuple[str, str]]:
    """Approve step after step (by the first assignee who is not the all-roles walker); the
    (step, persona) route until the request is approved."""
    names = {u.pk: k for k, u in org.users.items()}
    route = []
    for _ in range(20):
        tasks = pending(org, req)
        if not tasks:
            break
        task = next((t for t in tasks if names.get(t.assignee_id) != "allroles"), tasks[0])
        persona = names[task.assignee_id]
        route.append((task.step.name, persona))
        approve(org, req, persona)
    with org.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    return route


def test_S004_03_every_new_tenant_has_the_shipped_forms_published(settings):
    from marketing.services import tenant_create
    from marketing.tenancy import tenant_scope

    settings.WORKFLOWS_SHIP_FORMS = True
    tenant, _admin = tenant_create(name="丙公司", slug="gamma", marketing_mailbox="m@gamma.test",
                                   admin_username="gamma-admin", admin_password="Gamma!pass-2026")
    with tenant_scope(tenant):
        rows = FormTemplate.objects.filter(tenant=tenant).order_by("code")
        assert [t.code for t in rows] == ["SC-001", "SC-002", "SC-003", "SC-005", "SC-006", "SC-007", "SC-008",
                                          "YX-001", "YX-002", "YX-003"]
        assert all(t.versions.get().status == VersionStatus.PUBLISHED for t in rows)
        assert set(Position.objects.filter(tenant=tenant).values_list("name", flat=True)) >= {
            "产品市场部经理", "技术总监", "大客户部经理", "市场经理", "行政助理"}


def test_shipped_forms_are_idempotent_and_edits_survive(org_a):
    with org_a.scope():
        sc7 = _template(org_a, "SC-007")
        services.template_update(template=sc7, actor=org_a.users["admin"], name="市场活动（本公司）")
        assert ensure_shipped(tenant=org_a.tenant) == []
        sc7.refresh_from_db()
        assert sc7.name == "市场活动（本公司）" and FormTemplate.objects.filter(tenant=org_a.tenant).count() == 10


SC001 = {"plan": "华东新品调研", "content": "竞品价格", "budget": "30000"}


def test_S004_04_05_06_07_sc001_routine_research_skips_the_gm_review(org_a):
    req = _file(org_a, "SC-001", {**SC001, "kind": "常规"})
    assert _walk(org_a, req) == [
        ("产品市场部经理审核", "mdirector"), ("事业部经理审批预算", "mdirector"), ("技术总监签准", "design"),
        ("总经理签准", "gm"), ("大客户部经理签准", "rm")]


def test_S004_06_sc001_annual_research_goes_to_the_gm(org_a):
    req = _file(org_a, "SC-001", {**SC001, "kind": "年度"})
    assert [s for s, _p in _walk(org_a, req)] == [
        "产品市场部经理审核", "事业部经理审批预算", "总经理审核签署", "技术总监签准", "总经理签准", "大客户部经理签准"]


def test_S004_08_09_sc002_research_report(org_a):
    req = _file(org_a, "SC-002", {"topic": "客户需求", "findings": "价格敏感"})
    assert _walk(org_a, req) == [("大客户部经理确认调研结果", "rm"), ("产品市场部经理审核调研报告", "mdirector")]


def test_S004_12_13_sc003_promotion_plan(org_a):
    req = _file(org_a, "SC-003", {"goal": "目标", "strategy": "策略", "actions": "行动",
                                  "schedule": ["2026-04-01", "2026-06-30"]})
    assert _walk(org_a, req) == [("部门经理审批", "mdirector"), ("技术总监审批", "design"), ("总经理审批", "gm"),
                                 ("大客户部经理接收执行", "rm")]


def test_S004_18_sc005_pricing(org_a):
    req = _file(org_a, "SC-005", {"product": "延保", "price": "1999", "basis": "成本加成"})
    assert _walk(org_a, req) == [("产品市场部经理审核", "mdirector"), ("总经理审批", "gm")]


SC006 = {"material": "折页", "format": "A4", "content": "卖点", "due": "2026-03-20"}


def test_S004_19_20_21_sc006_design_review_archive_without_printing(org_a):
    req = _file(org_a, "SC-006", {**SC006, "printing": "无需印刷"})
    assert _walk(org_a, req) == [("市场经理设计", "mspec"), ("部门经理审阅设计稿", "mdirector"), ("定稿存档", "mspec")]


def test_S004_22_23_sc006_printing_adds_purchase_printer_and_stock_in(org_a):
    req = _file(org_a, "SC-006", {**SC006, "printing": "需要印刷", "quantity": "5000"})
    assert _walk(org_a, req) == [
        ("市场经理设计", "mspec"), ("部门经理审阅设计稿", "mdirector"), ("定稿存档", "mspec"),
        ("填写印刷采购申请", "mspec"), ("采购部交印刷厂", "ops"), ("印刷完成入库", "gmassist")]


SC007 = {"activity": "技术交流会", "period": ["2026-04-10", "2026-04-11"], "budget": "8000"}  # the budget is required (S004-25)


def test_S004_25_sc007_special_activity_goes_to_the_general_manager(org_a):
    assert _walk(org_a, _file(org_a, "SC-007", {**SC007, "nature": "特殊"})) == [("总经理批准", "gm"),
                                                                             ("活动记录与效果评估", "mspec")]


def test_S004_25_sc007_routine_activity_goes_to_the_product_marketing_manager_position(org_a):
    """With the position staffed, its holder signs (not the fallback role)."""
    with org_a.scope():
        position = Position.objects.get(tenant=org_a.tenant, name="产品市场部经理")
        approvals.position_assign(position=position, actor=org_a.users["admin"], user=org_a.users["exec"])
    assert _walk(org_a, _file(org_a, "SC-007", {**SC007, "nature": "常规"})) == [("产品市场部经理批准", "exec"),
                                                                             ("活动记录与效果评估", "mspec")]


def test_S004_29_30_31_sc008_training(org_a):
    req = _file(org_a, "SC-008", {"service": "培训", "audience": "4S 店顾问", "needs": "新品话术"})
    assert _walk(org_a, req) == [("产品市场部经理审核并安排", "mdirector"), ("市场经理制定培训计划", "mspec"),
                                 ("产品市场部经理审批培训计划", "mdirector"), ("收集培训调查表并总结", "mspec"),
                                 ("产品市场部经理审阅培训总结", "mdirector")]
