"""Branch daily reports, the data other departments supply (roster, collections, targets),
the working-day calendar overrides and the daily summary e-mail. All tenant-owned."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.crypto import EncryptedTextField
from marketing.models import Branch, TenantOwned


class WorkdayOverride(TenantOwned):
    """An admin's correction of the official calendar for one day (e.g. a company day off,
    or a year the package does not cover yet)."""

    day = models.DateField(_("日期"))
    is_working = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="reports_override_day_unique")]

    def __str__(self) -> str:
        return f"{self.day} {'工作日' if self.is_working else '休息日'}"


class ReportStatus(models.TextChoices):
    """Filing state of one report. Allowed transitions: DRAFT -> SUBMITTED (submit);
    SUBMITTED -> SUBMITTED (edit: before the deadline in place, after it as a late amendment).
    A submitted report never goes back to draft."""

    DRAFT = "draft", _("草稿")  # saved, not yet sent: counts as not filed
    SUBMITTED = "submitted", _("已提交")  # filed; on time or late depends on submitted_at


class DailyReport(TenantOwned):
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    business_day = models.DateField(_("业务日期"))
    status = models.CharField(_("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    narrative = models.TextField(_("今日动态"), blank=True)
    customer_visits = models.PositiveIntegerField(_("客户拜访数"), default=0)
    contracts_signed = models.PositiveIntegerField(_("当日签单量"), default=0)
    problems = models.TextField(_("问题与需求"), blank=True)
    next_plan = models.TextField(_("明日计划"), blank=True)
    due_at = models.DateTimeField(_("截止时间"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("提交人"),
    )
    amended_at = models.DateTimeField(_("截止后修订时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("分公司日报")
        verbose_name_plural = _("分公司日报")
        ordering = ["-business_day", "branch__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "branch", "business_day"], name="reports_report_branch_day_unique")
        ]
        indexes = [models.Index(fields=["tenant", "business_day"], name="reports_report_day_idx")]

    def __str__(self) -> str:
        return f"{self.branch} {self.business_day}"

    @property
    def is_submitted(self) -> bool:
        return self.status == ReportStatus.SUBMITTED

    @property
    def is_late(self) -> bool:
        return self.submitted_at is not None and self.submitted_at >= self.due_at

    @property
    def late_by(self):
        return self.submitted_at - self.due_at if self.is_late else None


class ReportAmendment(TenantOwned):
    """A change made to a submitted report after its deadline: the report holds the new
    text, this row keeps what it said before and when it changed."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("日报"))
    changed_at = models.DateTimeField(_("修订时间"), auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    before = models.JSONField(_("修订前"))
    after = models.JSONField(_("修订后"))

    class Meta:
        verbose_name = _("日报补充修订")
        verbose_name_plural = _("日报补充修订")
        ordering = ["changed_at", "id"]


class PartnerKind(models.TextChoices):
    DEALER = "dealer", _("经销商")
    REPAIR_SHOP = "repair_shop", _("修理厂")


class SignedPartner(TenantOwned):
    """A dealer or repair shop signed that day: the cooperation-agreement archive
    (各地区合作协议存档). Marketing ticks when the paper original reaches Shanghai."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="partners", verbose_name=_("日报"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    kind = models.CharField(_("类型"), max_length=16, choices=PartnerKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    city = models.CharField(_("城市"), max_length=40)
    contact = models.CharField(_("联系人及电话"), max_length=100)
    paper_received = models.BooleanField(_("纸质原件已寄达上海"), default=False)
    paper_received_at = models.DateTimeField(_("原件收到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("新签合作单位")
        verbose_name_plural = _("新签合作单位")
        ordering = ["-report__business_day", "id"]

    def __str__(self) -> str:
        return self.name


class RosterEntry(TenantOwned):
    """One line of HR's 人事动态表及通讯录. The roster import replaces the whole roster."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    name = models.CharField(_("姓名"), max_length=60)
    position = models.CharField(_("岗位"), max_length=40)
    hire_date = models.DateField(_("入职日期"))
    leave_date = models.DateField(_("离职日期"), null=True, blank=True)
    phone = EncryptedTextField(_("手机"), blank=True)  # personal data: ciphertext at rest

    class Meta:
        verbose_name = _("人事花名册")
        verbose_name_plural = _("人事花名册")
        ordering = ["branch__sort_order", "name"]
        indexes = [models.Index(fields=["tenant", "branch"], name="reports_roster_branch_idx")]

    def __str__(self) -> str:
        return self.name


class Collection(TenantOwned):
    """Finance's 公司回款统计表: collections of one branch on one day (CNY)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    day = models.DateField(_("日期"))
    amount = models.DecimalField(_("回款金额"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        verbose_name = _("回款")
        verbose_name_plural = _("回款")
        ordering = ["-day", "branch__sort_order"]
        constraints = [models.UniqueConstraint(fields=["tenant", "branch", "day"], name="reports_collection_unique")]
        indexes = [models.Index(fields=["tenant", "day"], name="reports_collection_day_idx")]


class MonthlyTarget(TenantOwned):
    """销售月度考核目标: a branch's collections target for a month (``month`` = its 1st day)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    month = models.DateField(_("月份"))
    amount = models.DecimalField(_("目标金额"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("月度目标")
        verbose_name_plural = _("月度目标")
        ordering = ["-month", "branch__sort_order"]
        constraints = [models.UniqueConstraint(fields=["tenant", "branch", "month"], name="reports_target_unique")]

    def __str__(self) -> str:
        return f"{self.branch} {self.month:%Y-%m}"


class ImportKind(models.TextChoices):
    ROSTER = "roster", _("人事动态表及通讯录")
    COLLECTIONS = "collections", _("公司回款统计表")
    TARGETS = "targets", _("销售月度考核目标")


class ImportStatus(models.TextChoices):
    """PENDING -> VALIDATING -> READY (no bad row) | INVALID (row errors, nothing imported);
    READY -> APPLYING -> DONE. Any unexpected error, a job left running by a dead worker
    (``reports.maintenance``) or a file past its retention -> FAILED, with the message in
    ``errors``. INVALID, DONE and FAILED are final."""

    PENDING = "pending", _("等待处理")
    VALIDATING = "validating", _("校验中")
    INVALID = "invalid", _("校验未通过")
    READY = "ready", _("待确认")
    APPLYING = "applying", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("处理失败")


class ImportJob(TenantOwned):
    kind = models.CharField(_("数据类型"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    filename = models.CharField(_("文件名"), max_length=200)
    # the uploaded file, encrypted (marketing/crypto.py); emptied after
    # settings.IMPORT_FILE_RETENTION_DAYS by reports.maintenance.purge_import_files
    content = models.BinaryField(_("文件内容（加密）"), blank=True)
    file_purged_at = models.DateTimeField(_("原始文件删除时间"), null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    preview = models.JSONField(_("预览"), default=list, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.INVALID, ImportStatus.READY, ImportStatus.DONE, ImportStatus.FAILED) else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.APPLYING)

    @property
    def is_final(self) -> bool:
        return self.status in (ImportStatus.INVALID, ImportStatus.DONE, ImportStatus.FAILED)


class RecipientOverride(TenantOwned):
    """Admins' adjustment of the summary recipients: add someone outside the default roles
    (include=True) or leave out a default recipient (include=False)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    include = models.BooleanField(_("接收"))

    class Meta:
        verbose_name = _("汇总收件人调整")
        verbose_name_plural = _("汇总收件人调整")
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="reports_recipient_user_unique")]


class SummaryStatus(models.TextChoices):
    """The claim row of one tenant's summary for one business day (unique per day).
    SENDING (claimed) -> SENT | RETRYING (SMTP error, retry scheduled) -> SENDING ...;
    RETRYING -> FAILED after the last retry. FAILED/SENT -> SENDING only by an explicit
    resend (UI or ``--force``), which bumps ``generation`` and so the Message-ID."""

    SENDING = "sending", _("发送中")
    RETRYING = "retrying", _("等待重试")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class DailySummary(TenantOwned):
    business_day = models.DateField(_("业务日期"))
    status = models.CharField(_("状态"), max_length=16, choices=SummaryStatus.choices, default=SummaryStatus.SENDING)
    generation = models.PositiveSmallIntegerField(_("发送批次"), default=1)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    claimed_at = models.DateTimeField(_("领取时间"))
    next_attempt_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    message_id = models.CharField(_("邮件 Message-ID"), max_length=200, blank=True)
    recipients = models.JSONField(_("收件人"), default=list, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    data = models.JSONField(_("汇总内容"), default=dict, blank=True)
    # the figures of the first generation that went out, to mark a later resend 更正版
    first_figures = models.JSONField(_("首次发送的数字"), default=dict, blank=True)
    first_sent_at = models.DateTimeField(_("首次发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("每日汇总")
        verbose_name_plural = _("每日汇总")
        ordering = ["-business_day"]
        constraints = [models.UniqueConstraint(fields=["tenant", "business_day"], name="reports_summary_day_unique")]
        # The dispatcher's cross-tenant look for retries due: only unfinished rows are indexed.
        indexes = [models.Index(fields=["status"], name="reports_summary_open_idx",
                                condition=models.Q(status__in=["sending", "retrying"]))]

    def __str__(self) -> str:
        return f"{self.business_day} {self.get_status_display()}"


class ReminderLog(TenantOwned):
    """One reminder per branch per business day: the unique row is claimed before sending."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    business_day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("未报提醒")
        verbose_name_plural = _("未报提醒")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "branch", "business_day"], name="reports_reminder_unique")
        ]


class DispatchKind(models.TextChoices):
    SUMMARY = "summary", _("每日汇总")
    REMINDERS = "reminders", _("未报提醒")


class DispatchClaim(TenantOwned):
    """One row per job the per-minute dispatcher put on the queue. The key (tenant, kind,
    business day, generation, attempt) is unique, so a job is queued once however many
    dispatchers run (two beats, a slow minute overlapping the next) and however long it waits
    in the queue before a worker starts it. ``run_id`` tells a dispatcher which of its claims
    it won. A claim whose job still has not started after ``reports.dispatch.REQUEUE_AFTER``
    is re-queued (a lost message); the send itself is claim-protected by ``DailySummary``."""

    kind = models.CharField(max_length=16, choices=DispatchKind.choices)
    business_day = models.DateField()
    generation = models.PositiveSmallIntegerField(default=1)
    attempt = models.PositiveSmallIntegerField(default=1)
    queued_at = models.DateTimeField()
    run_id = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("调度记录")
        verbose_name_plural = _("调度记录")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "business_day", "generation", "attempt"],
                                    name="reports_dispatch_claim_unique")
        ]
        indexes = [
            models.Index(fields=["business_day", "kind"], name="reports_dispatch_day_idx"),
            models.Index(fields=["run_id"], name="reports_dispatch_run_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.business_day} g{self.generation}/{self.attempt}"
