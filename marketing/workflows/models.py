"""Tenant-defined approval forms (审批模板).

``FormTemplate`` is what the admin names (SC-001 市场调研计划…); its fields live in
``FormVersion`` rows: at most one ``draft`` (being edited in the builder), at most one
``published`` (what new requests use), older ones ``retired``. Publishing turns the draft
into the published version; a ``FormRequest`` points at the version it was filed on and keeps
it whatever is published later. The chain is the approval engine's chain for the key
``form:<template pk>`` (versioned there; a running flow keeps its steps)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Branch, TenantOwned, User

__all__ = ["FieldType", "FormAttachment", "FormRequest", "FormSample", "FormTemplate", "FormVersion",
           "RequestStatus", "VersionStatus"]


class FieldType(models.TextChoices):
    TEXT = "text", _("单行文本")
    TEXTAREA = "textarea", _("多行文本")
    NUMBER = "number", _("数字")
    MONEY = "money", _("金额")
    DATE = "date", _("日期")
    DATERANGE = "daterange", _("日期区间")
    CHOICE = "choice", _("单选")
    PEOPLE = "people", _("人员")
    BRANCH = "branch", _("分公司")
    CUSTOMER = "customer", _("关联客户")
    PARTNER = "partner", _("关联合作伙伴")
    ATTACHMENT = "attachment", _("附件")
    TABLE = "table", _("明细表")


class FormTemplate(TenantOwned):
    name = models.CharField(_("表单名称"), max_length=60)
    code = models.CharField(_("流程代号"), max_length=20)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    category = models.CharField(_("分类"), max_length=30, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # Besides applicant, their branch GM and the approvers: who else may read every request.
    viewers = models.JSONField(_("可查看人员"), default=list, blank=True)
    request_seq = models.PositiveIntegerField(default=0, editable=False)  # last request number
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批表单")
        verbose_name_plural = _("审批表单")
        ordering = ["code", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="workflow_template_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def approval_key(self) -> str:
        return f"form:{self.pk}"


class VersionStatus(models.TextChoices):
    # draft -> published -> retired (when the next one is published)
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class FormVersion(TenantOwned):
    template = models.ForeignKey(FormTemplate, on_delete=models.CASCADE, related_name="versions",
                                 verbose_name=_("表单"))
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    # [{"key", "label", "type", "required", "help", "options": [...], "columns": [{"key","label","type"}]}]
    fields = models.JSONField(_("字段"), default=list, blank=True)
    # The engine's chain version (key form:<template>) in force when this version was published,
    # and its steps with conditions as structured rows (a record; the engine runs its own copy).
    chain_version = models.PositiveIntegerField(_("流程版本"), null=True, blank=True)
    chain = models.JSONField(_("流程快照"), default=list, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("表单版本")
        verbose_name_plural = _("表单版本")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="workflow_version_number_unique"),
            models.UniqueConstraint(fields=["template"], condition=models.Q(status="draft"),
                                    name="workflow_one_draft"),
            models.UniqueConstraint(fields=["template"], condition=models.Q(status="published"),
                                    name="workflow_one_published"),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class RequestStatus(models.TextChoices):
    # submitted -> approved | rejected | withdrawn ; rejected | withdrawn -> submitted (resubmit)
    SUBMITTED = "submitted", _("审批中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class FormRequest(TenantOwned):
    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="requests",
                                 verbose_name=_("表单"))
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="requests",
                                verbose_name=_("表单版本"))
    number = models.CharField(_("编号"), max_length=40)
    title = models.CharField(_("标题"), max_length=120)
    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("所属分公司"))
    values = models.JSONField(_("内容"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.SUBMITTED)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # A revised plan (修订方案, seed 004 SC-007 4): a new request of the same form, revision n of
    # the first one (``revision_of``, None on the first, revision 1); each is approved on its own.
    revision_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="revisions", verbose_name=_("修订自"))
    revision = models.PositiveSmallIntegerField(_("修订版本"), default=1)
    # Started from a reusable model (样板); kept when the model is later deleted as "none".
    sample = models.ForeignKey("FormSample", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="requests", verbose_name=_("来自样板"))

    class Meta:
        verbose_name = _("审批申请")
        verbose_name_plural = _("审批申请")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="workflow_request_number_unique")]
        indexes = [models.Index(fields=["tenant", "template", "-created_at"], name="workflow_request_list_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


def form_upload_to(instance, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"tenants/{instance.tenant_id}/workflows/{uuid.uuid4().hex}.{suffix}"


class FormAttachment(TenantOwned):
    """A file of an attachment field. Uploaded with the request (``request`` set in the same
    transaction); the field's value lists these ids."""

    request = models.ForeignKey(FormRequest, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("申请"))
    field_key = models.CharField(_("字段"), max_length=40)
    file = models.FileField(_("文件"), upload_to=form_upload_to)
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("表单附件")
        verbose_name_plural = _("表单附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class FormSample(TenantOwned):
    """A reusable model (样板, seed 004 SC-007 4: the finished activity becomes an 活动样板 for
    wider roll-out): the values of an approved request, saved under a name, that a new
    request of the same form starts from. Attachments are not copied (files belong to their
    request); the source request keeps them."""

    template = models.ForeignKey(FormTemplate, on_delete=models.CASCADE, related_name="samples",
                                 verbose_name=_("表单"))
    name = models.CharField(_("样板名称"), max_length=60)
    values = models.JSONField(_("内容"), default=dict, blank=True)
    # The form version the values follow (a start on a later version keeps what still fits).
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("表单版本"))
    source = models.ForeignKey(FormRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("来源申请"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("样板")
        verbose_name_plural = _("样板")
        ordering = ["template", "name"]
        constraints = [models.UniqueConstraint(fields=["template", "name"], name="workflow_sample_name_unique")]

    def __str__(self) -> str:
        return self.name
