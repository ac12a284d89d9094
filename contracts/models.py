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


# --- the price list (产品体系报价表) --------------------------------------------------------


class PriceListStatus(models.TextChoices):
    # draft -> published (marketing publishes with an effective date). A published version is
    # never edited again: the next change is the next draft.
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class PriceList(TenantOwned):
    version = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=10, choices=PriceListStatus.choices, default=PriceListStatus.DRAFT)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("发布人")
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("产品体系报价表")
        verbose_name_plural = _("产品体系报价表")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="pricelist_version_unique"),
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(status="draft"),
                                    name="pricelist_one_draft_per_tenant"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "-effective_on"], name="pricelist_in_force_idx")]

    def __str__(self) -> str:
        return f"产品体系报价表 第 {self.version} 版"


class PriceListEntry(TenantOwned):
    """One price tier of one product: vehicle class × term."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries",
                                   verbose_name=_("报价表"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    vehicle_class = models.CharField(_("车辆级别"), max_length=60)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"), validators=[MinValueValidator(1),
                                                                            MaxValueValidator(240)])
    price = models.DecimalField(_("价格（元）"), max_digits=12, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        ordering = ["product__code", "vehicle_class", "term_months"]
        constraints = [models.UniqueConstraint(fields=["price_list", "product", "vehicle_class", "term_months"],
                                               name="pricelist_entry_unique")]

    def __str__(self) -> str:
        return f"{self.product.code} {self.vehicle_class} {self.term_months}"


class ConfirmationStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    OBJECTED = "objected", _("有异议")


class PriceListConfirmation(TenantOwned):
    """发与分总确认 (S000-38): one row per branch GM and published version."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="confirmations",
                                   verbose_name=_("报价表"))
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司总经理"))
    branches = models.CharField(_("分公司"), max_length=300, blank=True)  # names at publishing, for the list
    status = models.CharField(_("状态"), max_length=10, choices=ConfirmationStatus.choices,
                              default=ConfirmationStatus.PENDING)
    comment = models.TextField(_("意见"), max_length=2000, blank=True)
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报价表确认")
        verbose_name_plural = _("报价表确认")
        ordering = ["status", "branches", "id"]
        constraints = [models.UniqueConstraint(fields=["price_list", "user"], name="pricelist_confirmation_unique")]

    def __str__(self) -> str:
        return f"{self.price_list} · {self.user}"


class PriceListImplementation(TenantOwned):
    """运营系统落实 (S000-39): operations ticks each product of a published version."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="implementations",
                                   verbose_name=_("报价表"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    implemented_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("落实人"))
    implemented_at = models.DateTimeField(_("落实时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报价表系统落实")
        verbose_name_plural = _("报价表系统落实")
        constraints = [models.UniqueConstraint(fields=["price_list", "product"], name="pricelist_implemented_unique")]


# --- xlsx uploads (price-list draft; ledger movements) ------------------------------------


class ImportKind(models.TextChoices):
    PRICE_LIST = "price_list", _("报价表草稿")
    STOCK = "stock", _("合同入库")
    ISSUES = "issues", _("销售领取登记")
    SIGNINGS = "signings", _("客户签约")
    VOIDS = "voids", _("回收作废")


class ImportStatus(models.TextChoices):
    # ready (every row valid, preview shown) -> done (confirmed: applied in one transaction)
    # invalid (some row is bad: nothing can be applied; upload a corrected file)
    READY = "ready", _("待确认")
    INVALID = "invalid", _("有错误")
    DONE = "done", _("已导入")


class ContractImportJob(TenantOwned):
    kind = models.CharField(_("数据类型"), max_length=12, choices=ImportKind.choices)
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"))
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices)
    total_rows = models.PositiveIntegerField(_("行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    preview = models.JSONField(_("预览"), default=list, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)  # e.g. the price-list draft
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("合同数据导入")
        verbose_name_plural = _("合同数据导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"
