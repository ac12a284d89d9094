"""经营看板: the page and one JSON (+ xlsx) endpoint per chart. Every endpoint applies the
reader's reach (``marketing.selectors.visible_branches``): a branch GM sees their branches,
executives all; a region or branch outside it answers 404."""

from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import pgettext

from marketing import bounds
from marketing.permissions import tenant_view
from marketing.roles import Cap

from . import selectors
from .exports import XLSX_CONTENT_TYPE, chart_xlsx


class BadFilter(ValueError):
    pass


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadFilter(pgettext("dashboard", "筛选条件无效")) from None
    if not 0 < number < 2**63:
        raise BadFilter(pgettext("dashboard", "筛选条件无效"))
    return number


def _scope(request):
    today = timezone.localdate()
    raw = request.GET.get("month")
    try:
        month = bounds.parse_month(raw) if raw else today.replace(day=1)
    except ValueError:
        raise BadFilter(pgettext("dashboard", "月份格式应为 YYYY-MM")) from None
    region_id, branch_id = _int(request.GET.get("region")), _int(request.GET.get("branch"))
    try:
        return selectors.build_scope(membership=request.membership, month=month, today=today,
                                     region_id=region_id, branch_id=branch_id)
    except LookupError:
        raise Http404 from None


@tenant_view(Cap.LEADERS_DASHBOARD)
def dashboard(request):
    error = ""
    try:
        scope = _scope(request)
    except BadFilter as exc:
        error = str(exc)
        scope = selectors.build_scope(membership=request.membership, month=timezone.localdate().replace(day=1),
                                      today=timezone.localdate())
    regions: dict[int, str] = {}
    for b in selectors.reach(membership=request.membership):
        regions.setdefault(b.region_id, b.region.name)
    query = request.GET.copy()
    query["month"] = scope.month.strftime("%Y-%m")
    for key in ("region", "branch"):
        if not query.get(key):
            query.pop(key, None)
    return render(request, "reports/leaders/dashboard.html", {
        "scope": scope, "meta": scope.meta(), "regions": sorted(regions.items(), key=lambda kv: kv[1]),
        "error": error, "query": query.urlencode(),
        "charts": [
            ("trend", pgettext("dashboard", "本月累计回款与目标进度")), ("ranking", pgettext("dashboard", "地区与分公司完成率排名")),
            ("filing", pgettext("dashboard", "近 30 个工作日日报填报率")), ("hospitality", pgettext("dashboard", "各地区业务招待费占销售比")),
            ("sell_through", pgettext("dashboard", "各地区合同动销率")),
            ("periods", pgettext("dashboard", "本季度与本年度累计完成率")),
        ],
    })


@tenant_view(Cap.LEADERS_DASHBOARD)
def chart_data(request, chart: str, fmt: str = "json"):
    if chart not in selectors.CHARTS:
        raise Http404
    try:
        scope = _scope(request)
    except BadFilter as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    data = selectors.decorate(selectors.chart(chart, scope, timezone.now()))
    if fmt == "xlsx":
        response = HttpResponse(chart_xlsx(data, tenant_name=request.tenant.name), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="dashboard-{chart}-{data["meta"]["month"]}.xlsx"'
        return response
    return JsonResponse(data)
