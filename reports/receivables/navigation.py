from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

SECTION = _("日报与汇总")

NAV_ITEMS = [
    NavItem(SECTION, _("应收账款"), "receivables:ageing",
            (Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH, Cap.RECEIVABLES_MANAGE), order=104),
]
