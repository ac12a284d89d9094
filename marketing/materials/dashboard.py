"""Home cards: marketing sees the requests waiting to be sent and the low-stock count; a
branch sees its shipments waiting for its receipt. One aggregate query each."""

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from marketing.roles import Cap

from .models import Material, RequestStatus, Shipment
from .selectors import visible_requests


def home_cards(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    cards = []
    if membership.can(Cap.MATERIALS_MANAGE):
        stats = Material.objects.filter(tenant=request.tenant, active=True).aggregate(
            low=Count("pk", filter=Q(low_stock_threshold__gt=0, on_hand__lte=F("low_stock_threshold"))))
        waiting = visible_requests(membership=membership).filter(
            status__in=[RequestStatus.APPROVED, RequestStatus.PARTIAL]).count()
        cards.append({
            "title": _("物料待发货"), "value": waiting,
            "hint": _("低库存物料 %(n)s 种") % {"n": stats["low"]},
            "url": reverse("materials:requests") + "?status=approved", "tone": "warn" if waiting else "ok",
        })
    elif membership.can(Cap.MATERIALS_REQUEST):
        to_confirm = Shipment.objects.filter(
            tenant=request.tenant, received_at__isnull=True,
            request__in=visible_requests(membership=membership).values("pk")).count()
        if to_confirm:
            cards.append({
                "title": _("物料待签收"), "value": to_confirm, "hint": _("总部已发出，收到后请确认"),
                "url": reverse("materials:requests") + "?status=dispatched", "tone": "warn",
            })
    return cards
