"""S001-36: after approval the list goes to the 行政部 / 销售部经理助理, who arranges the reception;
S001-38: as few guests per reception as possible (a policy limit)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from expenses.hospitality import services
from marketing.approvals import services as approvals
from marketing.notifications.models import Message

from .helpers import TUESDAY, apply, approved_app, at, guests, venue
from .test_policy import new_version


@pytest.fixture
def v(org_a):
    return venue(org_a)


@pytest.mark.django_db
def test_s001_36_approved_list_goes_to_the_arranger_who_records_the_booking(org_a, v, client_as):
    with at(TUESDAY):
        app = approved_app(org_a, v)
    with org_a.scope():
        # Without a 行政部 position the 总经理助理 arranges; the message carries the guest list.
        sent = Message.objects.get(kind="hospitality.arrange", user=org_a.users["gmassist"])
        assert "客户1（北方汽车服务）" in sent.body and app.number in sent.subject
        with pytest.raises(PermissionDenied):
            services.application_mark_arranged(app=app, actor=org_a.users["sales"], note="订好了")
        with pytest.raises(ValidationError) as exc:
            services.application_mark_arranged(app=app, actor=org_a.users["gmassist"], note=" ")
        assert exc.value.code == "note_required"
    client = client_as(org_a.users["gmassist"])
    page = client.get(f"/hospitality/applications/{app.pk}/").content.decode()
    assert "登记招待安排" in page
    r = client.post(f"/hospitality/applications/{app.pk}/arranged/", {"note": "东方饭店 3 号包间 18:00"})
    assert r.status_code == 302
    with org_a.scope():
        app.refresh_from_db()
        assert (app.arranged_by, app.arrangement_note) == (org_a.users["gmassist"], "东方饭店 3 号包间 18:00")
        assert Message.objects.filter(kind="hospitality.arrange", user=org_a.users["sales"]).exists()
        with pytest.raises(ValidationError) as exc:
            services.application_mark_arranged(app=app, actor=org_a.users["gmassist"], note="again")
        assert exc.value.code == "already_arranged"


@pytest.mark.django_db
def test_s001_36_a_position_holder_arranges_instead_and_can_open_the_application(org_a, v, client_as):
    with org_a.scope():
        position = approvals.position_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="行政部")
        approvals.position_assign(position=position, actor=org_a.users["admin"], user=org_a.users["hr"])
    with at(TUESDAY):
        app = approved_app(org_a, v)
    with org_a.scope():
        assert [u.pk for u in services.arrangers(org_a.tenant, app.branch)] == [org_a.users["hr"].pk]
    # HR has no hospitality capability, yet opens the application sent to them -- only that.
    assert client_as(org_a.users["hr"]).get(f"/hospitality/applications/{app.pk}/").status_code == 200
    with at(TUESDAY):
        other = apply(org_a, v)  # not approved yet
    assert client_as(org_a.users["hr"]).get(f"/hospitality/applications/{other.pk}/").status_code == 404


@pytest.mark.django_db
def test_s001_38_guests_per_reception_limited_by_policy(org_a, v):
    with at(TUESDAY):
        new_version(org_a, TUESDAY, max_guests=2)
        with pytest.raises(ValidationError) as exc:
            apply(org_a, v, guest_list=guests(3), companion_count=0, expected_diners=3)
        assert exc.value.code == "too_many_guests" and "最多 2 位" in exc.value.messages[0]
        assert apply(org_a, v, guest_list=guests(2), companion_count=0, expected_diners=2).pk
