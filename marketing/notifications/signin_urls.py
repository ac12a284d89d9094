"""django-allauth's provider endpoints (OpenID Connect, DingTalk, Feishu, and our WeCom provider) -- only those: no
allauth sign-up, password or e-mail pages. The names allauth reverses internally point at
our own pages."""

from django.urls import include, path
from django.views.generic import RedirectView

from . import views_signin, wecom

urlpatterns = [
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
    path("", include("allauth.socialaccount.providers.dingtalk.urls")),
    path("", include("allauth.socialaccount.providers.feishu.urls")),
    path("wecom/login/", wecom.login_view, name="wecom_login"),
    path("wecom/login/callback/", wecom.callback_view, name="wecom_callback"),
    path("login/cancelled/", views_signin.signin_problem, name="socialaccount_login_cancelled"),
    path("login/error/", views_signin.signin_problem, name="socialaccount_login_error"),
    path("login/", RedirectView.as_view(pattern_name="login"), name="account_login"),
]
