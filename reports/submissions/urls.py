from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import Submission, SubmissionAttachment, SubmissionDigest, SubmissionRule

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
]
