from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    """Receivables (应收账款, S001-07, S003-22): finance's sheet imported, ageing per branch
    and salesperson, doubtful/bad flags with who decided and why, collection actions."""

    name = "reports.receivables"
    label = "receivables"
    verbose_name = "应收账款"
    default_auto_field = "django.db.models.BigAutoField"
