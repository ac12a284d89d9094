"""Home cards: the approval inbox for everyone (the engine lives in marketing/approvals, the
card is offered from here), and the expense pipeline for those who see expenses."""

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from marketing import pagecache
from marketing.approvals.selectors import inbox_count
from marketing.pagecache import short_lived
from marketing.roles import Cap

from .models import ExpenseStatus
from .selectors import visible_expenses


def home_cards(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    # Also the navigation badge (marketing/pagecache.py).
    pending = pagecache.inbox_count(request, lambda: inbox_count(tenant=request.tenant, user=request.user))
    cards = [{
        "title": _("待我审批"), "value": pending, "hint": _("等待您处理的单据"),
        "url": reverse("approvals:inbox"), "tone": "warn" if pending else "ok",
    }]
    if membership.can(Cap.EXPENSES_REQUEST) or membership.can(Cap.EXPENSES_VIEW_ALL):
        # An aggregate over every request of the tenant: kept a minute (marketing/pagecache.py).
        stats = short_lived(request, "expenses.pipeline", lambda: visible_expenses(membership=membership).aggregate(
            in_approval=Count("pk", filter=Q(status=ExpenseStatus.SUBMITTED)),
            to_pay=Count("pk", filter=Q(status=ExpenseStatus.ARCHIVED)),
            to_pay_amount=Sum("amount", filter=Q(status=ExpenseStatus.ARCHIVED)),
        ))
        cards.append({
            "title": _("营销费用审批中"), "value": stats["in_approval"],
            "hint": _("待发放 %(n)s 笔，合计 ¥%(amt)s") % {"n": stats["to_pay"],
                                                   "amt": f"{stats['to_pay_amount'] or 0:,.2f}"},
            "url": reverse("expenses:index") + "?status=submitted", "tone": "default",
        })
    return cards
