from django.urls import path

from . import views
from .selectors import CHARTS

app_name = "leaders"

urlpatterns = [path("", views.dashboard, name="dashboard")]
for _name in CHARTS:
    urlpatterns += [
        path(f"data/{_name}/", views.chart_data, {"chart": _name}, name=f"chart_{_name}"),
        path(f"data/{_name}/xlsx/", views.chart_data, {"chart": _name, "fmt": "xlsx"}, name=f"chart_{_name}_xlsx"),
    ]
