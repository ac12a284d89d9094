"""The "重新发送邀请" button on the marketing user page (people:invite_resend): POST only,
once per submit, audited, sent through notify(); people managers only; reach."""

from __future__ import annotations

import re

import pytest

from marketing.audit import AuditEvent
from marketing.models import Membership
from marketing.notifications.models import Message
from marketing.people.models import Invitation

pytestmark = pytest.mark.django_db


def _token(page: str) -> str:
    return re.search(r'name="submit_token" value="([^"]+)"', page).group(1)


def test_button_sends_a_new_link_once_audited_and_notified(org_a, client_as):
    sales = org_a.users["sales"]
    with org_a.scope():
        m = Membership.objects.get(tenant=org_a.tenant, user=sales)
    client = client_as(org_a.users["admin"])
    page = client.get(f"/m/users/{m.pk}/").content.decode()
    assert f'action="/m/people/members/{m.pk}/invite/"' in page and "重新发送邀请" in page
    token = _token(page[page.index(f'/m/people/members/{m.pk}/invite/'):])
    assert client.get(f"/m/people/members/{m.pk}/invite/").status_code == 405  # POST only
    first = client.post(f"/m/people/members/{m.pk}/invite/", {"submit_token": token})
    assert first.status_code == 302 and first["Location"] == f"/m/users/{m.pk}/"
    again = client.post(f"/m/people/members/{m.pk}/invite/", {"submit_token": token})  # a double click
    assert again.status_code == 302
    with org_a.scope():
        assert Invitation.objects.filter(user=sales).count() == 1
        assert AuditEvent.objects.filter(verb="people.invitation_create", object_id=str(sales.pk)).count() == 1
        msg = Message.objects.get(kind="people.invitation", user=sales)
        assert "/m/people/invite/" in msg.link and "初始密码" not in msg.body
    # a second, deliberate send revokes the first link
    page = client.get(f"/m/users/{m.pk}/").content.decode()
    client.post(f"/m/people/members/{m.pk}/invite/",
                {"submit_token": _token(page[page.index(f'/m/people/members/{m.pk}/invite/'):])})
    with org_a.scope():
        invs = list(Invitation.objects.filter(user=sales).order_by("id"))
        assert len(invs) == 2 and invs[0].revoked_at is not None and invs[1].revoked_at is None


def test_only_people_managers_and_active_members(org_a, org_b, client_as):
    with org_a.scope():
        m = Membership.objects.get(tenant=org_a.tenant, user=org_a.users["sales"])
    # a branch GM has no people.manage: 403, and nothing is sent
    assert client_as(org_a.users["bgm"]).post(f"/m/people/members/{m.pk}/invite/").status_code == 403
    # another tenant's member is a 404
    assert client_as(org_b.users["admin"]).post(f"/m/people/members/{m.pk}/invite/").status_code == 404
    # a disabled account: no button, and the route is a 404
    from marketing.services import user_set_active

    with org_a.scope():
        user_set_active(membership=m, actor=org_a.users["admin"], active=False)
    client = client_as(org_a.users["admin"])
    assert "重新发送邀请" not in client.get(f"/m/users/{m.pk}/").content.decode()
    assert client.post(f"/m/people/members/{m.pk}/invite/").status_code == 404
    with org_a.scope():
        assert not Invitation.objects.filter(user=org_a.users["sales"]).exists()
