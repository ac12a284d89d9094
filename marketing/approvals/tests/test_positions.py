"""Positions (岗位) a tenant defines itself, who holds them where, and chain steps that name a
position ("the 大客户部经理 of the document's region") or a person. Tenant A: regions RA1
(branches A1, A2) and RA2 (A3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from expenses.tests.helpers import make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.models import Position, PositionHolder, StepScope
from marketing.approvals.registry import StepSpec
from marketing.approvals.selectors import chain_for, people_for, position_holders
from marketing.models import AuditEvent
from marketing.roles import Role

pytestmark = pytest.mark.django_db

KEY = "expenses.request"


def _position(org, name="大客户部经理", **kwargs):
    with org.scope():
        return approvals.position_create(tenant=org.tenant, actor=org.users["admin"], name=name, **kwargs)


def _assign(org, position, persona, region=None, branch=None):
    with org.scope():
        return approvals.position_assign(
            position=position, actor=org.users["admin"], user=org.users[persona],
            region=org.regions[region] if region else None, branch=org.branches[branch] if branch else None,
        )


def _chain(org, *steps):
    with org.scope():
        approvals.chain_save(tenant=org.tenant, actor=org.users["admin"], key=KEY, steps=list(steps))


def _names(org, expense):
    return {t.assignee.pk for t in pending(org, expense)}


def test_region_step_goes_to_the_position_holder_of_the_documents_region(org_a):
    kam = _position(org_a)
    _assign(org_a, kam, "ops", region="RA1")
    _assign(org_a, kam, "hr", region="RA2")
    _chain(org_a, StepSpec(name="大客户部经理审批", position="大客户部经理", scope=StepScope.REGION))

    in_ra1 = make_expense(org_a, applicant="sales2", branch="A2")
    in_ra2 = make_expense(org_a, applicant="allroles", branch="A3")
    assert _names(org_a, in_ra1) == {org_a.users["ops"].pk}
    assert _names(org_a, in_ra2) == {org_a.users["hr"].pk}


def test_a_region_without_a_holder_escalates_to_the_tenant_wide_holder(org_a):
    kam = _position(org_a)
    _assign(org_a, kam, "ops", region="RA1")
    _assign(org_a, kam, "design")  # tenant-wide
    _chain(org_a, StepSpec(name="大客户部经理审批", position="大客户部经理", scope=StepScope.REGION))
    assert _names(org_a, make_expense(org_a, applicant="allroles", branch="A3")) == {org_a.users["design"].pk}
    assert _names(org_a, make_expense(org_a, branch="A1")) == {org_a.users["ops"].pk}


def test_branch_step_prefers_the_branch_then_its_region_then_the_tenant(org_a):
    manager = _position(org_a, "市场主管")
    _assign(org_a, manager, "gm", branch="A2")
    _assign(org_a, manager, "ops", region="RA1")
    _assign(org_a, manager, "hr")
    _chain(org_a, StepSpec(name="市场主管审核", position="市场主管", scope=StepScope.BRANCH))
    assert _names(org_a, make_expense(org_a, applicant="sales2", branch="A2")) == {org_a.users["gm"].pk}
    assert _names(org_a, make_expense(org_a, branch="A1")) == {org_a.users["ops"].pk}
    assert _names(org_a, make_expense(org_a, applicant="allroles", branch="A3")) == {org_a.users["hr"].pk}


def test_tenant_step_takes_only_tenant_wide_holders(org_a):
    td = _position(org_a, "技术总监")
    _assign(org_a, td, "ops", region="RA1")
    _assign(org_a, td, "design")
    _chain(org_a, StepSpec(name="技术总监审批", position="技术总监"))
    assert _names(org_a, make_expense(org_a, branch="A1")) == {org_a.users["design"].pk}


def test_a_position_nobody_holds_falls_back_to_the_role(org_a):
    _position(org_a, "技术总监")
    _chain(org_a, StepSpec(name="技术总监审批", position="技术总监", role=Role.FINANCE))
    # "allroles" holds every role, finance included.
    assert _names(org_a, make_expense(org_a)) == {org_a.users["finance"].pk, org_a.users["allroles"].pk}


def test_a_tier_held_only_by_the_applicant_escalates(org_a):
    kam = _position(org_a)
    _assign(org_a, kam, "sales", region="RA1")
    _assign(org_a, kam, "design")
    with org_a.scope():
        kam = Position.objects.get(pk=kam.pk)
        region = org_a.regions["RA1"]
        people = position_holders(tenant=org_a.tenant, position=kam, scope=StepScope.REGION, region=region,
                                  exclude_id=org_a.users["sales"].pk)
        assert [u.pk for u in people] == [org_a.users["design"].pk]
        # Without an exclusion the region's own holder is the answer.
        people = position_holders(tenant=org_a.tenant, position=kam, scope=StepScope.REGION, region=region)
        assert [u.pk for u in people] == [org_a.users["sales"].pk]


def test_an_inactive_holder_or_position_signs_nothing(org_a):
    from marketing import services as platform
    from marketing.demo import membership_of

    kam = _position(org_a)
    _assign(org_a, kam, "ops", region="RA1")
    _assign(org_a, kam, "hr", region="RA1")
    region = org_a.regions["RA1"]
    with org_a.scope():
        people = people_for(tenant=org_a.tenant, scope=StepScope.REGION, position=kam, region=region)
        assert {u.pk for u in people} == {org_a.users["ops"].pk, org_a.users["hr"].pk}
        platform.user_set_active(membership=membership_of(org_a.users["ops"]), actor=org_a.users["admin"],
                                 active=False)
        people = people_for(tenant=org_a.tenant, scope=StepScope.REGION, position=kam, region=region)
        assert [u.pk for u in people] == [org_a.users["hr"].pk]
        kam = approvals.position_update(position=kam, actor=org_a.users["admin"], name=kam.name, is_active=False)
        assert people_for(tenant=org_a.tenant, scope=StepScope.REGION, position=kam, region=region) == []


def test_a_named_person_step(org_a):
    named = (org_a.users["exec"].pk, org_a.users["hr"].pk)
    _chain(org_a, StepSpec(name="执行董事与人事会签", user_ids=named, mode="all"))
    expense = make_expense(org_a)
    assert _names(org_a, expense) == set(named)
    with org_a.scope():
        assert chain_for(tenant=org_a.tenant, key=KEY)[0].user_ids == named


def test_chain_round_trips_the_position_by_name(org_a):
    _position(org_a)
    _chain(org_a, StepSpec(name="大客户部经理审批", position="大客户部经理", scope=StepScope.REGION,
                           role=Role.REGIONAL_MANAGER))
    with org_a.scope():
        spec = chain_for(tenant=org_a.tenant, key=KEY)[0]
    assert (spec.position, spec.scope, spec.role) == ("大客户部经理", "region", Role.REGIONAL_MANAGER)


def test_chain_save_refuses_unknown_positions_people_and_empty_approvers(org_a, org_b):
    _position(org_b, "只在乙公司")
    cases = [
        (StepSpec(name="x", position="不存在的岗位"), "bad_position"),
        (StepSpec(name="x", position="只在乙公司"), "bad_position"),
        (StepSpec(name="x", user_ids=(org_b.users["gm"].pk,)), "bad_user"),
        (StepSpec(name="x"), "no_approver_set"),
    ]
    for spec, code in cases:
        with pytest.raises(ValidationError) as exc:
            _chain(org_a, spec)
        assert exc.value.code == code


def test_position_services_refuse_bad_input_and_audit(org_a, org_b):
    kam = _position(org_a, "  大客户部经理 ", description="负责大客户")
    assert kam.name == "大客户部经理"
    with pytest.raises(ValidationError) as exc:
        _position(org_a, "大客户部经理")  # a double submit creates one position
    assert exc.value.code == "duplicate_position"
    _position(org_b, "大客户部经理")  # the other tenant has its own
    with pytest.raises(ValidationError) as exc:
        _position(org_a, " ")
    assert exc.value.code == "name_required"

    _assign(org_a, kam, "ops", region="RA1")
    with pytest.raises(ValidationError) as exc:
        _assign(org_a, kam, "ops", region="RA1")
    assert exc.value.code == "already_holder"
    _assign(org_a, kam, "ops", region="RA2")  # another region is another assignment
    with pytest.raises(ValidationError) as exc:
        _assign(org_a, kam, "ops", region="RA1", branch="A1")
    assert exc.value.code == "region_and_branch"
    with pytest.raises(ValidationError) as exc, org_a.scope():
        approvals.position_assign(position=kam, actor=org_a.users["admin"], user=org_b.users["gm"])
    assert exc.value.code == "bad_user"
    with pytest.raises(ValidationError) as exc, org_a.scope():
        approvals.position_assign(position=kam, actor=org_a.users["admin"], user=org_a.users["gm"],
                                  branch=org_b.branches["B1"])
    assert exc.value.code == "bad_place"

    with org_a.scope():
        holder = PositionHolder.objects.get(position=kam, region=org_a.regions["RA2"])
        approvals.position_unassign(holder=holder, actor=org_a.users["admin"])
        approvals.position_update(position=kam, actor=org_a.users["admin"], name="大客户经理", description="")
        assert PositionHolder.objects.filter(position=kam).count() == 1
        verbs = list(AuditEvent.objects.filter(tenant=org_a.tenant, verb__startswith="approvals.position")
                     .order_by("id").values_list("verb", flat=True))
    assert verbs == ["approvals.position_create", "approvals.position_assign", "approvals.position_assign",
                     "approvals.position_unassign", "approvals.position_update"]


# --- pages ---------------------------------------------------------------------------------


def test_admin_builds_a_position_in_the_browser(org_a, client_as):
    from django.urls import reverse

    client = client_as(org_a.users["admin"])
    assert client.get(reverse("approvals:positions")).status_code == 200
    first = client.post(reverse("approvals:positions"), {"name": "大客户部经理", "description": "按地区"})
    again = client.post(reverse("approvals:positions"), {"name": "大客户部经理", "description": "按地区"})
    assert first.status_code == 302 and again.status_code == 200
    assert "已存在" in again.content.decode()  # the double submit is refused with a message
    with org_a.scope():
        position = Position.objects.get(tenant=org_a.tenant)
    url = reverse("approvals:position", args=[position.pk])
    bad = client.post(url, {"action": "assign", "user": org_a.users["ops"].pk,
                            "region": org_a.regions["RA1"].pk, "branch": org_a.branches["A1"].pk})
    assert bad.status_code == 200 and "只选其一" in bad.content.decode()
    ok = client.post(url, {"action": "assign", "user": org_a.users["ops"].pk, "region": org_a.regions["RA1"].pk})
    assert ok.status_code == 302
    page = client.get(url).content.decode()
    assert "甲运营" in page and "甲一区" in page
    listing = client.get(reverse("approvals:positions"), {"q": "客户"}).content.decode()
    assert ">大客户部经理</a>" in listing
    assert ">大客户部经理</a>" not in client.get(reverse("approvals:positions"), {"active": "0"}).content.decode()
    assert ">大客户部经理</a>" not in client.get(reverse("approvals:positions"), {"q": "财务"}).content.decode()
    with org_a.scope():
        holder = PositionHolder.objects.get(position=position)
    assert client.post(reverse("approvals:position_holder_remove", args=[holder.pk])).status_code == 302
    with org_a.scope():
        assert not PositionHolder.objects.filter(position=position).exists()
    renamed = client.post(url, {"action": "update", "name": "大客户经理", "description": "", "sort_order": 1})
    assert renamed.status_code == 302
    with org_a.scope():
        position.refresh_from_db()
    assert (position.name, position.is_active) == ("大客户经理", False)  # the unticked box deactivates


def test_positions_pages_need_the_configure_capability(org_a, client_as):
    from django.urls import reverse

    position = _position(org_a)
    client = client_as(org_a.users["sales"])
    assert client.get(reverse("approvals:positions")).status_code in (403, 404)
    assert client.get(reverse("approvals:position", args=[position.pk])).status_code in (403, 404)
