"""Home card: the member's open emergency applications (to complete before the deadline)
and, for those who see more, the month's company share of hospitality."""

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import CHARGED_STATUSES, ApplicationStatus
from .selectors import can_view, visible_applications, visible_claims
from .services import local_today

HOME_CARDS_WATCH = ("hospitalityapplication", "hospitalityclaim")


def home_cards(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None or not can_view(membership):
        return []
    today = local_today(request.tenant)
    open_emergency = visible_applications(membership=membership).filter(
        applicant_id=request.user.pk, status=ApplicationStatus.EMERGENCY).count()
    stats = visible_claims(membership=membership).aggregate(
        n=Count("pk", filter=Q(status__in=CHARGED_STATUSES, meal_date__gte=today.replace(day=1))),
        company=Sum("company_share", filter=Q(status__in=CHARGED_STATUSES, meal_date__gte=today.replace(day=1),
                                              meal_date__lte=today)),
    )
    hint = _("本月公司承担 ¥%(amt)s（%(n)s 笔），从销售业绩中扣减") % {"amt": f"{stats['company'] or 0:,.2f}",
                                                                   "n": stats["n"]}
    if open_emergency:
        return [{"title": _("紧急招待申请待补全"), "value": open_emergency, "hint": hint,
                 "url": reverse("hospitality:index") + "?status=emergency", "tone": "bad"}]
    return [{"title": _("本月招待费"), "value": f"¥{stats['company'] or 0:,.2f}", "hint": hint,
             "url": reverse("hospitality:claims"), "tone": "default"}]
