"""HQ materials stock (总部物料, S000-05), branch material requests (分公司物料请购, S000-06) and
the uniform templates library (宣传物料全国统一版本, S000-55).

Stock: ``Material.on_hand`` is the running sum of its ``StockMovement`` ledger, changed only by
``services`` under ``select_for_update`` on the material row, and a database CHECK refuses a
negative value as the last guard. Every movement records the balance after it."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, Region, TenantOwned, User

MAX_QUANTITY = 1_000_000  # one movement or request line; above this it is a typo


def _suffix(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower()[:10] if "." in filename else "bin"


def material_image_to(instance, filename: str) -> str:
    return f"tenants/{instance.tenant_id}/materials/images/{uuid.uuid4().hex}.{_suffix(filename)}"


def library_file_to(instance, filename: str) -> str:
    return f"tenants/{instance.tenant_id}/materials/library/{instance.item_id}/{uuid.uuid4().hex}.{_suffix(filename)}"


class Material(TenantOwned):
    name = models.CharField(_("物料名称"), max_length=100)
    code = models.CharField(_("物料编码"), max_length=40)
    unit = models.CharField(_("单位"), max_length=10, default="个")
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    image = models.FileField(_("图片"), upload_to=material_image_to, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    low_stock_threshold = models.PositiveIntegerField(
        _("低库存提醒线"), default=0, validators=[MaxValueValidator(MAX_QUANTITY)],
        help_text=_("库存低于或等于此数量时标记为低库存；0 表示不提醒。"),
    )
    # Empty both = every branch may order it; otherwise the listed branches and the branches
    # of the listed regions.
    branches = models.ManyToManyField(Branch, blank=True, related_name="+", verbose_name=_("可申请的分公司"))
    regions = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name=_("可申请的地区"))
    on_hand = models.IntegerField(_("库存"), default=0, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("物料")
        verbose_name_plural = _("物料")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="material_code_unique_per_tenant"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="material_on_hand_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_low(self) -> bool:
        return self.low_stock_threshold > 0 and self.on_hand <= self.low_stock_threshold


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("入库")
    DISPATCH = "dispatch", _("发往分公司")
    ADJUST = "adjust", _("盘点调整")


class RequestStatus(models.TextChoices):
    # submitted -> approved (chain completed) | rejected | withdrawn
    # approved -> partial (some dispatched) -> dispatched (every line in full) -> received (every
    # shipment confirmed); approved | partial -> closed (marketing ends it, the rest is not sent)
    SUBMITTED = "submitted", _("审批中")
    APPROVED = "approved", _("待发货")
    PARTIAL = "partial", _("部分发货")
    DISPATCHED = "dispatched", _("已发货待签收")
    RECEIVED = "received", _("已签收")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


DISPATCHABLE = (RequestStatus.APPROVED, RequestStatus.PARTIAL)
STATUS_TONES = {
    RequestStatus.SUBMITTED: "info", RequestStatus.APPROVED: "warn", RequestStatus.PARTIAL: "warn",
    RequestStatus.DISPATCHED: "info", RequestStatus.RECEIVED: "ok", RequestStatus.REJECTED: "bad",
}


class MaterialRequest(TenantOwned):
    number = models.CharField(_("请购单号"), max_length=20)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    note = models.TextField(_("申请说明"), max_length=2000, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    approved_at = models.DateTimeField(_("审批通过时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    close_reason = models.CharField(_("结案原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("物料请购")
        verbose_name_plural = _("物料请购")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="material_request_number_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "branch", "-created_at"], name="matreq_branch_time_idx"),
            models.Index(fields=["tenant", "status", "-created_at"], name="matreq_status_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.branch.name}"

    @property
    def is_dispatchable(self) -> bool:
        return self.status in DISPATCHABLE

    @property
    def status_tone(self) -> str:
        return STATUS_TONES.get(self.status, "muted")


class MaterialRequestLine(TenantOwned):
    request = models.ForeignKey(MaterialRequest, on_delete=models.CASCADE, related_name="lines",
                                verbose_name=_("请购单"))
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+", verbose_name=_("物料"))
    quantity = models.PositiveIntegerField(
        _("申请数量"), validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    reason = models.CharField(_("用途"), max_length=200, blank=True)
    dispatched = models.PositiveIntegerField(_("已发数量"), default=0)

    class Meta:
        verbose_name = _("请购明细")
        verbose_name_plural = _("请购明细")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "material"], name="material_request_line_unique"),
            models.CheckConstraint(condition=Q(dispatched__lte=models.F("quantity")),
                                   name="material_line_not_over_dispatched"),
        ]

    def __str__(self) -> str:
        return f"{self.material} × {self.quantity}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.dispatched


class Shipment(TenantOwned):
    """One dispatch of (part of) a request: its stock movements, courier and waybill, and the
    branch's receipt."""

    request = models.ForeignKey(MaterialRequest, on_delete=models.CASCADE, related_name="shipments",
                                verbose_name=_("请购单"))
    courier = models.CharField(_("快递公司"), max_length=40, blank=True)
    waybill = models.CharField(_("运单号"), max_length=40, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    dispatched_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发货人"))
    dispatched_at = models.DateTimeField(_("发货时间"), auto_now_add=True)
    received_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("签收人"))
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发货记录")
        verbose_name_plural = _("发货记录")
        ordering = ["dispatched_at", "id"]

    def __str__(self) -> str:
        return f"{self.request.number} #{self.pk}"


