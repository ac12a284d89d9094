import pytest
from cryptography.exceptions import InvalidTag
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from customers import crypto
from customers.models import Contact


def _raw_phone(contact):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {Contact._meta.db_table} WHERE id = %s", [contact.pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotation_reencrypts_and_keeps_search(org_a, client_as, cust_a, settings):
    with org_a.scope():
        contact = Contact.objects.get(customer=cust_a)
    old_cipher = _raw_phone(contact)
    settings.FIELD_ENCRYPTION_KEY = "new-field-key"
    # Without the previous key the old rows are unreadable.
    with pytest.raises(InvalidTag), org_a.scope():
        Contact.objects.get(pk=contact.pk)
    settings.FIELD_ENCRYPTION_KEY_PREVIOUS = "test-field-key"
    with org_a.scope():
        assert Contact.objects.get(pk=contact.pk).phone == "13812345678"
    call_command("rotate_customer_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEY_PREVIOUS = ""
    assert _raw_phone(contact) != old_cipher
    with org_a.scope():
        contact = Contact.objects.get(pk=contact.pk)
        assert contact.phone == "13812345678"
        assert contact.phone_hash == crypto.phone_hash("13812345678")
        assert Contact.history.model.objects.filter(id=contact.pk).first().phone == "13812345678"
    response = client_as(org_a.users["gm"]).get(reverse("customers:list"), {"phone": "13812345678"})
    assert [c.pk for c in response.context["page"]] == [cust_a.pk]
