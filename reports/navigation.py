from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

SECTION = _("日报与汇总")

NAV_ITEMS = [
    NavItem(SECTION, _("分公司日报"), "reports:list", (Cap.REPORTS_FILE, Cap.REPORTS_VIEW_ALL), order=100),
    NavItem(SECTION, _("日报看板"), "reports:board", (Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH), order=105),
    NavItem(SECTION, _("每日汇总"), "reports:summaries", (Cap.SUMMARIES_VIEW, Cap.SUMMARIES_MANAGE), order=110),
    NavItem(SECTION, _("销售与工作统计"), "reports:statistics", (Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH), order=112),
    NavItem(SECTION, _("月度目标"), "reports:targets", (Cap.TARGETS_EDIT, Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH), order=115),
    NavItem(SECTION, _("合作协议存档"), "reports:partners", (Cap.REPORTS_VIEW_ALL, Cap.REPORTS_FILE), order=120),
    NavItem(SECTION, _("数据导入"), "reports:imports", (Cap.REPORTS_IMPORT,), order=125),
    NavItem(SECTION, _("工作日历"), "reports:calendar", (Cap.REPORTS_CALENDAR,), order=130),
]
