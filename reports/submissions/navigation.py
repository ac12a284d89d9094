from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

SECTION = _("日报与汇总")

NAV_ITEMS = [
    NavItem(SECTION, _("计划与定期报表"), "submissions:rules", (), order=102),
    NavItem(SECTION, _("案例库"), "submissions:library", (), order=103),
    # business trips (S003-04): every member may travel; the board is for managers
    NavItem(SECTION, _("我的出差"), "submissions:my_trips", (), order=104),
    NavItem(SECTION, _("出差汇报"), "submissions:trip_board", (Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH),
            order=105),
]
