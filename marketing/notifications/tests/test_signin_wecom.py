"""企业微信 company sign-in (our own allauth provider) against a local fake WeCom, and the
client secrets of every provider encrypted at rest (issue #16)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from marketing.models import AuditEvent, User
from marketing.notifications.models import CompanySignIn
from marketing.notifications.views_signin import signin_save

from .fake_wecom import AGENT_ID, APP_SECRET, CORP_ID, FakeWeCom
from .test_signin import record, signed_in_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def wecom(settings):
    with FakeWeCom() as server:
        settings.SOCIALACCOUNT_PROVIDERS = {**getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}),
                                            "wecom": {"LOGIN_URL": server.base + "/wwlogin/sso/login",
                                                      "API_BASE": server.base}}
        yield server


def configure(org, secret=APP_SECRET) -> CompanySignIn:
    with org.scope():
        return signin_save(tenant=org.tenant, actor=org.users["admin"], entry=None, data={
            "kind": "wecom", "label": "企业微信登录", "client_id": CORP_ID, "secret": secret, "agent_id": AGENT_ID,
            "server_url": "", "is_active": True})


def scan(wecom, slug, member: dict, code="code-1"):
    """The browser: the tenant's page, the 企业微信 button (POST), WeCom's login page (the
    member scans), back to our callback with the code."""
    client = Client()
    assert client.get(reverse("company_login", args=[slug])).status_code == 200
    start = client.post(reverse("wecom_login"))
    if start.status_code != 302:
        return client, start
    assert start["Location"].startswith(wecom.base + "/wwlogin/sso/login?")
    wecom.members[code], wecom.next_code = member, code
    import requests

    at_wecom = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_wecom.status_code == 302, at_wecom.text  # the fake accepted appid/agentid/redirect_uri/state
    back = urlsplit(at_wecom.headers["Location"])
    assert back.path == reverse("wecom_callback")
    return client, client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


def test_member_signs_in_by_recorded_userid(org_a, wecom):
    configure(org_a)
    record(org_a, "gm", wecom_userid="ZhangSan")
    client, response = scan(wecom, "alpha", {"userid": "ZhangSan"})
    assert response.status_code == 302, response.content[:400]
    assert signed_in_as(client) == str(org_a.users["gm"].pk)
    paths = [p for p, _ in wecom.requests]
    assert paths == ["/wwlogin/sso/login", "/cgi-bin/gettoken", "/cgi-bin/auth/getuserinfo"]
    assert dict(wecom.requests[1][1]) == {"corpid": CORP_ID, "corpsecret": APP_SECRET}
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="notifications.company_signin_linked", actor=org_a.users["gm"]).exists()


def test_unknown_member_outsider_and_wrong_secret_are_refused(org_a, wecom):
    configure(org_a)
    before = User.objects.count()
    client, response = scan(wecom, "alpha", {"userid": "NoSuchPerson"})
    assert signed_in_as(client) is None and response["Location"] == reverse("login")
    client, _ = scan(wecom, "alpha", {"openid": "oOutsider", "external_userid": "wm1"}, code="code-2")
    assert signed_in_as(client) is None
    assert User.objects.count() == before
    with scopes_disabled():
        assert AuditEvent.objects.filter(verb="notifications.company_signin_refused").exists()


def test_wrong_app_secret_is_an_error_page_not_a_login(org_b, wecom):
    configure(org_b, secret="not-the-secret")
    record(org_b, "gm", wecom_userid="Li")
    client, response = scan(wecom, "beta", {"userid": "Li"})
    assert signed_in_as(client) is None and response.status_code == 302 and response["Location"] == reverse("login")
    assert "/cgi-bin/auth/getuserinfo" not in [p for p, _ in wecom.requests]


def test_another_tenants_member_is_not_matched(org_a, org_b, wecom):
    configure(org_a)
    record(org_b, "gm", wecom_userid="Shared")
    client, _ = scan(wecom, "alpha", {"userid": "Shared"})
    assert signed_in_as(client) is None


def test_admin_form_requires_agent_id(org_a, client_as):
    client = client_as(org_a.users["admin"])
    bad = client.post(reverse("notifications:signin_create"), {
        "kind": "wecom", "label": "企业微信", "client_id": CORP_ID, "secret": APP_SECRET, "is_active": "on"})
    assert bad.status_code == 200 and "AgentId" in bad.content.decode()


def test_secrets_are_encrypted_at_rest_and_not_in_allauths_table(org_a):
    entry = configure(org_a)
    with scopes_disabled():
        entry = CompanySignIn.objects.select_related("app").get(pk=entry.pk)
    assert entry.secret == APP_SECRET  # decrypted for the code
    assert entry.app.secret == ""  # allauth's plain-text column stays empty
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM notifications_companysignin WHERE id = %s", [entry.pk])
        raw = cursor.fetchone()[0]
    assert raw and APP_SECRET not in raw


def test_migration_moves_plain_secrets_into_the_encrypted_column(org_a):
    import importlib

    from django.apps import apps

    entry = configure(org_a)
    entry.app.secret = "legacy-plain-secret"
    entry.app.save(update_fields=["secret"])
    with scopes_disabled():
        CompanySignIn.objects.filter(pk=entry.pk).update(secret="")
        migration = importlib.import_module("marketing.notifications.migrations.0003_signin_secret_encrypted_wecom")
        migration.move_secrets_into_encrypted_column(apps, None)
        entry = CompanySignIn.objects.select_related("app").get(pk=entry.pk)
    assert entry.secret == "legacy-plain-secret" and entry.app.secret == ""
