"""Warranty products (延保产品) with versions and their design approval, the versioned price
list (产品体系报价表), and the numbered contract ledger (合同台账). Every model is tenant-owned."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned, User
from reports.summary import pct as _summary_pct  # one rounding rule for every rate shown

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
    # S001-20 (营销策划 2-2: 模拟定价、成本估算报告、投入产出比): optional cost estimate of the design.
    estimated_unit_cost = models.DecimalField(
        _("预估单位成本（元/份）"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))], help_text=_("每份合同的预估赔付、佣金等成本"),
    )
    development_cost = models.DecimalField(
        _("开发与推广投入（元）"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    expected_sales = models.PositiveIntegerField(_("预计销量（份）"), null=True, blank=True)
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
    def has_cost_estimate(self) -> bool:
        return None not in (self.estimated_unit_cost, self.development_cost, self.expected_sales)

    @property
    def estimated_input(self) -> Decimal | None:
        """投入: development and promotion plus unit cost × expected sales."""
        if not self.has_cost_estimate:
            return None
        return self.development_cost + self.estimated_unit_cost * self.expected_sales

    @property
    def estimated_output(self) -> Decimal | None:
        """产出: suggested price × expected sales."""
        if not self.has_cost_estimate:
            return None
        return self.price * self.expected_sales

    @property
    def input_output_ratio(self) -> Decimal | None:
        """投入产出比, shown as 1 : this figure (output per yuan put in), to two decimals."""
        total_in = self.estimated_input
        if not total_in:
            return None
        return (self.estimated_output / total_in).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

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
    # null: uploaded by a management command (the audit log says so)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("合同数据导入")
        verbose_name_plural = _("合同数据导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"


# --- the contract ledger (合同台账) ---------------------------------------------------------


class ContractSettings(TenantOwned):
    """The tenant's contract rules (one row per tenant, created on first use)."""

    sell_through_window_days = models.PositiveIntegerField(
        _("动销率统计窗口（天）"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("留空 = 全部历史；否则只统计该天数内派发到分公司的合同"),
    )
    print_lead_working_days = models.PositiveSmallIntegerField(
        _("印刷后派发（工作日）"), default=5, validators=[MinValueValidator(1), MaxValueValidator(60)])
    unconfirmed_after_working_days = models.PositiveSmallIntegerField(
        _("派发未确认提醒（工作日）"), default=3, validators=[MinValueValidator(1), MaxValueValidator(30)])

    class Meta:
        verbose_name = _("合同设置")
        verbose_name_plural = _("合同设置")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="contract_settings_one_per_tenant")]


class PrintOrderStatus(models.TextChoices):
    # ordered -> received (the printed batch entered stock) | cancelled
    ORDERED = "ordered", _("印刷中")
    RECEIVED = "received", _("已入库")
    CANCELLED = "cancelled", _("已取消")


