"""Hospitality models. Imported by ``expenses.models`` so they belong to the ``expenses`` app.

* ``HospitalityPolicy``: one row per version and tenant, never edited once saved; the version
  in force on a day is the latest with ``effective_from <= day``. Applications and claims keep
  the version they were judged under.
* ``Venue``: the designated venues (定点招待).
* ``HospitalityApplication`` (招待申请 / 紧急申请) with its ``Guest`` rows.
* ``HospitalityClaim`` (报销) with ``ClaimLine`` rows and invoice ``ClaimAttachment`` files.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned, User
from marketing.roles import Role

__all__ = [
    "HospitalityPolicy", "Venue", "ApplicationStatus", "HospitalityApplication", "Guest", "ClaimStatus",
    "CHARGED_STATUSES", "HospitalityClaim", "LineKind", "ClaimLine", "ClaimAttachment", "HospitalitySequence",
    "EmergencyReminder", "VenueAnnouncement", "PolicyReviewReminder",
]

ZERO = Decimal("0.00")
MAX_LINE_AMOUNT = Decimal("1000000.00")


def default_applicant_roles() -> list[str]:
    return [Role.SALESPERSON.value, Role.REGIONAL_MANAGER.value, Role.BRANCH_GM.value]


class HospitalityPolicy(TenantOwned):
    version = models.PositiveIntegerField(_("版本"))
    effective_from = models.DateField(_("生效日期"))
    applicant_roles = models.JSONField(_("可申请的角色"), default=default_applicant_roles)
    advance_working_days = models.PositiveSmallIntegerField(
        _("提前申请（工作日）"), default=1, validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("1 = 最迟在招待日前一个工作日结束前申请（提前一天）；0 = 当天申请也可。"),
    )
    allow_local_guests = models.BooleanField(
        _("允许招待本市客户"), default=False, help_text=_("默认只招待外地来访客户，本市客户不在范围内。")
    )
    require_progress = models.BooleanField(_("须说明实质性进展"), default=True)
    extra_dishes = models.PositiveSmallIntegerField(
        _("菜品数 = 人数 +"), default=1, validators=[MaxValueValidator(10)],
        help_text=_("点餐标准：菜品数量 = 就餐人数 + 此数，另加汤和主食。"),
    )
    lodging_per_room_night = models.DecimalField(
        _("住宿标准（元/间夜）"), max_digits=10, decimal_places=2, default=Decimal("300.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_companions_per_guest = models.PositiveSmallIntegerField(
        _("每位客户最多陪同人数"), default=1, validators=[MaxValueValidator(10)]
    )
    max_guests = models.PositiveSmallIntegerField(
        _("单次接待客户人数上限"), default=6, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("单次接待的客户人数要尽可能少。"),
    )
    emergency_working_days = models.PositiveSmallIntegerField(
        _("紧急申请补全期限（工作日）"), default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("招待政策")
        verbose_name_plural = _("招待政策")
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="hosp_policy_version_unique"),
            models.UniqueConstraint(fields=["tenant", "effective_from"], name="hosp_policy_effective_unique"),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.effective_from:%Y-%m-%d})"


class Venue(TenantOwned):
    name = models.CharField(_("名称"), max_length=100)
    city = models.CharField(_("城市"), max_length=40)
    address = models.CharField(_("地址"), max_length=200)
    serves_meals = models.BooleanField(_("用餐"), default=True)
    serves_lodging = models.BooleanField(_("住宿"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("定点招待场所")
        verbose_name_plural = _("定点招待场所")
        ordering = ["city", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "city", "name"], name="hosp_venue_unique_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.city}）"


class ApplicationStatus(models.TextChoices):
    # ordinary: submitted -> approved | rejected | withdrawn; rejected/withdrawn -> submitted
    # emergency: emergency -> submitted (completed in time) | lapsed (deadline passed: 拒付)
    EMERGENCY = "emergency", _("紧急申请待补全")
    SUBMITTED = "submitted", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    LAPSED = "lapsed", _("逾期未补全（拒付）")


class HospitalityApplication(TenantOwned):
    number = models.CharField(_("申请编号"), max_length=20)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    policy = models.ForeignKey(HospitalityPolicy, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("政策版本"))
    visit_date = models.DateField(_("招待日期"))
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="+", verbose_name=_("定点场所"))
    meals = models.BooleanField(_("用餐"), default=True)
    lodging = models.BooleanField(_("住宿"), default=False)
    room_nights = models.PositiveSmallIntegerField(_("住宿间夜数"), default=0)
    expected_diners = models.PositiveSmallIntegerField(
        _("预计就餐人数"), default=2, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    progress = models.TextField(_("实质性进展"), max_length=1000, blank=True)
    companions = models.CharField(_("陪同人员"), max_length=200, blank=True)
    companion_count = models.PositiveSmallIntegerField(_("陪同人数"), default=0)
    is_emergency = models.BooleanField(_("紧急申请"), default=False)
    emergency_note = models.CharField(_("紧急说明"), max_length=300, blank=True)
    completion_due = models.DateField(_("补全期限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("拒付时间"), null=True, blank=True)
    # 招待安排 (S001-36): after approval the list goes to the 行政部 / 销售部经理助理, who books it.
    arranged_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("安排人"))
    arranged_at = models.DateTimeField(_("安排时间"), null=True, blank=True)
    arrangement_note = models.CharField(_("安排情况"), max_length=300, blank=True)
    # The key the form was rendered with: a double submit returns the first record.
    client_key = models.CharField(max_length=36, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("招待申请")
        verbose_name_plural = _("招待申请")
        ordering = ["-visit_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="hosp_app_number_unique"),
            models.UniqueConstraint(fields=["tenant", "client_key"], condition=~models.Q(client_key=""),
                                    name="hosp_app_client_key_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "completion_due"], name="hosp_app_status_due_idx"),
            models.Index(fields=["tenant", "branch", "-visit_date"], name="hosp_app_branch_idx"),
            # the list's order for readers of every branch: the page without sorting the table
            models.Index(fields=["tenant", "-visit_date", "-id"], name="hosp_app_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.visit_date:%Y-%m-%d}"

    @property
    def is_editable(self) -> bool:
        return self.status in (ApplicationStatus.EMERGENCY, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)


class Guest(TenantOwned):
    application = models.ForeignKey(HospitalityApplication, on_delete=models.CASCADE, related_name="guests",
                                    verbose_name=_("招待申请"))
    name = models.CharField(_("姓名"), max_length=40)
    title = models.CharField(_("职务"), max_length=40, blank=True)
    company = models.CharField(_("单位"), max_length=100)
    city = models.CharField(_("来自城市"), max_length=40)
    # Optional link to the archive. Pages show it only to members whose reach includes it.
    customer = models.ForeignKey("customers.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("客户档案"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("招待客户")
        verbose_name_plural = _("招待客户")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.company}）"


class ClaimStatus(models.TextChoices):
    # draft -> submitted (财务审核) -> approved (核定) -> paid; submitted -> rejected | withdrawn -> submitted
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("财务审核中")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")
    APPROVED = "approved", _("已核定待支付")
    PAID = "paid", _("已支付")


# Claims whose company share counts against sales (assessed by finance).
CHARGED_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.PAID)


class HospitalityClaim(TenantOwned):
    number = models.CharField(_("报销编号"), max_length=20)
    application = models.ForeignKey(HospitalityApplication, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="claims", verbose_name=_("招待申请"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("销售"))
    policy = models.ForeignKey(HospitalityPolicy, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("政策版本"))
    meal_date = models.DateField(_("招待日期"))
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("场所"))
    venue_other = models.CharField(_("其他场所（非定点）"), max_length=100, blank=True)
    diners = models.PositiveSmallIntegerField(_("就餐人数"), default=0, validators=[MaxValueValidator(50)])
    diners_note = models.CharField(_("超出批准人数说明"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    bill_total = models.DecimalField(_("账单金额"), max_digits=12, decimal_places=2, default=ZERO)
    company_share = models.DecimalField(_("公司承担"), max_digits=12, decimal_places=2, default=ZERO)
    personal_share = models.DecimalField(_("个人自理"), max_digits=12, decimal_places=2, default=ZERO)
    dish_count = models.PositiveSmallIntegerField(_("菜品数"), default=0)
    allowed_dishes = models.PositiveSmallIntegerField(_("标准菜品数"), default=0)
    # Set when the whole claim falls on the salesperson; shown as the reason of every line.
    blanket_reason = models.CharField(_("全部自理原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    paid_on = models.DateField(_("支付日期"), null=True, blank=True)
    payment_reference = models.CharField(_("付款凭证号"), max_length=60, blank=True)
    paid_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("支付登记人"))
    client_key = models.CharField(max_length=36, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("招待费报销")
        verbose_name_plural = _("招待费报销")
        ordering = ["-meal_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="hosp_claim_number_unique"),
            # one claim per application (a returned claim is edited and resubmitted, not re-filed)
            models.UniqueConstraint(fields=["application"], condition=models.Q(application__isnull=False),
                                    name="hosp_claim_one_per_application"),
            models.UniqueConstraint(fields=["tenant", "client_key"], condition=~models.Q(client_key=""),
                                    name="hosp_claim_client_key_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "meal_date"], name="hosp_claim_status_day_idx"),
            models.Index(fields=["tenant", "branch", "meal_date"], name="hosp_claim_branch_day_idx"),
            models.Index(fields=["tenant", "-meal_date", "-id"], name="hosp_claim_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.meal_date:%Y-%m-%d}"

    @property
    def is_editable(self) -> bool:
        return self.status in (ClaimStatus.DRAFT, ClaimStatus.REJECTED, ClaimStatus.WITHDRAWN)

    @property
    def venue_label(self) -> str:
        return str(self.venue) if self.venue_id else self.venue_other


class LineKind(models.TextChoices):
    DISH = "dish", _("菜品")
    SOUP = "soup", _("汤")
    STAPLE = "staple", _("主食")
    DRINK = "drink", _("酒水饮料")
    LODGING = "lodging", _("住宿")
    OTHER = "other", _("其他")


class ClaimLine(TenantOwned):
    claim = models.ForeignKey(HospitalityClaim, on_delete=models.CASCADE, related_name="lines",
                              verbose_name=_("报销"))
    kind = models.CharField(_("类别"), max_length=10, choices=LineKind.choices)
    description = models.CharField(_("说明"), max_length=100, blank=True)
    # dishes: number of dishes on the line; lodging: room-nights; otherwise 1.
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1, validators=[MaxValueValidator(200)])
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_LINE_AMOUNT)])
    company_amount = models.DecimalField(_("公司承担"), max_digits=12, decimal_places=2, default=ZERO)
    personal_amount = models.DecimalField(_("个人自理"), max_digits=12, decimal_places=2, default=ZERO)
    reason = models.CharField(_("自理原因"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    corrected_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("更正人"))
    correction_reason = models.CharField(_("更正原因"), max_length=300, blank=True)
    original = models.JSONField(_("更正前"), null=True, blank=True)

    class Meta:
        verbose_name = _("报销明细")
        verbose_name_plural = _("报销明细")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


def claim_upload_to(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tenants/{instance.tenant_id}/hospitality/{instance.claim_id}/{uuid.uuid4().hex}.{suffix}"


class ClaimAttachment(TenantOwned):
    claim = models.ForeignKey(HospitalityClaim, on_delete=models.CASCADE, related_name="attachments",
                              verbose_name=_("报销"))
    file = models.FileField(_("发票"), upload_to=claim_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("招待费发票")
        verbose_name_plural = _("招待费发票")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class HospitalitySequence(TenantOwned):
    """Per-tenant, per-year, per-kind counter (ZD-2026-00001 applications, ZB-… claims)."""

    kind = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "year"], name="hosp_sequence_unique")]


class EmergencyReminder(TenantOwned):
    """Exactly-once reminder per emergency application and local day (claimed before sending)."""

    application = models.ForeignKey(HospitalityApplication, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "day"], name="hosp_reminder_once")]


class VenueAnnouncement(TenantOwned):
    """S001-39 (公司定期公布定点场所): a designated venue announced to the people who may apply,
    claimed before sending -- once when it is added active, once more at each re-activation
    (``activation`` counts them), never for an edit of an active venue."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    activation = models.PositiveSmallIntegerField(default=1)
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "venue", "activation"],
                                               name="hosp_venue_announce_once")]


class PolicyReviewReminder(TenantOwned):
    """S001-33 (试行一个季度): the end-of-trial review reminder of one policy version, claimed
    before sending so the daily sweep sends it exactly once."""

    policy = models.ForeignKey(HospitalityPolicy, on_delete=models.CASCADE, related_name="+")
    trial_end = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "policy"], name="hosp_policy_review_once")]
