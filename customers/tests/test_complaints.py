"""S001-27 客户投诉记录 on the customer's record, and S002-10 (first half): a deal that fails
is not marked lost without its reason."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import Complaint, ComplaintStatus, Customer, Stage
from marketing.models import AuditEvent
from marketing.notifications.models import Message


@pytest.fixture
def customer(org_a):
    with org_a.scope():
        return services.customer_create(tenant=org_a.tenant, actor=org_a.users["sales"], data={
            "name": "宁波丰田4S", "branch": org_a.branches["A1"], "owner": org_a.users["sales"]})


@pytest.mark.django_db
def test_s001_27_record_follow_up_and_close_a_complaint(org_a, org_b, customer, client_as):
    client = client_as(org_a.users["sales"])
    r = client.post(f"/customers/{customer.pk}/complaints/new/", {
        "received_on": "2026-11-18", "complainant": "王经理", "content": "理赔审核超过两周",
        "department": "claims", "handler": org_a.users["finance"].pk})
    assert r.status_code == 302
    with org_a.scope():
        complaint = Complaint.objects.get()
        assert (complaint.status, complaint.handler, complaint.recorded_by) == (
            ComplaintStatus.OPEN, org_a.users["finance"], org_a.users["sales"])
        message = Message.objects.get(kind="customers.complaint", user=org_a.users["finance"])
        assert "宁波丰田4S" not in message.body  # the handler may not read the archive: no name in the mail
        assert AuditEvent.objects.filter(verb="customers.complaint_create").count() == 1
    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "理赔审核超过两周" in detail and "处理中" in detail
    listing = client.get("/customers/complaints/?status=open").content.decode()
    assert "宁波丰田4S" in listing
    # The handler (finance, without archive reach) sees and closes it; another tenant gets a 404.
    handler = client_as(org_a.users["finance"])
    assert handler.get(f"/customers/complaints/{complaint.pk}/close/").status_code == 200
    assert client_as(org_b.users["allroles"]).get(f"/customers/complaints/{complaint.pk}/close/").status_code == 404
    bad = handler.post(f"/customers/complaints/{complaint.pk}/close/", {"outcome": "已加急", "closed_on": "2026-11-01"})
    assert "办结日期不能早于投诉日期" in bad.content.decode()
    assert handler.post(f"/customers/complaints/{complaint.pk}/close/",
                        {"outcome": "已协调理赔加急，客户满意", "closed_on": "2026-11-20"}).status_code == 302
    with org_a.scope():
        complaint.refresh_from_db()
        assert (complaint.status, complaint.closed_on) == (ComplaintStatus.CLOSED, dt.date(2026, 11, 20))
        with pytest.raises(ValidationError) as exc:
            services.complaint_close(complaint=complaint, actor=org_a.users["finance"], outcome="again",
                                     closed_on=dt.date(2026, 11, 21))
        assert exc.value.code == "already_closed"


@pytest.mark.django_db
def test_complaint_export_is_logged_and_formula_safe(org_a, customer, client_as):
    import io

    from openpyxl import load_workbook

    with org_a.scope():
        services.complaint_create(customer=customer, actor=org_a.users["mdirector"], data={
            "received_on": dt.date(2026, 11, 18), "complainant": "", "content": "=HYPERLINK(\"http://x\")",
            "department": "sales", "handler": org_a.users["sales"]})
    response = client_as(org_a.users["mdirector"]).get("/customers/complaints/export/")
    ws = load_workbook(io.BytesIO(response.content)).active
    cell = ws.cell(3, 5)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
    with org_a.scope():
        from customers.models import CustomerAccessLog

        assert CustomerAccessLog.objects.filter(customer=customer, user=org_a.users["mdirector"]).exists()


@pytest.mark.django_db
def test_s002_10_lost_needs_a_reason(org_a, customer, client_as):
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.customer_update(customer=customer, actor=org_a.users["sales"], data={"stage": Stage.LOST})
        assert exc.value.error_dict["lost_reason"][0].code == "lost_reason_required"
        services.customer_update(customer=customer, actor=org_a.users["sales"],
                                 data={"stage": Stage.LOST, "lost_reason": "价格高于厂家延保"})
        assert Customer.objects.get(pk=customer.pk).lost_reason == "价格高于厂家延保"
    with org_a.scope():
        other = services.customer_create(tenant=org_a.tenant, actor=org_a.users["sales"], data={
            "name": "余姚修理厂", "branch": org_a.branches["A1"], "owner": org_a.users["sales"]})
    page = client_as(org_a.users["sales"]).post(f"/customers/{other.pk}/edit/", {
        "name": "余姚修理厂", "industry": "repair_shop", "stage": "lost", "lost_reason": "",
        "branch": org_a.branches["A1"].pk, "owner": org_a.users["sales"].pk})
    assert page.status_code == 200 and "标为“已流失”时请写明失败原因" in page.content.decode()
