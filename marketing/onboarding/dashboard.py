"""Home card for tenant admins while the setup checklist (开通向导) is not done.

One query (the tenant's ``TenantSetup`` row) on every home page; the checklist itself (a few
dozen queries) is computed at most once a minute per admin (``marketing.pagecache.short_lived``).
Tenants that never moved in through the checklist (no row) and tenants whose required steps were
all settled once (``completed_at``) cost that one query and show nothing."""

from django.urls import reverse
from django.utils.translation import gettext as _

from marketing.pagecache import short_lived
from marketing.roles import Cap

from .models import TenantSetup


def _progress(tenant) -> tuple[int, int, str]:
    from .steps import checklist

    required = [s for s in checklist(tenant) if s.step.required]
    todo = next((s for s in required if not s.settled), None)
    return sum(1 for s in required if s.settled), len(required), str(todo.step.title) if todo else ""


def home_cards(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can(Cap.TENANT_MANAGE):
        return []
    setup = TenantSetup.objects.filter(tenant=request.tenant).values("completed_at").first()
    if setup is None or setup["completed_at"] is not None:
        return []
    done, total, todo = short_lived(request, "onboarding.progress", lambda: _progress(request.tenant))
    if done >= total:
        from .services import setup_complete

        setup_complete(tenant=request.tenant, actor=request.user)
        return []
    return [{"title": _("开通向导"), "value": f"{done} / {total}",
             "hint": _("开通向导：已完成 %(n)s / %(m)s 步") % {"n": done, "m": total}
             + (_("；下一步：%(s)s") % {"s": todo} if todo else ""),
             "url": reverse("onboarding:checklist"), "tone": "warn"}]
