from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaterialsConfig(AppConfig):
    """HQ materials stock, branch material requests (物料请购) on the approval engine, and the
    uniform templates library (宣传物料全国统一版本). Python path ``marketing.materials``,
    label ``materials``."""

    name = "marketing.materials"
    label = "materials"
    verbose_name = _("物料管理")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import mail  # noqa: F401  (message kinds)
        from .approvals import register_request_type

        register_request_type()
