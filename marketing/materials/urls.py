from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import LibraryItem, LibraryVersion, Material, MaterialRequest, Shipment

app_name = "materials"
urlpatterns: list = [
    path("", views.stock_list, name="stock"),
    path("stock.xlsx", views.stock_export, name="stock_export"),
    path("new/", views.material_create, name="material_create"),
    object_path("<int:pk>/", views.material_detail, name="material_detail", model=Material),
    object_path("<int:pk>/edit/", views.material_edit, name="material_edit", model=Material),
    object_path("<int:pk>/receive/", views.material_receive, name="material_receive", model=Material),
    object_path("<int:pk>/adjust/", views.material_adjust, name="material_adjust", model=Material),
    object_path("<int:pk>/image/", views.material_image, name="material_image", model=Material),
    path("ledger/", views.movement_list, name="movements"),
    path("ledger.xlsx", views.movement_export, name="movements_export"),
    path("requests/", views.request_list, name="requests"),
    path("requests.xlsx", views.request_export, name="requests_export"),
    path("requests/new/", views.request_create, name="request_create"),
    object_path("requests/<int:pk>/", views.request_detail, name="request_detail", model=MaterialRequest),
    object_path("requests/<int:pk>/dispatch/", views.request_dispatch, name="request_dispatch",
                model=MaterialRequest),
    object_path("requests/<int:pk>/close/", views.request_close, name="request_close", model=MaterialRequest),
    object_path("shipments/<int:pk>/receive/", views.shipment_receive, name="shipment_receive", model=Shipment),
    path("library/", views.library_list, name="library"),
    path("library/new/", views.library_create, name="library_create"),
    object_path("library/<int:pk>/", views.library_detail, name="library_detail", model=LibraryItem),
    object_path("library/<int:pk>/edit/", views.library_edit, name="library_edit", model=LibraryItem),
    object_path("library/<int:pk>/publish/", views.library_publish, name="library_publish", model=LibraryItem),
    object_path("library/versions/<int:pk>/", views.library_download, name="library_download",
                model=LibraryVersion),
]
