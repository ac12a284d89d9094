"""Company sign-in pages: the tenant's sign-in page (public) and the admin's configuration."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from marketing.audit import audit_record
from marketing.models import Membership, Tenant
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from .models import CompanySignIn, NotificationProfile, SignInKind
from .signin import SESSION_KEY


def provider_login_url(entry: CompanySignIn) -> str:
    if entry.kind == SignInKind.OIDC:
        return reverse("openid_connect_login", kwargs={"provider_id": entry.app.provider_id})
    return reverse(f"{entry.kind}_login")


def company_login(request, slug):
    """``/login/company/<slug>/``: the buttons of this tenant's company sign-in. The page
    remembers the tenant for the provider's answer; password sign-in stays at /login/."""
    tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
    if tenant is None:
        raise Http404
    with scopes_disabled():
        entries = list(CompanySignIn.objects.filter(tenant=tenant, is_active=True).select_related("app"))
    request.session[SESSION_KEY] = tenant.pk
    buttons = [{"label": e.label, "url": provider_login_url(e)} for e in entries]
    return render(request, "notifications/company_login.html", {"tenant": tenant, "buttons": buttons})


def signin_problem(request):
    messages.error(request, _("企业账号登录未完成，请重试或使用用户名和密码登录。"))
    return redirect("login")


class SignInForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("方式"), choices=SignInKind.choices)
    label = forms.CharField(label=gettext_lazy("按钮文字"), max_length=60, initial=gettext_lazy("使用企业账号登录"))
    client_id = forms.CharField(label="Client ID / AppKey", max_length=191)
    secret = forms.CharField(label="Client Secret / AppSecret", max_length=191, required=False,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=gettext_lazy("留空则保留原密钥。"))
    agent_id = forms.CharField(label="AgentId", max_length=20, required=False,
                               help_text=gettext_lazy("仅企业微信：自建应用的 AgentId；Client ID 填企业 ID（CorpID），密钥填应用的 Secret。"))
    server_url = forms.URLField(label=gettext_lazy("OIDC 发现地址"), required=False, assume_scheme="https",
                                help_text=gettext_lazy("仅 OpenID Connect：身份提供方地址（…/.well-known/openid-configuration）。"))
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        if data.get("kind") == SignInKind.OIDC and not data.get("server_url"):
            self.add_error("server_url", _("OpenID Connect 需要填写发现地址。"))
        if data.get("kind") == SignInKind.WECOM and not (data.get("agent_id") or "").isdigit():
            self.add_error("agent_id", _("企业微信需要填写自建应用的 AgentId（数字）。"))
        return data


@transaction.atomic
def signin_save(*, tenant, actor, entry: CompanySignIn | None, data: dict, request=None) -> CompanySignIn:
    from allauth.socialaccount.models import SocialApp

    if entry is None:
        if data["kind"] != SignInKind.OIDC and not data.get("secret"):
            raise ValidationError({"secret": _("请填写密钥。")})
        app = SocialApp(provider=data["kind"], name=f"{tenant.slug} {data['label']}"[:40])
        entry = CompanySignIn(tenant=tenant, app=None, kind=data["kind"])
        if data["kind"] == SignInKind.OIDC:
            app.provider_id = f"{tenant.slug}-oidc-{CompanySignIn.objects.filter(tenant=tenant).count() + 1}"
        # DingTalk/Feishu apps are routed by provider name; several tenants may each have one,
        # because CompanySignInAdapter.list_apps() offers only the signing-in tenant's app.
    else:
        entry = CompanySignIn.objects.select_for_update().select_related("app").get(pk=entry.pk, tenant=tenant)
        app = entry.app
    app.client_id = data["client_id"]
    app.secret = ""  # never in allauth's plain-text column; see CompanySignIn.secret
    if data.get("secret"):
        entry.secret = data["secret"]
    if data["kind"] == SignInKind.OIDC:
        app.settings = {"server_url": data["server_url"], "fetch_userinfo": True}
    elif data["kind"] == SignInKind.WECOM:
        app.settings = {"agent_id": data["agent_id"]}
    app.save()
    entry.app, entry.label, entry.is_active = app, data["label"], data["is_active"]
    entry.save()
    audit_record(tenant=tenant, actor=actor, verb="notifications.company_signin_save", obj=entry, request=request,
                 after={"kind": entry.kind, "label": entry.label, "client_id": app.client_id, "active": entry.is_active})
    return entry


@tenant_view(Cap.TENANT_MANAGE)
def signin_list(request):
    entries = CompanySignIn.objects.filter(tenant=request.tenant).select_related("app")
    return render(request, "notifications/signin_list.html", {
        "entries": entries, "login_url": request.build_absolute_uri(reverse("company_login", args=[request.tenant.slug])),
    })


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def signin_edit(request, pk=None):
    entry = access_object(CompanySignIn.objects.filter(tenant=request.tenant).select_related("app"), pk=pk) if pk else None
    initial = ({"kind": entry.kind, "label": entry.label, "client_id": entry.app.client_id,
                "server_url": (entry.app.settings or {}).get("server_url", ""),
                "agent_id": (entry.app.settings or {}).get("agent_id", ""), "is_active": entry.is_active}
               if entry else {"is_active": True})
    form = SignInForm(request.POST or None, initial=initial)
    if entry:
        form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            signin_save(tenant=request.tenant, actor=request.user, entry=entry, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("企业账号登录已保存。"))
            return redirect("notifications:signin")
    return render(request, "marketing/simple_form.html", {"form": form, "title": _("企业账号登录"), "back": "notifications:signin"})


class MemberIdsForm(forms.ModelForm):
    class Meta:
        model = NotificationProfile
        fields = ["sso_subject", "dingtalk_userid", "feishu_open_id", "wecom_userid", "mobile"]


@tenant_view(Cap.TENANT_MANAGE)
def member_ids(request, pk):
    """The admin records a member's company-account ids (OIDC sub etc.) for sign-in mapping."""
    membership = access_object(Membership.objects.filter(tenant=request.tenant).select_related("user"), pk=pk)
    profile = (NotificationProfile.objects.filter(tenant=request.tenant, user=membership.user).first()
               or NotificationProfile(tenant=request.tenant, user=membership.user))
    form = MemberIdsForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            before = {f: form.initial.get(f, "") for f in form.fields}
            form.save()
            audit_record(tenant=request.tenant, actor=request.user, verb="notifications.member_ids_save", obj=profile,
                         before=before, after={f: form.cleaned_data[f] for f in form.fields}, request=request)
        messages.success(request, _("已保存。"))
        return redirect("notifications:signin")
    return render(request, "marketing/simple_form.html", {
        "form": form, "title": _("%(user)s 的企业账号") % {"user": membership.user.display_name}, "back": "notifications:signin"})


@require_POST
@tenant_view(Cap.TENANT_MANAGE)
def signin_delete(request, pk):
    entry = access_object(CompanySignIn.objects.filter(tenant=request.tenant).select_related("app"), pk=pk)
    with transaction.atomic():
        audit_record(tenant=request.tenant, actor=request.user, verb="notifications.company_signin_delete", obj=entry,
                     before={"kind": entry.kind, "label": entry.label}, request=request)
        entry.app.delete()  # cascades to the CompanySignIn row
    messages.success(request, _("已删除。"))
    return redirect("notifications:signin")
