"""What the setup checklist stores itself. Every step's state is detected from the live data
of the app that owns it (steps.py); only what no other table can tell is kept here: that the
tenant started the checklist, the admin's confirmations (a calendar year, a default approval
chain, the report deadline and recipients) and skips with their reason, and the opening-balance
import jobs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import TenantOwned


class TenantSetup(TenantOwned):
    """Created by ``create_tenant``: the tenant moves in through the checklist. Until its
    contract ledger opening is imported (or the step skipped), sell-through checks say that
    the ledger has no opening state instead of reading an empty history as 首次申领."""

    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    # set the first time every required step is settled: the home card stops computing the list
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("开通向导")
        verbose_name_plural = _("开通向导")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="onboarding_setup_one_per_tenant")]

    def __str__(self) -> str:
        return str(self.tenant_id)


class MarkKind(models.TextChoices):
    CONFIRMED = "confirmed", _("已确认")
    SKIPPED = "skipped", _("已跳过")


class SetupMark(TenantOwned):
    """An admin's confirmation of one item of a step (``item``: a year, a document type, "" for
    the step as a whole) or the skip of a whole step with its reason. Removing a skip deletes
    the row (audited)."""

    step = models.CharField(_("步骤"), max_length=32)
    item = models.CharField(_("项目"), max_length=64, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=MarkKind.choices)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("开通步骤记录")
        verbose_name_plural = _("开通步骤记录")
        ordering = ["step", "item"]
        constraints = [models.UniqueConstraint(fields=["tenant", "step", "item", "kind"],
                                               name="onboarding_mark_unique")]

    def __str__(self) -> str:
        return f"{self.step} {self.item} {self.kind}"


class OpeningKind(models.TextChoices):
    CONTRACTS = "contracts", _("合同台账期初")
    PRICE_LIST = "price_list", _("报价表期初版本")


class OpeningStatus(models.TextChoices):
    # pending (uploaded, the check task queued) -> checking (the task reads the file, progress on
    # the row) -> ready (every row valid; preview and reconciliation totals shown) or invalid ->
    # applying (confirmed: claimed under select_for_update, the apply task queued) -> done (one
    # transaction) or invalid (a row turned bad since the preview). failed: an unexpected error
    # (nothing written). invalid, done, failed: final.
    PENDING = "pending", _("排队中")
    CHECKING = "checking", _("校验中")
    READY = "ready", _("待确认")
    APPLYING = "applying", _("导入中")
    INVALID = "invalid", _("有错误")
    DONE = "done", _("已导入")
    FAILED = "failed", _("失败")


RUNNING_STATUSES = (OpeningStatus.PENDING, OpeningStatus.CHECKING, OpeningStatus.APPLYING)
FINAL_STATUSES = (OpeningStatus.INVALID, OpeningStatus.DONE, OpeningStatus.FAILED)


class OpeningImport(TenantOwned):
    """One uploaded opening file, its validation (per-row errors, totals) and its outcome."""

    kind = models.CharField(_("数据类型"), max_length=12, choices=OpeningKind.choices)
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"))
    sha256 = models.CharField(max_length=64)
    as_of = models.DateField(_("期初日期"))  # contracts: the ledger's date; price list: its effective date
    status = models.CharField(_("状态"), max_length=10, choices=OpeningStatus.choices, default=OpeningStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)  # the first 500
    preview = models.JSONField(_("预览"), default=list, blank=True)
    totals = models.JSONField(_("核对合计"), default=dict, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    # null: uploaded by a management command (the audit log says so)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("上传人"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("确认人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("期初导入")
        verbose_name_plural = _("期初导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "kind", "status"], name="onboarding_opening_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0 if self.is_running else 100
        return min(100, int(self.processed_rows * 100 / self.total_rows))
