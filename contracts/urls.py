from django.urls import path

from marketing.tenancy import object_path

from .models import Product, ProductVersion
from .views import products

app_name = "contracts"
urlpatterns: list = [
    path("products/", products.product_list, name="product_list"),
    path("products/export.xlsx", products.product_export, name="product_export"),
    object_path("products/<int:pk>/", products.product_detail, name="product_detail", model=Product),
    object_path("products/<int:pk>/status/", products.product_status, name="product_status", model=Product),
    object_path("products/<int:pk>/bar/", products.product_bar, name="product_bar", model=Product),
    object_path("products/<int:pk>/new-version/", products.version_create, name="version_create", model=Product),
    path("designs/", products.design_list, name="design_list"),
    path("designs/new/", products.design_create, name="design_create"),
    object_path("designs/<int:pk>/", products.version_detail, name="version_detail", model=ProductVersion),
    object_path("designs/<int:pk>/edit/", products.version_edit, name="version_edit", model=ProductVersion),
    object_path("designs/<int:pk>/submit/", products.version_submit, name="version_submit", model=ProductVersion),
    object_path("designs/<int:pk>/clauses/", products.version_clauses, name="version_clauses", model=ProductVersion),
]
