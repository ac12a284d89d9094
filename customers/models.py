"""The confidential customer archive (客户档案): customers, their contacts and visits, the
grants that open one record to one user for a while, the read log and the access request.

Every model is tenant-owned. The historical tables that django-simple-history generates
(``HistoricalCustomer`` etc.) inherit ``HistoryScopedBase``: they copy the ``tenant`` FK and
get a scoped default manager, so they classify as tenant-owned too. Read history only
through ``customers.selectors.customer_history``."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from guardian.managers import UserObjectPermissionManager
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from marketing.models import Branch, Tenant, TenantOwned

from .crypto import EncryptedTextField, mask_phone, mask_text


class HistoryScopedBase(models.Model):
    """Base of the generated historical models: fail-closed like every tenant-owned table."""

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


def _history(**kwargs) -> HistoricalRecords:
    return HistoricalRecords(bases=[HistoryScopedBase], **kwargs)


class Industry(models.TextChoices):
    DEALER_4S = "dealer_4s", _("4S店/汽车经销商")
    USED_CAR = "used_car", _("二手车商")
    REPAIR_SHOP = "repair_shop", _("汽车修理厂")
    FLEET = "fleet", _("车队/物流公司")
    RENTAL = "rental", _("汽车租赁")
    INSURANCE = "insurance", _("保险代理")
    OTHER = "other", _("其他")


class Stage(models.TextChoices):
    """The starting sales stages every tenant gets (codes stored in ``Customer.stage``); a
    tenant admin can rename, reorder, retire them and add others (``CustomerStage``,
    ``customers/stages.py``). Starting moves:
    TARGET -> NEGOTIATING | LOST; NEGOTIATING -> SIGNED | LOST | TARGET;
    SIGNED -> LOST (the cooperation ends); LOST -> TARGET (won back)."""

    TARGET = "target", _("目标客户")  # identified, not yet in talks
    NEGOTIATING = "negotiating", _("洽谈中")  # needs found, proposal under discussion
    SIGNED = "signed", _("已签约")  # cooperation agreement signed
    LOST = "lost", _("已流失")  # talks failed or cooperation ended


STAGE_TRANSITIONS: dict[str, set[str]] = {
    Stage.TARGET: {Stage.NEGOTIATING, Stage.LOST},
    Stage.NEGOTIATING: {Stage.SIGNED, Stage.LOST, Stage.TARGET},
    Stage.SIGNED: {Stage.LOST},
    Stage.LOST: {Stage.TARGET},
}


class StageKind(models.TextChoices):
    """What a stage means to the product: an open stage is still being worked; a won stage
    counts as signed; entering a lost stage needs the reason (S002-10)."""

    OPEN = "open", _("进行中")
    WON = "won", _("成交")
    LOST = "lost", _("失败/流失")


class CustomerStage(TenantOwned):
    """One tenant's sales stage (客户进展阶段). A tenant without rows uses ``Stage``; the first
    change an admin makes writes the four starting rows, then edits them."""

    code = models.SlugField(_("代码"), max_length=20)
    label = models.CharField(_("名称"), max_length=30)
    label_en = models.CharField(_("英文名称"), max_length=40, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=StageKind.choices, default=StageKind.OPEN)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True,
                                    help_text=_("停用的阶段不能再选，已在此阶段的客户保留，可改到其他阶段。"))
    # Codes of the stages a customer may move to from this one.
    next_codes = models.JSONField(_("可转入的阶段"), default=list, blank=True)
    revision = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户阶段")
        verbose_name_plural = _("客户阶段")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="customer_stage_code_unique")]

    def __str__(self) -> str:
        return self.label


class Tag(TenantOwned):
    name = models.CharField(_("标签"), max_length=30)

    class Meta:
        verbose_name = _("客户标签")
        verbose_name_plural = _("客户标签")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="customer_tag_unique_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Customer(TenantOwned):
    name = models.CharField(_("客户名称"), max_length=120)
    # [{"name": "...", "stake": "35.00"}]: stakes are percentages kept as decimal strings.
    shareholders = models.JSONField(_("主要股东及股份"), default=list, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = EncryptedTextField(_("电话"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    characteristics = models.TextField(_("客户特点"), blank=True)
    business_situation = models.TextField(_("经营状况"), blank=True)
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices, default=Industry.DEALER_4S)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("负责销售")
    )
    # A code of the tenant's stages (customers/stages.py), checked by the services.
    stage = models.CharField(_("阶段"), max_length=20, default=Stage.TARGET)
    lost_reason = models.TextField(_("失败/流失原因"), blank=True,
                                   help_text=_("标为“已流失”时必须写明原因，以便分析后再次拜访。"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("标签"))
    # The tag names, kept by the services so that tag changes show in the history diff.
    tag_names = models.CharField(_("标签"), max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = _history(excluded_fields=["phone_hash", "updated_at"])

    class Meta:
        verbose_name = _("客户档案")
        verbose_name_plural = _("客户档案")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "owner"], name="customer_tenant_owner_idx"),
            models.Index(fields=["tenant", "branch"], name="customer_tenant_branch_idx"),
            models.Index(fields=["tenant", "-updated_at"], name="customer_tenant_updated_idx"),
            models.Index(fields=["tenant", "name"], name="customer_tenant_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def stage_label(self) -> str:
        from .stages import stage_set

        return stage_set(self.tenant).label(self.stage)

    @property
    def stage_tone(self) -> str:
        from .stages import stage_set

        return stage_set(self.tenant).tone(self.stage)


def active_grant_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now)


class ActiveGrantManager(UserObjectPermissionManager):
    """Hides expired grants from every query, guardian's checker included."""

    def get_queryset(self):
        return super().get_queryset().filter(active_grant_q())


