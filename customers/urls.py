from django.urls import path

from marketing.tenancy import object_path

from . import views, views_admin, views_complaints, views_stages
from .models import (
    Complaint,
    Contact,
    Customer,
    CustomerAccessRequest,
    CustomerUserObjectPermission,
    ImportBatch,
    Visit,
)

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export/", views.customer_export, name="export"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/export/", views.visit_export, name="visit_export"),
    path("reassign/", views.customer_reassign_bulk, name="reassign_bulk"),
    path("stages/", views_stages.stage_list, name="stages"),
    path("stages/new/", views_stages.stage_edit, name="stage_create"),
    path("stages/<slug:code>/edit/", views_stages.stage_edit, name="stage_edit"),
    path("complaints/", views_complaints.complaint_list, name="complaints"),
    path("complaints/export/", views_complaints.complaint_export, name="complaint_export"),
    object_path("<int:pk>/complaints/new/", views_complaints.complaint_create, name="complaint_create", model=Customer),
    object_path("complaints/<int:pk>/close/", views_complaints.complaint_close, name="complaint_close", model=Complaint),
    object_path("<int:pk>/", views.customer_detail, name="detail", model=Customer),
    object_path("<int:pk>/edit/", views.customer_edit, name="edit", model=Customer),
    object_path("<int:pk>/history/", views.customer_history, name="history", model=Customer),
    object_path("<int:pk>/print/", views.customer_print, name="print", model=Customer),
    object_path("<int:pk>/share/", views.customer_share, name="share", model=Customer),
    object_path("<int:pk>/reassign/", views.customer_reassign, name="reassign", model=Customer),
    object_path("<int:pk>/contacts/new/", views.contact_create, name="contact_create", model=Customer),
    object_path("<int:pk>/visits/new/", views.visit_create, name="visit_create", model=Customer),
    object_path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit", model=Contact),
    object_path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete", model=Contact),
    object_path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit", model=Visit),
    object_path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke", model=CustomerUserObjectPermission),
    path("access-log/", views_admin.access_log, name="access_log"),
    path("requests/", views_admin.request_list, name="requests"),
    path("requests/new/", views_admin.request_create, name="request_create"),
    object_path("requests/<int:pk>/", views_admin.request_detail, name="request_detail", model=CustomerAccessRequest),
    path("import/", views_admin.import_upload, name="import"),
    path("import/template/", views_admin.import_template, name="import_template"),
    object_path("import/<int:pk>/", views_admin.import_preview, name="import_preview", model=ImportBatch),
]
