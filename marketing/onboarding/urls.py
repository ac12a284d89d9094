from django.urls import path

from marketing.models import Membership
from marketing.tenancy import object_path

from . import views
from .models import OpeningImport

app_name = "onboarding"

urlpatterns = [
    path("", views.checklist, name="checklist"),
    path("skip/", views.skip, name="skip"),
    path("unskip/", views.unskip, name="unskip"),
    path("confirm/", views.confirm, name="confirm"),
    path("test-send/", views.test_send, name="test_send"),
    path("org/imports/", views.org_import, name="org_import"),
    path("people/new/", views.people, name="people"),
    object_path("people/<int:pk>/invite/", views.people_invite, name="people_invite", model=Membership),
    path("calendar/", views.calendar, name="calendar"),
    path("approvals/", views.approvals, name="approvals"),
    path("opening/contracts/", views.opening_contracts, name="opening_contracts"),
    path("opening/price-list/", views.opening_pricelist, name="opening_pricelist"),
    path("opening/template/<str:kind>/", views.opening_template, name="opening_template"),
    object_path("opening/<int:pk>/", views.opening_detail, name="opening_detail", model=OpeningImport),
    object_path("opening/<int:pk>/progress/", views.opening_progress, name="opening_progress", model=OpeningImport),
    object_path("opening/<int:pk>/confirm/", views.opening_confirm_view, name="opening_confirm", model=OpeningImport),
]
