"""Issue 22, the customer-archive rows: the marketing supervisor (S003-15) and the analyst
named on visits (S002-07)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers import selectors
from customers.models import Customer
from marketing import services as platform
from marketing.roles import Cap, Role, capabilities_for
from marketing.tenancy import membership_for

from .conftest import make_customer, set_reach_policy

pytestmark = pytest.mark.django_db


def _make_user(org, username, roles, branches=()):
    with org.scope():
        return platform.user_create(
            tenant=org.tenant,
            actor=org.users["admin"],
            username=username,
            password="Test!pass-2026",
            full_name=username,
            roles=roles,
            branches=[org.branches[b] for b in branches],
        )


@pytest.fixture
def supervisor(org_a):
    return _make_user(org_a, "alpha_msuper", [Role.MARKETING_SUPERVISOR])


@pytest.fixture
def three(org_a):
    return {
        "a1": make_customer(org_a, name="甲一客户"),
        "a2": make_customer(org_a, owner_key="sales2", branch="A2", name="甲二客户"),
        "a3": make_customer(org_a, owner_key="sales2", branch="A3", name="甲三客户"),
    }


def _edit_post(org, customer, **extra):
    data = {
        "name": customer.name,
        "industry": customer.industry,
        "stage": customer.stage,
        "branch": customer.branch_id,
        "phone": customer.phone,
        "address": customer.address,
        "shareholders_text": "张三 60%",
        "characteristics": customer.characteristics,
        "business_situation": customer.business_situation,
        "new_tags": "",
    }
    data.update(extra)
    return data


def test_S003_15_supervisor_capabilities_are_exactly_the_archive_upkeep():
    """S003-15: 市场主管 organises customer management and keeps the archive current: read and
    edit every customer, import archive cards; no export/print (档案 (3)), no access log, no
    reports, expenses or contracts."""
    assert capabilities_for([Role.MARKETING_SUPERVISOR]) == {
        Cap.BRANCHES_ALL,
        Cap.CUSTOMERS_VIEW_ALL,
        Cap.CUSTOMERS_EDIT,
        Cap.CUSTOMERS_IMPORT,
        Cap.WORKFLOWS_REQUEST,
    }
    assert str(Role.MARKETING_SUPERVISOR.label) == "市场主管"


@pytest.mark.parametrize("policy", ["seed", "own"])
def test_S003_15_supervisor_reads_and_edits_the_whole_archive(
    org_a, org_b, client_as, supervisor, three, policy
):
    """S003-15: whatever the salespeople's reach policy, the supervisor keeps every customer of
    the tenant current (档案 (8) 不断更新调整) -- and only this tenant's."""
    set_reach_policy(org_a, policy)
    cust_b = make_customer(org_b, name="乙客户", branch="B1")
    with org_a.scope():
        membership = membership_for(supervisor)
        assert set(selectors.customer_reach(membership=membership).values_list("name", flat=True)) == {
            "甲一客户",
            "甲二客户",
            "甲三客户",
        }
        assert set(selectors.customer_edit_reach(membership=membership).values_list("name", flat=True)) == {
            "甲一客户",
            "甲二客户",
            "甲三客户",
        }
        assert not selectors.needs_request(membership)
    client = client_as(supervisor)
    other = three["a3"]  # owned by sales2 in A3: neither the supervisor's nor a branch of theirs
    assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 200
    response = client.post(
        reverse("customers:edit", args=[other.pk]),
        _edit_post(org_a, other, business_situation="二季度新开二店"),
    )
    assert response.status_code == 302
    with org_a.scope():
        other.refresh_from_db()
        assert other.business_situation == "二季度新开二店" and other.owner == org_a.users["sales2"]
        from marketing.models import AuditEvent

        event = AuditEvent.objects.filter(verb="customers.customer_update").latest("id")
        assert event.actor_id == supervisor.pk
    # the other tenant's customer: 404 like a missing one, for reading and editing
    assert client.get(reverse("customers:detail", args=[cust_b.pk])).status_code == 404
    assert client.get(reverse("customers:edit", args=[cust_b.pk])).status_code == 404
    with org_b.scope():
        assert Customer.objects.get(pk=cust_b.pk).business_situation == "经营稳定"


