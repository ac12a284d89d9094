"""Every write on products and their versions (产品设计审批表). The approval steps are the
engine's; the hooks at the bottom keep the version and the product in step with the chain."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.approvals.services import approval_start
from marketing.approvals.uploads import validate_attachment
from marketing.audit import audit_record, changed_fields, model_snapshot
from marketing.roles import Role
from marketing.selectors import users_with_roles, visible_branches

from ..mail import absolute, emails_of, mail_language, send_notice
from ..models import (
    OPEN_VERSION_STATUSES,
    Product,
    ProductStatus,
    ProductVersion,
    VersionStatus,
)

VERSION_FIELDS = ["name", "coverage", "vehicle_type", "term_months", "mileage_limit", "price", "branch", "reason",
                  "estimated_unit_cost", "development_cost", "expected_sales"]


def _check_branch(*, membership, branch) -> None:
    if branch is None or not visible_branches(membership=membership).filter(pk=branch.pk).exists():
        raise ValidationError(_("您不能为该分公司申请产品设计。"), code="branch_not_allowed")


def _apply(version: ProductVersion, data: dict, clauses=None) -> None:
    for name, value in data.items():
        if name not in VERSION_FIELDS:
            raise ValidationError(f"not an editable field: {name}", code="bad_field")
        setattr(version, name, value)
    if clauses is not None:
        validate_attachment(clauses)
        version.clauses_name = clauses.name[:200]
        version.clauses.save(clauses.name, clauses, save=False)
    version.full_clean(exclude=["product", "number", "clauses"])


@transaction.atomic
def product_design_create(*, tenant, membership, actor, code: str, data: dict, clauses=None, submit: bool = False,
                          request=None) -> ProductVersion:
    """A new product (设计中) with its first version, for a branch that needs it (S000-35)."""
    _check_branch(membership=membership, branch=data.get("branch"))
    code = (code or "").strip().upper()
    if Product.objects.filter(tenant=tenant, code=code).exists():
        raise ValidationError({"code": _("产品代码 %(c)s 已存在。") % {"c": code}}, code="duplicate_code")
    product = Product(tenant=tenant, code=code, name=data.get("name") or "", created_by=actor)
    product.full_clean(exclude=["current_version", "created_by"])
    product.save()
    version = ProductVersion(tenant=tenant, product=product, number=1, applicant=actor)
    _apply(version, data, clauses)
    version.save()
    audit_record(tenant=tenant, actor=actor, verb="contracts.product_create", obj=product,
                 after={"code": code, "name": product.name, "version": 1}, request=request)
    if submit:
        version_submit(version=version, actor=actor, request=request)
    return version


@transaction.atomic
def product_version_create(*, product, membership, actor, data: dict, clauses=None, submit: bool = False,
                           request=None) -> ProductVersion:
    """A change to an approved product: a new version that goes through the chain again. The
    current version stays in force (and readable) until the new one is approved."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.current_version_id is None:
        raise ValidationError(_("产品尚未批准，请直接修改待审批的版本。"), code="not_approved_yet")
    if product.versions.filter(status__in=OPEN_VERSION_STATUSES).exists():
        raise ValidationError(_("该产品已有一个未完成的新版本，请先处理该版本。"), code="open_version_exists")
    _check_branch(membership=membership, branch=data.get("branch"))
    current = product.current_version
    number = (product.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = ProductVersion(tenant=product.tenant, product=product, number=number, applicant=actor)
    if clauses is None and current.clauses:
        # the new version keeps the clauses document unless a new one is attached
        version.clauses, version.clauses_name = current.clauses.name, current.clauses_name
    _apply(version, data, clauses)
    version.save()
    audit_record(tenant=product.tenant, actor=actor, verb="contracts.version_create", obj=version,
                 after=model_snapshot(version, ["number", *VERSION_FIELDS]), request=request)
    if submit:
        version_submit(version=version, actor=actor, request=request)
    return version


@transaction.atomic
def version_update(*, version, membership, actor, data: dict, clauses=None, submit: bool = False,
                   request=None) -> ProductVersion:
    version = ProductVersion.objects.select_for_update().select_related("product").get(pk=version.pk)
    if version.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人可以修改。"), code="not_applicant")
    if not version.is_editable:
        raise ValidationError(_("审批中或已批准的版本不能修改。"), code="not_editable")
    if "branch" in data and data["branch"].pk != version.branch_id:
        _check_branch(membership=membership, branch=data["branch"])
    before = model_snapshot(version, VERSION_FIELDS)
    _apply(version, data, clauses)
    version.save()
    if version.number == 1 and version.product.name != version.name:
        version.product.name = version.name
        version.product.save(update_fields=["name"])
    old, new = changed_fields(before, model_snapshot(version, VERSION_FIELDS))
    if new or clauses is not None:
        audit_record(tenant=version.tenant, actor=actor, verb="contracts.version_update", obj=version,
                     before=old, after={**new, **({"clauses": version.clauses_name} if clauses else {})},
                     request=request)
    if submit:
        version_submit(version=version, actor=actor, request=request)
    return version


@transaction.atomic
def version_submit(*, version, actor, request=None) -> ProductVersion:
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    if version.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人可以提交。"), code="not_applicant")
    if not version.is_editable:
        raise ValidationError(_("该版本已提交，不能重复提交。"), code="not_editable")
    if not version.clauses:
        raise ValidationError(_("请先上传合同条款文件。"), code="clauses_required")
    old = version.status
    version.status, version.submitted_at = VersionStatus.SUBMITTED, timezone.now()
    version.save(update_fields=["status", "submitted_at"])
    audit_record(tenant=version.tenant, actor=actor, verb="contracts.version_submit", obj=version,
                 before={"status": old}, after={"status": version.status}, request=request)
    approval_start(document=version, actor=actor, request=request)
    return version


_PRODUCT_MOVES = {
    "online": ({ProductStatus.APPROVED, ProductStatus.RETIRED}, ProductStatus.ONLINE),
    "retire": ({ProductStatus.APPROVED, ProductStatus.ONLINE}, ProductStatus.RETIRED),
}


@transaction.atomic
def product_set_status(*, product, actor, move: str, request=None) -> Product:
    """Marketing puts an approved product on sale (上线) or retires it (停用)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    allowed, target = _PRODUCT_MOVES[move]
    if product.status not in allowed or product.current_version_id is None:
        raise ValidationError(
            _("产品当前状态为“%(s)s”，不能%(m)s。") % {"s": product.get_status_display(),
                                                 "m": _("上线") if move == "online" else _("停用")},
            code="bad_move",
        )
    old = product.status
    product.status = target
    product.save(update_fields=["status"])
    audit_record(tenant=product.tenant, actor=actor, verb=f"contracts.product_{move}", obj=product,
                 before={"status": old}, after={"status": target}, request=request)
    return product


@transaction.atomic
def product_set_bar(*, product, actor, bar, request=None) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    old = product.sell_through_bar
    product.sell_through_bar = bar
    product.full_clean(exclude=["current_version", "created_by"])
    product.save(update_fields=["sell_through_bar"])
    audit_record(tenant=product.tenant, actor=actor, verb="contracts.product_bar", obj=product,
                 before={"sell_through_bar": old}, after={"sell_through_bar": bar}, request=request)
    return product


# --- approval hooks (inside the engine's transaction, version locked) ------------------------


def _set_status(version, actor, status, verb, **extra):
    old = version.status
    version.status = status
    for k, v in extra.items():
        setattr(version, k, v)
    version.save(update_fields=["status", *extra])
    audit_record(tenant=version.tenant, actor=actor, verb=f"contracts.version_{verb}", obj=version,
                 before={"status": old}, after={"status": status})


def on_version_approved(version, actor) -> None:
    """The chain is done: this version becomes the product's current one; the previous one is
    kept as 已被新版本取代. Marketing is asked to put the product into the price list (S000-37)."""
    product = Product.objects.select_for_update().get(pk=version.product_id)
    previous = product.current_version_id
    if previous:
        ProductVersion.objects.filter(pk=previous).update(status=VersionStatus.SUPERSEDED)
    _set_status(version, actor, VersionStatus.APPROVED, "approved", approved_at=timezone.now())
    before = {"status": product.status, "current_version": previous}
    product.current_version = version
    product.name = version.name
    if product.status == ProductStatus.DESIGN:
        product.status = ProductStatus.APPROVED
    product.save(update_fields=["current_version", "name", "status"])
    audit_record(tenant=product.tenant, actor=actor, verb="contracts.product_approved", obj=product,
                 before=before, after={"status": product.status, "current_version": version.pk})
    marketing = users_with_roles(tenant=product.tenant, roles=[Role.MARKETING_SPECIALIST])
    with mail_language():
        send_notice(
            tenant=product.tenant, to=emails_of(marketing),
            subject=_("[产品已批准] %(code)s %(name)s 第 %(n)s 版，请完善产品体系报价表") % {
                "code": product.code, "name": product.name, "n": version.number},
            body=_("您好：\n\n产品 %(code)s %(name)s 第 %(n)s 版已通过产品设计审批。\n"
                   "请将其加入下一版产品体系报价表并发与分总确认。\n\n查看：%(url)s\n") % {
                "code": product.code, "name": product.name, "n": version.number,
                "url": absolute(reverse("contracts:product_detail", kwargs={"pk": product.pk}))},
        )


def on_version_rejected(version, actor, reason) -> None:
    _set_status(version, actor, VersionStatus.REJECTED, "rejected")


def on_version_withdrawn(version, actor) -> None:
    _set_status(version, actor, VersionStatus.WITHDRAWN, "withdrawn")
