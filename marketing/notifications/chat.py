"""Group-robot protocols of 企业微信 (WeCom), 钉钉 (DingTalk) and 飞书 (Feishu).

For each platform: the payload (message shapes the platform documents), its size cap,
@-mentions, the signature where the platform uses one, and how its answer is read.

- WeCom: ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`` -- the key in the
  URL is the only credential. ``text`` (content <= 2048 bytes, ``mentioned_list`` /
  ``mentioned_mobile_list``) for notices, ``markdown`` (content <= 4096 bytes) for the
  summary card. Answer ``{"errcode": 0}``.
- DingTalk: ``https://oapi.dingtalk.com/robot/send?access_token=T``; with 加签 the query
  also carries ``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(key=secret,
  msg=f"{timestamp}\\n{secret}"))). ``markdown`` with ``at.atMobiles`` / ``at.atUserIds``
  (the text must contain ``@<mobile or id>``) and ``actionCard`` for the summary; the
  request is kept under 20,000 bytes. Answer ``{"errcode": 0}``.
- Feishu: ``https://open.feishu.cn/open-apis/bot/v2/hook/ID``; with 签名校验 the body
  carries ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
  msg=b"")). ``post`` (rich text with ``at`` elements) for notices, ``interactive`` card for
  the summary; the request body is kept under 20 KB. Answer ``{"code": 0}``.

User text is made inert before it goes into markdown (no injected links, ``<@all>`` or
``@all``) and cut on a line or character boundary, never inside a UTF-8 sequence."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings

from .models import Platform

WECOM_TEXT_BYTES = 2048
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_BODY_BYTES = 20000
FEISHU_BODY_BYTES = 20 * 1024
ELLIPSIS = "…（内容过长，已截断）"

OFFICIAL_HOSTS = {
    Platform.WECOM: {"qyapi.weixin.qq.com"},
    Platform.DINGTALK: {"oapi.dingtalk.com"},
    Platform.FEISHU: {"open.feishu.cn", "open.larksuite.com"},
}


class ChatError(Exception):
    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


@dataclass
class ChatPost:
    title: str
    lines: list[str]
    link: str = ""
    link_label: str = "打开"
    mention_ids: list[str] = field(default_factory=list)
    mention_mobiles: list[str] = field(default_factory=list)
    card: bool = False  # the daily summary: a compact card rather than a notice


# --- text safety ---------------------------------------------------------------------

_INERT = str.maketrans({"<": "＜", ">": "＞", "@": "＠", "[": "［", "]": "］", "*": "＊", "`": "'", "#": "＃"})


def inert(text: str) -> str:
    """User-supplied text, shown as typed but unable to form markup, links or mentions."""
    return str(text or "").translate(_INERT)


def cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:max(limit, 0)].decode("utf-8", errors="ignore")


def fit_lines(head: str, lines: list[str], tail: str, limit: int) -> str:
    """``head`` + as many whole ``lines`` as fit + ``tail`` within ``limit`` UTF-8 bytes; a
    note says when lines were dropped. ``head`` and ``tail`` (the link, the mentions) are
    never cut, so the message always still opens the item and reaches the people."""
    def size(text: str) -> int:
        return len(text.encode("utf-8"))

    budget = limit - size(head) - size(tail)
    if sum(size(line) + 1 for line in lines) <= budget + 1:
        text = head + "\n".join(lines) + tail
    else:
        room = budget - size(ELLIPSIS) - 1
        body, used = [], 0
        for line in lines:
            cost = size(line) + 1
            if used + cost > room:
                rest = room - used - 1
                if rest > 20:  # a long line: keep its beginning
                    body.append(cut_bytes(line, rest))
                break
            body.append(line)
            used += cost
        text = head + "\n".join([*body, ELLIPSIS]) + tail
    return cut_bytes(text, limit) if size(text) > limit else text


# --- signatures (as the platforms document them) ---------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: str) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


# --- payloads ---------------------------------------------------------------------------


def _wecom(post: ChatPost) -> dict:
    lines = [inert(line) for line in post.lines]
    if post.card:
        head = f"## {inert(post.title)}\n"
        tail = f"\n[{post.link_label}]({post.link})" if post.link else ""
        return {"msgtype": "markdown", "markdown": {"content": fit_lines(head, lines, tail, WECOM_MARKDOWN_BYTES)}}
    tail = f"\n{post.link_label}：{post.link}" if post.link else ""
    text = {"content": fit_lines(f"{inert(post.title)}\n", lines, tail, WECOM_TEXT_BYTES)}
    if post.mention_ids:
        text["mentioned_list"] = post.mention_ids
    if post.mention_mobiles:
        text["mentioned_mobile_list"] = post.mention_mobiles
    return {"msgtype": "text", "text": text}


def _dingtalk(post: ChatPost) -> dict:
    title = cut_bytes(inert(post.title), 200)
    lines = [inert(line) for line in post.lines]
    mentions = " ".join(f"@{m}" for m in [*post.mention_mobiles, *post.mention_ids])
    limit = DINGTALK_BODY_BYTES - 1000  # room for the JSON around the text
    if post.card:
        text = fit_lines(f"### {title}\n\n", [f"- {line}" for line in lines], "", limit)
        return {"msgtype": "actionCard", "actionCard": {
            "title": title, "text": text, "btnOrientation": "0",
            "singleTitle": post.link_label, "singleURL": post.link,
        }}
    tail = (f"\n\n[{post.link_label}]({post.link})" if post.link else "") + (f"\n\n{mentions}" if mentions else "")
    text = fit_lines(f"#### {title}\n\n", [f"> {line}" for line in lines], tail, limit)
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
            "at": {"atMobiles": post.mention_mobiles, "atUserIds": post.mention_ids, "isAtAll": False}}


def _feishu(post: ChatPost) -> dict:
    limit = FEISHU_BODY_BYTES - 2000
    title = cut_bytes(post.title, 200)
    if post.card:
        content = fit_lines("", [inert(line) for line in post.lines], "", limit)
        elements = [{"tag": "div", "text": {"tag": "lark_md", "content": content}}]
        if post.link:
            elements.append({"tag": "action", "actions": [{
                "tag": "button", "type": "primary", "url": post.link,
                "text": {"tag": "plain_text", "content": post.link_label},
            }]})
        return {"msg_type": "interactive", "card": {
            "config": {"wide_screen_mode": True},
            "header": {"template": "blue", "title": {"tag": "plain_text", "content": title}},
            "elements": elements,
        }}
    text = fit_lines("", post.lines, "", limit)
    content = [[{"tag": "text", "text": text}]]
    if post.link:
        content.append([{"tag": "a", "text": post.link_label, "href": post.link}])
    if post.mention_ids:
        content.append([{"tag": "at", "user_id": uid} for uid in post.mention_ids])
    return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": title, "content": content}}}}


BUILDERS = {Platform.WECOM: _wecom, Platform.DINGTALK: _dingtalk, Platform.FEISHU: _feishu}


def build_request(*, platform: str, url: str, secret: str, post: ChatPost, now: float | None = None) -> tuple[str, dict]:
    """The URL to POST to and the JSON body, signed where the platform wants it."""
    payload = BUILDERS[platform](post)
    now = time.time() if now is None else now
    if platform == Platform.DINGTALK and secret:
        ts = str(int(now * 1000))
        sep = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{sep}timestamp={ts}&sign={urllib.parse.quote_plus(dingtalk_sign(secret, ts))}"
    elif platform == Platform.FEISHU and secret:
        ts = str(int(now))
        payload = {"timestamp": ts, "sign": feishu_sign(secret, ts), **payload}
    return url, payload


def allowed_url(platform: str, url: str) -> bool:
    """Only the platform's own HTTPS host (plus ``CHAT_WEBHOOK_EXTRA_HOSTS`` for tests and a
    local fake), so a webhook cannot be pointed at an internal address."""
    parts = urllib.parse.urlsplit(url or "")
    host = (parts.hostname or "").lower()
    extra = set(getattr(settings, "CHAT_WEBHOOK_EXTRA_HOSTS", []))
    if host in extra:
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and host in OFFICIAL_HOSTS.get(platform, set())


# Platform answer codes that mean "try again later" (rate limits, busy systems).
_TEMPORARY_CODES = {
    Platform.WECOM: {-1, 45009, 45033},
    Platform.DINGTALK: {-1, 130101, 130102, 410100},
    Platform.FEISHU: {9499, 11232, 11233},
}


def send(*, platform: str, url: str, secret: str, post: ChatPost, timeout: float | None = None) -> dict:
    """POST one message. Raises ``ChatError(temporary=...)``; returns the platform's answer."""
    if not allowed_url(platform, url):
        raise ChatError("webhook address is not the platform's", temporary=False)
    target, payload = build_request(platform=platform, url=url, secret=secret, post=post)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 (scheme and host checked by allowed_url)
        target, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    timeout = timeout or float(getattr(settings, "CHAT_TIMEOUT", 10))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise ChatError(f"HTTP {exc.code}", temporary=exc.code >= 500 or exc.code == 429) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise ChatError(f"{type(exc).__name__}: {exc}", temporary=True) from exc
    try:
        answer = json.loads(raw.decode("utf-8") or "{}")
    except ValueError as exc:
        raise ChatError("answer is not JSON", temporary=True) from exc
    code = answer.get("code", answer.get("StatusCode")) if platform == Platform.FEISHU else answer.get("errcode")
    if code in (0, None) and not (platform == Platform.FEISHU and code is None):
        return answer
    message = answer.get("msg") or answer.get("errmsg") or answer.get("StatusMessage") or ""
    raise ChatError(f"{platform} {code}: {message}"[:500], temporary=code in _TEMPORARY_CODES.get(platform, set()))
