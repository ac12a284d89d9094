"""Every model of the app (historical tables included) is tenant-owned and fails closed."""

import pytest
from django.apps import apps
from django_scopes import ScopeError


@pytest.mark.django_db
def test_every_customers_model_has_tenant_and_scoped_manager():
    models = list(apps.get_app_config("customers").get_models())
    names = {m.__name__ for m in models}
    assert {"HistoricalCustomer", "HistoricalContact", "HistoricalVisit", "CustomerUserObjectPermission"} <= names
    for model in models:
        assert model._meta.get_field("tenant").related_model._meta.label == "marketing.Tenant", model
        with pytest.raises(ScopeError):
            list(model._default_manager.all())
