"""企业微信 (WeCom) company sign-in as a django-allauth provider.

allauth ships no WeCom provider, and WeCom's web login is not plain OAuth 2 / OIDC:

1. the browser goes to WeCom's login page (``login.work.weixin.qq.com/wwlogin/sso/login``)
   with ``login_type=CorpApp``, the company's ``appid`` (CorpID), the self-built app's
   ``agentid``, our ``redirect_uri`` and ``state``; the member scans or confirms and WeCom
   sends the browser back with ``code`` and ``state``;
2. the *application* token is fetched with the app's credentials:
   ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` -> ``access_token`` (valid 7200 s; the
   code is never exchanged for a per-user token);
3. the code is resolved to the member: ``GET /cgi-bin/auth/getuserinfo?access_token=…&code=…``
   -> ``userid`` (company members) or ``openid`` (outsiders, refused here).

So the provider reuses allauth's state handling, callback view and login pipeline and only
replaces the redirect URL and the code exchange. The member is mapped by the recorded
``NotificationProfile.wecom_userid`` only: since 2022 WeCom returns mobiles only to apps with
the sensitive-data scope and a user ticket, so mobile matching is not offered (docs/notifications.md).
Endpoints are overridable (``SOCIALACCOUNT_PROVIDERS["wecom"]["LOGIN_URL" / "API_BASE"]``) so
the tests run against a local fake that checks what WeCom checks."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView, OAuth2LoginView
from django.conf import settings

LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"
API_BASE = "https://qyapi.weixin.qq.com"


def _endpoint(name: str, default: str) -> str:
    return (getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}).get("wecom", {}) or {}).get(name, default)


class WeComClient(OAuth2Client):
    agent_id = ""

    def get_redirect_url(self, authorization_url, scope, extra_params) -> str:
        params = {"login_type": "CorpApp", "appid": self.consumer_key, "agentid": self.agent_id,
                  "redirect_uri": self.callback_url}
        if self.state:
            params["state"] = self.state
        return f"{authorization_url}?{urlencode(params)}"

    def _get(self, path: str, params: dict) -> dict:
        with get_adapter().get_requests_session() as session:  # allauth's session: SOCIALACCOUNT_REQUESTS_TIMEOUT
            response = session.get(_endpoint("API_BASE", API_BASE) + path, params=params)
        response.raise_for_status()
        data = response.json()
        if data.get("errcode", 0) != 0:
            # errmsg is WeCom's own text; the secret is never part of it
            raise OAuth2Error(f"WeCom {path}: errcode {data.get('errcode')} {data.get('errmsg', '')}"[:300])
        return data

    def get_access_token(self, code, pkce_code_verifier=None, extra_data=None):
        if not code:
            raise OAuth2Error("WeCom: no code")
        app_token = self._get("/cgi-bin/gettoken", {"corpid": self.consumer_key, "corpsecret": self.consumer_secret})
        member = self._get("/cgi-bin/auth/getuserinfo", {"access_token": app_token["access_token"], "code": code})
        # The "token" allauth keeps for the login is the app token (SOCIALACCOUNT_STORE_TOKENS is
        # off, so it is never stored); the member's identity travels beside it.
        return {"access_token": app_token["access_token"], "member": member}


class WeComAdapter(OAuth2Adapter):
    provider_id = "wecom"
    client_class = WeComClient
    access_token_method = "GET"  # nosec: a method name, not a credential
    access_token_url = API_BASE + "/cgi-bin/gettoken"

    @property
    def authorize_url(self) -> str:
        return _endpoint("LOGIN_URL", LOGIN_URL)

    def get_client(self, request, app):
        client = super().get_client(request, app)
        client.agent_id = str((app.settings or {}).get("agent_id", ""))
        return client

    def complete_login(self, request, app, token, **kwargs):
        member = dict((kwargs.get("response") or {}).get("member") or {})
        if not member.get("userid"):
            # openid / external_userid: somebody outside the company
            raise OAuth2Error("WeCom: not a member of the company")
        return self.get_provider().sociallogin_from_response(request, {"userid": member["userid"]})


class WeComAccount(ProviderAccount):
    def to_str(self):
        return self.account.extra_data.get("userid") or super().to_str()


class WeComProvider(OAuth2Provider):
    id = "wecom"
    name = "企业微信"
    account_class = WeComAccount
    oauth2_adapter_class = WeComAdapter

    def extract_uid(self, data):
        return str(data["userid"])

    def extract_common_fields(self, data):
        return {}


login_view = OAuth2LoginView.adapter_view(WeComAdapter)
callback_view = OAuth2CallbackView.adapter_view(WeComAdapter)
