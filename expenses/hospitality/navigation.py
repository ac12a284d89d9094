from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

_VIEW = (Cap.HOSPITALITY_REQUEST, Cap.HOSPITALITY_VIEW_BRANCH, Cap.HOSPITALITY_VIEW_ALL)

NAV_ITEMS = [
    NavItem(_("业务招待"), _("招待申请"), "hospitality:index", _VIEW, order=320),
    NavItem(_("业务招待"), _("紧急申请"), "hospitality:emergency", (Cap.HOSPITALITY_REQUEST,), order=321),
    NavItem(_("业务招待"), _("招待费报销"), "hospitality:claims", _VIEW, order=322),
    NavItem(_("业务招待"), _("月度招待费报表"), "hospitality:report",
            (Cap.HOSPITALITY_VIEW_BRANCH, Cap.HOSPITALITY_VIEW_ALL), order=323),
    NavItem(_("业务招待"), _("招待政策与定点场所"), "hospitality:policies", (Cap.HOSPITALITY_POLICY,), order=324),
]
