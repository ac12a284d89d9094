from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

SECTION = _("客户档案")
READERS = (Cap.PARTNERS_VIEW_ALL, Cap.PARTNERS_VIEW_BRANCH, Cap.PARTNERS_VIEW_OWN, Cap.PARTNERS_REGION,
           Cap.PARTNERS_FILE, Cap.PARTNERS_MANAGE)

NAV_ITEMS = [
    NavItem(SECTION, _("合作单位"), "partners:list", READERS, order=550),
    NavItem(SECTION, _("合作协议登记表"), "partners:register", READERS, order=551),
    NavItem(SECTION, _("上报当日签约"), "partners:file", (Cap.PARTNERS_FILE,), order=552),
]
