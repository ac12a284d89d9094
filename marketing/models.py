"""Tenancy, organisation, users and roles, audit. Every tenant-owned model in the project
inherits ``TenantOwned``; global models are listed in ``marketing.tenancy.GLOBAL_MODELS``."""

import zoneinfo
from datetime import time
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from guardian.managers import UserObjectPermissionManager
from guardian.models import UserObjectPermissionBase

from .roles import Role, capabilities_for


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("未知的时区：%(tz)s"), params={"tz": value}, code="bad_time_zone")


def default_sales_positions() -> list[str]:
    return ["销售", "业务员", "销售经理", "大区经理"]


def default_report_filing_roles() -> list[str]:
    return [Role.BRANCH_GM.value]


class CustomerReachPolicy(models.TextChoices):
    """Who reads the customer archive without asking (seed 003 档案 (4)(6), S003-16/18)."""

    # 客户档案查询权限限于执行董事、总经理、总经理助理、市场总监、市场业务员: salespeople read the
    # whole archive like the executives do; everyone else asks the general manager.
    SEED = "seed", _("按制度：执行董事、总经理、总经理助理、市场总监、市场业务员可查询全部档案")
    # The narrower rule: a salesperson reads the customers they own (plus shares and grants)
    # and asks for any other one.
    OWN = "own", _("从严：业务员只能查询本人负责的客户，其他客户需申请")


