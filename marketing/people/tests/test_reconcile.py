"""Roster reconciliation (new / gone / moved / leave date), the 岗位 → role mapping, invitations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from marketing.audit import AuditEvent
from marketing.models import Membership, User
from marketing.notifications.models import Message
from marketing.people import selectors, services
from marketing.people.models import Departure, Invitation, Transfer, TransferStatus
from marketing.roles import Role
from marketing.selectors import assigned_branch_ids

from .helpers import roster

pytestmark = pytest.mark.django_db


def _by_kind(org):
    with org.scope():
        out = {}
        for p in selectors.reconciliation(tenant=org.tenant):
            out.setdefault(p.kind, []).append(p)
        return out


def _map(org, position="销售代表", role=Role.SALESPERSON):
    with org.scope():
        return services.mapping_save(tenant=org.tenant, actor=org.users["admin"], position=position, role=role)


def test_no_roster_proposes_nothing(org_a):
    assert _by_kind(org_a) == {}


def test_new_gone_moved_and_leave_date(org_a):
    _map(org_a)
    leave = dt.date(2026, 1, 15)
    roster(org_a, [
        ("王新人", "A1", "销售代表", "13900001111", None),   # no account -> new
        ("甲一销售", "A2", "销售代表", "", None),            # account in A1, roster says A2 -> moved
        ("甲二分总", "A2", "分公司经理", "", leave),          # leave date -> departure
        ("甲一出纳", "A1", "出纳", "", None),                # matches, same branch -> nothing
        ("甲一区经理", "A1", "大区经理", "", None),           # matched by name, A1 among their branches -> nothing
        ("甲一分总", "A1", "分公司经理", "", None),
    ])
    kinds = _by_kind(org_a)
    new, = kinds["new"]
    assert (new.name, new.branch_name, new.roles, new.username, new.phone_hint) == (
        "王新人", "甲一分公司", ["salesperson"], "13900001111", "139****1111")
    moved, = kinds["moved"]
    assert (moved.user_id, moved.branch_name, moved.current_branches) == (
        org_a.users["sales"].pk, "甲二分公司", "甲一分公司")
    leaving, = kinds["leaving"]
    assert (leaving.user_id, leaving.leave_date) == (org_a.users["bgm2"].pk, leave)
    # sales2 (A2 salesperson) is not in the roster any more; admins/finance are never expected there
    gone = {p.user_id for p in kinds["gone"]}
    assert gone == {org_a.users["sales2"].pk}


def test_match_by_mobile_beats_name(org_a):
    with org_a.scope():
        user = org_a.users["sales"]
        user.phone = "139-0000-2222"
        user.save(update_fields=["phone"])
    roster(org_a, [("张改名", "A1", "销售代表", "13900002222", None), ("甲二销售", "A2", "销售代表", "", None)])
    kinds = _by_kind(org_a)
    assert "new" not in kinds and "moved" not in kinds  # the renamed person is the same account


def test_unmapped_position_cannot_be_confirmed_then_mapping_fixes_it(org_a):
    roster(org_a, [("王新人", "A1", "业务经理", "13900001111", None)])
    new, = _by_kind(org_a)["new"]
    assert new.roles == []
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        services.reconcile_create_account(tenant=org_a.tenant, actor=org_a.users["admin"], proposal=new)
    assert exc.value.code == "unmapped_position"
    _map(org_a, "业务经理", Role.SALESPERSON)
    new, = _by_kind(org_a)["new"]
    assert new.roles == ["salesperson"]
    # the mapping is editable: the same position mapped again updates in place, audited
    _map(org_a, "业务经理", Role.BRANCH_CASHIER)
    assert _by_kind(org_a)["new"][0].roles == ["branch_cashier"]
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="people.mapping_save").count() == 2


def test_confirm_new_creates_account_without_password_and_invites(org_a, client_as):
    _map(org_a)
    roster(org_a, [("王新人", "A1", "销售代表", "13900001111", None)])
    key = _by_kind(org_a)["new"][0].key
    client = client_as(org_a.users["admin"])
    r = client.post("/m/people/reconcile/", {"row": key, f"email-{key}": "wang@alpha.test"})
    assert r.status_code == 302
    with org_a.scope():
        user = User.objects.get(username="13900001111")
        m = Membership.objects.get(user=user)
        assert user.full_name == "王新人" and not user.has_usable_password()
        assert set(m.role_assignments.values_list("role", flat=True)) == {"salesperson"}
        assert assigned_branch_ids(membership=m) == {org_a.branches["A1"].pk}
        assert AuditEvent.objects.filter(verb="people.reconcile_create", object_id=str(user.pk)).count() == 1
        inv = Invitation.objects.get(user=user)
        msg = Message.objects.get(kind="people.invitation", user=user)
        assert "/m/people/invite/" in msg.link and "初始密码" not in msg.body
    assert "new" not in _by_kind(org_a)  # reconciled
    # the link works once
    token = msg.link.rsplit("/invite/", 1)[1].strip("/")
    assert inv.token_hash != token  # only the hash is stored
    anon = Client()
    page = anon.get(f"/m/people/invite/{token}/")
    assert page.status_code == 200
    r = anon.post(f"/m/people/invite/{token}/", {"password1": "Lang-Ma!2026x", "password2": "Lang-Ma!2026x"})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Lang-Ma!2026x")
    assert anon.get(f"/m/people/invite/{token}/").status_code == 404  # used


def test_invitation_expires_and_a_new_one_revokes_the_old(org_a):
    user = org_a.users["sales"]
    with org_a.scope():
        _inv1, path1 = services.invitation_create(tenant=org_a.tenant, actor=org_a.users["admin"], user=user)
        inv2, path2 = services.invitation_create(tenant=org_a.tenant, actor=org_a.users["admin"], user=user)
    token1, token2 = path1.split("/")[-2], path2.split("/")[-2]
    assert services.invitation_for_token(token1) is None  # revoked by the second
    assert services.invitation_for_token(token2).pk == inv2.pk
    with org_a.scope():
        Invitation.objects.filter(pk=inv2.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.invitation_for_token(token2) is None
    assert services.invitation_for_token("nonsense") is None


def test_weak_password_is_a_form_error(org_a, client):
    with org_a.scope():
        _inv, path = services.invitation_create(tenant=org_a.tenant, actor=org_a.users["admin"],
                                                user=org_a.users["sales"])
    r = client.post(path, {"password1": "123", "password2": "123"})
    assert r.status_code == 200 and "error" in r.content.decode()
    assert services.invitation_for_token(path.split("/")[-2]) is not None  # not consumed


def test_confirm_leaving_and_moved_in_bulk(org_a, client_as):
    leave = dt.date(2026, 1, 15)
    roster(org_a, [("甲一销售", "A2", "销售代表", "", None), ("甲二分总", "A2", "分公司经理", "", leave),
                   ("甲二销售", "A2", "销售代表", "", None)])
    kinds = _by_kind(org_a)
    keys = [kinds["moved"][0].key, kinds["leaving"][0].key]
    r = client_as(org_a.users["admin"]).post("/m/people/reconcile/", {"keys": keys})
    assert r.status_code == 302
    with org_a.scope():
        d = Departure.objects.get(user=org_a.users["bgm2"])
        assert d.last_day == leave and d.filed_by == org_a.users["admin"]
        t = Transfer.objects.get(user=org_a.users["sales"])
        assert t.status == TransferStatus.APPLIED and t.to_branch == org_a.branches["A2"]
        assert assigned_branch_ids(membership=Membership.objects.get(user=org_a.users["sales"])) == {
            org_a.branches["A2"].pk}
        assert AuditEvent.objects.filter(verb__in=["people.departure_file", "people.transfer_create"]).count() == 2


def test_only_people_managers_reconcile(org_a, client_as):
    for persona in ("bgm", "sales", "finance"):
        assert client_as(org_a.users[persona]).get("/m/people/reconcile/").status_code == 403
    assert client_as(org_a.users["hr"]).get("/m/people/reconcile/").status_code == 200
    assert client_as(org_a.users["bgm"]).get("/m/people/mappings/").status_code == 403


def test_reconciliation_page_queries_do_not_grow_with_rows(org_a, client_as, django_assert_max_num_queries):
    _map(org_a)
    roster(org_a, [(f"新人{i}", "A1" if i % 2 else "A2", "销售代表", f"1390000{i:04d}", None) for i in range(40)])
    client = client_as(org_a.users["admin"])
    with django_assert_max_num_queries(16):
        r = client.get("/m/people/reconcile/")
    # 40 new people + the six branch-role accounts absent from this roster (bgm, bgm2, cashier, rm, sales, sales2)
    assert r.status_code == 200 and r.content.decode().count('name="keys"') == 46
