from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import ClaimAttachment, HospitalityApplication, HospitalityClaim, Venue

app_name = "hospitality"
urlpatterns: list = [
    path("", views.application_list, name="index"),
    path("apply/", views.application_create, name="apply"),
    path("emergency/", views.emergency_create, name="emergency"),
    object_path("applications/<int:pk>/", views.application_detail, name="application", model=HospitalityApplication),
    object_path("applications/<int:pk>/arranged/", views.application_arranged, name="application_arranged",
                model=HospitalityApplication),
    object_path("applications/<int:pk>/edit/", views.application_edit, name="application_edit",
                model=HospitalityApplication),
    path("claims/", views.claim_list, name="claims"),
    path("claims/new/", views.claim_create, name="claim_create"),
    object_path("claims/<int:pk>/", views.claim_detail, name="claim", model=HospitalityClaim),
    object_path("claims/<int:pk>/edit/", views.claim_edit, name="claim_edit", model=HospitalityClaim),
    object_path("claims/<int:pk>/submit/", views.claim_submit, name="claim_submit", model=HospitalityClaim),
    object_path("claims/<int:pk>/correct/", views.claim_correct, name="claim_correct", model=HospitalityClaim),
    object_path("claims/<int:pk>/pay/", views.claim_pay, name="claim_pay", model=HospitalityClaim),
    object_path("claims/<int:pk>/claim.pdf", views.claim_pdf, name="claim_pdf", model=HospitalityClaim),
    object_path("invoices/<int:pk>/", views.invoice_download, name="invoice", model=ClaimAttachment),
    object_path("invoices/<int:pk>/delete/", views.invoice_delete, name="invoice_delete", model=ClaimAttachment),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("report/", views.monthly_report, name="report"),
    path("policy/", views.policy_list, name="policies"),
    path("policy/new/", views.policy_create, name="policy_create"),
    path("venues/new/", views.venue_edit, name="venue_create"),
    object_path("venues/<int:pk>/", views.venue_edit, name="venue_edit", model=Venue),
]
