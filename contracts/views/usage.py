"""The weekly usage analysis (合同使用情况数据分析), marketing's board, the tenant's contract settings."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .. import exports
from .. import selectors_ledger as selectors
from ..forms import SettingsForm
from ..models import ContractRequest, PrintOrder, PrintOrderStatus, RequestStatus, UsageWeek
from ..services.ledger import local_today
from ..services.usage import usage_confirm
from ._common import show_errors, xlsx_response

VIEW_CAPS = (Cap.CONTRACTS_REQUEST, Cap.CONTRACTS_MANAGE, Cap.CONTRACTS_VIEW_ALL)


def _as_of(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("as_of") or "")
    except ValueError:
        return local_today(request.tenant)


def _branch_ids(request):
    if selectors.sees_all_contracts(request.membership):
        return None
    return list(visible_branches(membership=request.membership).values_list("pk", flat=True))


def usage_workbook(*, tenant, as_of, branch_ids=None) -> bytes:
    rows = selectors.usage(tenant=tenant, as_of=as_of, branch_ids=branch_ids)
    branch_rows = []
    for region in selectors.regions_of(tenant):
        for r in selectors.usage(tenant=tenant, as_of=as_of, region_id=region.pk, branch_ids=branch_ids):
            branch_rows.append({**r, "region": region.name})
    costs = selectors.cost_ledger(tenant=tenant, as_of=as_of, branch_ids=branch_ids)
    return exports.usage_xlsx(as_of=as_of, rows=rows, branch_rows=branch_rows, costs=costs)


@tenant_view(*VIEW_CAPS, any_of=True)
def usage(request):
    as_of = _as_of(request)
    branch_ids = _branch_ids(request)
    region = None
    region_id = request.GET.get("region")
    if region_id and region_id.isdigit():
        region = selectors.regions_of(request.tenant).filter(pk=int(region_id)).first()
    rows = selectors.usage(tenant=request.tenant, as_of=as_of, region_id=region.pk if region else None,
                           branch_ids=branch_ids)
    week = UsageWeek.objects.filter(tenant=request.tenant, as_of=as_of).select_related("confirmed_by").first()
    return render(request, "contracts/usage.html", {
        "as_of": as_of, "rows": rows, "totals": selectors.usage_totals(rows), "region": region,
        "costs": selectors.cost_ledger(tenant=request.tenant, as_of=as_of, branch_ids=branch_ids) if not region
        else [],
        "week": week, "can_confirm": request.membership.can(Cap.CONTRACTS_MANAGE) and not (week and week.confirmed_at),
    })


@tenant_view(*VIEW_CAPS, any_of=True)
def usage_export(request):
    as_of = _as_of(request)
    data = usage_workbook(tenant=request.tenant, as_of=as_of, branch_ids=_branch_ids(request))
    return xlsx_response(data, f"contract-usage-{as_of:%Y%m%d}")


@tenant_view(Cap.CONTRACTS_MANAGE)
@require_POST
def usage_confirm_view(request):
    try:
        as_of = dt.date.fromisoformat(request.POST.get("as_of") or "")
        usage_confirm(tenant=request.tenant, actor=request.user, as_of=as_of, request=request)
        messages.success(request, _("已确认本周数据。"))
    except ValueError:
        messages.error(request, _("日期不正确。"))
        as_of = local_today(request.tenant)
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect(reverse("contracts:usage") + f"?as_of={as_of.isoformat()}")


@tenant_view(Cap.CONTRACTS_MANAGE)
def board(request):
    today = local_today(request.tenant)
    settings = selectors.contract_settings(request.tenant)
    requests = ContractRequest.objects.filter(tenant=request.tenant).select_related("branch", "product")
    return render(request, "contracts/board.html", {
        "today": today, "settings": settings,
        "at_marketing": requests.filter(status=RequestStatus.SUBMITTED).order_by("submitted_at")[:50],
        "to_dispatch": requests.filter(status__in=[RequestStatus.TO_DISPATCH, RequestStatus.PRINTING])
        .order_by("planned_dispatch_on")[:50],
        "printing": PrintOrder.objects.filter(tenant=request.tenant, status=PrintOrderStatus.ORDERED)
        .select_related("product").order_by("expected_on")[:50],
        "unconfirmed": selectors.unconfirmed_dispatches(tenant=request.tenant, today=today,
                                                        working_days=settings.unconfirmed_after_working_days)[:100],
    })


@tenant_view(Cap.CONTRACTS_MANAGE)
def settings_view(request):
    instance = selectors.contract_settings(request.tenant)
    form = SettingsForm(request.POST or None, instance=instance, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        from ..services.settings import settings_save

        settings_save(tenant=request.tenant, actor=request.user, data=form.cleaned_data, request=request)
        messages.success(request, _("设置已保存。"))
        return redirect("contracts:settings")
    return render(request, "contracts/settings.html", {"form": form})
