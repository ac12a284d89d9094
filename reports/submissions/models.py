"""Submission rules (汇报规则) and what people submit under them.

A rule says what is submitted (a template of typed fields), who submits (roles; one per
branch or one per person), on what cadence, by when, who reviews, and who receives the
compiled digest. A period is identified by its nominal deadline date (``period``); the
effective deadline may move to the next working day (``shift_to_working_day``)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned


class Cadence(models.TextChoices):
    DAILY = "daily", _("每个工作日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class SubmitterScope(models.TextChoices):
    BRANCH = "branch", _("每个分公司一份")
    PERSON = "person", _("每人一份")


class FieldType(models.TextChoices):
    TEXT = "text", _("单行文本")
    TEXTAREA = "textarea", _("多行文本")
    NUMBER = "number", _("数字")
    MONEY = "money", _("金额")
    DATE = "date", _("日期")
    CUSTOMER = "customer", _("客户")
    PERSON = "person", _("人员")
    ATTACHMENT = "attachment", _("附件")
    TABLE = "table", _("表格")


# Column types a table field may use.
COLUMN_TYPES = (FieldType.TEXT, FieldType.NUMBER, FieldType.MONEY, FieldType.DATE, FieldType.PERSON, FieldType.CUSTOMER)


class Prefill(models.TextChoices):
    NONE = "", _("无")
    LAST_VERSION = "last", _("从上一期带入（跟踪执行）")
    VISITS = "visits", _("从当日客户拜访记录生成")
    COMPILED = "compiled", _("汇编来源规则上一期的全部报表")
    REGION_FIGURES = "region", _("本人所辖分公司的回款、目标与完成率")
    DESIGN_DRAFTS = "drafts", _("本季度定稿存档的宣传物料设计稿（SC-006）")


class Feed(models.TextChoices):
    """What happens when a reviewer accepts a submission, beyond the status."""

    NONE = "", _("无")
    MONTHLY_TARGETS = "targets", _("写入分公司月度目标（日报汇总使用）")


class Check(models.TextChoices):
    """A check a submission must pass before it can be submitted (drafts are not checked)."""

    NONE = "", _("无")
    REGION_TARGET = "region_target", _("大区目标不得低于所辖分公司目标之和")
    EVERY_PERSON = "every_person", _("任务表须为来源规则的每位填报人分配任务")


class SubmissionRule(TenantOwned):
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=80)
    description = models.TextField(_("说明"), blank=True)
    fields = models.JSONField(_("填报内容"), default=list, blank=True)
    submitter_roles = models.JSONField(_("填报角色"), default=list)
    scope = models.CharField(_("填报单位"), max_length=10, choices=SubmitterScope.choices, default=SubmitterScope.BRANCH)
    cadence = models.CharField(_("周期"), max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    weekdays = models.JSONField(_("每周截止日"), default=list, blank=True, help_text=_("0=周一 … 6=周日"))
    month_day = models.PositiveSmallIntegerField(
        _("每月截止日"), default=26, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    period_month = models.PositiveSmallIntegerField(
        _("截止月份"), default=3, validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("每季度：季度内的第几个月（1–3）；每年：几月（1–12）。截止日取“每月截止日”。"),
    )
    deadline_time = models.TimeField(_("截止时间"), default=dt.time(18, 0))
    shift_to_working_day = models.BooleanField(
        _("截止日非工作日时顺延到下一个工作日"), default=True
    )
    remind_minutes_before = models.PositiveIntegerField(_("截止前多少分钟提醒"), default=120)
    reviewer_roles = models.JSONField(_("审阅角色"), default=list, blank=True)
    digest_roles = models.JSONField(_("汇总接收角色"), default=list, blank=True)
    digest_delay_minutes = models.PositiveIntegerField(_("截止后多少分钟发送汇总"), default=60)
    prefill = models.CharField(_("预填"), max_length=10, choices=Prefill.choices, default=Prefill.NONE, blank=True)
    source_code = models.SlugField(_("来源规则编码"), max_length=40, blank=True, help_text=_("预填为“汇编”时使用"))
    feed = models.CharField(_("审阅通过后"), max_length=10, choices=Feed.choices, default=Feed.NONE, blank=True)
    submit_check = models.CharField(_("提交前检查"), max_length=20, choices=Check.choices, default=Check.NONE, blank=True)
    shared_library = models.BooleanField(_("所有分公司可查阅（案例库）"), default=False)
    review_on_engine = models.BooleanField(
        _("审阅走审批流程"), default=False,
        help_text=_("提交后按审批流程逐级审批（可退回、转交、会签），而不是由审阅角色直接审阅；流程在“审批流程”中配置。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=100)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("汇报规则")
        verbose_name_plural = _("汇报规则")
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="submissions_rule_code_unique")]

    def __str__(self) -> str:
        return self.name

    def person_table(self) -> tuple[dict | None, str | None]:
        """The rule's task table -- its first table with a person column -- and that column's key
        ((None, None) when there is none): one row per person (S002-11, S002-01)."""
        for spec in self.fields or []:
            if spec.get("type") != FieldType.TABLE:
                continue
            person = next((c["key"] for c in spec.get("columns", []) if c.get("type") == FieldType.PERSON), None)
            if person is not None:
                return spec, person
        return None, None


class SubmissionStatus(models.TextChoices):
    """DRAFT -> SUBMITTED (submit); SUBMITTED -> ACCEPTED | RETURNED (review);
    RETURNED -> SUBMITTED (rewrite: the returned version is kept as a revision);
    ACCEPTED -> SUBMITTED (a change after acceptance: the accepted version is kept as a
    revision and the change is reviewed again; what acceptance fed, e.g. the branch's
    monthly target, keeps the accepted figures until the change is accepted)."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已交")
    RETURNED = "returned", _("退回重写")
    ACCEPTED = "accepted", _("已审阅")


