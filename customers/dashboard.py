from django.urls import reverse
from django.utils.translation import gettext as _

from marketing.pagecache import short_lived
from marketing.roles import Cap

from . import selectors
from .models import AccessRequestStatus, CustomerAccessRequest, StageKind
from .stages import stage_set


def _stage_summary(membership) -> dict:
    """Customers in reach: all, past the entry stage and still open, won (the tenant's stages)."""
    counts = selectors.stage_counts(membership=membership)
    stages = stage_set(membership.tenant)
    started = [c for c in stages.codes(StageKind.OPEN) if c != stages.initial]
    return {"total": sum(counts.values()), "started": sum(counts.get(c, 0) for c in started),
            "won": sum(counts.get(c, 0) for c in stages.codes(StageKind.WON))}


def home_cards(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    cards = []
    if selectors.can_use_archive(membership):
        # A GROUP BY over the whole archive: kept a minute (marketing/pagecache.py).
        counts = short_lived(request, "customers.stage_summary", lambda: _stage_summary(membership))
        cards.append({
            "title": _("我可查看的客户"), "value": counts["total"],
            "hint": _("洽谈中 %(n)s · 已签约 %(s)s") % {"n": counts["started"], "s": counts["won"]},
            "url": reverse("customers:list"), "tone": "default",
        })
    if selectors.can_use_archive(membership) and (
            membership.can(Cap.CUSTOMERS_VIEW_OWN) or membership.can(Cap.CUSTOMERS_VIEW_BRANCH)
            or "branch_gm" in set(membership.roles)):
        from django.utils import timezone

        from . import followups

        # 限期二次回访 (S002-16): the reader's own customers or their branches'.
        late = short_lived(request, "customers.followups_overdue", lambda: followups.overdue(
            selectors.customer_reach(membership=membership), today=timezone.localdate()).count())
        cards.append({
            "title": _("逾期未回访"), "value": late, "hint": _("已过拜访时约定的下次跟进日期"),
            "url": followups.list_url(), "tone": "bad" if late else "ok",
        })
    if selectors.can_decide_requests(membership):
        pending = CustomerAccessRequest.objects.filter(
            tenant_id=membership.tenant_id, status=AccessRequestStatus.PENDING
        ).count()
        cards.append({
            "title": _("待审批的档案查阅申请"), "value": pending, "hint": _("客户档案"),
            "url": reverse("customers:requests") + "?status=pending", "tone": "warn" if pending else "ok",
        })
    elif membership.can(Cap.CUSTOMERS_REQUEST_ACCESS) and not selectors.can_use_archive(membership):
        cards.append({
            "title": _("客户档案查阅"), "value": "—", "hint": _("需经总经理批准"),
            "url": reverse("customers:request_create"), "tone": "default",
        })
    return cards
