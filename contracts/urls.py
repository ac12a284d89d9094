from django.urls import path

from marketing.tenancy import object_path

from .models import (
    ContractImportJob,
    PriceList,
    PriceListConfirmation,
    PriceListEntry,
    Product,
    ProductVersion,
)
from .views import imports, pricelist, products

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
    path("pricelist/", pricelist.pricelist_index, name="pricelist_index"),
    path("pricelist/diff/", pricelist.pricelist_diff, name="pricelist_diff"),
    path("pricelist/draft/", pricelist.pricelist_draft, name="pricelist_draft"),
    path("pricelist/draft/entry/", pricelist.entry_save, name="pricelist_entry_save"),
    path("pricelist/draft/publish/", pricelist.pricelist_publish, name="pricelist_publish"),
    path("pricelist/draft/import/", pricelist.pricelist_import, name="pricelist_import"),
    object_path("pricelist/entries/<int:pk>/delete/", pricelist.entry_delete, name="pricelist_entry_delete",
                model=PriceListEntry),
    object_path("pricelist/<int:pk>/", pricelist.pricelist_detail, name="pricelist_detail", model=PriceList),
    object_path("pricelist/<int:pk>/export.xlsx", pricelist.pricelist_export, name="pricelist_export", model=PriceList),
    object_path("pricelist/<int:pk>/implement/", pricelist.pricelist_implement, name="pricelist_implement",
                model=PriceList),
    object_path("pricelist/confirmations/<int:pk>/", pricelist.confirmation_decide, name="pricelist_confirm",
                model=PriceListConfirmation),
    object_path("imports/<int:pk>/", imports.import_detail, name="import_detail", model=ContractImportJob),
    object_path("imports/<int:pk>/confirm/", imports.import_confirm, name="import_confirm", model=ContractImportJob),
]
