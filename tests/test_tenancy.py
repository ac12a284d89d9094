"""Tenant isolation fails closed."""

import pytest
from django.apps import apps
from django.db import models
from django_scopes import ScopeError, scopes_disabled

from marketing.models import AuditEvent, Branch, Membership, TenantOwned
from marketing.tenancy import GLOBAL_MODELS, tenant_scope


def _has_tenant_fk(model) -> bool:
    try:
        field = model._meta.get_field("tenant")
    except Exception:
        return False
    return isinstance(field, models.ForeignKey) and field.related_model._meta.label == "marketing.Tenant"


def test_every_model_is_classified():
    unclassified = []
    for model in apps.get_models(include_auto_created=False):
        label = model._meta.label
        if label in GLOBAL_MODELS:
            assert not _has_tenant_fk(model), f"{label} is listed as global but carries a tenant"
            continue
        if not _has_tenant_fk(model):
            unclassified.append(label)
    assert unclassified == [], (
        "These models carry no tenant FK and are not in marketing.tenancy.GLOBAL_MODELS: "
        f"{unclassified}. Inherit TenantOwned, or list them as global with a reason."
    )


def test_tenant_owned_models_fail_closed_outside_a_scope(org_a):
    scoped = [
        m
        for m in apps.get_models()
        if _has_tenant_fk(m) and m._meta.label not in GLOBAL_MODELS
    ]
    assert Branch in scoped and Membership in scoped
    for model in scoped:
        with pytest.raises(ScopeError):
            list(model.objects.all())


def test_global_listing_is_honest():
    # Every entry names a model that exists, so the list cannot rot silently.
    labels = {m._meta.label for m in apps.get_models()}
    assert labels >= GLOBAL_MODELS, GLOBAL_MODELS - labels


def test_tenant_scope_refuses_none():
    with pytest.raises(ValueError), tenant_scope(None):
        pass


def test_scope_only_sees_its_own_tenant(org_a, org_b):
    with org_a.scope():
        codes = set(Branch.objects.values_list("code", flat=True))
    assert codes == {"A1", "A2", "A3"}
    with org_b.scope():
        assert set(Branch.objects.values_list("code", flat=True)) == {"B1", "B2"}
        assert not Branch.objects.filter(pk=org_a.branches["A1"].pk).exists()


def test_tenantless_audit_events_are_invisible_inside_a_tenant(org_a, client):
    assert TenantOwned._meta.abstract
    client.post("/login/", {"username": "nobody-at-all", "password": "wrong"})
    with scopes_disabled():
        assert AuditEvent.objects.filter(tenant=None, verb="auth.login_failed").count() == 1
    with org_a.scope():
        assert not AuditEvent.objects.filter(verb="auth.login_failed").exists()


def test_deactivated_member_is_logged_out(org_a, client_as):
    from marketing import services

    client = client_as(org_a.users["bgm"])
    assert client.get("/").status_code == 200
    with org_a.scope():
        membership = Membership.objects.get(user=org_a.users["bgm"])
        services.user_set_active(membership=membership, actor=org_a.users["admin"], active=False)
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_inactive_tenant_locks_everyone_out(org_a, client_as):
    client = client_as(org_a.users["admin"])
    org_a.tenant.is_active = False
    org_a.tenant.save(update_fields=["is_active"])
    response = client.get("/m/users/")
    assert response.status_code == 302


def test_superuser_without_tenant_gets_no_tenant_pages(db, client):
    from marketing.models import User

    root = User.objects.create_superuser("root", "root@example.com", "x-very-long-pass")
    client.force_login(root)
    assert client.get("/m/users/").status_code == 403
    assert client.get("/").status_code == 302  # sent to Django admin
    assert client.get("/admin/").status_code == 200
