"""Stale tabs (issue 9): two tabs open one record; the second save is refused with a clear
message, keeps what was typed, and the first save stays."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from customers.models import Contact, Customer
from customers.tests.conftest import make_contact, make_customer
from customers.tests.test_views import _customer_post
from marketing.concurrency import VERSION_FIELD
from marketing.models import Region
from reports.models import DailyReport
from reports.tests.helpers import at, file_report

pytestmark = pytest.mark.django_db

STALE = "已被他人（或在另一个窗口中）修改"


def _version(page) -> str:
    match = re.search(rf'name="{VERSION_FIELD}" value="([0-9a-f]{{32}})"', page.content.decode())
    assert match, "the edit form must carry the row version"
    return match.group(1)


def test_customer_edit_in_two_tabs(org_a, client_as):
    customer = make_customer(org_a)
    client = client_as(org_a.users["sales"])
    url = reverse("customers:edit", args=[customer.pk])
    tab1, tab2 = _version(client.get(url)), _version(client.get(url))
    assert tab1 == tab2
    first = client.post(url, {**_customer_post(org_a, address="第一个窗口的地址"), VERSION_FIELD: tab1})
    assert first.status_code == 302
    second = client.post(url, {**_customer_post(org_a, address="第二个窗口的地址"), VERSION_FIELD: tab2})
    assert second.status_code == 200 and STALE in second.content.decode()
    assert second.context["form"]["address"].value() == "第二个窗口的地址"  # the input is kept
    with org_a.scope():
        assert Customer.objects.get(pk=customer.pk).address == "第一个窗口的地址"  # nothing reverted
    # Having read the notice, a deliberate second save (the refreshed version) goes through.
    again = client.post(url, {**_customer_post(org_a, address="第二个窗口的地址"), VERSION_FIELD: _version(second)})
    assert again.status_code == 302
    with org_a.scope():
        assert Customer.objects.get(pk=customer.pk).address == "第二个窗口的地址"


def test_daily_report_edit_in_two_tabs(org_a, client_as):
    with time_machine.travel(at(2026, 11, 20, 18), tick=False):
        with org_a.scope():
            report = file_report(org_a, "A1", dt.date(2026, 11, 20), now=at(2026, 11, 20, 18), submit=False)
        client = client_as(org_a.users["bgm"])
        url = reverse("reports:edit", args=[report.pk])
        version = _version(client.get(url))
        data = {"branch": "", "business_day": "2026-11-20", "customer_visits": "3", "contracts_signed": "1",
                "problems": "", "next_plan": "", "action": "save", "p-TOTAL_FORMS": "0", "p-INITIAL_FORMS": "0",
                "p-MIN_NUM_FORMS": "0", "p-MAX_NUM_FORMS": "50", VERSION_FIELD: version}
        assert client.post(url, {**data, "narrative": "第一个窗口"}).status_code == 302
        second = client.post(url, {**data, "narrative": "第二个窗口"})
        assert second.status_code == 200 and STALE in second.content.decode()
        assert "第二个窗口" in second.content.decode()
        with org_a.scope():
            assert DailyReport.objects.get(pk=report.pk).narrative == "第一个窗口"


def test_contact_and_region_edits_are_versioned_too(org_a, client_as):
    customer = make_customer(org_a)
    contact = make_contact(org_a, customer)
    client = client_as(org_a.users["sales"])
    url = reverse("customers:contact_edit", args=[contact.pk])
    page = client.get(url)
    version = _version(page)
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update({"name": "王经理", VERSION_FIELD: version})
    assert client.post(url, data).status_code == 302
    stale = client.post(url, {**data, "name": "赵经理"})
    assert stale.status_code == 200 and STALE in stale.content.decode()
    with org_a.scope():
        assert Contact.objects.get(pk=contact.pk).name == "王经理"

    admin = client_as(org_a.users["admin"])
    with org_a.scope():
        region = Region.objects.get(tenant=org_a.tenant, code="RA1")
    url = reverse("marketing:region_edit", args=[region.pk])
    version = _version(admin.get(url))
    assert admin.post(url, {"name": "华东一区", "code": "RA1", "sort_order": 1, VERSION_FIELD: version}).status_code == 302
    stale = admin.post(url, {"name": "华东二区", "code": "RA1", "sort_order": 1, VERSION_FIELD: version})
    assert stale.status_code == 200 and STALE in stale.content.decode()


def test_every_edit_view_carries_a_version(org_a, client_as):
    """The edit pages people use side by side all render the version field."""
    customer = make_customer(org_a)
    with org_a.scope():
        report = file_report(org_a, "A1", dt.date(2026, 11, 20), now=at(2026, 11, 20, 18), submit=False)
    pages = [
        (org_a.users["sales"], reverse("customers:edit", args=[customer.pk])),
        (org_a.users["bgm"], reverse("reports:edit", args=[report.pk])),
        (org_a.users["admin"], reverse("marketing:settings")),
        (org_a.users["admin"], reverse("marketing:user_edit", args=[org_a.users["sales"].membership.pk])),
        (org_a.users["admin"], reverse("marketing:branch_edit", args=[org_a.branches["A1"].pk])),
    ]
    for user, url in pages:
        _version(client_as(user).get(url))
