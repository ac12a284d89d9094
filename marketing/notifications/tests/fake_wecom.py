"""A local 企业微信 (WeCom) for the sign-in tests: the web-login page (checks appid, agentid,
login_type and a redirect URI, answers with a one-time code and the state), ``gettoken``
(checks the CorpID and the app secret) and ``auth/getuserinfo`` (checks the app token; codes
are single-use and bound to the app). ``members[code] = {"userid": …}`` (or ``{"openid": …}``
for an outsider) decides who scanned."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from .fake_server import BackgroundServer

CORP_ID, AGENT_ID, APP_SECRET = "ww0123456789abcdef", "1000002", "wecom-app-secret"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _json(self, payload):
        data = json.dumps(payload).encode()
        self.send_response(200)  # WeCom answers 200 with an errcode
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        server = self.server
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        server.requests.append((parts.path, q))
        if parts.path == "/wwlogin/sso/login":
            if q.get("login_type") != "CorpApp" or q.get("appid") != CORP_ID or q.get("agentid") != AGENT_ID:
                return self._json({"errcode": 40013, "errmsg": "invalid corpid or agentid"})
            if not q.get("redirect_uri", "").startswith("http") or not q.get("state"):
                return self._json({"errcode": 40029, "errmsg": "invalid redirect_uri or state"})
            code = server.next_code
            self.send_response(302)
            self.send_header("Location", f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")
            self.end_headers()
            return None
        if parts.path == "/cgi-bin/gettoken":
            if q.get("corpid") != CORP_ID:
                return self._json({"errcode": 40013, "errmsg": "invalid corpid"})
            if q.get("corpsecret") != APP_SECRET:
                return self._json({"errcode": 40001, "errmsg": "invalid credential"})
            token = f"app-token-{len(server.tokens) + 1}"
            server.tokens.add(token)
            return self._json({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        if parts.path == "/cgi-bin/auth/getuserinfo":
            if q.get("access_token") not in server.tokens:
                return self._json({"errcode": 40014, "errmsg": "invalid access_token"})
            member = server.members.pop(q.get("code", ""), None)  # single-use
            if member is None:
                return self._json({"errcode": 40029, "errmsg": "invalid code"})
            return self._json({"errcode": 0, "errmsg": "ok", **member})
        return self._json({"errcode": 404, "errmsg": "not found"})


class FakeWeCom(BackgroundServer, ThreadingHTTPServer):
    def __init__(self):
        super().__init__(_Handler)
        self.members: dict[str, dict] = {}
        self.tokens: set[str] = set()
        self.requests: list[tuple[str, dict]] = []
        self.next_code = "code-1"
