from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

register = template.Library()

VERB_LABELS = {
    "auth.login": _("登录"),
    "auth.logout": _("退出"),
    "auth.login_failed": _("登录失败"),
    "tenant.create": _("创建租户"),
    "tenant.settings": _("修改租户设置"),
    "region.create": _("新建地区"),
    "region.update": _("修改地区"),
    "branch.create": _("新建分公司"),
    "branch.update": _("修改分公司"),
    "user.create": _("新建用户"),
    "user.update": _("修改用户角色/分公司"),
    "user.deactivate": _("停用用户"),
    "user.reactivate": _("启用用户"),
    "user.password_change": _("修改密码"),
    "user.password_reset": _("管理员重置密码"),
}


@register.filter
def verb_label(verb: str) -> str:
    return VERB_LABELS.get(verb, verb)


@register.filter
def audit_changes(event) -> list[tuple[str, object, object]]:
    """(field, before, after) rows of an audit event, for a readable diff."""
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before, after)]
    keys = list(after) + [k for k in before if k not in after]
    return [(k, before.get(k, ""), after.get(k, "")) for k in keys]


# Status pills of list rows, one tag instead of one template include per row (issue 10).
PILL_TONES = {
    # keyed by customers.stages.StageSet.tone: won, open, lost; a tenant's entry stage is "entry"
    "customer_stage": ({"won": "ok", "open": "info", "lost": "muted"}, "warn"),
    "expense_status": ({"submitted": "info", "archived": "warn", "paid": "ok", "rejected": "bad"}, "muted"),
}


@register.simple_tag
def pill(kind: str, value, label):
    tones, default = PILL_TONES[kind]
    return format_html('<span class="pill pill-{}">{}</span>', tones.get(value, default), label)