def test_S003_15_supervisor_cannot_copy_or_audit_or_leave_the_archive(org_a, client_as, supervisor, three):
    """S003-15 with 档案 (3): the archive may not be copied or taken out without authorisation --
    the supervisor neither exports nor prints, nor reads the access log; outside the archive
    they get nothing (403)."""
    client = client_as(supervisor)
    pk = three["a1"].pk
    got = {
        name: client.get(url).status_code
        for name, url in {
            "import": reverse("customers:import"),
            "create": reverse("customers:create"),
            "reassign_bulk": reverse("customers:reassign_bulk"),
            "export": reverse("customers:export"),
            "visit_export": reverse("customers:visit_export"),
            "print": reverse("customers:print", args=[pk]),
            "access_log": reverse("customers:access_log"),
            "settings": reverse("marketing:settings"),
        }.items()
    }
    assert got == {
        "import": 200,
        "create": 200,
        "reassign_bulk": 200,
        "export": 403,
        "visit_export": 403,
        "print": 403,
        "access_log": 403,
        "settings": 403,
    }


# --- S002-07: an analyst (分析师) named on the visit and its proposal --------------------------


def _visit_post(org, **extra):
    data = {
        "visited_on": "2026-05-10",
        "visit_type": "visit",
        "visited_by": org.users["sales"].pk,
        "needs": "想了解批量采购价格",
        "proposal": "三年期团购方案",
    }
    data.update(extra)
    return data


def test_S002_07_analyst_named_on_a_visit_and_its_proposal(org_a, client_as, cust_a):
    """S002-07: a salesperson names the analyst who helped understand the needs and drafted the
    proposal; the visit pages show them, and a change of analyst is audited."""
    from customers.models import Visit
    from marketing.models import AuditEvent

    client = client_as(org_a.users["sales"])
    url = reverse("customers:visit_create", args=[cust_a.pk])
    assert 'name="analyst"' in client.get(url).content.decode()
    response = client.post(url, _visit_post(org_a, analyst=org_a.users["mspec"].pk))
    assert response.status_code == 302
    with org_a.scope():
        visit = Visit.objects.get(customer=cust_a)
        assert (visit.analyst, visit.proposal) == (org_a.users["mspec"], "三年期团购方案")
    detail = client.get(reverse("customers:detail", args=[cust_a.pk])).content.decode()
    assert "分析师：甲市场专员" in detail
    assert "分析师：甲市场专员" in client.get(reverse("customers:visits")).content.decode()
    # optional: a visit without an analyst is fine, and the analyst can be changed
    edit = client.post(
        reverse("customers:visit_edit", args=[visit.pk]), _visit_post(org_a, analyst=org_a.users["design"].pk)
    )
    assert edit.status_code == 302
    with org_a.scope():
        visit.refresh_from_db()
        assert visit.analyst == org_a.users["design"]
        event = AuditEvent.objects.filter(verb="customers.visit_update").latest("id")
        assert "analyst" in event.after and event.after["analyst"] != event.before["analyst"]
    assert client.post(url, _visit_post(org_a, visited_on="2026-05-12")).status_code == 302
    with org_a.scope():
        assert Visit.objects.filter(customer=cust_a, analyst__isnull=True).count() == 1


def test_S002_07_analyst_from_another_tenant_is_refused(org_a, org_b, client_as, cust_a):
    """S002-07: the analyst is a member of the customer's tenant -- the form refuses another
    tenant's user and nothing is saved; the service refuses it too."""
    from django.core.exceptions import ValidationError

    from customers import services
    from customers.models import Visit

    client = client_as(org_a.users["sales"])
    url = reverse("customers:visit_create", args=[cust_a.pk])
    page = client.get(url).content.decode()
    assert "甲市场专员" in page and "乙市场专员" not in page
    bad = client.post(url, _visit_post(org_a, analyst=org_b.users["mspec"].pk))
    assert bad.status_code == 200 and "选择一个有效的选项" in bad.content.decode()
    with org_a.scope():
        assert not Visit.objects.filter(customer=cust_a).exists()
        with pytest.raises(ValidationError) as exc:
            services.visit_create(
                customer=cust_a,
                actor=org_a.users["sales"],
                data={
                    "visited_on": "2026-05-10",
                    "visited_by": org_a.users["sales"],
                    "analyst": org_b.users["mspec"],
                },
            )
        assert exc.value.code == "analyst_not_member"
        assert not Visit.objects.filter(customer=cust_a).exists()


def test_S002_07_the_visit_export_names_the_analyst(org_a, client_as, cust_a):
    """S002-07: the visit export has an 分析师 column (empty for a visit without one)."""
    import io

    from openpyxl import load_workbook

    client = client_as(org_a.users["sales"])
    url = reverse("customers:visit_create", args=[cust_a.pk])
    assert client.post(url, _visit_post(org_a, analyst=org_a.users["mspec"].pk)).status_code == 302
    assert client.post(url, _visit_post(org_a, visited_on="2026-05-12")).status_code == 302
    response = client_as(org_a.users["mdirector"]).get(reverse("customers:visit_export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    column = rows[1].index("分析师")
    assert sorted((r[column] or "") for r in rows[2:] if r[1] == cust_a.name) == ["", "甲市场专员"]
