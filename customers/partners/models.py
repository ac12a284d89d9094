"""Partners (经销商 / 修理厂 / tenant-defined types), their cooperation agreements and the
paper original's trail to the Shanghai archive. Every model is tenant-owned."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, Region, TenantOwned

DEALER = "dealer"
REPAIR_SHOP = "repair_shop"
# Seeded for every tenant (services.ensure_default_types); the codes tie the daily report's
# partner kinds and the summary's 今日新签经销商 / 修理厂 columns to a type.
DEFAULT_TYPES = [(DEALER, "经销商"), (REPAIR_SHOP, "修理厂")]


class PartnerType(TenantOwned):
    """经销商, 修理厂, or a type the tenant adds. A type in use is deactivated, never deleted."""

    code = models.SlugField(_("代码"), max_length=30)
    name = models.CharField(_("名称"), max_length=30)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("合作单位类型")
        verbose_name_plural = _("合作单位类型")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="partners_type_code_unique"),
            models.UniqueConstraint(fields=["tenant", "name"], name="partners_type_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerSettings(TenantOwned):
    """One row per tenant, created on first use with the defaults."""

    original_due_working_days = models.PositiveSmallIntegerField(
        _("原件应寄达期限（工作日）"), default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    review_required = models.BooleanField(_("签约前必须报备审批"), default=False)

    class Meta:
        verbose_name = _("合作协议设置")
        verbose_name_plural = _("合作协议设置")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="partners_settings_one_per_tenant")]


class Partner(TenantOwned):
    type = models.ForeignKey(PartnerType, on_delete=models.PROTECT, related_name="partners", verbose_name=_("类型"))
    name = models.CharField(_("名称"), max_length=100)
    # Blank only for rows migrated from the old daily-report list, which never asked for it.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    credit_code_override = models.CharField(
        _("校验位不符的说明"), max_length=200, blank=True,
        help_text=_("2016 年以前核发的部分代码校验位不符：确认无误时在此说明原因。"),
    )
    city = models.CharField(_("城市"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("服务分公司"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("服务销售"),
    )
    contacts = models.TextField(_("联系人及电话"), blank=True, help_text=_("每行一位：姓名 电话 职务"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("合作单位")
        verbose_name_plural = _("合作单位")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "credit_code"], condition=~Q(credit_code=""), name="partners_credit_code_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "branch"], name="partners_partner_branch_idx"),
            models.Index(fields=["tenant", "region"], name="partners_partner_region_idx"),
            models.Index(fields=["tenant", "name"], name="partners_partner_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class AgreementStage(models.TextChoices):
    """DRAFT -> SIGNED (signed scan attached; after an approved review when the tenant requires
    one) ; DRAFT -> CANCELLED ; SIGNED -> TERMINATED. A terminated agreement stays on file."""

    DRAFT = "draft", _("洽谈报备")  # a deal in progress reported before signing (S003-05)
    SIGNED = "signed", _("已签订")
    TERMINATED = "terminated", _("已终止")
    CANCELLED = "cancelled", _("已撤销")  # a draft that never became an agreement


class AgreementKind(models.TextChoices):
    NEW = "new", _("新签")
    RENEWAL = "renewal", _("续签")


class OriginalState(models.TextChoices):
    """The paper original (S000-33, S003-06). TO_SEND -> SENT (courier, waybill, date);
    SENT -> RECEIVED (checked complete) | TO_SEND (missing pages / wrong copy: returned to the
    branch); RECEIVED -> ARCHIVED (box / shelf). Nothing else."""

    TO_SEND = "to_send", _("待寄出")
    SENT = "sent", _("已寄出")
    RECEIVED = "received", _("总部已收")
    ARCHIVED = "archived", _("已归档")


class CheckResult(models.TextChoices):
    COMPLETE = "complete", _("齐全")
    MISSING_PAGES = "missing_pages", _("缺页")
    WRONG_COPY = "wrong_copy", _("非原件/版本不符")


def agreement_scan_upload_to(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tenants/{instance.tenant_id}/partners/{uuid.uuid4().hex}.{suffix}"


class Agreement(TenantOwned):
    """合作协议. Renewals are further agreements of the same partner (kind RENEWAL)."""

    number = models.CharField(_("协议编号"), max_length=40)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("合作单位"))
    kind = models.CharField(_("性质"), max_length=10, choices=AgreementKind.choices, default=AgreementKind.NEW)
    stage = models.CharField(_("状态"), max_length=12, choices=AgreementStage.choices, default=AgreementStage.SIGNED)
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    starts_on = models.DateField(_("合作开始"))
    ends_on = models.DateField(_("合作结束"))
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("签约销售"),
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("签约分公司"))
    terms = models.TextField(_("合作条款摘要"), blank=True)
    scan = models.FileField(_("协议扫描件"), upload_to=agreement_scan_upload_to, blank=True)
    scan_name = models.CharField(_("扫描件文件名"), max_length=200, blank=True)
    original_state = models.CharField(
        _("原件状态"), max_length=10, choices=OriginalState.choices, default=OriginalState.TO_SEND
    )
    courier = models.CharField(_("快递公司"), max_length=40, blank=True)
    waybill = models.CharField(_("运单号"), max_length=40, blank=True)
    sent_on = models.DateField(_("寄出日期"), null=True, blank=True)
    received_at = models.DateTimeField(_("总部签收时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("签收人"),
    )
    check_result = models.CharField(_("核对结果"), max_length=16, choices=CheckResult.choices, blank=True)
    check_remarks = models.CharField(_("核对备注"), max_length=200, blank=True)
    archive_location = models.CharField(_("归档位置"), max_length=60, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    terminated_on = models.DateField(_("终止日期"), null=True, blank=True)
    termination_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    # The daily report line (reports.SignedPartner) this agreement came from, and its report.
    legacy_signed_partner_id = models.BigIntegerField(null=True, blank=True, editable=False)
    source_report_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("合作协议")
        verbose_name_plural = _("合作协议")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="partners_agreement_number_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="partners_agreement_end_after_start"),
            models.UniqueConstraint(
                fields=["tenant", "legacy_signed_partner_id"], condition=Q(legacy_signed_partner_id__isnull=False),
                name="partners_agreement_legacy_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "signed_on"], name="partners_agr_signed_idx"),
            models.Index(fields=["tenant", "ends_on"], name="partners_agr_ends_idx"),
            models.Index(fields=["tenant", "original_state"], name="partners_agr_original_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("登记合作单位")
    EDITED = "edited", _("修改资料")
    DRAFTED = "drafted", _("签约前报备")
    SIGNED = "signed", _("新签协议")
    RENEWED = "renewed", _("续签协议")
    TERMINATED = "terminated", _("终止协议")
    SENT = "sent", _("原件寄出")
    RECEIVED = "received", _("总部签收原件")
    RETURNED = "returned", _("原件退回分公司")
    ARCHIVED = "archived", _("原件归档")
    SCAN = "scan", _("上传扫描件")
    CANCELLED = "cancelled", _("撤销协议登记")
    REVIEW_APPROVED = "approved", _("报备审批通过")
    REVIEW_REJECTED = "rejected", _("报备被驳回/撤回")


class PartnerEvent(TenantOwned):
    """The partner's history, newest last: what happened, to which agreement, by whom."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="events", verbose_name=_("合作单位"))
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, null=True, blank=True, related_name="events", verbose_name=_("协议")
    )
    kind = models.CharField(_("事件"), max_length=12, choices=EventKind.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合作单位记录")
        verbose_name_plural = _("合作单位记录")
        ordering = ["at", "id"]


class AgreementSequence(TenantOwned):
    """Per-tenant, per-year counter for generated agreement numbers (HZ-2026-00001)."""

    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("协议编号序列")
        verbose_name_plural = _("协议编号序列")
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="partners_sequence_unique")]


class ImportStatus(models.TextChoices):
    """READY (every row valid: preview) -> DONE (applied in one transaction); INVALID (row
    errors, nothing applied) is final, and so is a READY file that fails again at confirm."""

    READY = "ready", _("待确认")
    INVALID = "invalid", _("校验未通过")
    DONE = "done", _("已导入")


class SigningImport(TenantOwned):
    """An xlsx of signings uploaded for preview; confirm re-reads the stored file."""

    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"))
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices)
    total_rows = models.PositiveIntegerField(_("行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    preview = models.JSONField(_("预览"), default=list, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签约批量导入")
        verbose_name_plural = _("签约批量导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename
