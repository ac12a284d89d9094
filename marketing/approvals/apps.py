from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    """The approval engine as its own app (label ``approvals``). Its tables were created by
    ``marketing`` 0002 and keep their ``marketing_*`` names (``Meta.db_table``); see
    docs/approvals.md, "Structure"."""

    name = "marketing.approvals"
    label = "approvals"
    verbose_name = _("审批")
    default_auto_field = "django.db.models.BigAutoField"
