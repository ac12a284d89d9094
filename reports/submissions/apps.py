from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    """Plans and periodic reports with deadlines (汇报规则): one mechanism for every
    submission the department runs on besides the daily report."""

    name = "reports.submissions"
    label = "submissions"
    verbose_name = "计划与定期报表"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import trip_notices  # noqa: F401  (registers the trip message kinds)
        from .approval import register_plan_type

        register_plan_type()
