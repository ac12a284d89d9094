from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import Agreement, Partner, PartnerType, SigningImport

app_name = "partners"
urlpatterns = [
    path("", views.partner_list, name="list"),
    path("export/", views.partner_export, name="export"),
    path("register/", views.register_list, name="register"),
    path("register/export/", views.register_export, name="register_export"),
    path("new/", views.partner_create, name="create"),
    path("file/", views.signing_file, name="file"),
    path("setup/", views.setup, name="setup"),
    path("stats/", views.stats, name="stats"),
    path("imports/", views.import_upload, name="import"),
    path("imports/template/", views.import_template, name="import_template"),
    object_path("imports/<int:pk>/", views.import_preview, name="import_preview", model=SigningImport),
    object_path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm", model=SigningImport),
    object_path("types/<int:pk>/toggle/", views.type_toggle, name="type_toggle", model=PartnerType),
    object_path("<int:pk>/", views.partner_detail, name="detail", model=Partner),
    object_path("<int:pk>/edit/", views.partner_edit, name="edit", model=Partner),
    object_path("<int:pk>/agreements/new/", views.agreement_create, name="agreement_create", model=Partner),
    object_path("agreements/<int:pk>/send/", views.original_send, name="send", model=Agreement),
    object_path("agreements/<int:pk>/receive/", views.original_receive, name="receive", model=Agreement),
    object_path("agreements/<int:pk>/archive/", views.original_archive, name="archive", model=Agreement),
    object_path("agreements/<int:pk>/terminate/", views.agreement_terminate, name="terminate", model=Agreement),
    object_path("agreements/<int:pk>/scan/", views.agreement_scan, name="scan", model=Agreement),
]
