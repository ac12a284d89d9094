"""Seed 003 档案 (4)(6): who queries the customer archive, as a tenant policy, and the access
request open to everyone else; the regional manager's branch reach (issue 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import access, selectors
from customers.models import AccessRequestStatus
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, TaskStatus
from marketing.roles import Cap, Role
from marketing.tenancy import membership_for

from .conftest import make_customer, set_reach_policy

pytestmark = pytest.mark.django_db

PERSONA_ROLE = {
    "admin": Role.TENANT_ADMIN, "gm": Role.GENERAL_MANAGER, "exec": Role.EXECUTIVE_DIRECTOR,
    "gmassist": Role.GM_ASSISTANT, "mdirector": Role.MARKETING_DIRECTOR, "mspec": Role.MARKETING_SPECIALIST,
    "finance": Role.FINANCE, "ops": Role.OPERATIONS, "design": Role.PRODUCT_DESIGN, "hr": Role.HR,
    "bgm": Role.BRANCH_GM, "cashier": Role.BRANCH_CASHIER, "rm": Role.REGIONAL_MANAGER, "sales": Role.SALESPERSON,
}
SEED_QUERY_ROLES = {"exec", "gm", "gmassist", "mdirector", "sales"}  # 执行董事、总经理、总经理助理、市场总监、市场业务员


def test_every_role_is_covered():
    # the marketing supervisor (S003-15) is covered in test_seed_rules_22.py
    assert set(PERSONA_ROLE.values()) | {Role.MARKETING_SUPERVISOR} == set(Role)


@pytest.fixture
def three(org_a):
    """One customer in each of A1 (sales), A2 (sales2), A3 (sales2); rm manages A1 and A2."""
    return {
        "a1": make_customer(org_a, name="甲一客户"),
        "a2": make_customer(org_a, owner_key="sales2", branch="A2", name="甲二客户"),
        "a3": make_customer(org_a, owner_key="sales2", branch="A3", name="甲三客户"),
    }


def _reach(org, persona) -> set[str]:
    with org.scope():
        membership = membership_for(org.users[persona])
        return set(selectors.customer_reach(membership=membership).values_list("name", flat=True))


ALL = {"甲一客户", "甲二客户", "甲三客户"}
SEED_REACH = {**dict.fromkeys(SEED_QUERY_ROLES, ALL), "rm": {"甲一客户", "甲二客户"}}
OWN_REACH = {**SEED_REACH, "sales": {"甲一客户"}}


@pytest.mark.parametrize("policy", ["seed", "own"])
@pytest.mark.parametrize("persona", sorted(PERSONA_ROLE))
def test_s003_16_reach_of_each_role_under_each_policy(org_a, three, persona, policy):
    set_reach_policy(org_a, policy)
    expected = (SEED_REACH if policy == "seed" else OWN_REACH).get(persona, set())
    assert _reach(org_a, persona) == expected


@pytest.mark.parametrize("policy", ["seed", "own"])
@pytest.mark.parametrize("persona", sorted(PERSONA_ROLE))
def test_s003_18_every_role_without_reach_may_request(org_a, persona, policy):
    set_reach_policy(org_a, policy)
    with org_a.scope():
        membership = membership_for(org_a.users[persona])
        whole = selectors.reads_whole_archive(membership)
    assert whole == (persona in SEED_QUERY_ROLES and (policy == "seed" or persona != "sales"))
    assert whole or membership.can(Cap.CUSTOMERS_REQUEST_ACCESS)


def test_s003_18_salesperson_under_own_policy_asks_the_gm(org_a, client_as, three):
    set_reach_policy(org_a, "own")
    sales = client_as(org_a.users["sales"])
    other = three["a2"]
    assert sales.get(reverse("customers:detail", args=[other.pk])).status_code == 404
    response = sales.post(reverse("customers:request_create"), {"customer_name": "甲二客户", "reason": "联合拜访需了解背景", "days": 3})
    assert response.status_code == 302
    with org_a.scope():
        task = ApprovalTask.objects.get(flow__document_type="customers.access_request", status=TaskStatus.PENDING,
                                        assignee=org_a.users["gm"])
        approvals.approval_approve(task=task, actor=org_a.users["gm"], comment="同意")
    assert sales.get(reverse("customers:detail", args=[other.pk])).status_code == 200
    assert _reach(org_a, "sales") == {"甲一客户", "甲二客户"}


def test_s003_16_no_request_for_what_one_already_reads(org_a, three):
    # seed policy: the salesperson reads every customer; own policy: their own one
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        access.access_request_submit(tenant=org_a.tenant, actor=org_a.users["sales"], customer=three["a2"],
                                     reason="想看看背景")
    assert exc.value.code == "already_readable"
    set_reach_policy(org_a, "own")
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            access.access_request_submit(tenant=org_a.tenant, actor=org_a.users["sales"], customer=three["a1"],
                                         reason="我自己的客户")
        assert exc.value.code == "already_readable"
        doc = access.access_request_submit(tenant=org_a.tenant, actor=org_a.users["sales"], customer=three["a2"],
                                           reason="联合拜访准备")
    assert doc.status == AccessRequestStatus.PENDING


def test_policy_change_is_audited_and_on_the_settings_page(org_a, client_as):
    page = client_as(org_a.users["admin"]).get(reverse("marketing:settings")).content.decode()
    assert "客户档案查询权限" in page and "业务员只能查询本人负责的客户" in page
    set_reach_policy(org_a, "own")
    from marketing.models import AuditEvent

    with org_a.scope():
        event = AuditEvent.objects.filter(verb="tenant.settings").latest("id")
    assert event.before == {"customer_reach_policy": "seed"} and event.after == {"customer_reach_policy": "own"}


# --- S001-15: the regional manager keeps the sales files of their branches ---------------------


def test_s001_15_regional_manager_sees_branch_customers_and_visits(org_a, client_as, three):
    from customers import services

    with org_a.scope():
        for key, who in (("a1", "sales"), ("a2", "sales2"), ("a3", "sales2")):
            services.visit_create(customer=three[key], actor=org_a.users[who], data={
                "visited_on": dt.date(2026, 5, 10), "visit_type": "visit", "visited_by": org_a.users[who],
                "needs": f"{key} 需求"})
    rm = client_as(org_a.users["rm"])
    listing = rm.get(reverse("customers:list"))
    assert {c.name for c in listing.context["page"]} == {"甲一客户", "甲二客户"}
    visits = rm.get(reverse("customers:visits"))
    assert sorted(v.customer.name for v in visits.context["page"]) == ["甲一客户", "甲二客户"]
    assert rm.get(reverse("customers:detail", args=[three["a2"].pk])).status_code == 200
    assert rm.get(reverse("customers:detail", args=[three["a3"].pk])).status_code == 404
    assert rm.get(reverse("customers:edit", args=[three["a1"].pk])).status_code == 403  # reads, does not edit
    # the list offers only the branches it reaches, and asking for A3 goes to the GM
    branches = {b.code for b in listing.context["filter"].form.fields["branch"].queryset}
    assert branches == {"A1", "A2"}
    response = rm.post(reverse("customers:request_create"), {"customer_name": "甲三客户", "reason": "区域协调客户跟进", "days": 2})
    assert response.status_code == 302