class PrintOrder(TenantOwned):
    """印刷安排 (S000-04/44): created when a passing request finds too little stock."""

    number = models.CharField(_("印刷单号"), max_length=20)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    quantity = models.PositiveIntegerField(_("印刷数量"))
    status = models.CharField(_("状态"), max_length=10, choices=PrintOrderStatus.choices,
                              default=PrintOrderStatus.ORDERED)
    ordered_on = models.DateField(_("下单日期"))
    expected_on = models.DateField(_("计划派发日期"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("下单人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("印刷单")
        verbose_name_plural = _("印刷单")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="print_order_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.product.code} × {self.quantity}"


class PrintBatch(TenantOwned):
    """印刷批次: a printed number range entering HQ stock. Numbers are ``prefix`` + the counter
    zero-padded to ``width`` digits (LZ-2026-000001); ranges of one prefix never overlap."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    prefix = models.CharField(_("编号前缀"), max_length=24, blank=True)
    start = models.PositiveBigIntegerField(_("起始号"))
    end = models.PositiveBigIntegerField(_("截止号"))
    width = models.PositiveSmallIntegerField(_("位数"))
    printer = models.CharField(_("印刷厂"), max_length=100)
    unit_cost = models.DecimalField(_("单价（元/份）"), max_digits=10, decimal_places=4,
                                    validators=[MinValueValidator(Decimal("0"))])
    received_on = models.DateField(_("入库日期"))
    print_order = models.ForeignKey(PrintOrder, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="batches", verbose_name=_("印刷单"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # S000-09 (市场专员: 核对内部台账与印刷厂报价，确认印刷厂结账): the printer's quote and bill are
    # checked against the ledger's cost (unit cost × copies), then the settlement is confirmed.
    # Unchecked (no bill) -> checked (quote and bill recorded, may be corrected) -> settled (final).
    quote_amount = models.DecimalField(_("印刷厂报价（元）"), max_digits=12, decimal_places=2, null=True, blank=True,
                                       validators=[MinValueValidator(Decimal("0"))])
    bill_amount = models.DecimalField(_("印刷厂账单（元）"), max_digits=12, decimal_places=2, null=True, blank=True,
                                      validators=[MinValueValidator(Decimal("0"))])
    settled_at = models.DateTimeField(_("结账时间"), null=True, blank=True)
    settled_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("确认结账人"))
    settlement_note = models.CharField(_("核对说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("印刷批次")
        verbose_name_plural = _("印刷批次")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["tenant", "prefix", "start"], name="print_batch_range_idx")]

    def __str__(self) -> str:
        return f"{self.first_number} – {self.last_number}"

    def number(self, n: int) -> str:
        return f"{self.prefix}{n:0{self.width}d}"

    @property
    def first_number(self) -> str:
        return self.number(self.start)

    @property
    def last_number(self) -> str:
        return self.number(self.end)

    @property
    def copies(self) -> int:
        return self.end - self.start + 1

    @property
    def ledger_amount(self) -> Decimal:
        """The internal ledger's cost of the batch (内部台账): unit cost × copies, to the fen."""
        return (self.unit_cost * self.copies).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def bill_minus_quote(self) -> Decimal | None:
        if self.bill_amount is None or self.quote_amount is None:
            return None
        return self.bill_amount - self.quote_amount

    @property
    def bill_minus_ledger(self) -> Decimal | None:
        if self.bill_amount is None:
            return None
        return self.bill_amount - self.ledger_amount

    @property
    def quote_minus_ledger(self) -> Decimal | None:
        if self.quote_amount is None:
            return None
        return self.quote_amount - self.ledger_amount

    @property
    def is_settled(self) -> bool:
        return self.settled_at is not None

    @property
    def settlement_label(self) -> str:
        if self.is_settled:
            return _("已结账")
        return _("待结账") if self.bill_amount is not None else _("未核对")


class ContractState(models.TextChoices):
    # in_stock -> dispatched (to a branch, with a request's dispatch) | voided (damaged at HQ)
    # dispatched -> received (领用登记: a salesperson of that branch)
    # received -> signed (客户已签, from the CRM's list) | voided (回收作废: miswritten, damaged)
    # signed, voided: final. A dispatched contract damaged at the branch is first registered
    # to whoever holds it, then voided, so 在途使用 = 销售领取 − 客户已签 − 回收作废 always holds.
    IN_STOCK = "in_stock", _("在库")
    DISPATCHED = "dispatched", _("已派发")
    RECEIVED = "received", _("已领取")
    SIGNED = "signed", _("客户已签")
    VOIDED = "voided", _("回收作废")


class Dispatch(TenantOwned):
    """A dispatch of concrete numbers to a branch (the 派发单), confirmed by the branch on receipt."""

    request = models.OneToOneField("ContractRequest", on_delete=models.PROTECT, related_name="dispatch",
                                   verbose_name=_("申领单"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    quantity = models.PositiveIntegerField(_("份数"))
    first_number = models.CharField(_("首号"), max_length=40)
    last_number = models.CharField(_("末号"), max_length=40)
    dispatched_on = models.DateField(_("派发日期"))
    dispatched_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("派发人"))
    confirmed_on = models.DateField(_("确认收货日期"), null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("确认人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合同派发")
        verbose_name_plural = _("合同派发")
        ordering = ["-dispatched_on", "-id"]
        indexes = [models.Index(fields=["tenant", "confirmed_on", "dispatched_on"], name="dispatch_unconfirmed_idx")]

    def __str__(self) -> str:
        return f"{self.branch} {self.product.code} {self.first_number}–{self.last_number}"


class Contract(TenantOwned):
    number = models.CharField(_("合同编号"), max_length=40)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    batch = models.ForeignKey(PrintBatch, on_delete=models.PROTECT, related_name="contracts",
                              verbose_name=_("印刷批次"))
    state = models.CharField(_("状态"), max_length=10, choices=ContractState.choices, default=ContractState.IN_STOCK)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("分公司"))
    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="contracts", verbose_name=_("派发单"))
    holder = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("领取人"))
    holder_name = models.CharField(_("领取人姓名"), max_length=60, blank=True)  # user's name or the roster name
    stocked_on = models.DateField(_("入库日期"))
    dispatched_on = models.DateField(_("派发日期"), null=True, blank=True)
    received_on = models.DateField(_("领取日期"), null=True, blank=True)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    voided_on = models.DateField(_("作废日期"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同台账")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="contract_number_unique_per_tenant")]
        indexes = [
            models.Index(fields=["tenant", "product", "state", "number"], name="contract_stock_idx"),
            models.Index(fields=["tenant", "branch", "product"], name="contract_branch_product_idx"),
            models.Index(fields=["tenant", "state", "number"], name="contract_state_idx"),
            # + contract_usage_idx, a PostgreSQL covering index created in migration 0004
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def state_tone(self) -> str:
        return {"in_stock": "muted", "dispatched": "info", "received": "warn", "signed": "ok",
                "voided": "bad"}.get(self.state, "muted")


class ContractEvent(TenantOwned):
    """One dated move of one contract: who, when, from which state to which, and from where
    (a page, an import job, a dispatch). The operation as a whole is also in the audit log."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events", verbose_name=_("合同"))
    from_state = models.CharField(_("原状态"), max_length=10, choices=ContractState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=10, choices=ContractState.choices)
    on = models.DateField(_("日期"))
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("操作人"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合同流转记录")
        verbose_name_plural = _("合同流转记录")
        ordering = ["created_at", "id"]


class RequestStatus(models.TextChoices):
    # draft -> submitted (approval_start); rejected | withdrawn -> submitted
    # submitted -> to_dispatch (chain approved, stock enough: dispatch next working day)
    #           -> printing (chain approved, stock short: print order, dispatch N working days later)
    #           -> rejected (incl. refused for the sell-through rate) | withdrawn
    # to_dispatch | printing -> dispatched (numbers assigned, note printed) -> received (branch confirmed)
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审批中")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    TO_DISPATCH = "to_dispatch", _("待派发")
    PRINTING = "printing", _("待印刷")
    DISPATCHED = "dispatched", _("已派发")
    RECEIVED = "received", _("已确认收货")


class Recommendation(models.TextChoices):
    DISPATCH = "dispatch", _("次日派发")
    PRINT = "print", _("安排印刷")
    REFUSE = "refuse", _("动销率未达标，建议驳回")


class ContractRequest(TenantOwned):
    """产品合同申领表."""

    number = models.CharField(_("申领编号"), max_length=20)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("产品"))
    quantity = models.PositiveIntegerField(_("申领份数"), validators=[MinValueValidator(1),
                                                                    MaxValueValidator(100000)])
    reason = models.TextField(_("申领说明"), max_length=2000, blank=True)
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    status = models.CharField(_("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # the figures marketing decided on (snapshotted when the chain ends)
    rate = models.DecimalField(_("动销率"), max_digits=7, decimal_places=4, null=True, blank=True)
    dispatched_count = models.PositiveIntegerField(_("已派发"), null=True, blank=True)
    signed_count = models.PositiveIntegerField(_("客户已签"), null=True, blank=True)
    voided_count = models.PositiveIntegerField(_("回收作废"), null=True, blank=True)
    bar = models.DecimalField(_("达标线"), max_digits=5, decimal_places=4, null=True, blank=True)
    stock = models.PositiveIntegerField(_("总部库存"), null=True, blank=True)
    first_request = models.BooleanField(_("首次申领"), default=False)
    recommendation = models.CharField(_("系统建议"), max_length=10, choices=Recommendation.choices, blank=True)
    override_reason = models.TextField(_("超标准批准理由"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("市场审核人"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    planned_dispatch_on = models.DateField(_("计划派发日期"), null=True, blank=True)
    print_order = models.ForeignKey(PrintOrder, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="requests", verbose_name=_("印刷单"))

    class Meta:
        verbose_name = _("合同申领")
        verbose_name_plural = _("合同申领")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="contract_request_number_unique")]
        indexes = [models.Index(fields=["tenant", "status", "-created_at"], name="contract_request_status_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.branch} {self.product.code} × {self.quantity}"

    @property
    def is_editable(self) -> bool:
        return self.status in (RequestStatus.DRAFT, RequestStatus.REJECTED, RequestStatus.WITHDRAWN)

    @property
    def rate_display(self) -> str:
        return "—" if self.rate is None else _summary_pct(str(self.rate))


class ContractSequence(TenantOwned):
    """Per-tenant, per-kind, per-year counters (SL-2026-00001 requests, YS-2026-0001 print orders)."""

    kind = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "year"], name="contract_sequence_unique")]


class UsageWeek(TenantOwned):
    """The Friday usage figures (S000-54): the reminder to operations is claimed here (one per
    tenant and Friday) and operations' confirmation is recorded here."""

    as_of = models.DateField(_("统计截止日"))
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("每周合同使用情况")
        verbose_name_plural = _("每周合同使用情况")
        constraints = [models.UniqueConstraint(fields=["tenant", "as_of"], name="usage_week_unique")]
