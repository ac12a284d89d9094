"""Login, throttling, language, logout; each is audited."""

from django.urls import reverse

from conftest import TEST_PASSWORD
from marketing.models import AuditEvent


def test_login_success_is_audited_with_ip(org_a, client):
    user = org_a.users["bgm"]
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302 and response["Location"] == "/"
    with org_a.scope():
        event = AuditEvent.objects.get(verb="auth.login")
    assert event.actor == user and event.ip_address == "10.1.2.3"


def test_failed_login_is_audited_in_the_users_tenant(org_a, client):
    user = org_a.users["bgm"]
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="auth.login_failed", actor=user).count() == 1


def test_repeated_failures_lock_the_account_out(org_a, client, settings):
    user = org_a.users["sales"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    locked = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "登录尝试过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only_and_audited(org_a, client):
    user = org_a.users["bgm"]
    client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="auth.logout", actor=user).exists()
    assert client.get("/").status_code == 302


def test_chinese_is_default_and_english_switchable(org_a, client_as):
    client = client_as(org_a.users["admin"])
    page = client.get(reverse("marketing:users")).content.decode()
    assert "用户与角色" in page and 'lang="zh-hans"' in page
    client.post(reverse("set_language"), {"language": "en", "next": "/m/users/"})
    page = client.get(reverse("marketing:users")).content.decode()
    assert 'lang="en"' in page and "Users and roles" in page


def test_browser_language_does_not_override_chinese_default(org_a, client_as):
    client = client_as(org_a.users["admin"])
    page = client.get(reverse("marketing:users"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "用户与角色" in page
