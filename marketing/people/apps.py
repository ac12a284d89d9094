from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    """Accounts from the HR roster, transfers (调岗) and the departure handover (离职交接).
    Label ``people``; pages under /m/people/. See docs/people.md."""

    name = "marketing.people"
    label = "people"
    verbose_name = _("人员")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from marketing.notifications.models import register_kind

        from .approvals import register_departure_type

        register_departure_type()
        register_kind("people.invitation", _("账号邀请"))
        register_kind("people.departure", _("离职交接"))
        register_kind("people.stranded", _("审批流程缺少处理人"))
        register_kind("people.handover_job", _("交接任务"))
