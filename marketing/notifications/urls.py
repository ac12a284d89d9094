from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import ChatWebhook, Message

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
]
