"""The versioned price list (产品体系报价表, S000-37/38/39): marketing edits one draft, publishes
it with an effective date, every branch GM confirms or objects, operations ticks each product as
implemented in the system. A published version is never edited."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.models import Branch
from marketing.roles import Role
from marketing.selectors import users_with_roles

from .. import imports
from ..mail import absolute, emails_of, mail_language, send_notice
from ..models import (
    ConfirmationStatus,
    ImportKind,
    PriceList,
    PriceListConfirmation,
    PriceListEntry,
    PriceListImplementation,
    PriceListStatus,
    Product,
    ProductStatus,
)

PRICEABLE = (ProductStatus.APPROVED, ProductStatus.ONLINE)
MAX_PRICE = Decimal("10000000")


def _draft_locked(price_list) -> PriceList:
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    if price_list.status != PriceListStatus.DRAFT:
        raise ValidationError(_("已发布的报价表不能修改，请在新草稿中修改。"), code="not_draft")
    return price_list


@transaction.atomic
def pricelist_draft(*, tenant, actor, request=None) -> PriceList:
    """The tenant's one draft; a new draft starts as a copy of the latest published version."""
    draft = PriceList.objects.select_for_update().filter(tenant=tenant, status=PriceListStatus.DRAFT).first()
    if draft is not None:
        return draft
    last = PriceList.objects.filter(tenant=tenant).aggregate(m=Max("version"))["m"] or 0
    base = PriceList.objects.filter(tenant=tenant, status=PriceListStatus.PUBLISHED).order_by("-version").first()
    try:
        with transaction.atomic():
            draft = PriceList.objects.create(tenant=tenant, version=last + 1, created_by=actor)
    except IntegrityError:  # a concurrent click created it first
        return PriceList.objects.get(tenant=tenant, status=PriceListStatus.DRAFT)
    if base is not None:
        PriceListEntry.objects.bulk_create([
            PriceListEntry(tenant=tenant, price_list=draft, product_id=e.product_id, vehicle_class=e.vehicle_class,
                           term_months=e.term_months, price=e.price)
            for e in base.entries.all()
        ])
    audit_record(tenant=tenant, actor=actor, verb="contracts.pricelist_draft", obj=draft,
                 after={"version": draft.version, "copied_from": base.version if base else None}, request=request)
    return draft


def _check_entry(product, vehicle_class: str, term_months, price) -> None:
    if product.status not in PRICEABLE:
        raise ValidationError(_("产品 %(c)s 当前状态为“%(s)s”，只有已批准或已上线的产品可以报价。")
                              % {"c": product.code, "s": product.get_status_display()}, code="product_not_priceable")
    if not vehicle_class:
        raise ValidationError(_("请填写车辆级别。"), code="vehicle_class_required")
    if not term_months or term_months < 1 or term_months > 240:
        raise ValidationError(_("期限应为 1 到 240 个月。"), code="bad_term")
    if price is None or price <= 0 or price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
        raise ValidationError(_("价格应大于 0，最多两位小数。"), code="bad_price")


@transaction.atomic
def entry_save(*, price_list, actor, product, vehicle_class: str, term_months: int, price: Decimal,
               request=None) -> PriceListEntry:
    """Add a tier to the draft, or change the price of an existing one (same product, class, term)."""
    price_list = _draft_locked(price_list)
    vehicle_class = (vehicle_class or "").strip()[:60]
    _check_entry(product, vehicle_class, term_months, price)
    entry = PriceListEntry.objects.filter(price_list=price_list, product=product, vehicle_class=vehicle_class,
                                          term_months=term_months).first()
    before = {"price": entry.price} if entry else None
    if entry is None:
        entry = PriceListEntry.objects.create(tenant=price_list.tenant, price_list=price_list, product=product,
                                              vehicle_class=vehicle_class, term_months=term_months, price=price)
    else:
        entry.price = price
        entry.save(update_fields=["price"])
    audit_record(tenant=price_list.tenant, actor=actor, verb="contracts.pricelist_entry", obj=price_list,
                 before=before, after={"product": product.code, "vehicle_class": vehicle_class,
                                       "term_months": term_months, "price": price}, request=request)
    return entry


@transaction.atomic
def entry_delete(*, entry, actor, request=None) -> None:
    price_list = _draft_locked(entry.price_list)
    audit_record(tenant=price_list.tenant, actor=actor, verb="contracts.pricelist_entry_delete", obj=price_list,
                 before={"product": entry.product.code, "vehicle_class": entry.vehicle_class,
                         "term_months": entry.term_months, "price": entry.price}, request=request)
    entry.delete()


