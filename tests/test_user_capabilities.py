"""The user page ("该用户可以做什么") lists only capabilities that installed code implements
(issue 8): a capability in the role table without any page or check behind it is not shown,
and appears as soon as an app registers a guarded view for it."""

import pytest
from django.urls import reverse

from marketing import roles
from marketing.demo import membership_of
from marketing.roles import CAPABILITY_LABELS, Cap, Role, implemented_capabilities

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


def test_a_promised_capability_is_hidden_until_a_guarded_view_exists(org_a, client_as, monkeypatch):
    """A capability in the role table with nothing behind it (as contracts.request was while
    contracts/ was empty) is not listed; it appears once an app's view module guards a page with it."""
    promised = "test.promised_feature"
    monkeypatch.setattr(roles, "_PROVIDED", set(roles._PROVIDED))
    monkeypatch.setattr(roles, "ALL_CAPABILITIES", roles.ALL_CAPABILITIES | {promised})
    monkeypatch.setitem(roles.CAPABILITY_LABELS, promised, "申领测试物品")
    monkeypatch.setitem(roles.CAPABILITIES, Role.OPERATIONS, roles.CAPABILITIES[Role.OPERATIONS] | {promised})
    page = _page(org_a, client_as, "ops")
    assert promised not in page and "申领测试物品" not in page
    assert "管理产品、合同审核与台账" in page  # what ops really can do is still listed
    from marketing.permissions import tenant_view

    @tenant_view(promised)
    def new_page(request):  # what a new app's view module does when it is imported
        raise AssertionError("not called")

    assert promised in implemented_capabilities()
    assert "申领测试物品" in _page(org_a, client_as, "ops")


def test_salesperson_reach_label_follows_the_tenant_policy(org_a, client_as):
    assert "查询全部客户档案" in _page(org_a, client_as, "sales")
    from marketing import services as platform

    with org_a.scope():
        platform.tenant_settings_update(tenant=org_a.tenant, actor=None, data={"customer_reach_policy": "own"})
    assert "查看本人负责及共享的客户档案" in _page(org_a, client_as, "sales")
