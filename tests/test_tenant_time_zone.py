"""The tenant's time zone everywhere a person sees or enters a time (issue 9): pages, form
defaults, tasks and audit rendering use the tenant's clock, not the server's."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.tests.conftest import make_customer
from marketing.audit import audit_record
from marketing.models import Tenant
from marketing.tenancy import tenant_scope

pytestmark = pytest.mark.django_db

# 2026-11-23 20:00 UTC: already the 24th 04:00 in Shanghai (the server's zone), 12:00 on
# the 23rd in Los Angeles.
INSTANT = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def la(org_a):
    Tenant.objects.filter(pk=org_a.tenant.pk).update(time_zone="America/Los_Angeles")
    org_a.tenant.refresh_from_db()
    return org_a


def test_tenant_scope_activates_the_tenant_zone(la, org_b):
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"
    with tenant_scope(la.tenant):
        assert timezone.get_current_timezone_name() == "America/Los_Angeles"
        with time_machine.travel(INSTANT, tick=False):
            assert timezone.localdate() == dt.date(2026, 11, 23)
    with tenant_scope(org_b.tenant):
        assert timezone.get_current_timezone_name() == "Asia/Shanghai"
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"


def test_audit_log_shows_the_tenants_local_time(la, client_as):
    with time_machine.travel(INSTANT, tick=False):
        audit_record(tenant=la.tenant, actor=la.users["admin"], verb="tenant.settings", object_label="时区测试")
    page = client_as(la.users["admin"]).get(reverse("marketing:audit"), {"verb": "tenant.settings"}).content.decode()
    assert "2026-11-23 12:00:00" in page and "2026-11-24 04:00" not in page


def test_form_defaults_use_the_tenants_today(la, client_as):
    customer = make_customer(la)
    with time_machine.travel(INSTANT, tick=False):
        page = client_as(la.users["sales"]).get(reverse("customers:visit_create", args=[customer.pk]))
    assert page.context["form"]["visited_on"].value() == dt.date(2026, 11, 23)


def test_tasks_run_in_the_tenants_zone(la):
    """Tasks enter the tenant with tenant_scope, so what they render is local time too."""
    from django.template import Context, Template

    with tenant_scope(la.tenant):
        rendered = Template('{{ t|date:"Y-m-d H:i" }}').render(Context({"t": INSTANT}))
    assert rendered == "2026-11-23 12:00"
