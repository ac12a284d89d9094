from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("延保产品与合同")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .approvals import register_contract_types

        register_contract_types()
        from .services import ledger, pricelist  # noqa: F401  (register their xlsx imports)