class Tenant(models.Model):
    """A customer company. Global: it *is* the scope."""

    name = models.CharField(_("公司名称"), max_length=120)
    slug = models.SlugField(_("标识"), max_length=50, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)
    time_zone = models.CharField(
        _("时区"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    marketing_mailbox = models.EmailField(_("市场营销部邮箱"), help_text=_("每日汇总等邮件的发件地址"))
    # Daily reports (reports app)
    report_deadline_time = models.TimeField(_("日报截止时间"), default=time(10, 0))
    reminder_time = models.TimeField(_("未报提醒时间"), default=time(9, 30))
    summary_send_time = models.TimeField(_("每日汇总发送时间"), default=time(10, 0))
    # Approvals: the morning digest of what waits for each approver (marketing/approvals/digest.py)
    approval_digest_time = models.TimeField(_("待审批日报发送时间"), default=time(8, 30))
    sales_positions = models.JSONField(
        _("计入销售人数的岗位"), default=default_sales_positions, blank=True
    )
    report_filing_roles = models.JSONField(
        _("可填报日报的角色"), default=default_report_filing_roles, blank=True
    )
    # Seed 000 sends one summary to 分总及以上: by default branch GMs see every branch's
    # figures (e-mail and the summary pages). Off: each branch-scoped reader sees only the
    # branches they may see in the app.
    summary_all_branches_to_branch_gm = models.BooleanField(
        _("分总接收全部分公司的汇总"), default=True,
        help_text=_("开启（默认，与公司制度一致）：每日汇总整份发给分总及以上；关闭：分总只收到、只看到自己负责的分公司。"),
    )
    # Expenses: expense / related contract amount above this needs the general manager.
    expense_ratio_limit = models.DecimalField(
        _("费用比例上限"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0500"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    # Optional steps of the marketing-expense chain, off by default: seed 000's chain has none of them.
    expense_director_approval = models.BooleanField(
        _("营销费用：常规活动增加市场营销总监审批"), default=False,
        help_text=_("在市场审核之后；开启“特殊活动总经理审批”时只用于常规活动。"),
    )
    expense_special_gm_approval = models.BooleanField(
        _("营销费用：特殊活动增加总经理审批"), default=False, help_text=_("在市场审核之后。")
    )
    expense_ratio_gm_approval = models.BooleanField(
        _("营销费用：超出费用比例上限需总经理审批"), default=False,
        help_text=_("只对有相关合同的申请计算比例。关闭时比例仍显示给市场部审核。"),
    )
    # Customer archive
    customer_reach_policy = models.CharField(
        _("客户档案查询权限"), max_length=10, choices=CustomerReachPolicy.choices, default=CustomerReachPolicy.SEED
    )
    customer_grant_days = models.PositiveSmallIntegerField(
        _("客户档案临时授权天数"), default=7, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    customer_read_alert_per_hour = models.PositiveIntegerField(
        _("每小时查阅客户档案告警阈值"), default=30, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("租户")
        verbose_name_plural = _("租户")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class TenantOwned(models.Model):
    """Base of every tenant-owned model. The default manager refuses to query outside a
    ``django_scopes.scope(tenant=...)``, so a forgotten tenant filter is an error, not a leak."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("租户"))

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


class User(AbstractUser):
    """Global: a login. What the user may do in a tenant lives on ``Membership``."""

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Region(TenantOwned):
    name = models.CharField(_("地区名称"), max_length=60)
    code = models.CharField(
        _("地区代码"), max_length=20, validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("只能包含字母、数字、-和_"))]
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("地区")
        verbose_name_plural = _("地区")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="region_code_unique_per_tenant"),
            models.UniqueConstraint(fields=["tenant", "name"], name="region_name_unique_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name


class Branch(TenantOwned):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="branches", verbose_name=_("地区"))
    name = models.CharField(_("分公司名称"), max_length=60)
    code = models.CharField(
        _("分公司代码"), max_length=20, validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("只能包含字母、数字、-和_"))]
    )
    city = models.CharField(_("城市"), max_length=40, blank=True)
    is_headquarters = models.BooleanField(_("总部"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("分公司")
        verbose_name_plural = _("分公司")
        ordering = ["region__sort_order", "region__code", "sort_order", "code"]
        permissions = [("act_for_branch", _("代表该分公司办理业务"))]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="branch_code_unique_per_tenant"),
            models.UniqueConstraint(fields=["tenant", "name"], name="branch_name_unique_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name


class BranchUserObjectPermission(UserObjectPermissionBase):
    """guardian direct-foreign-key grant table for branches: "user X acts for branch Y".
    Direct FKs keep get_objects_for_user a plain join instead of a generic-relation scan."""

    content_object = models.ForeignKey(Branch, on_delete=models.CASCADE)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")

    # guardian calls manager methods (is_generic, assign_perm...): keep its manager class.
    objects = ScopedManager(tenant="tenant", _manager_class=UserObjectPermissionManager)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class Membership(TenantOwned):
    """A user's place in a tenant. One per user: a user belongs to exactly one tenant."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="membership", verbose_name=_("用户"))
    title = models.CharField(_("职务"), max_length=60, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    deactivated_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant_id}"

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(ra.role for ra in self.role_assignments.all())

    @cached_property
    def capabilities(self) -> frozenset[str]:
        return capabilities_for(self.roles)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


class RoleAssignment(TenantOwned):
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("成员")
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class AuditEvent(TenantOwned):
    """Security-relevant and state-changing events. Append-only: nothing updates or deletes
    these rows. ``tenant`` is null only for events that belong to no tenant (a failed login
    with an unknown user name, platform superuser actions)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("租户")
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    verb = models.CharField(_("事件"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_label = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="audit_tenant_time_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.object_label}"


class FormSubmission(TenantOwned):
    """One claimed one-time form token (``marketing.submit_once``): the first POST that
    carries a token inserts this row inside its own transaction; a second POST of the same
    token finds it and is sent to the first result instead of creating anything again."""

    token = models.CharField(_("表单令牌"), max_length=32)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    path = models.CharField(_("地址"), max_length=200)
    result_url = models.CharField(_("结果地址"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("表单提交")
        verbose_name_plural = _("表单提交")
        constraints = [models.UniqueConstraint(fields=["tenant", "token"], name="form_submission_token_unique")]

    def __str__(self) -> str:
        return self.token


class Heartbeat(models.Model):
    """Global: when a periodic job (beat's dispatchers, sweeps) last ran, for ``/healthz``."""

    name = models.CharField(_("任务"), max_length=100, unique=True)
    last_seen = models.DateTimeField(_("最近运行"))

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen:%Y-%m-%d %H:%M:%S}"

