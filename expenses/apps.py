from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpensesConfig(AppConfig):
    name = "expenses"
    verbose_name = _("营销费用")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .approvals import register_expense_type

        register_expense_type()

        from marketing.audit import register_confidential

        from .audit_access import ExpenseAudit

        register_confidential(ExpenseAudit())

        from .hospitality.approvals import register_hospitality_types

        register_hospitality_types()
