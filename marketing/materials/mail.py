"""The messages of material requests, all through the common outbox (``notify``): called inside
the service's transaction, so a rolled-back change sends nothing. Composed in the product's
language (settings.LANGUAGE_CODE), whatever the language of the page that caused them."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing.notifications.models import register_kind
from marketing.notifications.services import notify
from marketing.roles import Role
from marketing.selectors import users_with_roles

KIND_TO_DISPATCH = "materials.to_dispatch"
KIND_DISPATCHED = "materials.dispatched"
KIND_RECEIVED = "materials.received"
KIND_CLOSED = "materials.closed"
register_kind(KIND_TO_DISPATCH, gettext_lazy("物料请购待发货"))
register_kind(KIND_DISPATCHED, gettext_lazy("物料已发货"))
register_kind(KIND_RECEIVED, gettext_lazy("物料已签收"))
register_kind(KIND_CLOSED, gettext_lazy("物料请购已结案"))

MANAGER_ROLES = (Role.MARKETING_SPECIALIST,)


def _link(req) -> str:
    return reverse("materials:request_detail", kwargs={"pk": req.pk})


def _lines(req) -> list[str]:
    return [f"· {line.material.name}：{line.dispatched}/{line.quantity} {line.material.unit}"
            for line in req.lines.select_related("material")]


def branch_people(req) -> list:
    """The applicant and the branch's GM(s): who hears about the branch's request."""
    gms = users_with_roles(tenant=req.tenant, roles=[Role.BRANCH_GM], branch=req.branch)
    return [req.applicant, *gms]


def notify_to_dispatch(req) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        notify(tenant=req.tenant, kind=KIND_TO_DISPATCH,
               users=list(users_with_roles(tenant=req.tenant, roles=MANAGER_ROLES)),
               subject=_("物料请购 %(n)s 已审批通过，待发货") % {"n": req.number},
               lines=[_("%(b)s 的物料请购已审批通过：") % {"b": req.branch.name}, *_lines(req)],
               link=_link(req), dedupe_key=f"materials.approved:{req.pk}")


def notify_dispatched(req, shipment) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        extra = []
        if shipment.courier or shipment.waybill:
            extra.append(_("快递：%(c)s %(w)s") % {"c": shipment.courier, "w": shipment.waybill})
        notify(tenant=req.tenant, kind=KIND_DISPATCHED, users=branch_people(req),
               subject=_("物料请购 %(n)s 已发货") % {"n": req.number},
               lines=[_("总部已发出以下物料（已发/申请），收到后请在系统中确认签收："), *_lines(req), *extra],
               link=_link(req), dedupe_key=f"materials.dispatched:{shipment.pk}")


def notify_received(req, shipment, actor) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        notify(tenant=req.tenant, kind=KIND_RECEIVED, users=[shipment.dispatched_by],
               subject=_("物料请购 %(n)s 已签收") % {"n": req.number},
               lines=[_("%(b)s 的 %(who)s 已确认收货。") % {"b": req.branch.name, "who": actor.display_name}],
               link=_link(req), dedupe_key=f"materials.received:{shipment.pk}")


def notify_closed(req) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        notify(tenant=req.tenant, kind=KIND_CLOSED, users=branch_people(req),
               subject=_("物料请购 %(n)s 已结案") % {"n": req.number},
               lines=[_("结案原因：%(r)s") % {"r": req.close_reason}, _("未发部分不再发货："), *_lines(req)],
               link=_link(req), dedupe_key=f"materials.closed:{req.pk}")
