from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

SECTION = _("人员")

NAV_ITEMS = [
    NavItem(SECTION, _("离职交接"), "people:departures", (Cap.PEOPLE_MANAGE, Cap.PEOPLE_HANDOVER), order=700),
    NavItem(SECTION, _("调岗"), "people:transfers", (Cap.PEOPLE_MANAGE, Cap.PEOPLE_HANDOVER), order=705),
    NavItem(SECTION, _("花名册对账"), "people:reconcile", (Cap.PEOPLE_MANAGE,), order=710),
    NavItem(SECTION, _("岗位角色对照"), "people:mappings", (Cap.PEOPLE_MANAGE,), order=715),
    NavItem(SECTION, _("提交离职申请"), "people:departure_new", (), order=720),  # every member, for themselves
]
