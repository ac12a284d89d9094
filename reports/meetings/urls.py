from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import ActionItem, AgendaItem, Meeting, MonthlyPack

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("mine/", views.my_actions, name="mine"),
    object_path("packs/<int:pk>/", views.pack_detail, name="pack", model=MonthlyPack),
    object_path("packs/<int:pk>/<str:fmt>/", views.pack_file, name="pack_file", model=MonthlyPack,
                extra={"fmt": "xlsx"}),
    object_path("<int:pk>/", views.meeting_detail, name="detail", model=Meeting),
    object_path("<int:pk>/items/new/", views.item_create, name="item_create", model=Meeting),
    object_path("<int:pk>/close/", views.meeting_close, name="close", model=Meeting),
    object_path("items/<int:pk>/", views.item_edit, name="item_edit", model=AgendaItem),
    object_path("items/<int:pk>/actions/new/", views.action_create, name="action_create", model=AgendaItem),
    object_path("actions/<int:pk>/done/", views.action_done, name="action_done", model=ActionItem),
]
