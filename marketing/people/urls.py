from django.urls import path

from marketing.models import Membership
from marketing.tenancy import object_path

from . import views
from .models import Departure, HandoverJob, PositionRoleMap, Transfer

app_name = "people"

urlpatterns = [
    path("", views.departure_list, name="departures"),
    path("departures/new/", views.departure_new, name="departure_new"),
    object_path("departures/<int:pk>/", views.departure_detail, name="departure", model=Departure),
    object_path("departures/<int:pk>/act/", views.departure_act, name="departure_act", model=Departure),
    object_path("departures/<int:pk>/certificate.pdf", views.departure_certificate, name="certificate",
                model=Departure),
    object_path("jobs/<int:pk>/", views.job_detail, name="job", model=HandoverJob),
    object_path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress", model=HandoverJob),
    path("reconcile/", views.reconcile, name="reconcile"),
    path("mappings/", views.mappings, name="mappings"),
    object_path("mappings/<int:pk>/delete/", views.mapping_delete, name="mapping_delete", model=PositionRoleMap),
    path("transfers/", views.transfer_list, name="transfers"),
    path("transfers/new/", views.transfer_new, name="transfer_new"),
    object_path("transfers/<int:pk>/cancel/", views.transfer_cancel, name="transfer_cancel", model=Transfer),
    object_path("members/<int:pk>/invite/", views.invitation_resend, name="invite_resend", model=Membership),
    path("invite/<str:token>/", views.invitation_accept, name="invite"),
]
