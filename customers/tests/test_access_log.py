"""Every read path writes the access log; too many reads in an hour alert the GM once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerAccessLog, ReadAlert

from .conftest import make_customer


def _log(org, **filters):
    with org.scope():
        return list(CustomerAccessLog.objects.filter(tenant=org.tenant, **filters).values_list("action", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "query", "action"),
    [
        ("customers:detail", "", "view"),
        ("customers:detail", "?via=search", "search_open"),
        ("customers:history", "", "history"),
        ("customers:print", "", "print"),
    ],
)
def test_each_read_path_is_logged(org_a, client_as, cust_a, url_name, query, action):
    gm = org_a.users["gm"]
    response = client_as(gm).get(reverse(url_name, args=[cust_a.pk]) + query, REMOTE_ADDR="10.1.2.3",
                                 HTTP_USER_AGENT="pytest-agent")
    assert response.status_code == 200
    with org_a.scope():
        row = CustomerAccessLog.objects.get(tenant=org_a.tenant)
    assert (row.user_id, row.customer_id, row.action, row.ip_address, row.user_agent) == (
        gm.pk, cust_a.pk, action, "10.1.2.3", "pytest-agent")


@pytest.mark.django_db
def test_export_logs_every_exported_customer(org_a, client_as, cust_a):
    second = make_customer(org_a, owner_key="sales2", branch="A2", name="第二个客户")
    response = client_as(org_a.users["exec"]).get(reverse("customers:export"))
    assert response.status_code == 200
    with org_a.scope():
        rows = set(CustomerAccessLog.objects.values_list("customer_id", "action"))
    assert rows == {(cust_a.pk, "export"), (second.pk, "export")}


@pytest.mark.django_db
def test_phone_search_hits_are_logged_and_list_browsing_is_not(org_a, client_as, cust_a):
    make_customer(org_a, name="无关客户", phone="021-99998888")
    client = client_as(org_a.users["gm"])
    client.get(reverse("customers:list"))
    assert _log(org_a) == []
    response = client.get(reverse("customers:list"), {"phone": "138 1234 5678"})  # the contact's mobile
    assert [c.pk for c in response.context["page"]] == [cust_a.pk]
    assert _log(org_a) == ["phone_search"]


@pytest.mark.django_db
def test_log_row_holds_no_personal_values(org_a, client_as, cust_a):
    client_as(org_a.users["gm"]).get(reverse("customers:detail", args=[cust_a.pk]))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {CustomerAccessLog._meta.db_table}")
        raw = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert "13812345678" not in raw and "64001234" not in raw and "天钥桥路" not in raw


@pytest.mark.django_db
def test_denied_read_writes_no_log(org_a, client_as, cust_a):
    assert client_as(org_a.users["finance"]).get(reverse("customers:detail", args=[cust_a.pk])).status_code == 404
    assert _log(org_a) == []


@pytest.mark.django_db
def test_alert_when_hourly_threshold_crossed_sent_once(org_a, client_as, django_capture_on_commit_callbacks):
    tenant = org_a.tenant
    tenant.customer_read_alert_per_hour = 3
    tenant.save()
    customers = [make_customer(org_a, name=f"客户{i}") for i in range(5)]
    client = client_as(org_a.users["exec"])

    def read(customer):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200

    start = timezone.now().replace(minute=10)
    with time_machine.travel(start, tick=False):
        for c in customers[:3]:
            read(c)
        assert mail.outbox == []
        read(customers[3])
        # one e-mail per general manager (gm and allroles hold the role), through the outbox
        assert sorted(m.to[0] for m in mail.outbox) == sorted([org_a.users["allroles"].email, org_a.users["gm"].email])
        assert all(org_a.users["exec"].display_name in m.subject for m in mail.outbox)
        read(customers[4])
        assert len(mail.outbox) == 2  # one alert per user per hour
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        read(customers[0])
        assert len(mail.outbox) == 2  # old reads fell out of the window
    with org_a.scope():
        assert ReadAlert.objects.filter(tenant=tenant).count() == 1
    page = client_as(org_a.users["gm"]).get(reverse("customers:access_log"))
    assert [a.user_id for a in page.context["alerts"]] == [org_a.users["exec"].pk]


@pytest.mark.django_db
def test_access_log_page_roles_and_filters(org_a, org_b, client_as, cust_a):
    client_as(org_a.users["exec"]).get(reverse("customers:detail", args=[cust_a.pk]))
    client_as(org_a.users["sales"]).get(reverse("customers:detail", args=[cust_a.pk]))
    url = reverse("customers:access_log")
    for persona in ["gm", "admin"]:
        response = client_as(org_a.users[persona]).get(url, {"user": org_a.users["exec"].pk})
        assert response.status_code == 200
        assert [r.user_id for r in response.context["page"]] == [org_a.users["exec"].pk]
    response = client_as(org_a.users["gm"]).get(url, {"customer": cust_a.pk})
    assert len(response.context["page"]) == 2
    for persona in ["exec", "mdirector", "sales", "finance"]:
        assert client_as(org_a.users[persona]).get(url).status_code == 403
    # Tenant B's GM sees none of A's rows, and cannot filter by A's user.
    response = client_as(org_b.users["gm"]).get(url)
    assert len(response.context["page"]) == 0
    response = client_as(org_b.users["gm"]).get(url, {"user": org_a.users["exec"].pk})
    assert "user" in response.context["filter"].form.errors


@pytest.mark.django_db
def test_confidential_pages_are_not_cached(org_a, client_as, cust_a):
    client = client_as(org_a.users["gm"])
    for url in [reverse("customers:detail", args=[cust_a.pk]), reverse("customers:print", args=[cust_a.pk]),
                reverse("customers:export")]:
        assert "no-store" in client.get(url)["Cache-Control"], url
