"""Writing to the outbox, and the admin actions on it. The one API other apps use:

    from marketing.notifications.services import notify, notify_group

    # inside the @transaction.atomic service that makes the change:
    notify(tenant=t, kind="contracts.request_pending", users=[approver], subject="[待审批] 合同申请 HT-0001",
           lines=["甲一销售 提交的合同申请等待您审批。"], link=doc_url, purpose=Purpose.APPROVALS,
           dedupe_key=f"contract:{doc.pk}:step:{step.pk}")

Rows are written in the caller's transaction (a rollback leaves none) and handed to the
worker after commit; nothing here sends, so a mail or chat outage never reaches the request."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record

from .links import absolute
from .models import Channel, ChatWebhook, Message, NotificationProfile, Preference, Status

log = logging.getLogger(__name__)


def _kick(tenant_id: int, ids: list[int]) -> None:
    """After commit: hand the rows to the worker. A broker outage is logged, not raised:
    the per-minute ``dispatch_outbox`` picks the rows up."""
    from .tasks import deliver_message

    for pk in ids:
        try:
            deliver_message.delay(tenant_id, pk)
        except Exception:  # noqa: BLE001 -- never let sending break the caller's request
            log.warning("outbox: could not queue message %s; the dispatcher will retry", pk, exc_info=True)


def _create(*, tenant, dedupe_key: str, **fields) -> Message | None:
    try:
        with transaction.atomic():
            return Message.objects.create(tenant=tenant, dedupe_key=dedupe_key, **fields)
    except IntegrityError:
        if not dedupe_key:
            raise
        return None  # this exact message was already queued


def _after_commit(tenant, rows: list[Message]) -> None:
    ids = [m.pk for m in rows if m.status == Status.PENDING]
    if ids:
        transaction.on_commit(lambda: _kick(tenant.pk, ids), robust=True)


def _profiles(tenant, users) -> dict[int, NotificationProfile]:
    return {p.user_id: p for p in NotificationProfile.objects.filter(tenant=tenant, user__in=[u.pk for u in users])}


def webhooks_for(tenant, purpose: str) -> list[ChatWebhook]:
    return [h for h in ChatWebhook.objects.filter(tenant=tenant, is_active=True) if purpose in (h.purposes or [])]


def _mention(profile: NotificationProfile | None, user, platform: str) -> tuple[str, str]:
    """(platform user id, mobile) for @-mentioning ``user`` on ``platform``."""
    if profile is None:
        return "", ""
    return profile.chat_id(platform), (profile.mobile or "").strip()


def email_body(lines: list[str], link: str, link_label: str) -> str:
    text = "\n".join(lines).rstrip() + "\n"
    if link:
        text += f"\n{link_label}：{link}\n"
    return text


def notify(*, tenant, kind: str, users, subject: str, lines: list[str], link: str = "", purpose: str | None = None,
           link_label: str | None = None, dedupe_key: str = "", greeting: bool = True) -> list[Message]:
    """Queue a message about one item for ``users``: an e-mail row per user who wants e-mail,
    and, when ``purpose`` has group robots, one chat row per robot @-mentioning the users who
    want chat. Users who chose chat but cannot be mentioned on any connected robot get the
    e-mail instead, so nobody is lost. Call inside the transaction of the change."""
    link = absolute(link) if link else ""
    link_label = link_label or _("查看并处理")
    users = [u for u in dict.fromkeys(users) if u is not None and u.is_active]
    hooks = webhooks_for(tenant, purpose) if purpose else []
    profiles = _profiles(tenant, users) if hooks else {}
    email_users, chat_users = [], []
    for user in users:
        profile = profiles.get(user.pk)
        pref = profile.preference(purpose) if profile else Preference.EMAIL
        reachable = any(any(_mention(profile, user, h.platform)) for h in hooks)
        if hooks and pref in (Preference.CHAT, Preference.BOTH):
            chat_users.append(user)
        if pref in (Preference.EMAIL, Preference.BOTH) or not hooks or not reachable:
            email_users.append(user)
    rows: list[Message] = []
    body_lines = [_("您好："), "", *lines] if greeting else list(lines)
    for user in email_users:
        address = (user.email or "").strip()
        if not address:
            continue
        fields = {"channel": Channel.EMAIL, "kind": kind, "user": user, "to_address": address, "subject": subject[:300],
                  "body": email_body(body_lines, link, link_label), "link": link}
        try:
            validate_email(address)
        except ValidationError:
            fields.update(status=Status.FAILED, last_error=_("收件地址无效：%(a)s") % {"a": address})
        row = _create(tenant=tenant, dedupe_key=f"{dedupe_key}:email:{user.pk}" if dedupe_key else "", **fields)
        if row:
            rows.append(row)
    for hook in hooks if chat_users else []:
        ids, mobiles = [], []
        for user in chat_users:
            uid, mobile = _mention(profiles.get(user.pk), user, hook.platform)
            if uid:
                ids.append(uid)
            elif mobile and hook.platform != "feishu":
                mobiles.append(mobile)
        names = "、".join(u.display_name for u in chat_users)
        row = _create(
            tenant=tenant, dedupe_key=f"{dedupe_key}:chat:{hook.pk}" if dedupe_key else "",
            channel=Channel.CHAT, kind=kind, webhook=hook, subject=subject[:300],
            body="\n".join([*lines, _("处理人：%(names)s") % {"names": names}]), link=link,
            data={"mention_ids": ids, "mention_mobiles": mobiles, "link_label": link_label},
        )
        if row:
            rows.append(row)
    _after_commit(tenant, rows)
    return rows


def notify_group(*, tenant, kind: str, purpose: str, title: str, lines: list[str], link: str = "",
                 link_label: str | None = None, dedupe_key: str = "", card: bool = True) -> list[Message]:
    """A broadcast to every robot connected for ``purpose`` (the daily summary card)."""
    link = absolute(link) if link else ""
    rows = []
    for hook in webhooks_for(tenant, purpose):
        row = _create(
            tenant=tenant, dedupe_key=f"{dedupe_key}:chat:{hook.pk}" if dedupe_key else "",
            channel=Channel.CHAT, kind=kind, webhook=hook, subject=title[:300], body="\n".join(lines), link=link,
            data={"card": card, "link_label": link_label or _("查看完整汇总")},
        )
        if row:
            rows.append(row)
    _after_commit(tenant, rows)
    return rows


def notify_emails(*, tenant, kind: str, addresses, subject: str, lines: list[str], link: str = "",
                  link_label: str | None = None, dedupe_key: str = "") -> list[Message]:
    """E-mail to plain addresses (no user, no preference)."""
    link = absolute(link) if link else ""
    rows = []
    for address in sorted({a.strip() for a in addresses if a and a.strip()}):
        row = _create(tenant=tenant, dedupe_key=f"{dedupe_key}:addr:{address}" if dedupe_key else "",
                      channel=Channel.EMAIL, kind=kind, to_address=address, subject=subject[:300],
                      body=email_body(lines, link, link_label or _("查看")), link=link)
        if row:
            rows.append(row)
    _after_commit(tenant, rows)
    return rows


# --- admin actions -------------------------------------------------------------------------


@transaction.atomic
def message_resend(*, message: Message, actor, request=None) -> Message:
    """The failure page's button: a failed or unconfirmed row goes back to the queue once.
    A second click (or a double submit) finds it queued and changes nothing."""
    row = Message.objects.select_for_update().get(pk=message.pk, tenant_id=message.tenant_id)
    if row.status not in (Status.FAILED, Status.UNCONFIRMED):
        raise ValidationError(_("该消息已在发送队列中或已发送，无需重发。"), code="not_failed")
    before = {"status": row.status, "attempts": row.attempts, "error": row.last_error[:300]}
    row.status, row.attempts, row.next_attempt_at, row.claimed_at = Status.PENDING, 0, None, None
    row.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at"])
    audit_record(tenant=row.tenant, actor=actor, verb="notifications.message_resend", obj=row,
                 before=before, after={"status": row.status}, request=request)
    _after_commit(row.tenant, [row])
    return row


WEBHOOK_FIELDS = ["name", "platform", "purposes", "is_active"]


def _webhook_state(hook: ChatWebhook) -> dict:
    return {**{f: getattr(hook, f) for f in WEBHOOK_FIELDS}, "url": hook.masked_url, "has_secret": bool(hook.secret)}


@transaction.atomic
def webhook_save(*, tenant, actor, hook: ChatWebhook | None = None, data: dict, request=None) -> ChatWebhook:
    from .chat import allowed_url

    if not allowed_url(data["platform"], data["url"]):
        raise ValidationError({"url": _("地址必须是该平台官方的 HTTPS 群机器人 Webhook 地址。")}, code="bad_url")
    before = None
    if hook is None:
        hook = ChatWebhook(tenant=tenant)
    else:
        hook = ChatWebhook.objects.select_for_update().get(pk=hook.pk, tenant=tenant)
        before = _webhook_state(hook)
    for f in ["name", "platform", "url", "purposes", "is_active"]:
        setattr(hook, f, data[f])
    if data.get("secret"):
        hook.secret = data["secret"]
    elif data.get("clear_secret"):
        hook.secret = ""
    try:
        with transaction.atomic():
            hook.save()
    except IntegrityError as exc:
        raise ValidationError({"name": _("已有同名的群机器人。")}, code="duplicate") from exc
    audit_record(tenant=tenant, actor=actor, verb="notifications.webhook_save", obj=hook, before=before,
                 after=_webhook_state(hook), request=request)
    return hook


@transaction.atomic
def webhook_delete(*, hook: ChatWebhook, actor, request=None) -> None:
    hook = ChatWebhook.objects.select_for_update().get(pk=hook.pk, tenant_id=hook.tenant_id)
    audit_record(tenant=hook.tenant, actor=actor, verb="notifications.webhook_delete", obj=hook,
                 before=_webhook_state(hook), request=request)
    hook.delete()


@transaction.atomic
def webhook_test(*, hook: ChatWebhook, actor, request=None) -> Message:
    """Queue one test message to the robot (through the outbox, like every other)."""
    row = Message.objects.create(
        tenant=hook.tenant, channel=Channel.CHAT, kind="test", webhook=hook,
        subject=_("BranchDesk 测试消息"), body=_("%(user)s 于 %(time)s 发送的测试消息。") % {
            "user": actor.display_name, "time": timezone.localtime(timezone.now(), hook.tenant.zone).strftime("%Y-%m-%d %H:%M"),
        }, link=absolute("/"), data={"link_label": _("打开 BranchDesk")},
    )
    audit_record(tenant=hook.tenant, actor=actor, verb="notifications.webhook_test", obj=hook, request=request)
    _after_commit(hook.tenant, [row])
    return row


PROFILE_FIELDS = ["wecom_userid", "dingtalk_userid", "feishu_open_id", "mobile", "pref_approvals", "pref_reminders"]
ADMIN_PROFILE_FIELDS = [*PROFILE_FIELDS, "sso_subject"]


def profile_for(*, tenant, user) -> NotificationProfile:
    return NotificationProfile.objects.filter(tenant=tenant, user=user).first() or NotificationProfile(tenant=tenant, user=user)


@transaction.atomic
def profile_save(*, tenant, user, actor, data: dict, request=None) -> NotificationProfile:
    profile = NotificationProfile.objects.select_for_update().filter(tenant=tenant, user=user).first()
    before = {f: getattr(profile, f) for f in PROFILE_FIELDS} if profile else None
    profile = profile or NotificationProfile(tenant=tenant, user=user)
    for f in PROFILE_FIELDS:
        setattr(profile, f, (data.get(f) or "").strip() if isinstance(data.get(f), str) else data.get(f))
    profile.save()
    audit_record(tenant=tenant, actor=actor, verb="notifications.profile_save", obj=profile, before=before,
                 after={f: getattr(profile, f) for f in PROFILE_FIELDS}, request=request)
    return profile
