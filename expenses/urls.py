from django.urls import path

from marketing.tenancy import object_path

from . import budget_views, views
from .models import Budget, ExpenseAttachment, ExpenseRequest

app_name = "expenses"
urlpatterns: list = [
    path("", views.expense_list, name="index"),
    path("export.xlsx", views.expense_export, name="export"),
    path("new/", views.expense_create, name="create"),
    object_path("<int:pk>/", views.expense_detail, name="detail", model=ExpenseRequest),
    object_path("<int:pk>/edit/", views.expense_edit, name="edit", model=ExpenseRequest),
    object_path("<int:pk>/submit/", views.expense_submit, name="submit", model=ExpenseRequest),
    object_path("<int:pk>/pay/", views.expense_pay, name="pay", model=ExpenseRequest),
    object_path("<int:pk>/form.pdf", views.expense_pdf, name="pdf", model=ExpenseRequest),
    object_path("attachments/<int:pk>/", views.attachment_download, name="attachment", model=ExpenseAttachment),
    object_path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete",
                model=ExpenseAttachment),
    # budgets (S001-13) and the expenses settings (S000-28)
    path("budgets/", budget_views.budget_list, name="budgets"),
    path("budgets/export.xlsx", budget_views.budget_export, name="budget_export"),
    path("budgets/new/", budget_views.budget_create, name="budget_create"),
    object_path("budgets/<int:pk>/edit/", budget_views.budget_edit, name="budget_edit", model=Budget),
    path("budgets/settings/", budget_views.expense_settings, name="settings"),
]
