"""The register's confidentiality rows, pinned by id on the archive's existing protections
(issue 9, docs/security.md): S003-13 (档案保密，未经授权不得查询) and S001-29 (妥善保管电脑资料，
不泄露销售秘密)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from customers import services
from customers.models import Contact, CustomerAccessLog
from expenses.tests.helpers import make_expense

from .conftest import make_contact, make_customer

pytestmark = pytest.mark.django_db

UNAUTHORISED = ["admin", "mspec", "finance", "ops", "design", "hr", "bgm", "cashier"]


def _log(org):
    with org.scope():
        return sorted(
            CustomerAccessLog.objects.filter(tenant=org.tenant).values_list(
                "user_id", "customer_id", "action"
            )
        )


def _raw(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return " ".join(str(v) for row in cursor.fetchall() for v in row)


@pytest.mark.parametrize("persona", UNAUTHORISED)
def test_S003_13_no_query_of_the_archive_without_authorisation(org_a, client_as, cust_a, persona):
    """S003-13: 档案保密，未经授权不得查询 -- a member without reach finds nothing by any path
    (list, phone search, detail, history, print, export), and nothing is logged as read."""
    client = client_as(org_a.users[persona])
    assert list(client.get(reverse("customers:list")).context["page"]) == []
    assert list(client.get(reverse("customers:list"), {"phone": "138 1234 5678"}).context["page"]) == []
    for name in ("detail", "history"):
        assert client.get(reverse(f"customers:{name}", args=[cust_a.pk])).status_code == 404, name
    # printing needs its own capability (403 without it) and then reach (404)
    assert client.get(reverse("customers:print", args=[cust_a.pk])).status_code in (403, 404)
    assert client.get(reverse("customers:export")).status_code == 403
    assert _log(org_a) == []


def test_S003_13_another_tenant_cannot_query_the_archive(org_a, org_b, client_as, cust_a):
    """S003-13: not even a member holding every role in another tenant."""
    client = client_as(org_b.users["allroles"])
    for name in ("detail", "history", "print"):
        assert client.get(reverse(f"customers:{name}", args=[cust_a.pk])).status_code == 404, name
    assert cust_a.name not in {c.name for c in client.get(reverse("customers:list")).context["page"]}
    assert _log(org_a) == []


def test_S003_13_authorised_reads_are_on_the_record_and_a_grant_opens_one_customer_for_its_term(
    org_a, client_as, cust_a
):
    """S003-13: an authorised reader's every read is logged (who, which customer, how); a time-
    limited grant authorises one customer until it expires."""
    other = make_customer(org_a, name="另一个客户")
    client_as(org_a.users["gm"]).get(reverse("customers:detail", args=[cust_a.pk]))
    client_as(org_a.users["gm"]).get(reverse("customers:history", args=[cust_a.pk]))
    gm = org_a.users["gm"].pk
    assert _log(org_a) == [(gm, cust_a.pk, "history"), (gm, cust_a.pk, "view")]
    finance = org_a.users["finance"]
    client = client_as(finance)
    url = reverse("customers:detail", args=[cust_a.pk])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with org_a.scope():
            services.grant_create(customer=cust_a, actor=org_a.users["gm"], user=finance, days=7)
        assert client.get(url).status_code == 200
        assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 404
    with org_a.scope():
        reads = list(CustomerAccessLog.objects.filter(user=finance).values_list("customer_id", "action"))
    assert reads == [(cust_a.pk, "view")]
    with time_machine.travel(start + timedelta(days=7, seconds=1), tick=False):
        assert client.get(url).status_code == 404


def test_S001_29_exports_keep_sales_data_inert_masked_and_stamped(org_a, client_as):
    """S001-29: 妥善保管电脑资料，不泄露销售秘密 -- the archive export writes user text as text
    (no live formulas), masks phones and names its reader; the expense export likewise."""
    make_customer(org_a, name='=HYPERLINK("http://evil","x")', characteristics="=1+1")
    exec_ = org_a.users["exec"]
    ws = load_workbook(io.BytesIO(client_as(exec_).get(reverse("customers:export")).content)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value not in (None, "")]
    formulas = [c for c in cells if str(c.value).startswith("=")]
    assert {c.value for c in formulas} >= {'=HYPERLINK("http://evil","x")', "=1+1"}
    assert all(c.data_type == "s" for c in formulas)
    values = [c.value for c in cells]
    assert "021****1234" in values and "021-64001234" not in values
    assert exec_.display_name in ws["A1"].value

    make_expense(org_a, activity="=cmd|' /C calc'!A0")
    ws = load_workbook(
        io.BytesIO(client_as(org_a.users["finance"]).get(reverse("expenses:export")).content)
    ).active
    cell = ws.cell(row=2, column=4)
    assert (cell.value, cell.data_type) == ("=cmd|' /C calc'!A0", "s")


def test_S001_29_personal_details_encrypted_at_rest_and_pages_not_cached(org_a, client_as, cust_a):
    """S001-29: contacts' personal fields are ciphertext in the database (and its history);
    confidential pages are sent no-store."""
    for table in (Contact._meta.db_table, Contact.history.model._meta.db_table):
        raw = _raw(table)
        assert "13812345678" not in raw and "一子读高三" not in raw and "天钥桥路" not in raw, table
    with org_a.scope():
        contact = Contact.objects.get(customer=cust_a)
    assert (contact.phone, contact.family) == ("13812345678", "已婚，一子读高三")
    client = client_as(org_a.users["gm"])
    for url in (
        reverse("customers:detail", args=[cust_a.pk]),
        reverse("customers:print", args=[cust_a.pk]),
        reverse("customers:export"),
    ):
        assert "no-store" in client.get(url)["Cache-Control"], url
    second = make_contact(org_a, cust_a, name="王助理", phone="13900001111")
    assert "13900001111" not in _raw(Contact._meta.db_table) and second.pk
