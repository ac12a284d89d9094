from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

NAV_ITEMS = [
    NavItem(_("营销费用"), _("费用申请"), "expenses:index", (Cap.EXPENSES_REQUEST, Cap.EXPENSES_VIEW_ALL), order=300),
    NavItem(_("营销费用"), _("新建申请"), "expenses:create", (Cap.EXPENSES_REQUEST,), order=301),
    NavItem(_("营销费用"), _("费用预算"), "expenses:budgets", (Cap.BUDGETS_MANAGE, Cap.EXPENSES_VIEW_ALL), order=302),
    NavItem(_("营销费用"), _("费用设置"), "expenses:settings", (Cap.TENANT_MANAGE,), order=303),
]
