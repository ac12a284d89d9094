"""Curious insiders (issue 9), inside one tenant: the audit log, access requests, client IPs,
approval flows one takes no part in."""

import pytest
from django.urls import reverse

from customers.models import AccessAction, CustomerAccessLog
from customers.tests.conftest import make_contact, make_customer
from expenses.tests.helpers import make_expense

pytestmark = pytest.mark.django_db

NAME = "上海永达大众汽车销售服务有限公司"


def _reads(org, user, action=AccessAction.HISTORY):
    with org.scope():
        return CustomerAccessLog.objects.filter(user=user, action=action).count()


def test_audit_log_hides_confidential_customer_events_from_the_tenant_admin(org_a, client_as):
    customer = make_customer(org_a, name=NAME)
    make_contact(org_a, customer)
    admin = org_a.users["admin"]
    page = client_as(admin).get(reverse("marketing:audit")).content.decode()
    assert NAME not in page and "李经理" not in page and "021-64001234" not in page
    assert "客户档案（保密）" in page and "无权查看" in page
    assert _reads(org_a, admin) == 0  # nothing was shown, nothing logged


def test_audit_log_shows_customer_events_to_a_reader_with_reach_and_logs_the_read(org_a, client_as):
    customer = make_customer(org_a, name=NAME)
    gm = org_a.users["gm"]
    page = client_as(gm).get(reverse("marketing:audit")).content.decode()
    assert NAME in page
    with org_a.scope():
        assert CustomerAccessLog.objects.filter(user=gm, customer=customer, action=AccessAction.HISTORY).exists()


def test_audit_label_filter_does_not_search_customer_names_without_reach(org_a, client_as):
    make_customer(org_a, name=NAME)
    admin_page = client_as(org_a.users["admin"]).get(reverse("marketing:audit"), {"object_label": "永达"})
    assert list(admin_page.context["page"]) == []  # no "a customer of that name exists" oracle
    gm = org_a.users["gm"]
    gm_page = client_as(gm).get(reverse("marketing:audit"), {"object_label": "永达"})
    assert len(gm_page.context["page"]) >= 1 and _reads(org_a, gm) == 1


def test_audit_log_hides_expense_bank_accounts_from_who_cannot_open_the_request(org_a, client_as):
    expense = make_expense(org_a, payee_account="6222021000099999")
    admin_page = client_as(org_a.users["admin"]).get(reverse("marketing:audit")).content.decode()
    assert "6222021000099999" not in admin_page and "（保密）" in admin_page
    assert expense.number in admin_page  # the label is not confidential
    gm_page = client_as(org_a.users["gm"]).get(reverse("marketing:audit")).content.decode()
    assert "6222021000099999" in gm_page


def test_access_request_by_phone_does_not_reveal_the_name_before_approval(org_a, client_as):
    from customers.models import CustomerAccessRequest
    from marketing.approvals import services as approvals
    from marketing.approvals.models import ApprovalTask, TaskStatus
    from marketing.models import AuditEvent

    customer = make_customer(org_a, name=NAME)
    finance = org_a.users["finance"]
    client = client_as(finance)
    miss = client.post(reverse("customers:request_create"), {"customer_phone": "021-99990000", "reason": "核对合同", "days": 3})
    assert miss.status_code == 200
    response = client.post(reverse("customers:request_create"),
                           {"customer_phone": "021-64001234", "reason": "核对该客户的合同申领", "days": 3})
    assert response.status_code == 302
    with org_a.scope():
        doc = CustomerAccessRequest.objects.get()
        lookups = list(AuditEvent.objects.filter(verb="customers.access_request_lookup", actor=finance)
                       .values_list("after", flat=True))
        assert CustomerAccessLog.objects.filter(user=finance, customer=customer,
                                                action=AccessAction.PHONE_SEARCH).count() == 1
    assert sorted(a["found"] for a in lookups) == [False, True]
    for url in [response["Location"], reverse("customers:requests"), reverse("approvals:mine")]:
        page = client.get(url).content.decode()
        assert NAME not in page, url
    assert "批准后显示" in client.get(response["Location"]).content.decode()
    assert NAME in client_as(org_a.users["gm"]).get(response["Location"]).content.decode()  # the decider sees it
    with org_a.scope():
        task = ApprovalTask.objects.get(flow__object_id=doc.pk, flow__document_type="customers.access_request",
                                        assignee=org_a.users["gm"], status=TaskStatus.PENDING)
        approvals.approval_approve(task=task, actor=org_a.users["gm"], comment="同意")
    assert NAME in client.get(response["Location"]).content.decode()


