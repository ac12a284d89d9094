"""Demo content: one (inactive) group robot, and one failed and one sent message so the
outbox page shows what it is for. Idempotent; no message is actually sent."""

from __future__ import annotations

from django.utils import timezone

from .links import absolute
from .models import Channel, ChatWebhook, CompanySignIn, Kind, Message, Platform, Purpose, SignInKind, Status


def seed(*, tenant, personas, rich: bool) -> None:
    ChatWebhook.objects.get_or_create(
        tenant=tenant, name="示例审批群（未启用）",
        defaults={"platform": Platform.WECOM, "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo-not-a-real-key",
                  "purposes": [Purpose.APPROVALS, Purpose.REMINDERS], "is_active": False},
    )
    admin = personas.get("admin") or next(iter(personas.values()))
    if not Message.objects.filter(tenant=tenant, dedupe_key="demo:failed").exists():
        Message.objects.create(
            tenant=tenant, channel=Channel.EMAIL, kind=Kind.TEST, user=admin, to_address=admin.email or "nobody@example.invalid",
            subject="示例：一封发送失败的邮件", body="这是演示数据：邮件服务器拒收（550 mailbox unavailable）。\n",
            link=absolute("/"), status=Status.FAILED, attempts=1, last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
            dedupe_key="demo:failed",
        )
    if rich and not Message.objects.filter(tenant=tenant, dedupe_key="demo:sent").exists():
        Message.objects.create(
            tenant=tenant, channel=Channel.EMAIL, kind=Kind.TEST, user=admin, to_address=admin.email or "nobody@example.invalid",
            subject="示例：一封已发送的邮件", body="这是演示数据。\n", link=absolute("/"), status=Status.SENT, attempts=1,
            sent_at=timezone.now(), dedupe_key="demo:sent",
        )

    if not CompanySignIn.objects.filter(tenant=tenant).exists():
        from allauth.socialaccount.models import SocialApp

        app = SocialApp.objects.create(
            provider=SignInKind.OIDC, provider_id=f"{tenant.slug}-oidc-demo", name=f"{tenant.slug} OIDC demo",
            client_id="demo-client", secret="demo-secret",
            settings={"server_url": "https://idp.example.invalid/.well-known/openid-configuration"},
        )
        CompanySignIn.objects.create(tenant=tenant, app=app, kind=SignInKind.OIDC, label="企业账号登录（示例，未启用）",
                                     is_active=False)
