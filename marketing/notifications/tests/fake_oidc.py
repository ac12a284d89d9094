"""A local OpenID Connect provider: discovery, token (client_secret_post, one-time codes,
an id_token with iss/aud/exp) and userinfo (Bearer). ``users[code] = claims`` decides who
signs in with which authorization code."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt

from .fake_server import BackgroundServer

CLIENT_ID, CLIENT_SECRET = "branchdesk-test", "s3cret-oidc"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _json(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        server = self.server
        parts = urlsplit(self.path)
        if parts.path == "/.well-known/openid-configuration":
            base = server.base
            return self._json(200, {
                "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo", "jwks_uri": f"{base}/jwks",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
            })
        if parts.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            claims = server.tokens.get(token)
            return self._json(200, claims) if claims else self._json(401, {"error": "invalid_token"})
        if parts.path == "/jwks":
            return self._json(200, {"keys": []})
        return self._json(404, {"error": "not_found"})

    def do_POST(self):  # noqa: N802
        server = self.server
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()).items()}
        if urlsplit(self.path).path != "/token":
            return self._json(404, {"error": "not_found"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._json(401, {"error": "invalid_client"})
        claims = server.users.pop(form.get("code", ""), None)  # codes are single-use
        if claims is None or form.get("grant_type") != "authorization_code":
            return self._json(400, {"error": "invalid_grant"})
        server.token_requests.append(form)
        access = f"at-{len(server.tokens) + 1}"
        server.tokens[access] = claims
        now = int(time.time())
        id_token = jwt.encode({"iss": server.base, "aud": CLIENT_ID, "sub": claims["sub"], "iat": now, "exp": now + 300},
                              "fake-idp-signing-key-that-is-32-bytes-long!", algorithm="HS256")
        return self._json(200, {"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token})


class FakeOIDC(BackgroundServer, ThreadingHTTPServer):
    def __init__(self):
        super().__init__(_Handler)
        self.users: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.token_requests: list[dict] = []
