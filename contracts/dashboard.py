"""Home cards of contracts/: products waiting for the price list (marketing)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from marketing.roles import Cap

from .models import ConfirmationStatus, PriceListConfirmation, ProductStatus
from .selectors import visible_products


def home_cards(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    cards = []
    if membership.can(Cap.PRODUCTS_MANAGE):
        waiting = visible_products(membership=membership).filter(status=ProductStatus.APPROVED).count()
        cards.append({
            "title": _("已批准待上线产品"), "value": waiting, "hint": _("请加入产品体系报价表并上线"),
            "url": reverse("contracts:product_list") + "?status=approved", "tone": "warn" if waiting else "ok",
        })
    if membership.can(Cap.PRICELIST_CONFIRM):
        mine = PriceListConfirmation.objects.filter(tenant=request.tenant, user=request.user,
                                                    status=ConfirmationStatus.PENDING).count()
        if mine:
            cards.append({"title": _("报价表待确认"), "value": mine, "hint": _("市场营销部发来的产品体系报价表"),
                          "url": reverse("contracts:pricelist_index"), "tone": "warn"})
    return cards
