"""Encryption at rest, masking and exact phone search."""

import pytest
from django.db import connection
from django.urls import reverse

from customers import crypto
from customers.models import Contact, Customer

from .conftest import make_contact


def _raw(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return " ".join(str(v) for row in cursor.fetchall() for v in row)


@pytest.mark.django_db
def test_raw_columns_hold_no_personal_values(org_a, cust_a):
    for model in (Contact, Customer):
        for table in (model._meta.db_table, model.history.model._meta.db_table):
            raw = _raw(table)
            assert "13812345678" not in raw, table
            assert "64001234" not in raw, table
            assert "天钥桥路" not in raw and "一子读高三" not in raw, table
    with org_a.scope():
        contact = Contact.objects.get(customer=cust_a)
    assert contact.phone == "13812345678"
    assert contact.family == "已婚，一子读高三"


def test_ciphertext_is_randomised_and_authenticated():
    a, b = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert a != b and a.startswith("v1:")
    assert crypto.decrypt(a) == "13812345678"
    tampered = a[:-2] + ("A" if a[-2] != "A" else "B") + a[-1]
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag or a base64 error
        crypto.decrypt(tampered)


def test_phone_hash_normalises_and_depends_on_key(settings):
    digest = crypto.phone_hash("138-1234-5678")
    assert digest == crypto.phone_hash("+86 13812345678") == crypto.phone_hash("13812345678")
    assert digest != crypto.phone_hash("13812345679")
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    assert crypto.phone_hash("13812345678") != digest


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("021-64001234", "021****1234"), ("12345", "***45"), ("", "")],
)
def test_mask_phone(value, masked):
    assert crypto.mask_phone(value) == masked


@pytest.mark.django_db
def test_list_masks_and_detail_shows_in_full(org_a, client_as, cust_a):
    client = client_as(org_a.users["gm"])
    listing = client.get(reverse("customers:list")).content.decode()
    assert "021****1234" in listing and "021-64001234" not in listing
    detail = client.get(reverse("customers:detail", args=[cust_a.pk])).content.decode()
    assert "13812345678" in detail and "已婚，一子读高三" in detail


@pytest.mark.django_db
def test_exact_phone_search_finds_customer_and_contact(org_a, client_as, cust_a):
    other = make_contact(org_a, cust_a, name="王总", phone="13900001111")
    client = client_as(org_a.users["gm"])
    for query in ["021-64001234", "13900001111", "+86 139 0000 1111"]:
        response = client.get(reverse("customers:list"), {"phone": query})
        assert [c.pk for c in response.context["page"]] == [cust_a.pk], query
    response = client.get(reverse("customers:list"), {"phone": "1390000111"})  # not exact: nothing
    assert list(response.context["page"]) == []
    assert other.phone_hash == crypto.phone_hash("13900001111")


@pytest.mark.django_db
def test_salesperson_phone_search_stays_inside_reach(org_a, client_as, cust_a, own_policy):
    response = client_as(org_a.users["sales2"]).get(reverse("customers:list"), {"phone": "13812345678"})
    assert list(response.context["page"]) == []
