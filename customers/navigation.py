from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

SECTION = _("客户档案")

NAV_ITEMS = [
    NavItem(SECTION, _("客户档案"), "customers:list",
            (Cap.CUSTOMERS_VIEW_ALL, Cap.CUSTOMERS_VIEW_OWN, Cap.CUSTOMERS_VIEW_BRANCH, Cap.CUSTOMERS_REQUEST_ACCESS),
            order=500),
    NavItem(SECTION, _("拜访记录"), "customers:visits",
            (Cap.CUSTOMERS_VIEW_ALL, Cap.CUSTOMERS_VIEW_OWN, Cap.CUSTOMERS_VIEW_BRANCH), order=510),
    NavItem(SECTION, _("客户投诉"), "customers:complaints",
            (Cap.CUSTOMERS_VIEW_ALL, Cap.CUSTOMERS_VIEW_OWN, Cap.CUSTOMERS_VIEW_BRANCH), order=515),
    NavItem(SECTION, _("导入档案"), "customers:import", (Cap.CUSTOMERS_IMPORT,), order=520),
    NavItem(SECTION, _("查阅申请"), "customers:requests", (Cap.CUSTOMERS_REQUEST_ACCESS, Cap.CUSTOMERS_ACCESS_LOG), order=530),
    NavItem(SECTION, _("访问日志"), "customers:access_log", (Cap.CUSTOMERS_ACCESS_LOG,), order=540),
    NavItem(SECTION, _("客户阶段"), "customers:stages", (Cap.TENANT_MANAGE,), order=550),
]
