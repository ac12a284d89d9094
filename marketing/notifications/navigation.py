from django.utils.translation import gettext_lazy as _

from marketing.navigation import NavItem
from marketing.roles import Cap

from .selectors import failed_badge

NAV_ITEMS = [
    NavItem(_("系统管理"), _("消息发送记录"), "notifications:messages", (Cap.TENANT_MANAGE,), badge=failed_badge, order=940),
    NavItem(_("系统管理"), _("群机器人"), "notifications:webhooks", (Cap.TENANT_MANAGE,), order=945),
    NavItem(_("系统管理"), _("企业账号登录"), "notifications:signin", (Cap.TENANT_MANAGE,), order=946),
    NavItem(_("工作台"), _("我的通知设置"), "notifications:me", order=90),
]
