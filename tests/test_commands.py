"""create_tenant, seed_demo, Django admin tenant creation, navigation wiring."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from marketing.models import AuditEvent, Branch, Membership, Tenant, User
from marketing.navigation import all_items
from marketing.tenancy import tenant_scope


def test_create_tenant_command_makes_tenant_and_admin(db, capsys):
    call_command("create_tenant", "--name", "丙公司", "--slug", "gamma", "--mailbox", "m@gamma.test",
                 "--admin-username", "gamma_admin", "--admin-password", "Long-enough-pass-1")
    tenant = Tenant.objects.get(slug="gamma")
    admin = User.objects.get(username="gamma_admin")
    assert admin.check_password("Long-enough-pass-1")
    with tenant_scope(tenant):
        assert Membership.objects.get(user=admin).roles == {"tenant_admin"}
        assert AuditEvent.objects.filter(verb="tenant.create").exists()
    assert "Created tenant gamma" in capsys.readouterr().out


def test_create_tenant_refuses_duplicate_slug(db):
    call_command("create_tenant", "--name", "A", "--slug", "dup", "--mailbox", "a@x.test",
                 "--admin-username", "dup1", "--admin-password", "Long-enough-pass-1")
    with pytest.raises(CommandError, match="dup"):
        call_command("create_tenant", "--name", "B", "--slug", "dup", "--mailbox", "b@x.test",
                     "--admin-username", "dup2", "--admin-password", "Long-enough-pass-1")
    assert not User.objects.filter(username="dup2").exists()


def test_seed_demo_is_idempotent(db, capsys):
    call_command("seed_demo")

    def counts():
        with scopes_disabled():
            return (Tenant.objects.count(), User.objects.count(), Branch.objects.count(),
                    Membership.objects.count(), AuditEvent.objects.count())

    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert Tenant.objects.filter(slug__in=["huan", "beichen"]).count() == 2
    with scopes_disabled():
        assert Branch.objects.filter(tenant__slug="huan").count() >= 8
    out = capsys.readouterr().out
    assert "huan_admin" in out and "Demo!2026" in out


def test_django_admin_creates_tenant_with_first_admin(db, client):
    root = User.objects.create_superuser("root", "root@example.com", "Root-pass-long-1")
    client.force_login(root)
    response = client.post(reverse("admin:marketing_tenant_add"), {
        "name": "丁公司", "slug": "delta", "marketing_mailbox": "m@delta.test", "time_zone": "Asia/Shanghai",
        "admin_username": "delta_admin", "admin_password": "Delta-pass-long-1", "admin_email": "",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    tenant = Tenant.objects.get(slug="delta")
    with tenant_scope(tenant):
        assert Membership.objects.get(user__username="delta_admin").roles == {"tenant_admin"}


def test_every_navigation_entry_resolves():
    broken = []
    for item in all_items():
        try:
            reverse(item.url_name)
        except Exception as exc:  # noqa: BLE001 - report every broken entry at once
            broken.append(f"{item.url_name}: {exc}")
    assert broken == []


def test_audit_list_is_per_tenant(org_a, org_b, client_as):
    page = client_as(org_b.users["admin"]).get(reverse("marketing:audit")).content.decode()
    assert "甲" not in page  # tenant A's users and objects never show up in tenant B
    assert "乙" in page
