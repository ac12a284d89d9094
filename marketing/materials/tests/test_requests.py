"""Branch material requests (S000-06): 分公司提申请 → 市场营销部审核 → 总部供应; reach."""

import pytest
from django.core.exceptions import ValidationError

from marketing.materials import services
from marketing.materials.models import MaterialRequest, RequestStatus, StockMovement
from marketing.notifications.models import Message

from .helpers import approve, approved_request, line_ids, make_material, make_request, pending

pytestmark = pytest.mark.django_db


def test_request_approval_dispatch_receipt(org_a, django_capture_on_commit_callbacks):
    """S000-06 end to end: branch applies, branch GM then marketing approve, HQ dispatches
    (partly, then the rest: each a stock movement), the branch confirms each receipt."""
    poster = make_material(org_a, "P1", stock=10)
    leaflet = make_material(org_a, "L1", stock=500)
    req = make_request(org_a, [(poster, 12, "车展"), (leaflet, 200, "门店")])
    assert req.status == RequestStatus.SUBMITTED
    assert {t.step.name for t in pending(org_a, req)} == {"分总审核"}
    approve(org_a, req, "bgm")
    assert {t.step.name for t in pending(org_a, req)} == {"市场营销部审核"}
    approve(org_a, req, "mspec")
    with org_a.scope():
        req.refresh_from_db()
        assert req.status == RequestStatus.APPROVED
        # marketing is told there is something to send, with a link to the request
        note = Message.objects.filter(kind="materials.to_dispatch", user=org_a.users["mspec"]).get()
        assert note.link.endswith(f"/materials/requests/{req.pk}/") and req.number in note.subject
    ids = line_ids(org_a, req)
    with org_a.scope():
        first = services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={ids["P1"]: 10,
                                          ids["L1"]: 200}, courier="顺丰", waybill="SF1")
        req.refresh_from_db()
        assert req.status == RequestStatus.PARTIAL
        poster.refresh_from_db()
        leaflet.refresh_from_db()
        assert (poster.on_hand, leaflet.on_hand) == (0, 300)
        assert sorted(StockMovement.objects.filter(shipment=first).values_list("delta", flat=True)) == [-200, -10]
        told = set(Message.objects.filter(kind="materials.dispatched").values_list("user__username", flat=True))
        assert told == {org_a.users[p].username for p in ("sales", "bgm", "allroles")}  # applicant + A1's GMs
        # the third poster and the second's stock: refused with the reason, nothing written
        with pytest.raises(ValidationError) as exc:
            services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={ids["P1"]: 2})
        assert exc.value.code == "insufficient_stock"
        assert StockMovement.objects.filter(shipment__request=req).count() == 2
        services.stock_receive(material=poster, actor=org_a.users["mspec"], quantity=5)
        second = services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={ids["P1"]: 2})
        req.refresh_from_db()
        assert req.status == RequestStatus.DISPATCHED
        poster.refresh_from_db()
        assert poster.on_hand == 3
    from marketing.demo import membership_of

    sales = org_a.users["sales"]
    with org_a.scope():
        services.shipment_receive(shipment=first, membership=membership_of(sales), actor=sales)
        req.refresh_from_db()
        assert req.status == RequestStatus.DISPATCHED  # one shipment still on its way
        with pytest.raises(ValidationError) as exc:
            services.shipment_receive(shipment=first, membership=membership_of(sales), actor=sales)
        assert exc.value.code == "already_received"
        services.shipment_receive(shipment=second, membership=membership_of(sales), actor=sales)
        req.refresh_from_db()
        assert req.status == RequestStatus.RECEIVED


def test_over_dispatch_and_dispatch_before_approval_are_refused(org_a):
    m = make_material(org_a, "P1", stock=100)
    req = make_request(org_a, [(m, 5, "")])
    ids = line_ids(org_a, req)
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={ids["P1"]: 5})
        assert exc.value.code == "not_dispatchable"
    approve(org_a, req, "bgm")
    approve(org_a, req, "mspec")
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={ids["P1"]: 6})
        assert exc.value.code == "over_requested"
        with pytest.raises(ValidationError) as exc:
            services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={})
        assert exc.value.code == "nothing_to_dispatch"
        m.refresh_from_db()
        assert m.on_hand == 100


def test_branch_gm_applying_is_not_their_own_approver(org_a):
    m = make_material(org_a, "P1", stock=1)
    req = make_request(org_a, [(m, 1, "")], applicant="bgm")
    # A1's other GM holder (allroles) signs; the applicant never approves their own request.
    assert {(t.step.name, t.assignee_id) for t in pending(org_a, req)} == {("分总审核", org_a.users["allroles"].pk)}


def test_rejection_and_close(org_a):
    m = make_material(org_a, "P1", stock=1)
    req = make_request(org_a, [(m, 1, "")])
    from marketing.approvals import services as approvals

    task = pending(org_a, req)[0]
    with org_a.scope():
        approvals.approval_reject(task=task, actor=org_a.users["bgm"], reason="本月已领")
        req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED
    other = approved_request(org_a, [(m, 3, "")])
    with org_a.scope():
        with pytest.raises(ValidationError):
            services.request_close(req=other, actor=org_a.users["mspec"], reason="")
        services.request_close(req=other, actor=org_a.users["mspec"], reason="不再印刷")
        other.refresh_from_db()
        assert other.status == RequestStatus.CLOSED
        assert Message.objects.filter(kind="materials.closed", user=org_a.users["sales"]).exists()


