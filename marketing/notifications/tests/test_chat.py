"""WeCom / DingTalk / Feishu group robots against a local fake that checks signatures,
payload shapes and size caps; user preferences and @-mentions; the summary card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from expenses.tests.helpers import flow_of, make_expense
from marketing.models import AuditEvent
from marketing.notifications import chat, delivery
from marketing.notifications.models import Channel, ChatWebhook, Message, Purpose, Status
from marketing.notifications.services import notify, profile_save, webhook_save
from reports import mailing
from reports.tests.helpers import at

from .fake_chat import FakeChat

pytestmark = pytest.mark.django_db
SITE = "https://desk.example.test"
PLATFORMS = ["wecom", "dingtalk", "feishu"]


@pytest.fixture
def fake():
    with FakeChat() as server:
        yield server


def connect(org, server, platform, purposes=(Purpose.APPROVALS,), secret=None):
    with org.scope():
        return webhook_save(tenant=org.tenant, actor=org.users["admin"], data={
            "name": f"{platform} 群", "platform": platform, "url": server.url(platform),
            "secret": server.secret(platform) if secret is None else secret, "purposes": list(purposes), "is_active": True,
        })


def prefer(org, key, pref="chat", **ids):
    with org.scope():
        profile_save(tenant=org.tenant, user=org.users[key], actor=org.users[key], data={
            "pref_approvals": pref, "pref_reminders": pref, "wecom_userid": ids.get("wecom", ""),
            "dingtalk_userid": ids.get("dingtalk", ""), "feishu_open_id": ids.get("feishu", ""), "mobile": ids.get("mobile", ""),
        })


def chat_rows(org, **filters):
    with org.scope():
        return list(Message.objects.filter(channel=Channel.CHAT, **filters))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pending_approval_reaches_the_group_signed_with_mentions(platform, org_a, fake, django_capture_on_commit_callbacks):
    connect(org_a, fake, platform)
    prefer(org_a, "mspec", wecom="zhang.san", dingtalk="ding-uid-7", feishu="ou_abc123", mobile="13800138000")
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    (row,) = chat_rows(org_a, kind="approval_pending")
    assert row.status == Status.SENT, row.last_error  # the fake accepted signature and shape
    (request,) = fake.requests
    body = request["body"]
    if platform == "wecom":
        assert body["msgtype"] == "text"
        assert body["text"]["mentioned_list"] == ["zhang.san"]
        assert SITE + flow.url in body["text"]["content"]
    elif platform == "dingtalk":
        assert {"timestamp", "sign"} <= set(request["query"])
        assert body["msgtype"] == "markdown" and body["at"]["atUserIds"] == ["ding-uid-7"]
        assert f"]({SITE}{flow.url})" in body["markdown"]["text"]
    else:
        assert {"timestamp", "sign"} <= set(body)
        lines = body["content"]["post"]["zh_cn"]["content"]
        assert {"tag": "at", "user_id": "ou_abc123"} in lines[-1]
        assert {"tag": "a", "text": "查看并处理", "href": SITE + flow.url} in lines[1]
    # bgm chose chat and can be mentioned: no e-mail for them; allroles (also an approver) keeps e-mail
    assert org_a.users["mspec"].email not in {m.to[0] for m in mail.outbox}
    assert org_a.users["allroles"].email in {m.to[0] for m in mail.outbox}


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_wrong_signing_secret_is_a_recorded_permanent_failure(platform, org_a, fake, django_capture_on_commit_callbacks):
    connect(org_a, fake, platform, secret="wrong-secret")
    prefer(org_a, "mspec", dingtalk="u1", feishu="ou_1")
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a)
    (row,) = chat_rows(org_a)
    assert row.status == Status.FAILED
    assert ("310000" if platform == "dingtalk" else "19021") in row.last_error


def test_wecom_wrong_key_is_permanent(org_a, fake, django_capture_on_commit_callbacks):
    hook = connect(org_a, fake, "wecom")
    with org_a.scope():
        hook.url = fake.url("wecom").replace("wecom-key-1", "stolen")
        hook.save(update_fields=["url"])
    prefer(org_a, "mspec", wecom="zs")
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a)
    (row,) = chat_rows(org_a)
    assert row.status == Status.FAILED and "93000" in row.last_error


@pytest.mark.parametrize("answer,status", [
    ({"errcode": 45009, "errmsg": "api freq out of limit"}, Status.PENDING),  # WeCom rate limit: retry later
    (None, Status.PENDING),  # HTTP 502 from the platform: retry later
])
def test_rate_limits_and_server_errors_retry(answer, status, org_a, fake, django_capture_on_commit_callbacks):
    connect(org_a, fake, "wecom")
    prefer(org_a, "mspec", wecom="zs")
    if answer:
        fake.force_answer = answer
    else:
        fake.force_status = 502
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a)
    (row,) = chat_rows(org_a)
    assert row.status == status and row.next_attempt_at is not None
    fake.force_answer, fake.force_status = None, 0
    with org_a.scope():
        assert delivery.deliver(message_id=row.pk, now=row.next_attempt_at) == Status.SENT


def test_unreachable_robot_is_temporary(org_a, django_capture_on_commit_callbacks):
    with FakeChat() as server:
        connect(org_a, server, "wecom")
    prefer(org_a, "mspec", wecom="zs")
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a)  # the server is gone: connection refused
    (row,) = chat_rows(org_a)
    assert row.status == Status.PENDING and "URLError" in row.last_error


def test_preferences_email_chat_both_and_fallback(org_a, fake, django_capture_on_commit_callbacks):
    connect(org_a, fake, "dingtalk")
    prefer(org_a, "gm", "email", dingtalk="gm-id")
    prefer(org_a, "exec", "chat", mobile="13900000001")       # mentioned by mobile
    prefer(org_a, "mspec", "both", dingtalk="mspec-id")
    prefer(org_a, "finance", "chat")                          # cannot be mentioned: e-mail instead
    users = [org_a.users[k] for k in ("gm", "exec", "mspec", "finance")]
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        notify(tenant=org_a.tenant, kind="test", users=users, subject="待处理", lines=["一项工作"], link="/approvals/",
               purpose=Purpose.APPROVALS)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(org_a.users[k].email for k in ("gm", "mspec", "finance"))
    (request,) = fake.requests
    at = request["body"]["at"]
    assert at["atUserIds"] == ["mspec-id"] and at["atMobiles"] == ["13900000001"] and at["isAtAll"] is False
    assert "@13900000001" in request["body"]["markdown"]["text"]


def test_no_robot_for_the_purpose_means_email(org_a, fake, django_capture_on_commit_callbacks):
    connect(org_a, fake, "wecom", purposes=[Purpose.SUMMARY])
    prefer(org_a, "mspec", wecom="zs")
    with django_capture_on_commit_callbacks(execute=True):
        make_expense(org_a)
    assert chat_rows(org_a) == [] and org_a.users["mspec"].email in {m.to[0] for m in mail.outbox}


def test_reminders_mention_the_filers_who_chose_chat(org_a, fake, django_capture_on_commit_callbacks):
    connect(org_a, fake, "wecom", purposes=[Purpose.REMINDERS])
    prefer(org_a, "bgm2", wecom="li.si")
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        mailing.reminders_send(tenant=org_a.tenant, now=at(2026, 11, 23, 9, 30))
    texts = [r["body"]["text"] for r in fake.requests]
    a2 = [t for t in texts if "甲二分公司" in t["content"]]
    assert len(a2) == 1 and a2[0]["mentioned_list"] == ["li.si"]
    assert f"{SITE}{reverse('reports:file')}?branch={org_a.branches['A2'].pk}" in a2[0]["content"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_daily_summary_card(platform, org_a, fake, django_capture_on_commit_callbacks):
    connect(org_a, fake, platform, purposes=[Purpose.SUMMARY])
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        row = mailing.summary_send(tenant=org_a.tenant, business_day=dt.date(2026, 11, 20), now=at(2026, 11, 23, 10))
        # a second run for the same generation queues no second card
        mailing.summary_card_queue(tenant=org_a.tenant, data=row.data, link="x", generation=row.generation)
    (card,) = chat_rows(org_a, kind="summary_card")
    assert card.status == Status.SENT, card.last_error
    (request,) = fake.requests
    link = f"{SITE}{reverse('reports:summary_detail', args=[row.pk])}"
    flat = str(request["body"])
    assert "公司本月完成率" in flat and "甲一区" in flat and "未报分公司" in flat and "甲一分公司" in flat
    if platform == "wecom":
        assert request["body"]["msgtype"] == "markdown" and f"]({link})" in request["body"]["markdown"]["content"]
    elif platform == "dingtalk":
        assert request["body"]["msgtype"] == "actionCard" and request["body"]["actionCard"]["singleURL"] == link
    else:
        assert request["body"]["msg_type"] == "interactive"
        assert request["body"]["card"]["elements"][-1]["actions"][0]["url"] == link


# --- size caps and markup safety --------------------------------------------------------------


@pytest.mark.parametrize("platform,limit", [("wecom", 2048), ("dingtalk", 20000), ("feishu", 20 * 1024)])
def test_long_messages_are_cut_safely_and_keep_link_and_mentions(platform, limit, org_a, fake):
    hook = connect(org_a, fake, platform)
    lines = [f"第{i}行：" + "长文本汉字" * 40 for i in range(400)]
    post = chat.ChatPost(title="很长的消息", lines=lines, link=SITE + "/x/", mention_ids=["u1"])
    answer = chat.send(platform=platform, url=hook.url, secret=hook.secret, post=post)
    assert answer.get("errcode", answer.get("code")) == 0
    (request,) = fake.requests  # the fake checked the platform's cap (WeCom: text content bytes)
    if platform == "wecom":
        assert len(request["body"]["text"]["content"].encode()) <= limit
    else:
        assert request["size"] <= limit
    flat = str(request["body"])
    assert chat.ELLIPSIS in flat and SITE + "/x/" in flat and "u1" in flat


def test_cut_never_splits_a_character():
    text = "汉" * 10
    assert chat.cut_bytes(text, 7) == "汉汉"  # 3 bytes each: 7 bytes hold two
    assert chat.fit_lines("H\n", ["汉" * 5] * 3, "\nT", 40).endswith("\nT")


def test_user_text_cannot_mention_everyone_or_inject_links(org_a, fake):
    hook = connect(org_a, fake, "dingtalk")
    post = chat.ChatPost(title="<@all> @all", lines=["[点我](http://evil.example/) **粗体** <font color=red>x</font>"],
                         link=SITE + "/ok/")
    chat.send(platform="dingtalk", url=hook.url, secret=hook.secret, post=post)
    text = fake.requests[0]["body"]["markdown"]["text"]
    assert "@all" not in text and "](http://evil" not in text and "<font" not in text
    assert f"]({SITE}/ok/)" in text


# --- admin pages -----------------------------------------------------------------------------


def test_webhook_must_point_at_the_platform(org_a, settings):
    settings.CHAT_WEBHOOK_EXTRA_HOSTS = []
    with org_a.scope():
        for url in ["http://10.0.0.5/robot/send", "https://oapi.dingtalk.com.evil.example/robot/send",
                    "http://oapi.dingtalk.com/robot/send?access_token=x"]:
            with pytest.raises(ValidationError):
                webhook_save(tenant=org_a.tenant, actor=org_a.users["admin"], data={
                    "name": "x", "platform": "dingtalk", "url": url, "secret": "", "purposes": ["approvals"], "is_active": True})
        hook = webhook_save(tenant=org_a.tenant, actor=org_a.users["admin"], data={
            "name": "x", "platform": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
            "secret": "SECx", "purposes": ["approvals"], "is_active": True})
        assert hook.pk


def test_admin_connects_a_robot_through_the_page(org_a, fake, client_as, django_capture_on_commit_callbacks):
    client = client_as(org_a.users["admin"])
    response = client.post(reverse("notifications:webhook_create"), {
        "name": "审批群", "platform": "feishu", "url": fake.url("feishu"), "secret": fake.secret("feishu"),
        "purposes": ["approvals", "summary"], "is_active": "on"})
    assert response.status_code == 302
    with org_a.scope():
        hook = ChatWebhook.objects.get(name="审批群")
        assert hook.secret == fake.secret("feishu") and hook.purposes == ["approvals", "summary"]
        assert AuditEvent.objects.filter(verb="notifications.webhook_save").exists()
        audit = str(AuditEvent.objects.filter(verb="notifications.webhook_save").get().after)
    assert fake.secret("feishu") not in audit
    page = client.get(reverse("notifications:webhooks")).content.decode()
    assert "审批群" in page and fake.secret("feishu") not in page
    edit = client.get(reverse("notifications:webhook_edit", args=[hook.pk])).content.decode()
    assert fake.secret("feishu") not in edit
    # the test button goes through the outbox and reaches the group
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("notifications:webhook_test", args=[hook.pk])).status_code == 302
    assert len(fake.requests) == 1
    # a WeCom robot with a secret is refused with a clear message, nothing saved
    bad = client.post(reverse("notifications:webhook_create"), {
        "name": "企微", "platform": "wecom", "url": fake.url("wecom"), "secret": "x", "purposes": ["approvals"]})
    assert bad.status_code == 200 and "企业微信群机器人没有签名密钥" in bad.content.decode()
    assert client_as(org_a.users["gm"]).get(reverse("notifications:webhooks")).status_code == 403


def test_user_records_ids_and_preferences(org_a, client_as):
    client = client_as(org_a.users["sales"])
    assert client.get(reverse("notifications:me")).status_code == 200
    response = client.post(reverse("notifications:me"), {
        "pref_approvals": "both", "pref_reminders": "chat", "wecom_userid": "wang.wu", "dingtalk_userid": "",
        "feishu_open_id": "ou_x", "mobile": "138-0013-8000"})
    assert response.status_code == 302
    with org_a.scope():
        profile = org_a.users["sales"].notification_profile
        assert (profile.pref_approvals, profile.pref_reminders, profile.mobile) == ("both", "chat", "13800138000")
        assert AuditEvent.objects.filter(verb="notifications.profile_save", actor=org_a.users["sales"]).exists()
    bad = client.post(reverse("notifications:me"), {"pref_approvals": "both", "pref_reminders": "chat", "mobile": "abc"})
    assert bad.status_code == 200 and "请填写有效的手机号" in bad.content.decode()
