"""Home cards of contracts/: products waiting for the price list (marketing)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from marketing.roles import Cap

from .models import ConfirmationStatus, ContractRequest, PriceListConfirmation, ProductStatus, RequestStatus
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
    if membership.can(Cap.CONTRACTS_MANAGE):
        from .selectors_ledger import contract_settings, unconfirmed_dispatches
        from .services.ledger import local_today

        settings = contract_settings(request.tenant)
        late = unconfirmed_dispatches(tenant=request.tenant, today=local_today(request.tenant),
                                      working_days=settings.unconfirmed_after_working_days).count()
        waiting = ContractRequest.objects.filter(tenant=request.tenant, status__in=[
            RequestStatus.TO_DISPATCH, RequestStatus.PRINTING]).count()
        cards.append({"title": _("合同待派发"), "value": waiting,
                      "hint": _("派发后超期未确认收货 %(n)s 单") % {"n": late}, "url": reverse("contracts:board"),
                      "tone": "bad" if late else ("warn" if waiting else "ok")})
    if membership.can(Cap.PRICELIST_CONFIRM):
        mine = PriceListConfirmation.objects.filter(tenant=request.tenant, user=request.user,
                                                    status=ConfirmationStatus.PENDING).count()
        if mine:
            cards.append({"title": _("报价表待确认"), "value": mine, "hint": _("市场营销部发来的产品体系报价表"),
                          "url": reverse("contracts:pricelist_index"), "tone": "warn"})
    return cards
