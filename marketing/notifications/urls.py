from django.urls import path

from marketing.models import Membership
from marketing.tenancy import object_path

from . import views, views_signin
from .models import ChatWebhook, CompanySignIn, Message

app_name = "notifications"

urlpatterns = [
    path("", views.message_list, name="messages"),
    path("export/", views.message_export, name="messages_export"),
    object_path("<int:pk>/", views.message_detail, name="message_detail", model=Message),
    object_path("<int:pk>/resend/", views.message_resend_view, name="message_resend", model=Message),
    path("robots/", views.webhook_list, name="webhooks"),
    path("robots/new/", views.webhook_edit, name="webhook_create"),
    object_path("robots/<int:pk>/", views.webhook_edit, name="webhook_edit", model=ChatWebhook),
    object_path("robots/<int:pk>/delete/", views.webhook_delete_view, name="webhook_delete", model=ChatWebhook),
    object_path("robots/<int:pk>/test/", views.webhook_test_view, name="webhook_test", model=ChatWebhook),
    path("me/", views.my_settings, name="me"),
    path("signin/", views_signin.signin_list, name="signin"),
    path("signin/new/", views_signin.signin_edit, name="signin_create"),
    object_path("signin/<int:pk>/", views_signin.signin_edit, name="signin_edit", model=CompanySignIn),
    object_path("signin/<int:pk>/delete/", views_signin.signin_delete, name="signin_delete", model=CompanySignIn),
    object_path("signin/members/<int:pk>/", views_signin.member_ids, name="member_ids", model=Membership),
]
