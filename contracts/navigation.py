from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

_VIEW = (Cap.PRODUCTS_VIEW_ALL, Cap.PRODUCTS_REQUEST, Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE)

_LEDGER = (Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE, Cap.CONTRACTS_VIEW_ALL)

NAV_ITEMS = [
    NavItem(_("延保产品与合同"), _("延保产品"), "contracts:product_list", _VIEW, order=200),
    NavItem(_("延保产品与合同"), _("产品设计审批"), "contracts:design_list", _VIEW, order=201),
    NavItem(_("延保产品与合同"), _("产品体系报价表"), "contracts:pricelist_index",
            _VIEW + (Cap.PRICELIST_EDIT, Cap.PRICELIST_CONFIRM, Cap.PRICELIST_IMPLEMENT), order=202),
    NavItem(_("延保产品与合同"), _("合同申领"), "contracts:request_list", _LEDGER, order=210),
    NavItem(_("延保产品与合同"), _("合同台账"), "contracts:ledger", _LEDGER, order=211),
    NavItem(_("延保产品与合同"), _("合同使用情况"), "contracts:usage", _LEDGER, order=212),
    NavItem(_("延保产品与合同"), _("合同工作台"), "contracts:board", (Cap.CONTRACTS_MANAGE,), order=213),
]
