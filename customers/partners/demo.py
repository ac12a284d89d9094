"""Demo register: dealers and repair shops with agreements in every state of the original
(待寄出, 已寄出, 总部已收, 已归档, a return to the branch), a renewal, a termination, a draft and
an agreement about to expire. Built through the services; idempotent."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from marketing.models import Branch

from . import services
from .models import CheckResult, Partner, PartnerType

CODES = ["91350100M000100Y43", "91110108551385082Q", "9144030071526726XG", "91110000802100433B"]
NAMES = [("dealer", "顺达汽车销售服务有限公司"), ("repair_shop", "恒通汽车维修有限公司"),
         ("dealer", "永达别克汽车销售有限公司"), ("repair_shop", "锦江汽车快修连锁")]


def _actor(personas):
    for key in ("mspec", "mdirector", "admin"):
        if key in personas:
            return personas[key]
    return next(iter(personas.values()))


def _scan(name: str) -> ContentFile:
    return ContentFile(b"%PDF-1.4 demo agreement scan\n", name=name)


def _demo_import(tenant, actor) -> None:
    from marketing.models import Membership

    from . import imports

    membership = Membership.objects.filter(tenant=tenant, user=actor).first()
    if membership is not None:
        imports.import_upload(membership=membership, actor=actor, filename="签约模板示例.xlsx",
                              content=imports.template_xlsx())


def seed(*, tenant, personas: dict, rich: bool) -> None:
    services.ensure_default_types(tenant)
    # The daily-report demo may already have written partners through its hook: our marker is
    # the first demo credit code.
    if Partner.objects.filter(tenant=tenant, credit_code=CODES[0]).exists():
        return
    actor = _actor(personas)
    branches = list(Branch.objects.filter(tenant=tenant, is_active=True).select_related("region"))
    if not branches:
        return
    types = {t.code: t for t in PartnerType.objects.filter(tenant=tenant)}
    today = timezone.localdate()
    sales = personas.get("sales")
    count = len(NAMES) if rich else 2
    made = []
    for i, (code, name) in enumerate(NAMES[:count]):
        branch = branches[i % len(branches)]
        partner = services.partner_create(tenant=tenant, actor=actor, type=types[code], name=f"{branch.city}{name}",
                                          branch=branch, credit_code=CODES[i], city=branch.city,
                                          salesperson=sales if i == 0 else None, contacts="王经理 13800000000")
        signed = today - dt.timedelta(days=40 - i * 10)
        agreement = services.agreement_create(partner=partner, actor=actor, signed_on=signed, starts_on=signed,
                                              ends_on=signed + dt.timedelta(days=364), branch=branch,
                                              salesperson=sales, terms="延保产品代理销售，返佣按季度结算。",
                                              scan=_scan("协议扫描件.pdf"), _skip_review=True)
        made.append(agreement)
    # states of the original: first archived, second sent; rich: third returned, fourth received
    first = made[0]
    services.original_send(agreement=first, actor=actor, courier="顺丰", waybill="SF100000001",
                           sent_on=first.signed_on + dt.timedelta(days=1))
    services.original_receive(agreement=first, actor=actor, result=CheckResult.COMPLETE)
    services.original_archive(agreement=first, actor=actor, location="A柜-01盒")
    services.original_send(agreement=made[1], actor=actor, courier="EMS", waybill="EA200000002CN",
                           sent_on=made[1].signed_on + dt.timedelta(days=2))
    _demo_import(tenant, actor)
    if not rich:
        return
    third, fourth = made[2], made[3]
    services.original_send(agreement=third, actor=actor, courier="中通", waybill="ZT300000003",
                           sent_on=third.signed_on)
    services.original_receive(agreement=third, actor=actor, result=CheckResult.MISSING_PAGES,
                              remarks="缺盖章页")
    services.original_send(agreement=fourth, actor=actor, courier="顺丰", waybill="SF400000004",
                           sent_on=fourth.signed_on)
    services.original_receive(agreement=fourth, actor=actor, result=CheckResult.COMPLETE)
    # a renewal of the first partner, ending soon; a termination; a draft under review
    renewal = services.agreement_create(partner=first.partner, actor=actor, signed_on=today - dt.timedelta(days=3),
                                        starts_on=today - dt.timedelta(days=340), ends_on=today + dt.timedelta(days=20),
                                        branch=first.branch, salesperson=sales, terms="续签一年。", _skip_review=True)
    del renewal
    services.agreement_terminate(agreement=fourth, actor=actor, terminated_on=today, reason="对方停业")
    from .review import draft_submit

    draft_submit(partner=made[1].partner, actor=actor, starts_on=today + dt.timedelta(days=10),
                 ends_on=today + dt.timedelta(days=375), terms="拟续签：返佣上调 1 个百分点。")
