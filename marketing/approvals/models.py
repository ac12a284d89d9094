"""Approval machinery: chains (configuration, per tenant and document type) and flows
(one run of a chain over one document). App label ``approvals``; the tables keep the names
``marketing`` 0002 gave them (``Meta.db_table``), see docs/approvals.md "Structure".

Runtime shape: a flow has rounds (a rejected or withdrawn document resubmitted starts the
next round; earlier rounds stay as history). A round has steps materialised from the chain
when it starts; a step becomes active in turn and then gets one task per person who may act.
The inbox is simply "pending tasks assigned to me (or to someone I stand in for)"."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, Region, TenantOwned, User
from marketing.roles import Role

__all__ = [
    "ApprovalChain", "ApprovalChainStep", "ApprovalComment", "ApprovalDelegation", "ApprovalDigest",
    "ApprovalFlow", "ApprovalStep", "ApprovalTask", "FlowStatus", "Position", "PositionHolder", "StepKind",
    "StepMode", "StepScope", "StepStatus", "TaskStatus",
]


class StepKind(models.TextChoices):
    APPROVE = "approve", _("审批签字")
    VERIFY = "verify", _("审核核对")  # approve after ticking every checklist item
    RECORD = "record", _("备案")
    CC = "cc", _("抄送")  # informs; never blocks the flow


class StepScope(models.TextChoices):
    TENANT = "tenant", _("全公司")
    REGION = "region", _("单据所属地区")
    BRANCH = "branch", _("单据所属分公司")


class StepMode(models.TextChoices):
    ANY = "any", _("或签（任一人）")
    ALL = "all", _("会签（全部人）")


class Position(TenantOwned):
    """岗位: a post the tenant defines itself (技术总监, 大客户部经理, 产品市场部经理…). Unlike a
    ``Role`` it carries no capability; it only says who signs a chain step. People hold it
    tenant-wide, for a region or for a branch (``PositionHolder``)."""

    name = models.CharField(_("岗位名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="approval_position_name_unique")]

    def __str__(self) -> str:
        return self.name


class PositionHolder(TenantOwned):
    """One person in one position: tenant-wide (no region, no branch), for a region, or for a
    branch. Resolution looks for the most specific holder first (see ``selectors.position_holders``)."""

    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="holders", verbose_name=_("岗位"))
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("地区")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("分公司")
    )
    created_at = models.DateTimeField(_("任职时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("岗位任职")
        verbose_name_plural = _("岗位任职")
        ordering = ["position", "region", "branch", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=True) | models.Q(branch__isnull=True),
                name="position_holder_region_or_branch",
            ),
            models.UniqueConstraint(
                fields=["position", "user"], condition=models.Q(region__isnull=True, branch__isnull=True),
                name="position_holder_once_tenant_wide",
            ),
            models.UniqueConstraint(
                fields=["position", "user", "region"], condition=models.Q(region__isnull=False),
                name="position_holder_once_per_region",
            ),
            models.UniqueConstraint(
                fields=["position", "user", "branch"], condition=models.Q(branch__isnull=False),
                name="position_holder_once_per_branch",
            ),
        ]

    def __str__(self) -> str:
        where = self.branch or self.region
        return f"{self.position} · {self.user}" + (f"（{where}）" if where else "")

    @property
    def scope_label(self) -> str:
        if self.branch_id:
            return str(self.branch)
        if self.region_id:
            return str(self.region)
        return str(_("全公司"))


class ApproverMixin:
    """Shared by the configured step and the running step: a readable "who signs"."""

    @property
    def approver_label(self) -> str:
        scope = {StepScope.BRANCH: _("（本分公司）"), StepScope.REGION: _("（本地区）")}.get(self.scope, "")
        if self.approver_users:
            people = User.objects.filter(pk__in=self.approver_users)
            return "、".join(u.display_name for u in people.order_by("full_name", "username")) or "—"
        if self.approver_position_id:
            fallback = f" / {self.get_role_display()}" if self.role else ""
            return f"{self.approver_position}{scope}{fallback}"
        return f"{self.get_role_display()}{scope}" if self.role else "—"


class ApprovalChain(TenantOwned):
    """The tenant's configured chain for one document type. Absent: the type's default chain."""

    document_type = models.CharField(_("单据类型"), max_length=64)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("更新人")
    )

    class Meta:
        db_table = "marketing_approvalchain"
        verbose_name = _("审批流程")
        verbose_name_plural = _("审批流程")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "document_type"], name="approval_chain_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return self.document_type


class ApprovalChainStep(ApproverMixin, TenantOwned):
    chain = models.ForeignKey(ApprovalChain, on_delete=models.CASCADE, related_name="steps", verbose_name=_("流程"))
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=60)
    kind = models.CharField(_("步骤类型"), max_length=10, choices=StepKind.choices, default=StepKind.APPROVE)
    # Who signs: a named person, else the holders of a position, else the holders of a role
    # (a position nobody holds falls back to the role, when one is given).
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    approver_position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("岗位")
    )
    approver_users = models.JSONField(_("指定人员"), default=list, blank=True)  # user ids, in order
    scope = models.CharField(_("范围"), max_length=10, choices=StepScope.choices, default=StepScope.TENANT)
    mode = models.CharField(_("签署方式"), max_length=5, choices=StepMode.choices, default=StepMode.ANY)
    condition = models.CharField(_("条件"), max_length=200, blank=True)
    checklist = models.JSONField(_("核对项"), default=list, blank=True)

    class Meta:
        db_table = "marketing_approvalchainstep"
        verbose_name = _("审批步骤配置")
        verbose_name_plural = _("审批步骤配置")
        ordering = ["chain", "position"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="approval_chain_step_position_unique")
        ]

    def __str__(self) -> str:
        return self.name


class FlowStatus(models.TextChoices):
    # in_progress -> approved | rejected | withdrawn ; rejected | withdrawn -> in_progress (resubmit)
    IN_PROGRESS = "in_progress", _("审批中")
    APPROVED = "approved", _("已通过")  # final
    REJECTED = "rejected", _("已驳回")  # back to the applicant, who may edit and resubmit
    WITHDRAWN = "withdrawn", _("已撤回")  # the applicant took it back; may resubmit


class ApprovalFlow(TenantOwned):
    """One document's approval. Title, link, branch and applicant are copied from the document
    when a round starts, so inbox and lists need no per-row look-up of the document."""

    document_type = models.CharField(_("单据类型"), max_length=64)
    object_id = models.PositiveBigIntegerField(_("单据编号"))
    title = models.CharField(_("标题"), max_length=200)
    url = models.CharField(_("链接"), max_length=300)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("分公司")
    )
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    status = models.CharField(_("状态"), max_length=12, choices=FlowStatus.choices, default=FlowStatus.IN_PROGRESS)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    current_position = models.PositiveSmallIntegerField(_("当前步骤"), null=True, blank=True)
    # Bumped by every transition; a form posts the version it was rendered with, so a stale
    # form (someone else acted meanwhile) is refused with a clear message.
    version = models.PositiveIntegerField(_("版本"), default=1)
    started_at = models.DateTimeField(_("提交时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        db_table = "marketing_approvalflow"
        verbose_name = _("审批单")
        verbose_name_plural = _("审批单")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "document_type", "object_id"], name="approval_flow_one_per_document"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "applicant", "-started_at"], name="approval_flow_applicant_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class StepStatus(models.TextChoices):
    # waiting -> active -> done ; waiting -> skipped (condition false / only the applicant holds
    # the role) ; active -> waiting (returned past it) ; active|waiting -> cancelled (flow ended)
    WAITING = "waiting", _("待处理")
    ACTIVE = "active", _("处理中")
    DONE = "done", _("已完成")
    SKIPPED = "skipped", _("不适用")
    CANCELLED = "cancelled", _("已终止")


class ApprovalStep(ApproverMixin, TenantOwned):
    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="steps", verbose_name=_("审批单"))
    round = models.PositiveSmallIntegerField(_("轮次"))
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=60)
    kind = models.CharField(_("步骤类型"), max_length=10, choices=StepKind.choices)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    approver_position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("岗位")
    )
    approver_users = models.JSONField(_("指定人员"), default=list, blank=True)  # user ids, in order
    scope = models.CharField(_("范围"), max_length=10, choices=StepScope.choices)
    mode = models.CharField(_("签署方式"), max_length=5, choices=StepMode.choices)
    condition = models.CharField(_("条件"), max_length=200, blank=True)
    checklist = models.JSONField(_("核对项"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        db_table = "marketing_approvalstep"
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["flow", "round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "round", "position"], name="approval_step_unique_position")
        ]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    # pending -> approved | rejected | returned | transferred | cancelled (another signer of an
    # 或签 step acted, or the flow ended) ; cc rows are informational and never pending.
    PENDING = "pending", _("待处理")
    APPROVED = "approved", _("同意")
    REJECTED = "rejected", _("驳回")
    RETURNED = "returned", _("退回")
    TRANSFERRED = "transferred", _("已转交")
    CANCELLED = "cancelled", _("无需处理")
    CC = "cc", _("抄送")


class ApprovalTask(TenantOwned):
    """One person's part in one step: who (assignee), who actually acted (a delegate acts on the
    assignee's behalf), when, what decision, what comment, what the checklist said."""

    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("审批单"))
    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("步骤"))
    assignee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("处理人"))
    status = models.CharField(_("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    acted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("实际操作人")
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    checklist_values = models.JSONField(_("核对结果"), default=dict, blank=True)
    transferred_to = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("转交给")
    )
    created_at = models.DateTimeField(_("到达时间"), auto_now_add=True)

    class Meta:
        db_table = "marketing_approvaltask"
        verbose_name = _("审批任务")
        verbose_name_plural = _("审批任务")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "created_at", "id"], name="approval_task_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.step} · {self.assignee}"

    @property
    def on_behalf(self) -> bool:
        return self.acted_by_id is not None and self.acted_by_id != self.assignee_id


