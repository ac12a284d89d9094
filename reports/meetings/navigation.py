from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

NAV_ITEMS = [
    NavItem(_("日报与汇总"), _("市场部月例会"), "meetings:list", (Cap.MEETINGS_VIEW, Cap.MEETINGS_MANAGE), order=112),
]