def test_branch_orders_only_what_it_may(org_a):
    """A material listed for region RA2 (branch A3) cannot be requested by A1."""
    m = make_material(org_a, "R2", stock=10, regions=[org_a.regions["RA2"]])
    with pytest.raises(ValidationError) as exc:
        make_request(org_a, [(m, 1, "")])
    assert exc.value.code == "material_not_allowed"
    inactive = make_material(org_a, "OFF", stock=10, active=False)
    with pytest.raises(ValidationError):
        make_request(org_a, [(inactive, 1, "")])
    only_a1 = make_material(org_a, "B1", stock=10, branches=[org_a.branches["A1"]])
    make_request(org_a, [(only_a1, 1, "")])
    with pytest.raises(ValidationError):
        make_request(org_a, [(only_a1, 1, "")], applicant="sales2", branch="A2")


def test_branch_may_only_request_for_its_own_branch(org_a):
    m = make_material(org_a, "P1", stock=1)
    with pytest.raises(ValidationError) as exc:
        make_request(org_a, [(m, 1, "")], applicant="sales", branch="A2")
    assert exc.value.code == "branch_not_allowed"
    with org_a.scope():
        assert not MaterialRequest.objects.exists()


def test_other_branch_cannot_confirm_receipt(org_a):
    from marketing.demo import membership_of

    m = make_material(org_a, "P1", stock=5)
    req = approved_request(org_a, [(m, 2, "")])
    with org_a.scope():
        shipment = services.request_dispatch(req=req, actor=org_a.users["mspec"],
                                             quantities={line_ids(org_a, req)["P1"]: 2})
        outsider = org_a.users["bgm2"]
        with pytest.raises(ValidationError) as exc:
            services.shipment_receive(shipment=shipment, membership=membership_of(outsider), actor=outsider)
        assert exc.value.code == "not_branch"


def test_tenant_edits_the_chain_and_a_new_approver_can_open_the_request(org_a, client_as):
    """The default chain (分总 → 市场专员) is tenant configuration: add finance, and finance (no
    materials capability) can open the request it is asked to sign; others still cannot."""
    from django.urls import reverse

    from marketing.approvals import services as approvals
    from marketing.approvals.registry import StepSpec
    from marketing.materials.approvals import DEFAULT_CHAIN, KEY
    from marketing.roles import Role

    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key=KEY,
                             steps=[*DEFAULT_CHAIN, StepSpec(name="财务确认", role=Role.FINANCE)])
    m = make_material(org_a, "P1", stock=5)
    req = make_request(org_a, [(m, 1, "")])
    url = reverse("materials:request_detail", kwargs={"pk": req.pk})
    assert client_as(org_a.users["finance"]).get(url).status_code == 404  # not on the chain yet
    approve(org_a, req, "bgm")
    approve(org_a, req, "mspec")
    assert {t.step.name for t in pending(org_a, req)} == {"财务确认"}
    assert client_as(org_a.users["finance"]).get(url).status_code == 200
    assert client_as(org_a.users["hr"]).get(url).status_code == 404
    approve(org_a, req, "finance")
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED


def test_every_state_change_is_audited(org_a):
    from marketing.demo import membership_of
    from marketing.models import AuditEvent

    m = make_material(org_a, "P1", stock=5)
    req = approved_request(org_a, [(m, 2, "")])
    with org_a.scope():
        shipment = services.request_dispatch(req=req, actor=org_a.users["mspec"],
                                             quantities={line_ids(org_a, req)["P1"]: 2})
        services.shipment_receive(shipment=shipment, membership=membership_of(org_a.users["sales"]),
                                  actor=org_a.users["sales"])
        events = list(AuditEvent.objects.filter(object_type="materials.MaterialRequest", object_id=str(req.pk))
                      .order_by("id").values_list("verb", "after__status"))
    assert [v for v, _s in events] == [
        "materials.request_create", "materials.request_approved", "materials.request_dispatch",
        "materials.request_status", "materials.shipment_receive", "materials.request_status"]
    assert [s for v, s in events if v in ("materials.request_approved", "materials.request_status")] == [
        "approved", "dispatched", "received"]


def test_home_cards(org_a, client_as):
    from django.test import RequestFactory

    from marketing.demo import membership_of
    from marketing.materials.dashboard import home_cards

    m = make_material(org_a, "P1", stock=5, low_stock_threshold=10)
    req = approved_request(org_a, [(m, 2, "")])

    def cards(persona):
        request = RequestFactory().get("/")
        request.user = org_a.users[persona]
        request.membership = membership_of(request.user)
        request.tenant = org_a.tenant
        with org_a.scope():
            return {c["title"]: c for c in home_cards(request)}

    mspec = cards("mspec")["物料待发货"]
    assert mspec["value"] == 1 and "低库存物料 1 种" in mspec["hint"]
    assert cards("sales") == {}
    with org_a.scope():
        services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={line_ids(org_a, req)["P1"]: 1})
    assert cards("sales")["物料待签收"]["value"] == 1
    assert cards("mspec")["物料待发货"]["value"] == 1  # partly sent: still to dispatch