class Submission(TenantOwned):
    rule = models.ForeignKey(SubmissionRule, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("规则"))
    period = models.DateField(_("期次（截止日）"))
    due_at = models.DateTimeField(_("截止时间"))
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("分公司")
    )
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("填报人")
    )
    status = models.CharField(_("状态"), max_length=12, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    search_text = models.TextField(editable=False, blank=True)  # flattened text for the case library search
    revision = models.PositiveIntegerField(_("版本"), default=1)
    first_submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("审阅人"),
    )
    reviewed_at = models.DateTimeField(_("审阅时间"), null=True, blank=True)
    review_comment = models.TextField(_("审阅意见"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)  # optimistic lock for edits
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("定期报表")
        verbose_name_plural = _("定期报表")
        ordering = ["-period", "branch__sort_order", "submitter__username"]
        constraints = [
            # One per branch and period for branch rules, one per person and period otherwise.
            models.UniqueConstraint(
                fields=["tenant", "rule", "period", "branch"], condition=models.Q(branch__isnull=False),
                name="submissions_one_per_branch",
            ),
            models.UniqueConstraint(
                fields=["tenant", "rule", "period", "submitter"], condition=models.Q(branch__isnull=True),
                name="submissions_one_per_person",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "rule", "period"], name="submissions_rule_period_idx")]

    def __str__(self) -> str:
        who = self.branch or self.submitter
        return f"{self.rule} {self.period:%Y-%m-%d} {who}"

    @property
    def is_late(self) -> bool:
        first = self.first_submitted_at
        return first is not None and first > self.due_at


class RevisionKind(models.TextChoices):
    RETURNED = "returned", _("退回重写前的版本")
    ACCEPTED = "accepted", _("审阅通过后又修改前的版本")


class SubmissionRevision(TenantOwned):
    """An earlier version, kept when a reviewer sends a submission back (打回重写) or when an
    accepted submission is changed (the change is reviewed again)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("报表"))
    revision = models.PositiveIntegerField(_("版本"))
    kind = models.CharField(_("类型"), max_length=10, choices=RevisionKind.choices, default=RevisionKind.RETURNED)
    data = models.JSONField(_("内容"), default=dict)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("审阅人")
    )
    reviewed_at = models.DateTimeField(_("审阅时间"))
    comment = models.TextField(_("审阅意见"), blank=True)

    class Meta:
        verbose_name = _("报表历史版本")
        verbose_name_plural = _("报表历史版本")
        ordering = ["-revision"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "submission", "revision"], name="submissions_revision_unique")
        ]


def attachment_path(instance, filename: str) -> str:
    """Stored under the tenant with a random name (the uploader's name is kept in the row only),
    like the other apps' uploads."""
    suffix = filename.rsplit(".", 1)[-1].lower()[:10] if "." in filename else "bin"
    return f"tenants/{instance.tenant_id}/submissions/{instance.submission_id}/{uuid.uuid4().hex}.{suffix}"


class SubmissionAttachment(TenantOwned):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("报表"))
    field_key = models.CharField(_("字段"), max_length=40)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("报表附件")
        verbose_name_plural = _("报表附件")


class DigestStatus(models.TextChoices):
    QUEUED = "queued", _("等待重发")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")


