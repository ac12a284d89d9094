from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

_VIEW = (Cap.MATERIALS_REQUEST, Cap.MATERIALS_MANAGE, Cap.MATERIALS_VIEW_ALL)

NAV_ITEMS = [
    NavItem(_("物料"), _("物料请购"), "materials:requests", _VIEW, order=600),
    NavItem(_("物料"), _("新建请购"), "materials:request_create", (Cap.MATERIALS_REQUEST,), order=601),
    NavItem(_("物料"), _("总部物料库存"), "materials:stock", _VIEW, order=602),
    NavItem(_("物料"), _("库存流水"), "materials:movements", (Cap.MATERIALS_MANAGE, Cap.MATERIALS_VIEW_ALL),
            order=603),
    NavItem(_("物料"), _("统一版本模板"), "materials:library", (), order=604),
]
