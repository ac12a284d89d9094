"""Shared fixtures: two tenants with named personas per role, built through the services.

    def test_x(org_a, org_b, client_as):
        client = client_as(org_a.users["bgm"])         # branch GM of A1
        with org_a.scope():                              # ORM access inside tenant A
            ...

Personas of tenant A (``org_a.users``): admin, gm, exec, gmassist, mdirector, mspec,
finance, ops, design, hr, bgm (A1), bgm2 (A2), cashier (A1), rm (A1+A2), sales (A1),
sales2 (A2), allroles (every role, every branch -- for "the other tenant gets 404" walks).
Tenant B (``org_b.users``): admin, gm, mspec, bgm (B1), sales (B1), allroles.
Branch codes: A: A1, A2 (region RA1), A3 (region RA2). B: B1, B2 (region RB1)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.test import Client

from marketing.demo import PersonaSpec, TenantSpec, build_tenant
from marketing.models import Branch, Region
from marketing.roles import Role
from marketing.tenancy import tenant_scope

ALL_ROLES = [r.value for r in Role]

SPEC_A = TenantSpec(
    slug="alpha",
    name="甲公司",
    mailbox="marketing@alpha.test",
    regions=[
        ("RA1", "甲一区", [("A1", "甲一分公司", "上海"), ("A2", "甲二分公司", "杭州")]),
        ("RA2", "甲二区", [("A3", "甲三分公司", "广州")]),
    ],
    personas=[
        PersonaSpec("admin", "甲管理员", [Role.TENANT_ADMIN]),
        PersonaSpec("gm", "甲总经理", [Role.GENERAL_MANAGER]),
        PersonaSpec("exec", "甲执行董事", [Role.EXECUTIVE_DIRECTOR]),
        PersonaSpec("gmassist", "甲总助", [Role.GM_ASSISTANT]),
        PersonaSpec("mdirector", "甲营销总监", [Role.MARKETING_DIRECTOR]),
        PersonaSpec("mspec", "甲市场专员", [Role.MARKETING_SPECIALIST]),
        PersonaSpec("finance", "甲财务", [Role.FINANCE]),
        PersonaSpec("ops", "甲运营", [Role.OPERATIONS]),
        PersonaSpec("design", "甲产品设计", [Role.PRODUCT_DESIGN]),
        PersonaSpec("hr", "甲人事", [Role.HR]),
        PersonaSpec("bgm", "甲一分总", [Role.BRANCH_GM], ["A1"]),
        PersonaSpec("bgm2", "甲二分总", [Role.BRANCH_GM], ["A2"]),
        PersonaSpec("cashier", "甲一出纳", [Role.BRANCH_CASHIER], ["A1"]),
        PersonaSpec("rm", "甲一区经理", [Role.REGIONAL_MANAGER], ["A1", "A2"]),
        PersonaSpec("sales", "甲一销售", [Role.SALESPERSON], ["A1"]),
        PersonaSpec("sales2", "甲二销售", [Role.SALESPERSON], ["A2"]),
        PersonaSpec("allroles", "甲全能", ALL_ROLES, ["A1", "A2", "A3"]),
    ],
)

SPEC_B = TenantSpec(
    slug="beta",
    name="乙公司",
    mailbox="marketing@beta.test",
    regions=[("RB1", "乙一区", [("B1", "乙一分公司", "沈阳"), ("B2", "乙二分公司", "大连")])],
    personas=[
        PersonaSpec("admin", "乙管理员", [Role.TENANT_ADMIN]),
        PersonaSpec("gm", "乙总经理", [Role.GENERAL_MANAGER]),
        PersonaSpec("mspec", "乙市场专员", [Role.MARKETING_SPECIALIST]),
        PersonaSpec("bgm", "乙一分总", [Role.BRANCH_GM], ["B1"]),
        PersonaSpec("sales", "乙一销售", [Role.SALESPERSON], ["B1"]),
        PersonaSpec("allroles", "乙全能", ALL_ROLES, ["B1", "B2"]),
    ],
)

TEST_PASSWORD = "Test!pass-2026"


@dataclass
class Org:
    tenant: object
    users: dict
    branches: dict
    regions: dict

    def scope(self):
        return tenant_scope(self.tenant)


def _org(spec: TenantSpec) -> Org:
    tenant, users = build_tenant(spec, password=TEST_PASSWORD)
    with tenant_scope(tenant):
        branches = {b.code: b for b in Branch.objects.filter(tenant=tenant).select_related("region")}
        regions = {r.code: r for r in Region.objects.filter(tenant=tenant)}
    return Org(tenant=tenant, users=users, branches=branches, regions=regions)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Build both test tenants once per session; each test's transaction is rolled back, so
    every test starts from the same two tenants. (Transactional tests flush the database;
    ``org_a``/``org_b`` then rebuild them, since ``build_tenant`` is idempotent.)"""
    with django_db_blocker.unblock():
        build_tenant(SPEC_A, password=TEST_PASSWORD)
        build_tenant(SPEC_B, password=TEST_PASSWORD)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Short-lived page caches (marketing/pagecache.py) must not leak between tests: the
    test tenants keep their ids across tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def org_a(db) -> Org:
    return _org(SPEC_A)


@pytest.fixture
def org_b(db) -> Org:
    return _org(SPEC_B)


@pytest.fixture
def client_as(db):
    """``client_as(user)`` -> a test client logged in as ``user`` (Chinese UI unless
    ``language="en"``)."""

    def make(user, language: str | None = None) -> Client:
        from django.conf import settings

        client = Client()
        if language:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        client.force_login(user)
        return client

    return make


def _service_reachable(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def require_postgres(settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)")


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: run with REDIS_URL=redis://127.0.0.1:6379/15 (CI does)")
    return url
