from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("客户档案")

    def ready(self):
        from .approval import register_document_type

        register_document_type()

        from marketing.audit import register_confidential

        from .audit_access import CustomerAudit

        register_confidential(CustomerAudit())
