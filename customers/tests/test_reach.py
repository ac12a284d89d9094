"""Who sees what: every role against list and detail, shares, grants with expiry."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers import selectors, services
from customers.models import CustomerUserObjectPermission
from customers.tasks import purge_expired_grants
from marketing.tenancy import membership_for

from .conftest import make_customer

ALL_READERS = ["gm", "exec", "gmassist", "mdirector"]
# rm reads its branches' customers (customers/tests/test_seed_reach.py)
NO_READERS = ["admin", "mspec", "finance", "ops", "design", "hr", "bgm", "bgm2", "cashier"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ALL_READERS)
def test_archive_wide_roles_see_every_customer(org_a, client_as, persona):
    mine = make_customer(org_a, name="甲-客户一")
    other = make_customer(org_a, owner_key="sales2", branch="A2", name="甲-客户二")
    client = client_as(org_a.users[persona])
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    names = {c.name for c in response.context["page"]}
    assert names == {mine.name, other.name}
    assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", NO_READERS)
def test_other_roles_see_nothing(org_a, client_as, persona):
    customer = make_customer(org_a)
    client = client_as(org_a.users[persona])
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200 and list(response.context["page"]) == []
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:history", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:export")).status_code == 403


@pytest.mark.django_db
def test_salesperson_sees_own_and_shared_only(org_a, client_as, own_policy):
    own = make_customer(org_a, name="自己的客户")
    others = make_customer(org_a, owner_key="sales2", branch="A2", name="别人的客户")
    client = client_as(org_a.users["sales"])
    names = {c.name for c in client.get(reverse("customers:list")).context["page"]}
    assert names == {own.name}
    assert client.get(reverse("customers:detail", args=[others.pk])).status_code == 404
    with org_a.scope():
        services.customer_share(customer=others, actor=org_a.users["sales2"], user=org_a.users["sales"])
    names = {c.name for c in client.get(reverse("customers:list")).context["page"]}
    assert names == {own.name, others.name}
    assert client.get(reverse("customers:detail", args=[others.pk])).status_code == 200


@pytest.mark.django_db
def test_other_tenant_gets_404_everywhere(org_a, org_b, client_as, cust_a):
    client = client_as(org_b.users["allroles"])
    for name in ["detail", "edit", "history", "print", "contact_create", "visit_create"]:
        assert client.get(reverse(f"customers:{name}", args=[cust_a.pk])).status_code == 404, name
    assert client.post(reverse("customers:share", args=[cust_a.pk]), {"user": org_b.users["sales"].pk}).status_code == 404
    names = {c.name for c in client.get(reverse("customers:list")).context["page"]}
    assert cust_a.name not in names


@pytest.mark.django_db
def test_grant_opens_one_customer_until_expiry(org_a, client_as, cust_a):
    other = make_customer(org_a, name="另一个客户")
    finance = org_a.users["finance"]
    client = client_as(finance)
    url = reverse("customers:detail", args=[cust_a.pk])
    assert client.get(url).status_code == 404
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with org_a.scope():
            services.grant_create(customer=cust_a, actor=org_a.users["gm"], user=finance, days=7)
        assert client.get(url).status_code == 200
        assert [c.pk for c in client.get(reverse("customers:list")).context["page"]] == [cust_a.pk]
        assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 404
    with time_machine.travel(start + timedelta(days=6, hours=23), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(days=7, seconds=1), tick=False):
        # The row still exists, yet it no longer opens anything.
        with org_a.scope():
            assert CustomerUserObjectPermission.all_grants.filter(user=finance).count() == 1
            assert not selectors.customer_reach(membership=membership_for(finance)).exists()
        assert client.get(url).status_code == 404
        assert purge_expired_grants.delay().get() == 1
        assert purge_expired_grants.delay().get() == 0
        with org_a.scope():
            assert CustomerUserObjectPermission.all_grants.filter(user=finance).count() == 0


@pytest.mark.django_db
def test_grant_is_read_only(org_a, client_as, cust_a):
    with org_a.scope():
        services.grant_create(customer=cust_a, actor=org_a.users["gm"], user=org_a.users["sales2"], days=3)
    client = client_as(org_a.users["sales2"])
    assert client.get(reverse("customers:detail", args=[cust_a.pk])).status_code == 200
    assert client.get(reverse("customers:edit", args=[cust_a.pk])).status_code == 404


@pytest.mark.django_db
def test_grant_across_tenants_impossible(org_a, org_b, cust_a):
    from django.core.exceptions import ValidationError

    with org_a.scope(), pytest.raises(ValidationError) as exc:
        services.grant_create(customer=cust_a, actor=org_a.users["gm"], user=org_b.users["sales"], days=7)
    assert exc.value.code == "user_not_in_tenant"
    with org_a.scope(), pytest.raises(ValidationError):
        services.customer_share(customer=cust_a, actor=org_a.users["sales"], user=org_b.users["sales"])
    with org_a.scope():
        assert CustomerUserObjectPermission.all_grants.count() == 0


@pytest.mark.django_db
def test_grant_rows_of_another_tenant_do_not_open(org_a, org_b, cust_a, cust_b, client_as):
    """Even a forged row naming tenant B's user cannot widen B's reach into A."""
    with org_b.scope():
        assert not selectors.customer_reach(membership=membership_for(org_b.users["sales"])).filter(
            pk=cust_a.pk).exists()
    client = client_as(org_b.users["gm"])
    assert client.get(reverse("customers:detail", args=[cust_a.pk])).status_code == 404
    assert client.get(reverse("customers:detail", args=[cust_b.pk])).status_code == 200


@pytest.mark.django_db
def test_reassign_keeps_history_and_moves_reach(org_a, client_as, cust_a, own_policy):
    client = client_as(org_a.users["mdirector"])
    response = client.post(reverse("customers:reassign", args=[cust_a.pk]), {"owner": org_a.users["sales2"].pk})
    assert response.status_code == 302
    with org_a.scope():
        cust_a.refresh_from_db()
        assert cust_a.owner == org_a.users["sales2"]
        assert cust_a.history.count() == 2
    assert client_as(org_a.users["sales"]).get(reverse("customers:detail", args=[cust_a.pk])).status_code == 404
    assert client_as(org_a.users["sales2"]).get(reverse("customers:detail", args=[cust_a.pk])).status_code == 200
    # A salesperson cannot reassign.
    assert client_as(org_a.users["sales2"]).post(
        reverse("customers:reassign", args=[cust_a.pk]), {"owner": org_a.users["sales"].pk}).status_code == 403


@pytest.mark.django_db
def test_revoke_grant(org_a, client_as, cust_a):
    with org_a.scope():
        grant = services.customer_share(customer=cust_a, actor=org_a.users["sales"], user=org_a.users["sales2"])
    assert client_as(org_a.users["sales2"]).post(reverse("customers:grant_revoke", args=[grant.pk])).status_code == 403
    assert client_as(org_a.users["finance"]).post(reverse("customers:grant_revoke", args=[grant.pk])).status_code == 404
    assert client_as(org_a.users["sales"]).post(reverse("customers:grant_revoke", args=[grant.pk])).status_code == 302
    with org_a.scope():
        assert not CustomerUserObjectPermission.all_grants.exists()
