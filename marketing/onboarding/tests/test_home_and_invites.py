"""The checklist's home card for tenant admins, and the invitation links for the accounts made
from the roster (issue 21, follow-up)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_scopes import scopes_disabled

from marketing import services as platform
from marketing.models import Membership
from marketing.onboarding import dashboard, services
from marketing.onboarding.models import TenantSetup
from marketing.onboarding.steps import checklist

pytestmark = pytest.mark.django_db
QUERIES = 11  # measured 10 with six accounts listed


def _request(org, who="admin"):
    request = RequestFactory().get("/")
    request.user = org.users[who]
    request.tenant = org.tenant
    with scopes_disabled():
        request.membership = Membership.objects.get(tenant=org.tenant, user=org.users[who])
        request.membership.capabilities  # noqa: B018  (loaded by the middleware on a real request)
    return request


def _cards(org, who="admin", request=None):
    with org.scope():
        return dashboard.home_cards(request or _request(org, who))


def test_no_card_for_a_tenant_that_did_not_move_in_through_the_checklist(org_a, django_assert_num_queries):
    request = _request(org_a)
    with django_assert_num_queries(1):
        assert _cards(org_a, request=request) == []


def test_card_shows_the_required_steps_done_and_is_cached(org_a, client_as, django_assert_num_queries):
    with org_a.scope():
        services.setup_start(tenant=org_a.tenant)
        required = [s for s in checklist(org_a.tenant) if s.step.required]
    done = sum(1 for s in required if s.settled)
    assert len(required) == 8 and done < 8
    cards = _cards(org_a)
    assert [c["value"] for c in cards] == [f"{done} / 8"]
    assert cards[0]["hint"].startswith(f"开通向导：已完成 {done} / 8 步")
    assert cards[0]["url"] == "/m/setup/"
    request = _request(org_a)
    with django_assert_num_queries(1):  # the TenantSetup row; the checklist comes from the cache
        assert _cards(org_a, request=request) == cards
    assert f"开通向导：已完成 {done} / 8 步" in client_as(org_a.users["admin"]).get("/").content.decode()


def test_no_card_for_other_roles(org_a, django_assert_num_queries):
    with org_a.scope():
        services.setup_start(tenant=org_a.tenant)
    sales, mspec = _request(org_a, "sales"), _request(org_a, "mspec")
    with django_assert_num_queries(0):
        assert _cards(org_a, request=sales) == [] and _cards(org_a, request=mspec) == []


def test_card_goes_away_once_every_required_step_is_settled(org_a, monkeypatch, django_assert_num_queries):
    with org_a.scope():
        services.setup_start(tenant=org_a.tenant)
    monkeypatch.setattr(dashboard, "_progress", lambda tenant: (8, 8, ""))
    assert _cards(org_a) == []
    with scopes_disabled():
        assert TenantSetup.objects.get(tenant=org_a.tenant).completed_at is not None
    monkeypatch.setattr(dashboard, "_progress", lambda tenant: pytest.fail("not computed again"))
    request = _request(org_a)
    with django_assert_num_queries(1):
        assert _cards(org_a, request=request) == []


def _roster_account(org, username="alpha-13800000001", email="zhang@alpha.test"):
    with org.scope():
        user = platform.user_create(tenant=org.tenant, actor=org.users["admin"], username=username, password=None,
                                    full_name="张新人", email=email, roles=["salesperson"],
                                    branches=[next(iter(org.branches.values()))])
    with scopes_disabled():
        return Membership.objects.get(tenant=org.tenant, user=user)


def test_people_step_offers_an_invitation_link_for_accounts_without_a_password(
        org_a, client_as, mailoutbox, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    from marketing.people.models import Invitation

    m = _roster_account(org_a)
    for i in range(5):  # more rows must not mean more queries
        _roster_account(org_a, username=f"alpha-1390000000{i}", email="")
    c = client_as(org_a.users["admin"])
    c.get("/m/setup/people/new/")
    with django_assert_max_num_queries(QUERIES):
        page = c.get("/m/setup/people/new/").content.decode()
    assert "邀请设置密码" in page and "alpha-13800000001" in page and "未邀请" in page
    assert org_a.users["sales"].username not in page  # has a password: nothing to offer
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/m/setup/people/{m.pk}/invite/", follow=True)
    assert r.redirect_chain[-1][0] == "/m/setup/people/new/"
    text = r.content.decode()
    assert "张新人 的设置密码链接" in text and "/people/invite/" in text and "已发送，未使用" in text
    with scopes_disabled():
        inv = Invitation.objects.get(tenant=org_a.tenant, user=m.user)
        assert inv.used_at is None and inv.created_by == org_a.users["admin"]
    # the checklist's people step says how many still have no password
    with org_a.scope():
        people = next(s for s in checklist(org_a.tenant) if s.step.key == "people")
    assert "6 个账号尚未设置密码（可在本步骤生成邀请链接）" in people.found


def test_invitation_of_another_tenants_member_is_404_and_needs_people_manage(org_a, org_b, client_as):
    m_b = _roster_account(org_b, username="beta-13800000009")
    assert client_as(org_a.users["admin"]).post(f"/m/setup/people/{m_b.pk}/invite/").status_code == 404
    m_a = _roster_account(org_a)
    assert client_as(org_a.users["sales"]).post(f"/m/setup/people/{m_a.pk}/invite/").status_code == 403
