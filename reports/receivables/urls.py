from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import Receivable, ReceivableImport

app_name = "receivables"

urlpatterns = [
    path("", views.ageing_view, name="ageing"),
    path("lines/", views.receivable_list, name="list"),
    object_path("lines/<int:pk>/", views.receivable_detail, name="detail", model=Receivable),
    object_path("lines/<int:pk>/flag/", views.receivable_flag, name="flag", model=Receivable),
    object_path("lines/<int:pk>/actions/new/", views.action_new, name="action_new", model=Receivable),
    path("imports/", views.import_list, name="imports"),
    path("imports/template/", views.import_template, name="import_template"),
    object_path("imports/<int:pk>/", views.import_detail, name="import_detail", model=ReceivableImport),
    object_path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm", model=ReceivableImport),
]
