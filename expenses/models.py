"""Marketing-expense requests (营销费用申请表). The approval itself runs on the shared engine
(``marketing.approvals``); this model keeps the document, its own status and the payout."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned, User

MAX_AMOUNT = Decimal("100000000.00")  # 1 亿: above this an amount is a typo, not a campaign


class ActivityKind(models.TextChoices):
    ROUTINE = "routine", _("常规活动")  # marketing director approves (seed 004, SC-007)
    SPECIAL = "special", _("特殊活动")  # general manager approves


class ExpenseStatus(models.TextChoices):
    # draft -> submitted (approval_start)
    # submitted -> archived (chain completed: 归置存档) | rejected | withdrawn
    # rejected | withdrawn -> submitted (edited and resubmitted; the approval history is kept)
    # archived -> paid (finance enters payout date and reference)
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审批中")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    ARCHIVED = "archived", _("已归档待发放")
    PAID = "paid", _("已发放")


EDITABLE_STATUSES = (ExpenseStatus.DRAFT, ExpenseStatus.REJECTED, ExpenseStatus.WITHDRAWN)


class ExpenseRequest(TenantOwned):
    number = models.CharField(_("申请编号"), max_length=20)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("分公司"))
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    activity = models.CharField(_("活动名称"), max_length=100)
    purpose = models.TextField(_("活动内容及用途"), max_length=2000)
    activity_kind = models.CharField(
        _("活动类型"), max_length=10, choices=ActivityKind.choices, default=ActivityKind.ROUTINE
    )
    # Blank: the request relates to no contract (an activity, a promotion budget); no ratio then.
    contract_amount = models.DecimalField(
        _("相关合同金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    amount = models.DecimalField(
        _("申请费用金额（元）"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # expense / contract amount, stored so lists can filter and sort by it; null without a contract
    ratio = models.DecimalField(_("费用比例"), max_digits=9, decimal_places=4, null=True, blank=True)
    # The tenant's limit when the request was (re)submitted: what the reviewer was shown.
    ratio_limit = models.DecimalField(_("比例上限"), max_digits=5, decimal_places=4, default=Decimal("0.05"))
    payee_name = models.CharField(_("收款人/单位"), max_length=100)
    payee_bank = models.CharField(_("开户银行"), max_length=100)
    payee_account = models.CharField(
        _("银行账号"), max_length=34,
        validators=[RegexValidator(r"^[0-9]{8,30}$", _("银行账号应为 8 到 30 位数字。"))],
    )
    planned_date = models.DateField(_("计划日期"))
    status = models.CharField(_("状态"), max_length=10, choices=ExpenseStatus.choices, default=ExpenseStatus.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)
    payment_reference = models.CharField(_("付款凭证号"), max_length=60, blank=True)
    paid_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("发放登记人")
    )

    class Meta:
        verbose_name = _("营销费用申请")
        verbose_name_plural = _("营销费用申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="expense_number_unique_per_tenant"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="expense_tenant_time_idx"),
            models.Index(fields=["tenant", "branch", "-created_at"], name="expense_branch_time_idx"),
            models.Index(fields=["tenant", "status", "-created_at"], name="expense_status_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.activity}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def amount_display(self) -> str:
        return f"{self.amount:,.2f}"

    @property
    def has_contract(self) -> bool:
        return self.contract_amount is not None

    @property
    def contract_amount_display(self) -> str:
        return f"{self.contract_amount:,.2f}" if self.contract_amount is not None else str(_("无相关合同"))

    @property
    def ratio_display(self) -> str:
        return f"{self.ratio * 100:.2f}%" if self.ratio is not None else "—"

    @property
    def ratio_limit_display(self) -> str:
        return f"{self.ratio_limit * 100:.2f}%"

    @property
    def over_ratio(self) -> bool:
        """Over the limit, compared on the amounts (not the 4-place rounded ratio); only a
        request with a related contract has a ratio at all."""
        if self.contract_amount is None or self.amount is None:
            return False
        return self.amount > self.contract_amount * self.ratio_limit


class AttachmentKind(models.TextChoices):
    QUOTE = "quote", _("报价单")
    INVOICE = "invoice", _("发票")
    OTHER = "other", _("其他")


def expense_upload_to(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tenants/{instance.tenant_id}/expenses/{instance.request_id}/{uuid.uuid4().hex}.{suffix}"


class ExpenseAttachment(TenantOwned):
    request = models.ForeignKey(
        ExpenseRequest, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("申请")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=AttachmentKind.choices, default=AttachmentKind.QUOTE)
    file = models.FileField(_("文件"), upload_to=expense_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("费用附件")
        verbose_name_plural = _("费用附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ExpenseSequence(TenantOwned):
    """Per-tenant, per-year counter for request numbers (YX-2026-00001), locked when used."""

    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="expense_sequence_unique")]


from .hospitality.models import *  # noqa: E402,F401,F403  (hospitality lives in this app)

# --- budgets (issue 22, S001-13 / S000-28): see expenses/budgets.py and docs/budgets.md ----------


class BudgetPeriod(models.TextChoices):
    MONTH = "month", _("月度")
    YEAR = "year", _("年度")


class Budget(TenantOwned):
    """An expense budget of one branch (or, with no branch, one headquarters department) for a
    month (``period`` = the 1st) or a year (``period`` = 1 January)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("分公司"))
    department = models.CharField(_("总部部门"), max_length=60, blank=True)
    period_kind = models.CharField(_("预算周期"), max_length=5, choices=BudgetPeriod.choices,
                                   default=BudgetPeriod.MONTH)
    period = models.DateField(_("期间"))
    amount = models.DecimalField(_("预算金额（元）"), max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.00"))])
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("费用预算")
        verbose_name_plural = _("费用预算")
        ordering = ["-period", "branch_id", "department", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "branch", "period_kind", "period"],
                                    condition=models.Q(branch__isnull=False), name="budget_unique_branch_period"),
            models.UniqueConstraint(fields=["tenant", "department", "period_kind", "period"],
                                    condition=models.Q(branch__isnull=True), name="budget_unique_department_period"),
            models.CheckConstraint(
                condition=(models.Q(branch__isnull=False, department="")
                           | (models.Q(branch__isnull=True) & ~models.Q(department=""))),
                name="budget_branch_xor_department",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "period_kind", "-period"], name="budget_tenant_period_idx")]

    def __str__(self) -> str:
        return f"{self.owner_label} {self.period_label}"

    @property
    def owner_label(self) -> str:
        return self.branch.name if self.branch_id else f"{_('总部')}·{self.department}"

    @property
    def period_label(self) -> str:
        return f"{self.period:%Y-%m}" if self.period_kind == BudgetPeriod.MONTH else f"{self.period:%Y}"