class StockMovement(TenantOwned):
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="movements",
                                 verbose_name=_("物料"))
    kind = models.CharField(_("类型"), max_length=10, choices=MovementKind.choices)
    delta = models.IntegerField(_("数量变动"))  # + into stock, - out of stock
    balance_after = models.IntegerField(_("变动后库存"))
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, null=True, blank=True, related_name="movements",
                                 verbose_name=_("发货记录"))
    line = models.ForeignKey(MaterialRequestLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("请购明细"))
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("库存变动")
        verbose_name_plural = _("库存变动")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "material", "-created_at"], name="stockmove_material_time_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="stock_movement_balance_not_negative"),
            models.CheckConstraint(condition=~Q(delta=0), name="stock_movement_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.material.code} {self.delta:+d}"

    @property
    def quantity(self) -> int:
        return abs(self.delta)


class RequestSequence(TenantOwned):
    """Per-tenant, per-year counter for request numbers (WL-2026-00001), locked when used."""

    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="material_request_sequence_unique")]


class LibraryCategory(models.TextChoices):
    POSTER = "poster", _("海报/展架")
    LEAFLET = "leaflet", _("折页/单页")
    CONTRACT = "contract", _("合同/协议模板")
    FORM = "form", _("表单/报表模板")
    SLIDES = "slides", _("演示文稿")
    BRAND = "brand", _("品牌规范/标识")
    OTHER = "other", _("其他")


class LibraryItem(TenantOwned):
    title = models.CharField(_("名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=10, choices=LibraryCategory.choices, default=LibraryCategory.OTHER)
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    latest_number = models.PositiveIntegerField(_("最新版本"), default=0)
    latest_published_at = models.DateTimeField(_("最新发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("统一版本模板")
        verbose_name_plural = _("统一版本模板")
        ordering = ["category", "title", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "title"], name="library_item_title_unique")]

    def __str__(self) -> str:
        return self.title


class LibraryVersion(TenantOwned):
    item = models.ForeignKey(LibraryItem, on_delete=models.CASCADE, related_name="versions", verbose_name=_("模板"))
    number = models.PositiveIntegerField(_("版本号"))
    file = models.FileField(_("文件"), upload_to=library_file_to)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)
    notes = models.TextField(_("版本说明"), max_length=2000, blank=True)
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("模板版本")
        verbose_name_plural = _("模板版本")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="library_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.item.title} v{self.number}"
