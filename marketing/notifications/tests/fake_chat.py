"""A local stand-in for the three group-robot endpoints, checking what the real platforms
check: WeCom the key in the URL; DingTalk ``timestamp`` + ``sign`` query parameters
(HMAC-SHA256 keyed with the secret over "timestamp\\nsecret", base64, URL-encoded,
timestamp in ms within one hour); Feishu ``timestamp`` + ``sign`` in the body (HMAC-SHA256
keyed with "timestamp\\nsecret" over an empty message, base64, timestamp in s within one
hour). It also checks the payload shapes and size caps, and records every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .fake_server import BackgroundServer

WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET = "wecom-key-1", "ding-token-1", "SECdingsecret123"
FEISHU_HOOK, FEISHU_SECRET = "feishu-hook-1", "feishu-secret-xyz"


def _shape_wecom(body: dict) -> str | None:
    kind = body.get("msgtype")
    if kind == "text":
        content = body["text"]["content"]
        if len(content.encode()) > 2048:
            return "content size exceed limit"
        for key in ("mentioned_list", "mentioned_mobile_list"):
            if key in body["text"] and not all(isinstance(x, str) for x in body["text"][key]):
                return "bad mention list"
        return None
    if kind == "markdown":
        return "content size exceed limit" if len(body["markdown"]["content"].encode()) > 4096 else None
    return "invalid msgtype"


def _shape_dingtalk(body: dict) -> str | None:
    kind = body.get("msgtype")
    if kind == "markdown":
        md = body["markdown"]
        if not md.get("title") or not md.get("text"):
            return "param error"
        for who in body.get("at", {}).get("atMobiles", []) + body.get("at", {}).get("atUserIds", []):
            if f"@{who}" not in md["text"]:
                return f"@{who} missing from text"
        return None
    if kind == "actionCard":
        card = body["actionCard"]
        return None if card.get("title") and card.get("text") and card.get("singleURL") else "param error"
    return "invalid msgtype"


def _shape_feishu(body: dict) -> str | None:
    kind = body.get("msg_type")
    if kind == "post":
        post = body["content"]["post"]["zh_cn"]
        ok = post.get("title") and all(isinstance(line, list) and all("tag" in el for el in line) for line in post["content"])
        return None if ok else "params error"
    if kind == "interactive":
        card = body["card"]
        return None if card["header"]["title"]["content"] and card["elements"] else "params error"
    return "params error"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802
        server = self.server
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw.decode("utf-8"))
        server.requests.append({"path": parts.path, "query": query, "body": body, "size": len(raw)})
        if server.force_status:
            return self._answer(server.force_status, {"errcode": -1, "errmsg": "system busy"})
        if server.force_answer:
            return self._answer(200, server.force_answer)
        now = time.time()
        if parts.path == "/cgi-bin/webhook/send":
            if query.get("key") != WECOM_KEY:
                return self._answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
            error = _shape_wecom(body)
            return self._answer(200, {"errcode": 40058 if error else 0, "errmsg": error or "ok"})
        if parts.path == "/robot/send":
            if query.get("access_token") != DINGTALK_TOKEN:
                return self._answer(200, {"errcode": 300001, "errmsg": "token is not exist"})
            ts, sign = query.get("timestamp", ""), query.get("sign", "")
            expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{ts}\n{DINGTALK_SECRET}".encode(),
                                                 hashlib.sha256).digest()).decode()
            if not ts.isdigit() or abs(now * 1000 - int(ts)) > 3600 * 1000 or not hmac.compare_digest(sign, expected):
                return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
            if len(raw) > 20000:
                return self._answer(200, {"errcode": 460101, "errmsg": "message too long"})
            error = _shape_dingtalk(body)
            return self._answer(200, {"errcode": 400001 if error else 0, "errmsg": error or "ok"})
        if parts.path == f"/open-apis/bot/v2/hook/{FEISHU_HOOK}":
            ts, sign = str(body.get("timestamp", "")), body.get("sign", "")
            expected = base64.b64encode(hmac.new(f"{ts}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
            if not ts.isdigit() or abs(now - int(ts)) > 3600 or not hmac.compare_digest(sign, expected):
                return self._answer(200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
            if len(raw) > 20 * 1024:
                return self._answer(200, {"code": 9499, "msg": "request body too large"})
            error = _shape_feishu(body)
            return self._answer(200, {"code": 19002 if error else 0, "msg": error or "success"})
        return self._answer(404, {"errcode": 404, "errmsg": "not found"})


class FakeChat(BackgroundServer, ThreadingHTTPServer):
    def __init__(self):
        super().__init__(_Handler)
        self.requests: list[dict] = []
        self.force_status = 0
        self.force_answer: dict | None = None

    def url(self, platform: str) -> str:
        base = f"http://127.0.0.1:{self.server_address[1]}"
        return {
            "wecom": f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "dingtalk": f"{base}/robot/send?access_token={DINGTALK_TOKEN}",
            "feishu": f"{base}/open-apis/bot/v2/hook/{FEISHU_HOOK}",
        }[platform]

    def secret(self, platform: str) -> str:
        return {"wecom": "", "dingtalk": DINGTALK_SECRET, "feishu": FEISHU_SECRET}[platform]
