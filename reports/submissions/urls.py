from django.urls import path

from marketing.tenancy import object_path

from . import views, views_trips
from .models import Submission, SubmissionAttachment, SubmissionDigest, SubmissionRule, Trip

app_name = "submissions"

urlpatterns = [
    path("", views.rule_list, name="rules"),
    path("library/", views.library, name="library"),
    path("rules/new/", views.rule_edit, name="rule_create"),
    path("rules/defaults/", views.install_defaults, name="install_defaults"),
    object_path("rules/<int:pk>/", views.rule_detail, name="rule", model=SubmissionRule),
    object_path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit", model=SubmissionRule),
    object_path("rules/<int:pk>/submit/", views.submit, name="submit", model=SubmissionRule),
    object_path("s/<int:pk>/", views.detail, name="detail", model=Submission),
    object_path("s/<int:pk>/review/", views.review, name="review", model=Submission),
    object_path("digests/<int:pk>/resend/", views.digest_resend, name="digest_resend", model=SubmissionDigest),
    object_path("attachments/<int:pk>/", views.attachment, name="attachment", model=SubmissionAttachment),
    # business trips (出差) and their check-ins (出差汇报), S003-04
    path("trips/", views_trips.my_trips, name="my_trips"),
    path("trips/new/", views_trips.trip_create, name="trip_create"),
    path("trips/board/", views_trips.trip_board, name="trip_board"),
    object_path("trips/<int:pk>/", views_trips.trip_detail, name="trip", model=Trip),
    object_path("trips/<int:pk>/edit/", views_trips.trip_edit, name="trip_edit", model=Trip),
    object_path("trips/<int:pk>/checkin/", views_trips.trip_checkin, name="trip_checkin", model=Trip),
    object_path("trips/<int:pk>/cancel/", views_trips.trip_cancel, name="trip_cancel", model=Trip),
]
