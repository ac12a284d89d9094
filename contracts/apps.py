from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("延保产品与合同")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .approvals import register_contract_types

        register_contract_types()
        from .services import pricelist  # noqa: F401  (registers its xlsx import)