class CustomerUserObjectPermission(UserObjectPermissionBase):
    """guardian direct-foreign-key grant table: "user X may read customer Y".

    Two kinds of rows, one permission (``customers.view_customer``):
    * a share (共享) by the owner side: ``expires_at`` is NULL;
    * a temporary grant (临时授权) from an approved access request: ``expires_at`` is set.
    Expiry holds at query time: the default manager hides expired rows, so guardian's own
    checks and our selectors both ignore them; ``purge_expired_grants`` deletes them later."""

    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True, db_index=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    objects = ScopedManager(tenant="tenant", _manager_class=ActiveGrantManager)
    # Expired rows too: for the purge job and for renewing a grant in place.
    all_grants = ScopedManager(tenant="tenant")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("客户档案授权")
        verbose_name_plural = _("客户档案授权")
        indexes = [models.Index(fields=["tenant", "user", "expires_at"], name="customer_grant_user_idx")]

    @property
    def is_share(self) -> bool:
        return self.expires_at is None


class Gender(models.TextChoices):
    MALE = "m", _("男")
    FEMALE = "f", _("女")
    UNKNOWN = "", _("未知")


class Education(models.TextChoices):
    UNKNOWN = "", _("未知")
    SECONDARY = "secondary", _("高中/中专及以下")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士及以上")


class PurchaseRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("采购决策人")
    INFLUENCER = "influencer", _("影响者")
    USER = "user", _("使用者")
    OTHER = "other", _("其他")


class Contact(TenantOwned):
    """A person at the customer: the purchase decision maker or an influencer. Phone,
    address and family situation are encrypted at rest."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("客户"))
    name = models.CharField(_("姓名"), max_length=40)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True, default="")
    birth_year = models.PositiveSmallIntegerField(
        _("出生年份"), null=True, blank=True, validators=[MinValueValidator(1920), MaxValueValidator(2015)]
    )
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True, default="")
    phone = EncryptedTextField(_("电话"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address = EncryptedTextField(_("住址"), blank=True)
    personality = models.TextField(_("性格与爱好"), blank=True)
    family = EncryptedTextField(_("家庭情况"), blank=True)
    purchase_role = models.CharField(
        _("采购中的角色"), max_length=20, choices=PurchaseRole.choices, default=PurchaseRole.DECISION_MAKER
    )
    notes = models.TextField(_("其他有助于业务的信息"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = _history(excluded_fields=["phone_hash"])

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["purchase_role", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def address_masked(self) -> str:
        return mask_text(self.address)


class VisitType(models.TextChoices):
    VISIT = "visit", _("上门拜访")
    INVITED = "invited", _("邀约来公司")
    CALL = "call", _("电话沟通")


class Visit(TenantOwned):
    """One contact with the customer (seed 002: 上门拜访或邀约客户来公司, then 回访)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visits", verbose_name=_("客户"))
    visited_on = models.DateField(_("拜访日期"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("拜访人")
    )
    companions = models.CharField(_("同行人员"), max_length=100, blank=True)
    # S002-07 (seed 002 4.1.3-4.1.4): an analyst helps understand the needs and drafts the proposal.
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("分析师"), help_text=_("协助了解客户需求、拟定方案的分析师（可选）"),
    )
    visit_type = models.CharField(_("方式"), max_length=10, choices=VisitType.choices, default=VisitType.VISIT)
    needs = models.TextField(_("了解到的需求"), blank=True)
    proposal = models.TextField(_("方案"), blank=True)
    outcome = models.TextField(_("结果"), blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    next_date = models.DateField(_("下次跟进日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = _history()

    class Meta:
        verbose_name = _("拜访记录")
        verbose_name_plural = _("拜访记录")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["tenant", "customer", "-visited_on"], name="visit_customer_date_idx")]

    def __str__(self) -> str:
        return f"{self.customer} {self.visited_on:%Y-%m-%d}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("打开档案")
    SEARCH_OPEN = "search_open", _("从搜索结果打开")
    PHONE_SEARCH = "phone_search", _("按电话查找命中")
    HISTORY = "history", _("查看变更记录")
    EXPORT = "export", _("导出")
    PRINT = "print", _("打印")


class CustomerAccessLog(TenantOwned):
    """Who read which customer, when, from where and how. Holds no personal values.
    Append-only: written with bulk_create, never updated."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("用户"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("客户"))
    action = models.CharField(_("方式"), max_length=20, choices=AccessAction.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("客户档案访问日志")
        verbose_name_plural = _("客户档案访问日志")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "customer", "-at"], name="access_log_customer_idx"),
            models.Index(fields=["tenant", "user", "-at"], name="access_log_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.customer_id} {self.action}"


class ReadAlert(TenantOwned):
    """One alert per user per clock hour: the row is claimed before the e-mail goes out,
    so a burst of reads sends exactly one message."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("用户"))
    hour = models.DateTimeField(_("小时"))
    reads = models.PositiveIntegerField(_("查阅次数"))
    created_at = models.DateTimeField(_("告警时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("超量查阅告警")
        verbose_name_plural = _("超量查阅告警")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "hour"], name="read_alert_once_per_hour")]