@transaction.atomic
def pricelist_publish(*, price_list, actor, effective_on, note: str = "", request=None) -> PriceList:
    """Publish the draft with its effective date and ask every branch GM to confirm (S000-38)."""
    price_list = _draft_locked(price_list)
    tenant = price_list.tenant
    today = timezone.localdate(timezone=tenant.zone)
    if effective_on is None or effective_on < today:
        raise ValidationError(_("生效日期不能早于今天。"), code="bad_effective_on")
    entries = list(price_list.entries.select_related("product"))
    if not entries:
        raise ValidationError(_("报价表没有任何报价，不能发布。"), code="empty")
    stale = sorted({e.product.code for e in entries if e.product.status not in PRICEABLE})
    if stale:
        raise ValidationError(_("以下产品已不可报价（未批准或已停用），请先删除：%(c)s") % {"c": "、".join(stale)},
                              code="product_not_priceable")
    price_list.status, price_list.effective_on, price_list.note = PriceListStatus.PUBLISHED, effective_on, note[:300]
    price_list.published_by, price_list.published_at = actor, timezone.now()
    price_list.save(update_fields=["status", "effective_on", "note", "published_by", "published_at"])
    gms = list(users_with_roles(tenant=tenant, roles=[Role.BRANCH_GM]))
    names: dict[int, list[str]] = {}
    from marketing.models import BranchUserObjectPermission

    grants = BranchUserObjectPermission.objects.filter(
        tenant=tenant, user__in=[u.pk for u in gms], permission__codename="act_for_branch"
    ).values_list("user_id", "content_object_id")
    branch_names = dict(Branch.objects.filter(tenant=tenant).values_list("pk", "name"))
    for user_id, branch_id in grants:
        names.setdefault(user_id, []).append(branch_names.get(branch_id, ""))
    PriceListConfirmation.objects.bulk_create([
        PriceListConfirmation(tenant=tenant, price_list=price_list, user=u,
                              branches="、".join(sorted(names.get(u.pk, [])))[:300])
        for u in gms
    ])
    audit_record(tenant=tenant, actor=actor, verb="contracts.pricelist_publish", obj=price_list,
                 before={"status": PriceListStatus.DRAFT},
                 after={"status": price_list.status, "effective_on": effective_on, "entries": len(entries),
                        "confirmations": len(gms)}, request=request)
    with mail_language():
        send_notice(
            tenant=tenant, to=emails_of(gms),
            subject=_("[请确认] 产品体系报价表第 %(v)s 版，%(d)s 起生效") % {"v": price_list.version, "d": effective_on},
            body=_("您好：\n\n市场营销部发布了产品体系报价表第 %(v)s 版，%(d)s 起生效。\n请确认或提出异议：%(url)s\n") % {
                "v": price_list.version, "d": effective_on,
                "url": absolute(reverse("contracts:pricelist_detail", kwargs={"pk": price_list.pk}))},
        )
    return price_list


@transaction.atomic
def confirmation_decide(*, confirmation, actor, decision: str, comment: str = "",
                        request=None) -> PriceListConfirmation:
    """A branch GM confirms, or objects with a comment. A later decision replaces the earlier one
    (an objection that was settled can become a confirmation); each is audited."""
    confirmation = PriceListConfirmation.objects.select_for_update().get(pk=confirmation.pk)
    if confirmation.user_id != actor.pk:
        raise ValidationError(_("只能处理发给您本人的确认。"), code="not_yours")
    if decision not in (ConfirmationStatus.CONFIRMED, ConfirmationStatus.OBJECTED):
        raise ValidationError(_("请选择确认或提出异议。"), code="bad_decision")
    comment = (comment or "").strip()
    if decision == ConfirmationStatus.OBJECTED and not comment:
        raise ValidationError(_("提出异议时请填写意见。"), code="comment_required")
    before = {"status": confirmation.status, "comment": confirmation.comment}
    confirmation.status, confirmation.comment, confirmation.decided_at = decision, comment[:2000], timezone.now()
    confirmation.save(update_fields=["status", "comment", "decided_at"])
    audit_record(tenant=confirmation.tenant, actor=actor, verb=f"contracts.pricelist_{decision}",
                 obj=confirmation.price_list, before=before, after={"status": decision, "comment": comment},
                 request=request)
    return confirmation