def approval_upload_to(instance, filename: str) -> str:
    # Tenant-scoped and unguessable; the original name is kept on the row.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tenants/{instance.tenant_id}/approvals/{instance.flow_id}/{uuid.uuid4().hex}.{suffix}"


class ApprovalComment(TenantOwned):
    """A remark or an attached file on a flow, by anyone taking part in it."""

    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="comments", verbose_name=_("审批单"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("作者"))
    body = models.TextField(_("内容"), blank=True)
    attachment = models.FileField(_("附件"), upload_to=approval_upload_to, blank=True)
    attachment_name = models.CharField(_("附件名"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        db_table = "marketing_approvalcomment"
        verbose_name = _("审批意见")
        verbose_name_plural = _("审批意见")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40] or self.attachment_name


class ApprovalDelegation(TenantOwned):
    """While ``delegator`` is away (dates inclusive, tenant-local), ``delegate`` may act on their
    pending tasks; the task records both."""

    delegator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("委托人"))
    delegate = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("代理人"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        db_table = "marketing_approvaldelegation"
        verbose_name = _("审批委托")
        verbose_name_plural = _("审批委托")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="approval_delegation_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~models.Q(delegate=models.F("delegator")), name="approval_delegation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate}"


class ApprovalDigest(TenantOwned):
    """Claimed before the daily digest e-mail is sent: exactly one per user and day."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    pending_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "marketing_approvaldigest"
        verbose_name = _("审批日报")
        verbose_name_plural = _("审批日报")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "day"], name="approval_digest_once_per_day")
        ]
