"""The user page ("该用户可以做什么") lists only capabilities that installed code implements
(issue 8): a capability in the role table without any page or check behind it is not shown,
and appears as soon as an app registers a guarded view for it."""

import pytest
from django.urls import reverse

from marketing import roles
from marketing.demo import membership_of
from marketing.roles import CAPABILITY_LABELS, Cap, implemented_capabilities

pytestmark = pytest.mark.django_db


def _page(org, client_as, persona) -> str:
    with org.scope():
        membership = membership_of(org.users[persona])
    return client_as(org.users["admin"]).get(reverse("marketing:user_detail", args=[membership.pk])).content.decode()


def test_implemented_capabilities_come_from_real_guards():
    caps = implemented_capabilities()
    # a few that are implemented by pages/reach rules of this code base
    assert {Cap.EXPENSES_REQUEST, Cap.EXPENSES_PAY, Cap.CUSTOMERS_VIEW_BRANCH, Cap.REPORTS_BOARD_BRANCH,
            Cap.BRANCHES_ALL, Cap.TENANT_MANAGE} <= caps
    assert caps <= roles.ALL_CAPABILITIES


def test_user_page_lists_only_what_exists(org_a, client_as):
    page = _page(org_a, client_as, "sales")
    existing = implemented_capabilities()
    with org_a.scope():
        held = membership_of(org_a.users["sales"]).capabilities
    for cap in held & existing:
        assert cap in page, cap
    missing = held - existing
    for cap in missing:  # e.g. contracts.request while contracts/ has no pages
        assert cap not in page and str(CAPABILITY_LABELS[cap]) not in page, cap
    if Cap.CONTRACTS_REQUEST not in existing:
        assert "申领合同" not in page


def test_a_new_apps_capability_appears_once_it_has_a_guarded_view(org_a, client_as, monkeypatch):
    monkeypatch.setattr(roles, "_PROVIDED", set(roles._PROVIDED))
    from marketing.permissions import tenant_view

    @tenant_view(Cap.CONTRACTS_MANAGE)
    def contracts_page(request):  # what a contracts app's view module does when imported
        raise AssertionError("not called")

    assert Cap.CONTRACTS_MANAGE in implemented_capabilities()
    assert "管理产品、合同审核与台账" in _page(org_a, client_as, "ops")


def test_salesperson_reach_label_follows_the_tenant_policy(org_a, client_as):
    assert "查询全部客户档案" in _page(org_a, client_as, "sales")
    from marketing import services as platform

    with org_a.scope():
        platform.tenant_settings_update(tenant=org_a.tenant, actor=None, data={"customer_reach_policy": "own"})
    assert "查看本人负责及共享的客户档案" in _page(org_a, client_as, "sales")