class AccessRequestStatus(models.TextChoices):
    """PENDING -> APPROVED | REJECTED | WITHDRAWN. Terminal states do not move."""

    PENDING = "pending", _("审批中")  # waiting for the general manager (the approval chain)
    APPROVED = "approved", _("已批准")  # a temporary grant exists (or existed)
    REJECTED = "rejected", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


class CustomerAccessRequest(TenantOwned):
    """客户档案查阅申请: someone outside the archive's readers asks to read one customer."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("客户"))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    reason = models.TextField(_("查阅事由"))
    days = models.PositiveSmallIntegerField(
        _("授权天数"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=AccessRequestStatus.choices, default=AccessRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    grant_expires_at = models.DateTimeField(_("授权到期"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户档案查阅申请")
        verbose_name_plural = _("客户档案查阅申请")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return _("查阅申请：%(customer)s") % {"customer": self.customer.name}

    @property
    def branch(self):
        return self.customer.branch


class ImportBatch(TenantOwned):
    """An uploaded archive waiting for confirmation. The parsed rows (with phone numbers) are
    kept encrypted; confirming creates every row in one transaction or none."""

    class Status(models.TextChoices):
        """PREVIEW -> DONE | DISCARDED."""

        PREVIEW = "preview", _("待确认")
        DONE = "done", _("已导入")
        DISCARDED = "discarded", _("已放弃")

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    payload = EncryptedTextField(_("解析结果"))
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PREVIEW)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户档案导入")
        verbose_name_plural = _("客户档案导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    CLOSED = "closed", _("已处理")


class ComplaintDepartment(models.TextChoices):
    MARKETING = "marketing", _("市场部")
    SALES = "sales", _("销售部（分公司）")
    CLAIMS = "claims", _("理赔/售后服务")
    FINANCE = "finance", _("财务部")
    PRODUCT = "product", _("产品设计部")
    OTHER = "other", _("其他部门")


class Complaint(TenantOwned):
    """客户、顾客的投诉记录 (S001-27): kept on the customer's record, followed up by the
    department concerned; part of the confidential archive (read with the customer)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="complaints", verbose_name=_("客户"))
    received_on = models.DateField(_("投诉日期"))
    complainant = models.CharField(_("投诉人"), max_length=60, blank=True)
    content = models.TextField(_("投诉内容"))
    department = models.CharField(_("处理部门"), max_length=12, choices=ComplaintDepartment.choices)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("处理人"))
    status = models.CharField(_("状态"), max_length=8, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN)
    outcome = models.TextField(_("处理结果"), blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户投诉")
        verbose_name_plural = _("客户投诉")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["tenant", "status", "-received_on"], name="complaint_status_idx")]

    def __str__(self) -> str:
        return f"{self.customer} {self.received_on:%Y-%m-%d}"
