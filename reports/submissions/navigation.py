from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem

SECTION = _("日报与汇总")

NAV_ITEMS = [
    NavItem(SECTION, _("计划与定期报表"), "submissions:rules", (), order=102),
    NavItem(SECTION, _("案例库"), "submissions:library", (), order=103),
]
