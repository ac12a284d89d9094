from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned
from reports.models import ImportStatus


class ReceivableStatus(models.TextChoices):
    OPEN = "open", _("未结清")
    SETTLED = "settled", _("已结清")


class ReceivableFlag(models.TextChoices):
    NONE = "", _("正常")
    DOUBTFUL = "doubtful", _("呆账")
    BAD = "bad", _("坏账")


class Receivable(TenantOwned):
    """One line of finance's receivables sheet (应收账款明细). ``document`` (invoice or
    contract number) is the key: a re-import updates the line instead of adding one."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("销售"))
    salesperson_name = models.CharField(_("销售（表中姓名）"), max_length=60, blank=True)
    debtor_name = models.CharField(_("客户/单位"), max_length=120)
    customer = models.ForeignKey("customers.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("客户档案"))
    document = models.CharField(_("发票或合同号"), max_length=60)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("到期日"))
    received = models.DecimalField(_("已收金额"), max_digits=14, decimal_places=2, default=Decimal("0"))
    status = models.CharField(_("状态"), max_length=10, choices=ReceivableStatus.choices, default=ReceivableStatus.OPEN)
    flag = models.CharField(_("呆坏账标记"), max_length=10, choices=ReceivableFlag.choices, default="", blank=True)
    flag_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("认定人"))
    flag_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    flag_reason = models.TextField(_("认定理由"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("应收账款")
        verbose_name_plural = _("应收账款")
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "document"], name="receivable_unique_document")]
        indexes = [models.Index(fields=["tenant", "status", "due_date"], name="receivable_open_due")]

    def __str__(self) -> str:
        return f"{self.document} {self.debtor_name}"

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.received, Decimal("0"))


class CollectionAction(TenantOwned):
    """A step taken to collect a receivable (催收): what, by whom, when, with what outcome."""

    receivable = models.ForeignKey(Receivable, on_delete=models.CASCADE, related_name="actions",
                                   verbose_name=_("应收账款"))
    action = models.CharField(_("催收措施"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    action_date = models.DateField(_("日期"))
    outcome = models.TextField(_("结果"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("催收记录")
        verbose_name_plural = _("催收记录")
        ordering = ["-action_date", "-id"]

    def __str__(self) -> str:
        return self.action


class ReceivableImport(TenantOwned):
    """An upload of finance's receivables sheet: the same lifecycle as reports.ImportJob
    (PENDING -> VALIDATING -> READY | INVALID; READY -> APPLYING -> DONE; FAILED)."""

    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容（加密）"), blank=True)
    sha256 = models.CharField(max_length=64)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    preview = models.JSONField(_("预览"), default=list, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("应收账款导入")
        verbose_name_plural = _("应收账款导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.APPLYING)
