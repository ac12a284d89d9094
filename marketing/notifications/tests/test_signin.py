"""Company sign-in through django-allauth against a local fake OpenID Connect provider:
mapping to existing users by recorded id or verified mobile, never creating a user, only
the tenant's own provider, password sign-in unchanged."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from conftest import TEST_PASSWORD
from marketing.models import AuditEvent, User
from marketing.notifications.models import CompanySignIn, NotificationProfile
from marketing.notifications.views_signin import signin_save

from .fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOIDC

pytestmark = pytest.mark.django_db


@pytest.fixture
def idp():
    with FakeOIDC() as server:
        yield server


def configure(org, idp) -> CompanySignIn:
    with org.scope():
        return signin_save(tenant=org.tenant, actor=org.users["admin"], entry=None, data={
            "kind": "openid_connect", "label": "公司统一身份登录", "client_id": CLIENT_ID, "secret": CLIENT_SECRET,
            "server_url": idp.base, "is_active": True})


def record(org, key, **fields):
    with org.scope():
        profile, _ = NotificationProfile.objects.get_or_create(tenant=org.tenant, user=org.users[key])
        for k, v in fields.items():
            setattr(profile, k, v)
        profile.save()


def sign_in(idp, entry, slug, claims, code="code-1") -> Client:
    """The browser's way: the tenant's page, the provider button (POST), the IdP's answer."""
    client = Client()
    page = client.get(reverse("company_login", args=[slug]))
    assert page.status_code == 200
    start = reverse("openid_connect_login", kwargs={"provider_id": entry.app.provider_id})
    response = client.post(start)
    if response.status_code != 302:
        return client, response
    location = urlsplit(response["Location"])
    assert location.geturl().startswith(idp.base + "/authorize")
    state = parse_qs(location.query)["state"][0]
    idp.users[code] = claims
    callback = reverse("openid_connect_callback", kwargs={"provider_id": entry.app.provider_id})
    return client, client.get(callback, {"code": code, "state": state})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_page_offers_the_tenants_provider_and_password_stays(org_a, idp):
    entry = configure(org_a, idp)
    body = Client().get(reverse("company_login", args=["alpha"])).content.decode()
    assert "公司统一身份登录" in body and reverse("openid_connect_login", kwargs={"provider_id": entry.app.provider_id}) in body
    assert Client().get(reverse("company_login", args=["no-such"])).status_code == 404
    password = Client().post(reverse("login"), {"username": org_a.users["gm"].username, "password": TEST_PASSWORD})
    assert password.status_code == 302


def test_maps_by_recorded_subject(org_a, idp):
    entry = configure(org_a, idp)
    record(org_a, "gm", sso_subject="idp-user-42")
    client, response = sign_in(idp, entry, "alpha", {"sub": "idp-user-42", "name": "甲总经理"})
    assert response.status_code == 302, response.content[:500]
    assert signed_in_as(client) == str(org_a.users["gm"].pk)
    assert idp.token_requests and idp.token_requests[0]["client_secret"] == CLIENT_SECRET
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="notifications.company_signin_linked", actor=org_a.users["gm"]).exists()
    # the second time the link (SocialAccount) is used directly
    client2, response2 = sign_in(idp, entry, "alpha", {"sub": "idp-user-42"}, code="code-2")
    assert signed_in_as(client2) == str(org_a.users["gm"].pk)


def test_maps_by_verified_mobile_only(org_a, idp):
    entry = configure(org_a, idp)
    user = org_a.users["mspec"]
    user.phone = "138-0013-8000"
    user.save(update_fields=["phone"])
    client, _ = sign_in(idp, entry, "alpha", {"sub": "x1", "phone_number": "+86 13800138000", "phone_number_verified": False})
    assert signed_in_as(client) is None  # unverified phone numbers are not trusted
    client, _ = sign_in(idp, entry, "alpha", {"sub": "x1", "phone_number": "+86 13800138000", "phone_number_verified": True},
                        code="code-2")
    assert signed_in_as(client) == str(user.pk)


def test_unknown_account_is_refused_and_no_user_is_created(org_a, idp):
    entry = configure(org_a, idp)
    before = User.objects.count()
    client, response = sign_in(idp, entry, "alpha", {"sub": "stranger", "email": "gm@alpha.test",
                                                      "phone_number": "13999999999", "phone_number_verified": True})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_as(client) is None and User.objects.count() == before
    with scopes_disabled():
        assert AuditEvent.objects.filter(verb="notifications.company_signin_refused").exists()


def test_ambiguous_mobile_is_refused(org_a, idp):
    entry = configure(org_a, idp)
    record(org_a, "gm", mobile="13700000000")
    record(org_a, "exec", mobile="137-0000-0000")
    client, _ = sign_in(idp, entry, "alpha", {"sub": "s", "phone_number": "13700000000", "phone_number_verified": True})
    assert signed_in_as(client) is None


def test_other_tenants_user_and_provider_are_out_of_reach(org_a, org_b, idp):
    entry_a = configure(org_a, idp)
    record(org_b, "gm", sso_subject="shared-sub")
    client, _ = sign_in(idp, entry_a, "alpha", {"sub": "shared-sub"})
    assert signed_in_as(client) is None  # tenant B's member is not matched through tenant A's provider
    # starting tenant A's provider from tenant B's page: the provider is not offered (404)
    client = Client()
    client.get(reverse("company_login", args=["beta"]))
    assert client.post(reverse("openid_connect_login", kwargs={"provider_id": entry_a.app.provider_id})).status_code == 404


def test_inactive_member_cannot_sign_in(org_a, idp):
    entry = configure(org_a, idp)
    record(org_a, "sales", sso_subject="sales-sub")
    with org_a.scope():
        membership = org_a.users["sales"].membership
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    client, _ = sign_in(idp, entry, "alpha", {"sub": "sales-sub"})
    assert signed_in_as(client) is None


def test_admin_pages(org_a, idp, client_as):
    client = client_as(org_a.users["admin"])
    response = client.post(reverse("notifications:signin_create"), {
        "kind": "openid_connect", "label": "统一身份", "client_id": "abc", "secret": "xyz", "server_url": idp.base,
        "is_active": "on"})
    assert response.status_code == 302
    page = client.get(reverse("notifications:signin")).content.decode()
    assert "统一身份" in page and "xyz" not in page and "/login/company/alpha/" in page
    bad = client.post(reverse("notifications:signin_create"), {"kind": "openid_connect", "label": "x", "client_id": "a"})
    assert bad.status_code == 200 and "OpenID Connect 需要填写发现地址" in bad.content.decode()
    member = org_a.users["gm"].membership
    assert client.post(reverse("notifications:member_ids", args=[member.pk]), {"sso_subject": "gm-sub"}).status_code == 302
    with org_a.scope():
        assert NotificationProfile.objects.get(user=org_a.users["gm"]).sso_subject == "gm-sub"
    assert client_as(org_a.users["gm"]).get(reverse("notifications:signin")).status_code == 403


@pytest.mark.parametrize("provider,claims", [
    ("dingtalk", {"openId": "ding-open-1", "unionId": "ding-union-1", "nick": "甲一销售"}),
    ("feishu", {"open_id": "ou_feishu_1", "union_id": "on_1", "name": "甲一销售"}),
])
def test_dingtalk_and_feishu_accounts_map_by_recorded_id(provider, claims, org_a):
    from marketing.notifications.signin import match_member

    record(org_a, "sales", **({"dingtalk_userid": "ding-union-1"} if provider == "dingtalk" else {"feishu_open_id": "ou_feishu_1"}))
    assert match_member(tenant=org_a.tenant, provider=provider, claims=claims) == org_a.users["sales"]
    assert match_member(tenant=org_a.tenant, provider=provider, claims={"openId": "other", "open_id": "other"}) is None


@pytest.mark.parametrize("provider,claims", [
    ("dingtalk", {"openId": "d2", "mobile": "13812345678"}),
    ("feishu", {"open_id": "ou_2", "mobile": "+8613812345678"}),
])
def test_dingtalk_and_feishu_accounts_map_by_mobile(provider, claims, org_a, org_b):
    from marketing.notifications.signin import match_member

    record(org_a, "finance", mobile="138 1234 5678")
    record(org_b, "gm", mobile="13812345678")  # same number in another tenant: never matched from A
    assert match_member(tenant=org_a.tenant, provider=provider, claims=claims) == org_a.users["finance"]
    assert match_member(tenant=org_b.tenant, provider=provider, claims=claims) == org_b.users["gm"]
