from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    """开通向导: a new tenant's setup checklist and its opening balances (docs/onboarding.md)."""

    name = "marketing.onboarding"
    label = "onboarding"
    verbose_name = _("开通向导")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from marketing.notifications.models import register_kind

        register_kind("onboarding.test_summary", _("开通向导：日报汇总测试发送"))
