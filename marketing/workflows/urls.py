from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import FormAttachment, FormRequest, FormSample, FormTemplate

app_name = "workflows"
urlpatterns = [
    path("", views.index, name="index"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/shipped/", views.install_shipped, name="install_shipped"),
    object_path("templates/<int:pk>/", views.builder, name="builder", model=FormTemplate),
    object_path("templates/<int:pk>/new/", views.request_new, name="request_new", model=FormTemplate),
    object_path("templates/<int:pk>/requests/", views.request_list, name="requests", model=FormTemplate),
    object_path("templates/<int:pk>/requests.xlsx", views.request_export, name="export", model=FormTemplate),
    object_path("templates/<int:pk>/samples/", views.sample_list, name="samples", model=FormTemplate),
    object_path("samples/<int:pk>/", views.sample_change, name="sample_change", model=FormSample),
    object_path("requests/<int:pk>/", views.request_detail, name="request", model=FormRequest),
    object_path("requests/<int:pk>/resubmit/", views.request_resubmit, name="resubmit", model=FormRequest),
    object_path("requests/<int:pk>/revise/", views.request_revise, name="revise", model=FormRequest),
    object_path("requests/<int:pk>/sample/", views.request_sample, name="sample", model=FormRequest),
    object_path("requests/<int:pk>/form.pdf", views.request_pdf, name="pdf", model=FormRequest),
    object_path("files/<int:pk>/", views.attachment, name="file", model=FormAttachment),
]