# --- one client-IP resolver -----------------------------------------------------------------


@pytest.mark.parametrize(("trusted", "forwarded", "remote", "expected"), [
    (0, "6.6.6.6", "10.0.0.9", "10.0.0.9"),  # no proxy configured: the header is the client's own text
    (1, "6.6.6.6, 203.0.113.7", "10.0.0.9", "203.0.113.7"),  # the proxy appended the real client
    (1, "203.0.113.7", "10.0.0.9", "203.0.113.7"),
    (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "10.0.0.9", "203.0.113.7"),
    (2, "203.0.113.7", "10.0.0.9", "10.0.0.9"),  # fewer hops than proxies: never trust client text
    (1, "not-an-ip", "10.0.0.9", "10.0.0.9"),
    (1, "", "10.0.0.9", "10.0.0.9"),
])
def test_client_ip_trusts_only_the_configured_proxies(settings, rf, trusted, forwarded, remote, expected):
    from marketing.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = trusted
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected


def test_audit_access_log_and_axes_use_the_same_resolver(settings, org_a, client_as):
    from axes.helpers import get_client_ip_address
    from django.test import RequestFactory

    from marketing.models import AuditEvent

    settings.TRUSTED_PROXY_COUNT = 1
    spoof = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7", "REMOTE_ADDR": "10.0.0.9"}
    assert get_client_ip_address(RequestFactory().get("/", **spoof)) == "203.0.113.7"
    customer = make_customer(org_a)
    client_as(org_a.users["sales"]).get(reverse("customers:detail", args=[customer.pk]), **spoof)
    with org_a.scope():
        assert CustomerAccessLog.objects.get(customer=customer).ip_address == "203.0.113.7"
    from django.test import Client

    Client().post(reverse("login"), {"username": "nobody", "password": "wrong"}, **spoof)
    assert AuditEvent._base_manager.filter(verb="auth.login_failed").latest("id").ip_address == "203.0.113.7"


# --- approval flows one takes no part in --------------------------------------------------------


def test_tenant_admin_may_follow_a_flow_but_not_comment_or_download(org_a, client_as,
                                                                   django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from expenses.tests.helpers import flow_of
    from marketing.approvals.models import ApprovalComment

    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    act = reverse("approvals:act", args=[flow.pk])
    with django_capture_on_commit_callbacks(execute=True):
        # the first signer of seed 000's chain (marketing) takes part in the flow and comments
        client_as(org_a.users["mspec"]).post(act, {"action": "comment", "comment": "见附件",
                                                 "attachment": SimpleUploadedFile("方案.pdf", b"%PDF-1.4 x")})
    with org_a.scope():
        note = ApprovalComment.objects.get(flow=flow)
    admin = client_as(org_a.users["admin"])
    assert admin.get(reverse("approvals:flow", args=[flow.pk])).status_code == 200  # following is allowed
    assert admin.post(act, {"action": "comment", "comment": "管理员插话"}).status_code == 403
    assert admin.get(reverse("approvals:comment_file", args=[note.pk])).status_code == 403
    with org_a.scope():
        assert ApprovalComment.objects.filter(flow=flow).count() == 1
    # the people in the flow still can
    assert client_as(org_a.users["sales"]).get(reverse("approvals:comment_file", args=[note.pk])).status_code == 200
