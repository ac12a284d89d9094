from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

NAV_ITEMS = [
    NavItem(_("系统管理"), _("开通向导"), "onboarding:checklist", (Cap.TENANT_MANAGE,), order=900),
]
