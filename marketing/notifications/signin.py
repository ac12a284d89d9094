"""Company sign-in (optional per tenant) with django-allauth: OpenID Connect, DingTalk,
Feishu and WeCom (our own allauth provider, ``wecom.py``). The tenant's sign-in page (``/login/company/<slug>/``) remembers the tenant in the
session and offers only that tenant's providers; after the provider answers, the account is
mapped to an *existing* active member of that tenant

1. by an earlier link (allauth ``SocialAccount``), else
2. by the id the user or admin recorded (OIDC ``sub`` -> ``sso_subject``; Feishu
   open_id/union_id/user_id -> ``feishu_open_id``; DingTalk openId/unionId -> ``dingtalk_userid``;
   WeCom userid -> ``wecom_userid``), else
3. by mobile (the provider's verified mobile == the recorded mobile or the user's phone),

and only when exactly one member matches. Otherwise the sign-in is refused with a message;
no user is ever created (sign-up is closed in both adapters). Password sign-in is unchanged."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from customers.crypto import normalize_phone
from marketing.audit import audit_record
from marketing.models import Membership, Tenant

from .models import CompanySignIn, NotificationProfile

log = logging.getLogger(__name__)
SESSION_KEY = "company_signin_tenant"


class NoSignupAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False


def session_tenant(request) -> Tenant | None:
    pk = request.session.get(SESSION_KEY) if request is not None else None
    return Tenant.objects.filter(pk=pk, is_active=True).first() if pk else None


def _claims(sociallogin) -> dict:
    data = dict(sociallogin.account.extra_data or {})
    if "userinfo" in data or "id_token" in data:  # OpenID Connect keeps both
        merged = dict(data.get("id_token") or {})
        merged.update(data.get("userinfo") or {})
        return merged
    return data


def _ids_and_mobile(provider: str, claims: dict) -> tuple[set[str], str]:
    if provider == "dingtalk":
        ids = {claims.get("openId"), claims.get("unionId")}
        mobile = claims.get("mobile") or ""
    elif provider == "wecom":  # WeCom gives the member's userid only (no mobile, see wecom.py)
        ids = {claims.get("userid")}
        mobile = ""
    elif provider == "feishu":
        ids = {claims.get("open_id"), claims.get("union_id"), claims.get("user_id")}
        mobile = claims.get("mobile") or ""
    else:  # OpenID Connect: a phone number counts only when the provider says it is verified
        ids = {claims.get("sub")}
        mobile = claims.get("phone_number") if claims.get("phone_number_verified") in (True, "true") else ""
    return {str(i) for i in ids if i}, normalize_phone(mobile or "")


def match_member(*, tenant, provider: str, claims: dict):
    """The one active member of ``tenant`` this company account belongs to, or None."""
    ids, mobile = _ids_and_mobile(provider, claims)
    field = {"dingtalk": "dingtalk_userid", "feishu": "feishu_open_id", "wecom": "wecom_userid"}.get(provider, "sso_subject")
    with scopes_disabled():
        members = Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True).select_related("user")
        profiles = {p.user_id: p for p in NotificationProfile.objects.filter(tenant=tenant)}
        by_id = [m.user for m in members if ids and getattr(profiles.get(m.user_id), field, "") in ids]
        if len(by_id) == 1:
            return by_id[0]
        if by_id or not mobile:
            return None
        by_mobile = [
            m.user for m in members
            if mobile in {normalize_phone(getattr(profiles.get(m.user_id), "mobile", "")), normalize_phone(m.user.phone)} - {""}
        ]
    return by_mobile[0] if len(by_mobile) == 1 else None


class CompanySignInAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return False

    def list_apps(self, request, provider=None, client_id=None):
        """Only the providers of the tenant whose sign-in page started this login."""
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        tenant = session_tenant(request)
        if tenant is None:
            return []
        with scopes_disabled():
            secrets = dict(CompanySignIn.objects.filter(tenant=tenant, is_active=True).values_list("app_id", "secret"))
        chosen = [a for a in apps if a.pk in secrets]
        for app in chosen:  # decrypted into the in-memory app only; the table keeps ""
            app.secret = secrets[app.pk] or app.secret
        return chosen

    def get_app(self, request, provider, client_id=None):
        """A provider this tenant has not connected (or a login URL opened directly, without
        the tenant's sign-in page) is a 404, like any page that does not exist -- not a 500."""
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404 from None

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """A provider that answers with an error (wrong app secret, expired code, WeCom's
        errcode ...): back to our sign-in page with a message, the cause in the log -- not
        allauth's own error page."""
        log.warning("company sign-in failed: provider=%s error=%s exception=%r",
                    getattr(provider, "id", provider), error, exception)
        messages.error(request, _("企业账号登录未完成，请重试或使用用户名和密码登录。"))
        raise ImmediateHttpResponse(redirect("login"))

    def _refuse(self, request, tenant, message: str, claims_hint: str):
        if tenant is not None:
            audit_record(tenant=tenant, actor=None, verb="notifications.company_signin_refused",
                         object_label=claims_hint[:200], after={"reason": message}, request=request)
        messages.error(request, message)
        raise ImmediateHttpResponse(redirect("login"))

    def pre_social_login(self, request, sociallogin):
        tenant = session_tenant(request)
        provider = sociallogin.account.provider
        hint = f"{provider}:{sociallogin.account.uid}"
        if tenant is None:
            self._refuse(request, None, _("请从本公司的企业账号登录页面登录。"), hint)
        if sociallogin.is_existing:
            user = sociallogin.user
            with scopes_disabled():
                member = Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists()
            if not (member and user.is_active):
                self._refuse(request, tenant, _("该企业账号不属于本公司的有效用户。"), hint)
            return
        user = match_member(tenant=tenant, provider=provider, claims=_claims(sociallogin))
        if user is None:
            self._refuse(request, tenant, _("该企业账号未关联到本系统的用户（按账号 ID 或手机号均未找到唯一匹配）。请联系系统管理员，或使用用户名和密码登录。"), hint)
        sociallogin.connect(request, user)
        audit_record(tenant=tenant, actor=user, verb="notifications.company_signin_linked", obj=None,
                     object_label=str(user), after={"provider": provider, "uid": sociallogin.account.uid}, request=request)
