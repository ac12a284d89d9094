"""People: roster-to-account mapping, invitations, transfers and departures (docs/people.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned
from marketing.roles import Role


class PeoplePolicy(TenantOwned):
    """The tenant's people settings; a tenant without a row uses the defaults."""

    notice_days = models.PositiveSmallIntegerField(
        _("离职提前通知天数"), default=30, validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("短于此天数的离职申请须经分公司总经理明确同意（制度：提前一个月）。"),
    )
    invitation_hours = models.PositiveSmallIntegerField(
        _("邀请链接有效小时数"), default=72, validators=[MinValueValidator(1), MaxValueValidator(24 * 14)]
    )

    class Meta:
        verbose_name = _("人员设置")
        verbose_name_plural = _("人员设置")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="people_policy_one_per_tenant")]

    def __str__(self) -> str:
        return str(_("人员设置"))


class PositionRoleMap(TenantOwned):
    """花名册的岗位 → 系统角色 (tenant-editable)."""

    position = models.CharField(_("岗位"), max_length=40)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("岗位角色对照")
        verbose_name_plural = _("岗位角色对照")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["tenant", "position"], name="people_position_map_unique")]

    def __str__(self) -> str:
        return f"{self.position} → {self.get_role_display()}"


class Invitation(TenantOwned):
    """A one-time link to set one's own password. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("用户"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("到期时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("邀请人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("账号邀请")
        verbose_name_plural = _("账号邀请")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class TransferStatus(models.TextChoices):
    # scheduled -> applied (on the effective date) | cancelled
    SCHEDULED = "scheduled", _("待生效")
    APPLIED = "applied", _("已生效")
    CANCELLED = "cancelled", _("已取消")


class Transfer(TenantOwned):
    """调岗/调动: a person moves to another branch (and/or roles) on a date."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    from_branches = models.JSONField(_("原分公司"), default=list)  # branch ids at filing
    from_roles = models.JSONField(_("原角色"), default=list)
    to_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("调入分公司"))
    to_roles = models.JSONField(_("新角色"), default=list)
    effective_on = models.DateField(_("生效日期"))
    customers_follow = models.BooleanField(_("客户随人调动"), default=False,
                                           help_text=_("默认客户留在原分公司；勾选则本人负责的客户改到调入分公司。"))
    successor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("原岗位接替人"))
    status = models.CharField(_("状态"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.SCHEDULED)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    result = models.JSONField(_("执行结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("办理人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    applied_at = models.DateTimeField(_("生效时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调岗")
        verbose_name_plural = _("调岗")
        ordering = ["-effective_on", "-id"]
        indexes = [models.Index(fields=["tenant", "status", "effective_on"], name="people_transfer_due_idx")]

    def __str__(self) -> str:
        return f"{self.user} → {self.to_branch} {self.effective_on}"


class DepartureStatus(models.TextChoices):
    # open -> signing (sign-off started, every line done/waived) -> signed (chain approved)
    # signing -> open (chain rejected / withdrawn); open|signing|signed -> departed (tenant
    # midnight after the last day); open|signing -> cancelled. departed -> (rehire: stays departed, rehired_at set)
    OPEN = "open", _("交接中")
    SIGNING = "signing", _("交接签字中")
    SIGNED = "signed", _("已签字")
    DEPARTED = "departed", _("已离职")
    CANCELLED = "cancelled", _("已撤销")


OPEN_DEPARTURE_STATUSES = (DepartureStatus.OPEN, DepartureStatus.SIGNING, DepartureStatus.SIGNED)


class Departure(TenantOwned):
    """离职: filed by the person, their GM or an admin; the handover checklist is computed live."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("离职人员"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("所属分公司"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("提交人"))
    filed_on = models.DateField(_("提交日期"))
    last_day = models.DateField(_("最后工作日"))
    reason = models.CharField(_("离职原因"), max_length=200, blank=True)
    notice_days = models.PositiveSmallIntegerField(_("制度提前天数"))
    short_notice = models.BooleanField(_("提前期不足"), default=False)
    short_notice_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                                 blank=True, related_name="+", verbose_name=_("提前期不足批准人"))
    short_notice_approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    successor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("默认接手人"))
    status = models.CharField(_("状态"), max_length=10, choices=DepartureStatus.choices, default=DepartureStatus.OPEN)
    signed_at = models.DateTimeField(_("签字完成时间"), null=True, blank=True)
    departed_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    rehired_at = models.DateTimeField(_("重新入职时间"), null=True, blank=True)
    result = models.JSONField(_("离职处理结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("离职交接")
        verbose_name_plural = _("离职交接")
        ordering = ["-last_day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], condition=models.Q(status__in=["open", "signing", "signed"]),
                                    name="people_one_open_departure"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "last_day"], name="people_departure_due_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.last_day:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DEPARTURE_STATUSES


class HandoverWaiver(TenantOwned):
    """A checklist line explicitly waived, with the reason and who was entitled to waive it."""

    departure = models.ForeignKey(Departure, on_delete=models.CASCADE, related_name="waivers", verbose_name=_("离职交接"))
    line = models.CharField(_("交接项"), max_length=40)
    reason = models.CharField(_("原因"), max_length=200)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("豁免人"))
    waived_at = models.DateTimeField(_("豁免时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("交接项豁免")
        verbose_name_plural = _("交接项豁免")
        constraints = [models.UniqueConstraint(fields=["departure", "line"], name="people_waiver_once_per_line")]

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}"


class HandoverRecord(TenantOwned):
    """What went to whom (the certificate's lines)."""

    departure = models.ForeignKey(Departure, on_delete=models.CASCADE, related_name="records", verbose_name=_("离职交接"))
    line = models.CharField(_("交接项"), max_length=40)
    count = models.PositiveIntegerField(_("数量"), default=0)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("接收人"))
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("办理人"))
    created_at = models.DateTimeField(_("办理时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("交接记录")
        verbose_name_plural = _("交接记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.line} {self.count}"


class HandoverJobStatus(models.TextChoices):
    # pending -> running (claimed by the task under select_for_update) -> done | failed
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


ACTIVE_JOB_STATUSES = (HandoverJobStatus.PENDING, HandoverJobStatus.RUNNING)


class HandoverJob(TenantOwned):
    """A large customer handover (over ``services.BULK_CUSTOMERS``) run by a Celery task in
    batches; each batch commits with the progress, so the page can poll it (docs/people.md)."""

    departure = models.ForeignKey(Departure, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("离职交接"))
    line = models.CharField(_("交接项"), max_length=40, default="customers")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("接收人"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("办理人"))
    status = models.CharField(_("状态"), max_length=16, choices=HandoverJobStatus.choices,
                              default=HandoverJobStatus.PENDING)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成数"), default=0)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("交接任务")
        verbose_name_plural = _("交接任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["departure", "line"], condition=models.Q(status__in=["pending", "running"]),
                                    name="people_one_active_handover_job"),
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.done}/{self.total}"

    @property
    def is_running(self) -> bool:
        return self.status in ACTIVE_JOB_STATUSES

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == HandoverJobStatus.DONE else 0
        return min(100, int(self.done * 100 / self.total))
