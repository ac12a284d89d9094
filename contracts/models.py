"""Warranty products (延保产品) with versions and their design approval, the versioned price
list (产品体系报价表), and the numbered contract ledger (合同台账). Every model is tenant-owned."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned, User

DEFAULT_BAR = Decimal("0.60")


def clauses_upload_to(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tenants/{instance.tenant_id}/contracts/clauses/{uuid.uuid4().hex}.{suffix}"


class ProductStatus(models.TextChoices):
    # design -> approved (first version approved by the chain)
    # approved -> online (marketing puts it on sale) | retired
    # online -> retired; retired -> online (back on sale)
    # A new version of an approved/online product does not change this status: the product stays
    # on sale with its current version until the new version is approved.
    DESIGN = "design", _("设计中")
    APPROVED = "approved", _("已批准")
    ONLINE = "online", _("已上线")
    RETIRED = "retired", _("已停用")


class VersionStatus(models.TextChoices):
    # draft -> submitted (approval_start); rejected | withdrawn -> submitted (resubmitted)
    # submitted -> approved (chain done: becomes the product's current version) | rejected | withdrawn
    # approved -> superseded (a later version was approved); the old version stays readable
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审批中")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    APPROVED = "approved", _("现行版本")
    SUPERSEDED = "superseded", _("已被新版本取代")


OPEN_VERSION_STATUSES = (VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.REJECTED, VersionStatus.WITHDRAWN)
EDITABLE_VERSION_STATUSES = (VersionStatus.DRAFT, VersionStatus.REJECTED, VersionStatus.WITHDRAWN)


class Product(TenantOwned):
    code = models.CharField(
        _("产品代码"), max_length=30,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("产品代码只能包含字母、数字、-和_"))],
    )
    name = models.CharField(_("产品名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=ProductStatus.choices, default=ProductStatus.DESIGN)
    current_version = models.ForeignKey(
        "ProductVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("现行版本"),
    )
    # 达标线 of the sell-through rate for contract requests of this product (issue 12).
    sell_through_bar = models.DecimalField(
        _("动销率达标线"), max_digits=5, decimal_places=4, default=DEFAULT_BAR,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))

    class Meta:
        verbose_name = _("延保产品")
        verbose_name_plural = _("延保产品")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="product_code_unique_per_tenant")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def bar_display(self) -> str:
        return f"{self.sell_through_bar * 100:.0f}%"


class ProductVersion(TenantOwned):
    """One version of a product's design: the document of the 产品设计审批表."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="versions", verbose_name=_("产品"))
    number = models.PositiveIntegerField(_("版本号"))
    name = models.CharField(_("产品名称"), max_length=100)
    coverage = models.TextField(_("保障范围"), max_length=4000)
    vehicle_type = models.CharField(_("适用车型"), max_length=100)
    term_months = models.PositiveSmallIntegerField(
        _("保障期限（月）"), validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    mileage_limit = models.PositiveIntegerField(
        _("里程上限（公里）"), null=True, blank=True, validators=[MaxValueValidator(10_000_000)],
        help_text=_("不限里程请留空"),
    )
    price = models.DecimalField(
        _("建议售价（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    clauses = models.FileField(_("合同条款"), upload_to=clauses_upload_to, blank=True)
    clauses_name = models.CharField(_("条款文件名"), max_length=200, blank=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请分公司"))
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    reason = models.TextField(_("申请理由"), max_length=2000, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("产品版本")
        verbose_name_plural = _("产品版本")
        ordering = ["product__code", "-number"]
        constraints = [models.UniqueConstraint(fields=["product", "number"], name="product_version_unique")]
        indexes = [models.Index(fields=["tenant", "status", "-created_at"], name="product_version_status_idx")]

    def __str__(self) -> str:
        return f"{self.product.code} v{self.number} {self.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_VERSION_STATUSES

    @property
    def mileage_display(self) -> str:
        return _("不限") if self.mileage_limit is None else f"{self.mileage_limit:,}"
