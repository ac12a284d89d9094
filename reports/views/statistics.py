"""Seed 002's sales and staff statistics (周/月统计表, S002-20…23): a page and an xlsx."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing import bounds
from marketing.permissions import tenant_view
from marketing.roles import Cap

from .. import selectors
from ..exports import XLSX_CONTENT_TYPE
from ..statistics import KINDS, pct, period_for, sales_statistics, staff_statistics, statistics_xlsx


@tenant_view(Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH, any_of=True)
def statistics_view(request):
    kind = request.GET.get("kind") if request.GET.get("kind") in KINDS else "week"
    try:
        day = bounds.parse_day(request.GET.get("day")) or timezone.localdate()
    except ValueError:
        return HttpResponseBadRequest(_("日期格式应为 YYYY-MM-DD"))
    period = period_for(kind, day)
    branches = selectors.visible_branches_for_reports(membership=request.membership).filter(is_active=True)
    sales = sales_statistics(tenant=request.tenant, branches=branches, period=period)
    staff = staff_statistics(tenant=request.tenant, branches=branches, period=period)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(statistics_xlsx(company=request.tenant.name, sales=sales, staff=staff),
                                content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="statistics-{kind}-{period.start:%Y%m%d}.xlsx"'
        return response
    for row in [*sales["rows"], sales["total"]]:
        row.ratio_text = pct(row.ratio)
        row.collections_text = f"{row.collections:,.2f}"
        row.target_text = f"{row.target:,.2f}" if row.target is not None else ""
    titles = {
        "week": (_("销售情况周统计表"), _("营销人员工作周统计表")), "month": (_("销售情况月统计表"), _("营销人员工作月统计表")),
        "quarter": (_("销售情况季度统计表"), _("营销人员工作季度统计表")),
        "year": (_("销售情况年度统计表"), _("营销人员工作年度统计表")),
    }[kind]
    return render(request, "reports/statistics.html", {
        "kinds": [("week", _("周")), ("month", _("月")), ("quarter", _("季度")), ("year", _("年度"))],
        "sales_title": titles[0], "staff_title": titles[1],
        "kind": kind, "period": period, "sales": sales, "staff": staff, "total_ratio": pct(sales["total_ratio"]),
        "limited": not request.membership.can(Cap.REPORTS_VIEW_ALL),
    })
