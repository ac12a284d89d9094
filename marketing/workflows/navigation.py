from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

NAV_ITEMS = [
    NavItem(_("审批"), _("审批表单"), "workflows:index", (Cap.WORKFLOWS_REQUEST,), order=13),
    NavItem(_("系统管理"), _("审批表单设计"), "workflows:templates", (Cap.WORKFLOWS_CONFIGURE,), order=927),
]
