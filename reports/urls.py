from django.urls import path

from marketing.tenancy import object_path

from . import views
from .models import DailyReport, DailySummary, ImportJob, MonthlyTarget, SignedPartner, WorkdayOverride

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("file/", views.report_file, name="file"),
    object_path("<int:pk>/", views.report_detail, name="detail", model=DailyReport),
    object_path("<int:pk>/edit/", views.report_edit, name="edit", model=DailyReport),
    path("board/", views.board, name="board"),
    path("board/rows/", views.board_rows, name="board_rows"),
    path("statistics/", views.statistics_view, name="statistics"),
    path("partners/", views.partner_list, name="partners"),
    object_path("partners/<int:pk>/paper/", views.partner_paper, name="partner_paper", model=SignedPartner),
    path("targets/", views.target_list, name="targets"),
    object_path("targets/<int:pk>/", views.target_edit, name="target_edit", model=MonthlyTarget),
    path("roster/", views.roster_list, name="roster"),
    path("collections/", views.collection_list, name="collections"),
    path("imports/", views.import_list, name="imports"),
    path("imports/template/<str:kind>/", views.import_template, name="import_template"),
    object_path("imports/<int:pk>/", views.import_detail, name="import_detail", model=ImportJob),
    object_path("imports/<int:pk>/progress/", views.import_progress, name="import_progress", model=ImportJob),
    object_path("imports/<int:pk>/confirm/", views.import_confirm_view, name="import_confirm", model=ImportJob),
    path("calendar/", views.calendar_view, name="calendar"),
    object_path("calendar/<int:pk>/delete/", views.override_delete_view, name="override_delete", model=WorkdayOverride),
    path("summaries/", views.summary_list, name="summaries"),
    path("summaries/recipients/", views.recipients_view, name="recipients"),
    object_path("summaries/<int:pk>/", views.summary_detail, name="summary_detail", model=DailySummary),
    object_path("summaries/<int:pk>/resend/", views.summary_resend, name="summary_resend", model=DailySummary),
    object_path("summaries/<int:pk>/<str:fmt>/", views.summary_file, name="summary_file", model=DailySummary,
                extra={"fmt": "xlsx"}),
]