@transaction.atomic
def implementation_tick(*, price_list, product, actor, request=None) -> PriceListImplementation:
    """Operations: the product's prices of this version are in the internal system (S000-39)."""
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    if price_list.status != PriceListStatus.PUBLISHED:
        raise ValidationError(_("只有已发布的报价表可以登记系统落实。"), code="not_published")
    if not price_list.entries.filter(product=product).exists():
        raise ValidationError(_("该产品不在这一版报价表中。"), code="not_in_list")
    if PriceListImplementation.objects.filter(price_list=price_list, product=product).exists():
        raise ValidationError(_("该产品已登记落实。"), code="already_implemented")
    done = PriceListImplementation.objects.create(tenant=price_list.tenant, price_list=price_list, product=product,
                                                  implemented_by=actor)
    audit_record(tenant=price_list.tenant, actor=actor, verb="contracts.pricelist_implemented", obj=price_list,
                 after={"product": product.code}, request=request)
    return done


# --- xlsx import of the draft ---------------------------------------------------------------


def _validate_rows(tenant, rows, **_context):
    products = {p.code.upper(): p for p in Product.objects.filter(tenant=tenant)}
    clean, errors, seen = [], [], {}
    for raw in rows:
        messages = []
        code = imports.text(raw.get("product")).upper()
        product = products.get(code)
        if not code:
            messages.append(_("产品代码为空。"))
        elif product is None:
            messages.append(_("未知的产品代码：%(c)s") % {"c": code})
        elif product.status not in PRICEABLE:
            messages.append(_("产品 %(c)s 当前状态为“%(s)s”，不能报价。") % {"c": code, "s": product.get_status_display()})
        vehicle_class = imports.text(raw.get("vehicle_class"))[:60]
        if not vehicle_class:
            messages.append(_("车辆级别为空。"))
        try:
            term = imports.parse_int(raw.get("term_months"))
            if not 1 <= term <= 240:
                raise ValueError
        except ValueError:
            term = None
            messages.append(_("期限应为 1 到 240 的整数：%(v)s") % {"v": raw.get("term_months") or _("（空）")})
        try:
            price = imports.parse_decimal(raw.get("price"))
            if price <= 0 or price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
                raise ValueError
        except ValueError:
            price = None
            messages.append(_("价格应为大于 0 的金额（最多两位小数）：%(v)s") % {"v": raw.get("price") or _("（空）")})
        if not messages:
            key = (code, vehicle_class, term)
            if key in seen:
                messages.append(_("与第 %(n)d 行重复。") % {"n": seen[key]})
            seen[key] = raw["row"]
        if messages:
            errors.append({"row": raw["row"], "messages": messages})
        else:
            clean.append({"row": raw["row"], "product": code, "vehicle_class": vehicle_class, "term_months": term,
                          "price": price.quantize(Decimal("0.01")), "_product_id": product.pk})
    return clean, errors


def _apply_rows(tenant, actor, rows, job):
    """The file becomes the draft's whole content."""
    draft = PriceList.objects.select_for_update().filter(tenant=tenant, pk=job.target_id).first()
    if draft is None or draft.status != PriceListStatus.DRAFT:
        raise ValidationError(_("草稿已发布或不存在，请在新草稿中重新导入。"), code="not_draft")
    wanted = {(r["_product_id"], r["vehicle_class"], r["term_months"]): r["price"] for r in rows}
    existing = {(e.product_id, e.vehicle_class, e.term_months): e.price for e in draft.entries.all()}
    if wanted == existing:
        return {"changed": False, "entries": len(wanted)}
    draft.entries.all().delete()
    PriceListEntry.objects.bulk_create([
        PriceListEntry(tenant=tenant, price_list=draft, product_id=p, vehicle_class=v, term_months=t, price=price)
        for (p, v, t), price in wanted.items()
    ])
    return {"changed": True, "entries": len(wanted), "replaced": len(existing)}


imports.register(ImportKind.PRICE_LIST, imports.Kind(
    columns={"product": ("产品代码", "产品", "product"), "vehicle_class": ("车辆级别", "车型级别", "vehicle_class"),
             "term_months": ("期限（月）", "期限(月)", "期限", "term"), "price": ("价格", "价格（元）", "售价", "price")},
    labels={"product": "产品代码", "vehicle_class": "车辆级别", "term_months": "期限（月）", "price": "价格"},
    validate=_validate_rows, apply=_apply_rows, sheet="明细",
))
