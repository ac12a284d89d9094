"""Every customers URL that names an object: tenant B's id answers 404 to tenant A, and the
demo data (rich=False) gives both tenants an instance of every such model."""

import pytest
from django.urls import get_resolver, reverse

from customers import demo, urls
from marketing.tenancy import tenant_scope


def _object_patterns():
    return [p for p in urls.urlpatterns if getattr(p, "object_model", None)]


@pytest.mark.django_db
def test_cross_tenant_ids_answer_404(org_a, org_b, client_as):
    from django.apps import apps

    for org in (org_a, org_b):
        with tenant_scope(org.tenant):
            demo.seed(tenant=org.tenant, personas=org.users, rich=False)
    client = client_as(org_a.users["allroles"])
    assert get_resolver()  # urls import cleanly
    for pattern in _object_patterns():
        model = apps.get_model(pattern.object_model)
        with tenant_scope(org_b.tenant):
            foreign = model._base_manager.filter(tenant=org_b.tenant).first()
        with tenant_scope(org_a.tenant):
            own = model._base_manager.filter(tenant=org_a.tenant).first()
        assert foreign is not None and own is not None, pattern.name
        url = reverse(f"customers:{pattern.name}", kwargs={"pk": foreign.pk})
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
        mine = reverse(f"customers:{pattern.name}", kwargs={"pk": own.pk})
        assert client.get(mine).status_code != 404, mine
