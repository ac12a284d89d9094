from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("平台")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import bounds, pagecache, signals  # noqa: F401

        bounds.install()
        pagecache.connect()
