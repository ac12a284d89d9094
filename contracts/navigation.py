from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

_VIEW = (Cap.PRODUCTS_VIEW_ALL, Cap.PRODUCTS_REQUEST, Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE)

NAV_ITEMS = [
    NavItem(_("延保产品与合同"), _("延保产品"), "contracts:product_list", _VIEW, order=200),
    NavItem(_("延保产品与合同"), _("产品设计审批"), "contracts:design_list", _VIEW, order=201),
    NavItem(_("延保产品与合同"), _("产品体系报价表"), "contracts:pricelist_index",
            _VIEW + (Cap.PRICELIST_EDIT, Cap.PRICELIST_CONFIRM, Cap.PRICELIST_IMPLEMENT), order=202),
]
