"""The outbox. One ``Message`` row per message and recipient (an e-mail address, or a chat
group robot), written inside the transaction of the change that causes it and sent by a
worker afterwards; its status says what happened. ``ChatWebhook`` is a tenant's group robot
(企业微信 / 钉钉 / 飞书) for one or more purposes; ``NotificationProfile`` is a user's
chat ids and per-kind channel choice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.crypto import EncryptedTextField
from marketing.models import TenantOwned


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    CHAT = "chat", _("群机器人")


class Kind:
    """Message kinds. Not DB choices: another app registers its own kinds with
    ``register_kind("contracts.request_pending", _("合同申请待审批"))`` (no migration here)."""

    APPROVAL_PENDING = "approval_pending"
    APPROVAL_CC = "approval_cc"
    APPROVAL_FINISHED = "approval_finished"
    APPROVAL_REJECTED = "approval_rejected"
    APPROVAL_DIGEST = "approval_digest"
    REPORT_REMINDER = "report_reminder"
    READ_ALERT = "read_alert"
    SUMMARY_CARD = "summary_card"
    TEST = "test"


KIND_LABELS: dict[str, object] = {
    Kind.APPROVAL_PENDING: _("待审批通知"),
    Kind.APPROVAL_CC: _("审批抄送"),
    Kind.APPROVAL_FINISHED: _("审批通过"),
    Kind.APPROVAL_REJECTED: _("审批驳回"),
    Kind.APPROVAL_DIGEST: _("审批日报"),
    Kind.REPORT_REMINDER: _("日报提醒"),
    Kind.READ_ALERT: _("客户档案查阅告警"),
    Kind.SUMMARY_CARD: _("每日汇总卡片"),
    Kind.TEST: _("测试消息"),
}


def register_kind(kind: str, label) -> None:
    KIND_LABELS.setdefault(kind, label)


class Status(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    UNCONFIRMED = "unconfirmed", _("结果未确认")


class Purpose(models.TextChoices):
    """What a group robot is for, and the "kind of message" a user picks a channel for."""

    APPROVALS = "approvals", _("待审批")
    REMINDERS = "reminders", _("日报/计划提醒")
    SUMMARY = "summary", _("每日汇总")


class Platform(models.TextChoices):
    WECOM = "wecom", _("企业微信")
    DINGTALK = "dingtalk", _("钉钉")
    FEISHU = "feishu", _("飞书")


class Preference(models.TextChoices):
    EMAIL = "email", _("仅邮件")
    CHAT = "chat", _("仅群消息")
    BOTH = "both", _("邮件和群消息")


class ChatWebhook(TenantOwned):
    name = models.CharField(_("名称"), max_length=60)
    platform = models.CharField(_("平台"), max_length=10, choices=Platform.choices)
    # The webhook address carries the robot's token (access_token / key / hook id): a secret,
    # encrypted at rest like the signing secret.
    url = EncryptedTextField(_("Webhook 地址"))
    secret = EncryptedTextField(_("签名密钥"), blank=True, default="")
    purposes = models.JSONField(_("用途"), default=list)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["platform", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="notifications_webhook_name_uniq")]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.name}"

    @property
    def masked_url(self) -> str:
        url = self.url or ""
        return url[:38] + "…" + url[-4:] if len(url) > 46 else url


class NotificationProfile(TenantOwned):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_profile")
    wecom_userid = models.CharField(_("企业微信 UserID"), max_length=64, blank=True)
    dingtalk_userid = models.CharField(_("钉钉 userId"), max_length=64, blank=True)
    feishu_open_id = models.CharField(_("飞书 open_id"), max_length=64, blank=True)
    mobile = models.CharField(_("用于 @ 的手机号"), max_length=20, blank=True)
    sso_subject = models.CharField(_("企业账号 ID（OIDC sub）"), max_length=255, blank=True,
                                   help_text=_("由管理员填写：企业身份提供方（OIDC）中该用户的 sub，用于企业账号登录匹配。"))
    pref_approvals = models.CharField(_("待审批"), max_length=5, choices=Preference.choices, default=Preference.EMAIL)
    pref_reminders = models.CharField(_("日报/计划提醒"), max_length=5, choices=Preference.choices, default=Preference.EMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.user)

    def preference(self, purpose: str) -> str:
        return {Purpose.APPROVALS: self.pref_approvals, Purpose.REMINDERS: self.pref_reminders}.get(
            purpose, Preference.EMAIL
        )

    def chat_id(self, platform: str) -> str:
        return {Platform.WECOM: self.wecom_userid, Platform.DINGTALK: self.dingtalk_userid,
                Platform.FEISHU: self.feishu_open_id}.get(platform, "")


class Message(TenantOwned):
    channel = models.CharField(_("渠道"), max_length=5, choices=Channel.choices)
    kind = models.CharField(_("类型"), max_length=40, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("收件人"))
    to_address = models.CharField(_("收件地址"), max_length=254, blank=True)
    webhook = models.ForeignKey(ChatWebhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages",
                                verbose_name=_("群机器人"))
    subject = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("正文"))
    link = models.CharField(_("链接"), max_length=500, blank=True)
    # chat: {"mention_ids": [...], "mention_mobiles": [...], "card": {...}}
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dedupe_key"], condition=~Q(dedupe_key=""),
                                    name="notifications_message_dedupe_uniq"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_msg_due_idx")]

    def __str__(self) -> str:
        return self.subject

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def recipient_label(self) -> str:
        if self.channel == Channel.CHAT:
            return str(self.webhook) if self.webhook_id else str(_("（已删除的群机器人）"))
        return self.to_address


class SignInKind(models.TextChoices):
    OIDC = "openid_connect", _("OpenID Connect（企业身份提供方）")
    DINGTALK = "dingtalk", _("钉钉")
    FEISHU = "feishu", _("飞书")
    WECOM = "wecom", _("企业微信")


class CompanySignIn(TenantOwned):
    """A tenant's company sign-in: one django-allauth ``SocialApp`` (the IdP client) that only
    this tenant's sign-in page offers. Users are matched, never created (signin.py)."""

    app = models.OneToOneField("socialaccount.SocialApp", on_delete=models.CASCADE, related_name="company_signin")
    kind = models.CharField(_("方式"), max_length=20, choices=SignInKind.choices)
    label = models.CharField(_("按钮文字"), max_length=60)
    # The client secret lives here, encrypted at rest, not in allauth's SocialApp.secret
    # (a plain-text column): CompanySignInAdapter.list_apps() hands allauth an app with
    # the decrypted secret in memory only.
    secret = EncryptedTextField(_("密钥"), blank=True, default="")
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("企业账号登录")
        verbose_name_plural = _("企业账号登录")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label
