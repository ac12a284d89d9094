from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    """Dealers and repair shops (合作单位) and their cooperation agreements (合作协议存档):
    the company's sales channel, so it lives beside the customer archive (docs/partners.md)."""

    name = "customers.partners"
    label = "partners"
    verbose_name = _("合作单位与协议")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks

        hooks.install()

        from .review import register_document_type

        register_document_type()
