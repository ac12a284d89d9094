from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from . import views
from .forms import LoginForm
from .models import Branch, Membership, Region
from .notifications.views_signin import company_login
from .tenancy import object_path

app_urls = (
    [
        path("users/", views.user_list, name="users"),
        path("users/new/", views.user_create_view, name="user_create"),
        object_path("users/<int:pk>/", views.user_detail, name="user_detail", model=Membership),
        object_path("users/<int:pk>/edit/", views.user_edit, name="user_edit", model=Membership),
        object_path("users/<int:pk>/active/", views.user_toggle_active, name="user_toggle_active", model=Membership),
        object_path("users/<int:pk>/password/", views.user_reset_password, name="user_reset_password", model=Membership),
        path("org/", views.org, name="org"),
        path("org/regions/new/", views.region_edit, name="region_create"),
        object_path("org/regions/<int:pk>/", views.region_edit, name="region_edit", model=Region),
        path("org/branches/new/", views.branch_edit, name="branch_create"),
        object_path("org/branches/<int:pk>/", views.branch_edit, name="branch_edit", model=Branch),
        path("settings/", views.tenant_settings, name="settings"),
        path("audit/", views.audit_list, name="audit"),
        path("me/password/", views.password_change, name="password_change"),
    ],
    "marketing",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("m/people/", include("marketing.people.urls")),
    path("m/", include(app_urls)),
    path("reports/receivables/", include("reports.receivables.urls")),
    path("reports/", include("reports.urls")),
    path("plans/", include("reports.submissions.urls")),
    path("meetings/", include("reports.meetings.urls")),
    path("contracts/", include("contracts.urls")),
    path("expenses/", include("expenses.urls")),
    path("hospitality/", include("expenses.hospitality.urls")),
    path("customers/", include("customers.urls")),
    path("partners/", include("customers.partners.urls")),
    path("m/messages/", include("marketing.notifications.urls")),
    path("login/company/<slug:slug>/", company_login, name="company_login"),
    path("accounts/", include("marketing.notifications.signin_urls")),
    path("approvals/", include("marketing.approvals.urls")),
    path("m/setup/", include("marketing.onboarding.urls")),
    path("materials/", include("marketing.materials.urls")),
    path("workflows/", include("marketing.workflows.urls")),
]

# No /media/ route, not even in DEBUG: uploaded files belong to a tenant and are served only
# through views that check the reader's reach (expense and approval attachment downloads).
