from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The outbox: every e-mail and chat message the product sends (docs/notifications.md)."""

    name = "marketing.notifications"
    label = "notifications"
    verbose_name = _("消息发送")
    default_auto_field = "django.db.models.BigAutoField"