class BudgetEntryKind(models.TextChoices):
    CONSUME = "consume", _("占用")
    RELEASE = "release", _("释放")


class BudgetEntry(TenantOwned):
    """The budget ledger: one consumption per approved document, one release when it is
    withdrawn/rejected after consumption -- never twice (the unique constraint)."""

    kind = models.CharField(_("类型"), max_length=10, choices=BudgetEntryKind.choices)
    document_type = models.CharField(_("单据类型"), max_length=60)
    document_id = models.PositiveBigIntegerField(_("单据编号"))
    title = models.CharField(_("单据"), max_length=200, blank=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("分公司"))
    department = models.CharField(_("总部部门"), max_length=60, blank=True)
    month = models.DateField(_("所属月份"))  # the 1st of the month the consumption fell in
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预算台账")
        verbose_name_plural = _("预算台账")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "document_type", "document_id", "kind"],
                                    name="budget_entry_once_per_document"),
        ]
        indexes = [models.Index(fields=["tenant", "branch", "month"], name="budget_entry_branch_month_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title} ¥{self.amount}"


class ExpenseSettings(TenantOwned):
    """Per-tenant options of the expenses app that live here rather than on Tenant."""

    # S000-28: 各地区运营 are the reviewing counterpart of their branches' expense requests.
    region_operations_review = models.BooleanField(_("各地区运营审核本地区分公司的营销费用申请"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("费用设置")
        verbose_name_plural = _("费用设置")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="expense_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"ExpenseSettings({self.tenant_id})"
