"""Where the register plugs into other apps at start-up (AppConfig.ready)."""

from django.utils.translation import gettext_lazy as _

KIND_RETURNED = "partners.original_returned"
KIND_ORIGINAL_OVERDUE = "partners.original_overdue"
KIND_EXPIRING = "partners.agreement_expiring"


def install() -> None:
    from marketing.notifications.models import register_kind

    register_kind(KIND_RETURNED, _("协议原件退回分公司"))
    register_kind(KIND_ORIGINAL_OVERDUE, _("协议原件逾期未寄达"))
    register_kind(KIND_EXPIRING, _("合作协议即将到期"))

    from reports import services as report_services

    from .report_hook import sync_report

    if sync_report not in report_services.PARTNER_HOOKS:
        report_services.PARTNER_HOOKS.append(sync_report)

    from reports import summary

    from .summary_columns import add_columns

    if add_columns not in summary.EXTRA_COLUMN_PROVIDERS:
        summary.EXTRA_COLUMN_PROVIDERS.append(add_columns)
