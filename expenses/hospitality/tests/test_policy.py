"""Versioned per-tenant policy and the designated venues (seed 001: 试行一季度, 定点招待)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from expenses.hospitality import services
from expenses.hospitality.models import HospitalityPolicy, Venue
from marketing.audit import AuditEvent
from marketing.roles import Role

from .helpers import TUESDAY, approved_app, at, claim, line, venue


def new_version(org, effective, **data):
    base = {"effective_from": effective, "applicant_roles": [Role.SALESPERSON], "advance_working_days": 1,
            "allow_local_guests": False, "require_progress": True, "extra_dishes": 1,
            "lodging_per_room_night": D("300.00"), "max_companions_per_guest": 1, "emergency_working_days": 2,
            "note": "试行调整"}
    base.update(data)
    with org.scope():
        return services.policy_create(tenant=org.tenant, actor=org.users["admin"], data=base)


def test_first_version_is_the_seed_defaults(org_a):
    with org_a.scope():
        p = services.policy_in_force(tenant=org_a.tenant, day=TUESDAY)
    assert p.version == 1
    assert (p.advance_working_days, p.allow_local_guests, p.extra_dishes, p.emergency_working_days) == (1, False, 1, 2)
    assert set(p.applicant_roles) == {Role.SALESPERSON, Role.REGIONAL_MANAGER, Role.BRANCH_GM}


def test_versions_by_effective_date_and_per_tenant(org_a, org_b):
    with at(TUESDAY):
        v2 = new_version(org_a, TUESDAY + dt.timedelta(days=5), extra_dishes=2)
    assert v2.version == 2
    with org_a.scope():
        assert services.policy_in_force(tenant=org_a.tenant, day=TUESDAY + dt.timedelta(days=4)).version == 1
        assert services.policy_in_force(tenant=org_a.tenant, day=TUESDAY + dt.timedelta(days=5)).pk == v2.pk
        assert AuditEvent.objects.filter(tenant=org_a.tenant, verb="hospitality.policy_create").count() == 1
    with org_b.scope():
        assert services.policy_in_force(tenant=org_b.tenant, day=TUESDAY + dt.timedelta(days=9)).extra_dishes == 1


def test_a_version_cannot_start_in_the_past_or_twice_on_one_day(org_a):
    with at(TUESDAY):
        with pytest.raises(ValidationError) as e:
            new_version(org_a, TUESDAY - dt.timedelta(days=1))
        assert e.value.code == "past_effective"
        new_version(org_a, TUESDAY + dt.timedelta(days=1))
        with pytest.raises(ValidationError) as e:
            new_version(org_a, TUESDAY + dt.timedelta(days=1))
        assert e.value.code == "duplicate_effective"
        with pytest.raises(ValidationError) as e:
            new_version(org_a, TUESDAY + dt.timedelta(days=2), applicant_roles=[])
        assert e.value.code == "no_roles"


def test_each_claim_records_the_version_it_was_judged_under(org_a):
    """Policy v2 (dishes = diners + 2) starts the day after a meal judged under v1."""
    v = venue(org_a)
    with at(TUESDAY):
        app = approved_app(org_a, v)  # meal on Wednesday 11th
        new_version(org_a, TUESDAY + dt.timedelta(days=2), extra_dishes=2)  # from Thursday 12th
    with at(TUESDAY + dt.timedelta(days=1), 20):
        c = claim(org_a, app, [line("dish", "400.00", 4)], diners=2)
    # v1: 2 diners -> 3 dishes; 4 ordered: 400 × 1 ÷ 4 = 100.00 personal
    assert c.policy.version == 1 and c.personal_share == D("100.00")
    with org_a.scope():
        assert HospitalityPolicy.objects.filter(tenant=org_a.tenant).count() == 2


def test_venue_rules(org_a, org_b):
    v = venue(org_a)
    with org_a.scope():
        with pytest.raises(ValidationError) as e:
            services.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], data={
                "name": "东方饭店", "city": "上海", "address": "x", "serves_meals": True, "serves_lodging": False,
                "is_active": True})
        assert e.value.code == "duplicate_venue"
        with pytest.raises(ValidationError) as e:
            services.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], data={
                "name": "空", "city": "上海", "address": "x", "serves_meals": False, "serves_lodging": False,
                "is_active": True})
        assert e.value.code == "no_service"
    venue(org_b, name="东方饭店", city="上海")  # another tenant may use the same name
    with org_a.scope():
        assert Venue.objects.filter(tenant=org_a.tenant).count() == 1
        services.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], venue=v, data={"is_active": False})
        assert not Venue.objects.get(pk=v.pk).is_active


def test_policy_pages(org_a, org_b, client_as):
    admin = client_as(org_a.users["admin"])
    assert admin.get("/hospitality/policy/").status_code == 200
    assert client_as(org_a.users["finance"]).get("/hospitality/policy/").status_code == 200
    assert client_as(org_a.users["sales"]).get("/hospitality/policy/").status_code == 403
    with at(TUESDAY):
        r = admin.post("/hospitality/policy/new/", {
            "effective_from": "2026-03-20", "applicant_roles": ["salesperson"], "advance_working_days": "1",
            "extra_dishes": "1", "lodging_per_room_night": "350.00", "max_companions_per_guest": "2",
            "emergency_working_days": "3", "note": "二季度"})
        assert r.status_code == 302, r.content.decode()[:2000]
        bad = admin.post("/hospitality/policy/new/", {
            "effective_from": "2026-03-01", "applicant_roles": ["salesperson"], "advance_working_days": "1",
            "extra_dishes": "1", "lodging_per_room_night": "350.00", "max_companions_per_guest": "2",
            "emergency_working_days": "3"})
        assert bad.status_code == 200 and "生效日期不能早于今天" in bad.content.decode()
    with org_a.scope():
        assert list(HospitalityPolicy.objects.filter(tenant=org_a.tenant).values_list("version", flat=True)) == [2, 1]
    r = admin.post("/hospitality/venues/new/", {"name": "金桥酒店", "city": "上海", "address": "金桥路 8 号",
                                                "serves_meals": "on", "is_active": "on"})
    assert r.status_code == 302
    with org_b.scope():
        other = services.venue_save(tenant=org_b.tenant, actor=org_b.users["admin"], data={
            "name": "乙店", "city": "沈阳", "address": "x", "serves_meals": True, "serves_lodging": False,
            "is_active": True})
    assert admin.get(f"/hospitality/venues/{other.pk}/").status_code == 404
