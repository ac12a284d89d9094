from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

NAV_ITEMS = [
    NavItem(_("日报与汇总"), _("经营看板"), "reports:leaders:dashboard", (Cap.LEADERS_DASHBOARD,), order=102),
]
