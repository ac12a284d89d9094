from django.utils.translation import gettext_lazy as _

from . import pagecache
from .approvals.views import inbox_badge
from .navigation import NavItem
from .roles import Cap


def _inbox_badge(request) -> int:
    # The same number as the home page's inbox card (marketing/pagecache.py).
    return pagecache.inbox_count(request, lambda: inbox_badge(request))


NAV_ITEMS = [
    NavItem(_("工作台"), _("首页"), "home", order=0),
    NavItem(_("审批"), _("待我审批"), "approvals:inbox", badge=_inbox_badge, order=10),
    NavItem(_("审批"), _("我发起的"), "approvals:mine", order=11),
    NavItem(_("审批"), _("审批委托"), "approvals:delegations", order=12),
    NavItem(_("系统管理"), _("审批流程"), "approvals:chains", (Cap.APPROVALS_CONFIGURE,), order=925),
    NavItem(_("系统管理"), _("岗位"), "approvals:positions", (Cap.APPROVALS_CONFIGURE,), order=926),
    NavItem(_("系统管理"), _("用户与角色"), "marketing:users", (Cap.TENANT_MANAGE,), order=900),
    NavItem(_("系统管理"), _("地区与分公司"), "marketing:org", (Cap.TENANT_MANAGE,), order=910),
    NavItem(_("系统管理"), _("租户设置"), "marketing:settings", (Cap.TENANT_MANAGE,), order=920),
    NavItem(_("系统管理"), _("审计日志"), "marketing:audit", (Cap.AUDIT_VIEW,), order=930),
]
