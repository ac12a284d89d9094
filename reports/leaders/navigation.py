from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketing.navigation import NavItem
from marketing.roles import Cap

NAV_ITEMS = [
    NavItem(_("日报与汇总"), pgettext_lazy("dashboard", "经营看板"), "reports:leaders:dashboard",
            (Cap.LEADERS_DASHBOARD,), order=102),
]
