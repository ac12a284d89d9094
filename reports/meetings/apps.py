from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """The monthly marketing meeting (市场部月例会): the pack for the past month, generated on the
    first working day, and the minutes -- agenda items, decisions (决议), action items."""

    name = "reports.meetings"
    label = "meetings"
    verbose_name = "市场部月例会"
    default_auto_field = "django.db.models.BigAutoField"