class SubmissionDigest(TenantOwned):
    """The compiled digest of one rule and period: claimed before sending (exactly once)."""

    rule = models.ForeignKey(SubmissionRule, on_delete=models.PROTECT, related_name="digests", verbose_name=_("规则"))
    period = models.DateField(_("期次"))
    status = models.CharField(_("状态"), max_length=10, choices=DigestStatus.choices, default=DigestStatus.SENDING)
    claimed_at = models.DateTimeField(_("领取时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    recipients = models.JSONField(_("收件人"), default=list, blank=True)
    error = models.TextField(_("错误"), blank=True)
    resends = models.PositiveIntegerField(_("重发次数"), default=0)

    class Meta:
        verbose_name = _("报表汇总邮件")
        verbose_name_plural = _("报表汇总邮件")
        ordering = ["-period"]
        constraints = [models.UniqueConstraint(fields=["tenant", "rule", "period"], name="submissions_digest_unique")]


class SubmissionReminder(TenantOwned):
    """One reminder per rule, period and person: the claim that makes reminders exactly-once."""

    rule = models.ForeignKey(SubmissionRule, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("报表提醒")
        verbose_name_plural = _("报表提醒")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rule", "period", "user"], name="submissions_reminder_unique")
        ]


# --- Business trips (出差, S003-04: 业务人员出差应每日1-2次与公司保持联系，汇报业务进程) ----------


class TripStatus(models.TextChoices):
    """DECLARED -> CANCELLED (trip_cancel, before the trip is over). Whether a declared trip
    is still to come, under way or over is read from its dates in the tenant's time zone
    (``Trip.phase``), so no sweep has to move it along."""

    DECLARED = "declared", _("已申报")
    CANCELLED = "cancelled", _("已取消")


class TripPhase(models.TextChoices):
    PLANNED = "planned", _("未出发")
    ON_TRIP = "on_trip", _("出差中")
    FINISHED = "finished", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class Trip(TenantOwned):
    """A business trip (出差): from ``start_date`` to ``end_date`` (calendar days, both
    included, weekends too) the traveller owes ``checkins_per_day`` check-ins a day."""

    traveller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("出差人")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("分公司")
    )
    destination = models.CharField(_("目的地"), max_length=60)
    purpose = models.CharField(_("出差事由"), max_length=300)
    start_date = models.DateField(_("出发日期"))
    end_date = models.DateField(_("返回日期"))
    checkins_per_day = models.PositiveSmallIntegerField(
        _("每日汇报次数"), choices=[(1, _("每日 1 次")), (2, _("每日 2 次"))], default=1
    )
    status = models.CharField(_("状态"), max_length=10, choices=TripStatus.choices, default=TripStatus.DECLARED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申报人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("出差")
        verbose_name_plural = _("出差")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="submissions_trip_end_after_start"),
            models.CheckConstraint(condition=models.Q(checkins_per_day__in=[1, 2]),
                                   name="submissions_trip_checkins_1_or_2"),
        ]
        indexes = [models.Index(fields=["tenant", "start_date", "end_date"], name="submissions_trip_dates_idx")]

    def __str__(self) -> str:
        return f"{self.traveller} {self.destination} {self.start_date:%m-%d}–{self.end_date:%m-%d}"

    def phase(self, today: dt.date) -> str:
        if self.status == TripStatus.CANCELLED:
            return TripPhase.CANCELLED
        if today < self.start_date:
            return TripPhase.PLANNED
        if today > self.end_date:
            return TripPhase.FINISHED
        return TripPhase.ON_TRIP

    def phase_label(self, today: dt.date) -> str:
        return TripPhase(self.phase(today)).label


class TripCheckIn(TenantOwned):
    """A check-in from the road (出差汇报). ``local_date`` is the tenant-local day of
    ``reported_at`` (server time), kept so a day's count is one indexed lookup."""

    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="checkins", verbose_name=_("出差"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("汇报人"))
    reported_at = models.DateTimeField(_("汇报时间"))
    local_date = models.DateField(_("日期"))
    progress = models.TextField(_("业务进展"), max_length=1000)
    location = models.CharField(_("所在地点"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("出差汇报")
        verbose_name_plural = _("出差汇报")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["tenant", "trip", "local_date"], name="submissions_checkin_day_idx")]

    def __str__(self) -> str:
        return f"{self.trip} {self.reported_at:%Y-%m-%d %H:%M}"


class TripNoticeKind(models.TextChoices):
    NOON = "noon", _("中午提醒（每日 2 次时）")
    EVENING = "evening", _("傍晚提醒")
    MISSED = "missed", _("次日未汇报通知")


class TripNotice(TenantOwned):
    """Claim row: one per trip, day and kind -- a reminder or a missed-check-in notice is
    queued exactly once however often (or in parallel) the sweep runs."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=TripNoticeKind.choices)
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("出差汇报提醒")
        verbose_name_plural = _("出差汇报提醒")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "trip", "day", "kind"], name="submissions_trip_notice_unique")
        ]
