"""Past daily summaries: browse, open as a page, download xlsx/PDF, resend; recipients."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import SUMMARY_RECIPIENT_ROLES, Cap
from marketing.selectors import users_with_roles
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from .. import mailing, selectors, services
from ..exports import XLSX_CONTENT_TYPE, summary_pdf, summary_xlsx
from ..filters import SummaryFilter
from ..forms import RecipientForm
from ..models import RecipientOverride
from ..summary import current, decorate, restrict


@tenant_view(Cap.SUMMARIES_VIEW, Cap.SUMMARIES_MANAGE, any_of=True)
def summary_list(request):
    qs = selectors.summaries_for(membership=request.membership)
    filterset = SummaryFilter(request.GET or None, queryset=qs, tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "reports/summary_list.html", {
        "filter": filterset, "page": page, "query": query, "can_manage": request.membership.can(Cap.SUMMARIES_MANAGE),
    })


def _summary(request, pk):
    summary = access_object(selectors.summaries_for(membership=request.membership).defer(None), pk=pk)
    data = restrict(current(summary.data or {}), selectors.summary_branch_ids(membership=request.membership))
    return summary, data


@tenant_view(Cap.SUMMARIES_VIEW, Cap.SUMMARIES_MANAGE, any_of=True)
def summary_detail(request, pk):
    summary, data = _summary(request, pk)
    return render(request, "reports/summary_detail.html", {
        "summary": summary, "d": decorate(dict(data)) if data.get("rows") is not None else None,
        "can_manage": request.membership.can(Cap.SUMMARIES_MANAGE),
    })


@tenant_view(Cap.SUMMARIES_VIEW, Cap.SUMMARIES_MANAGE, any_of=True)
def summary_file(request, pk, fmt):
    summary, data = _summary(request, pk)
    if data.get("rows") is None:
        raise Http404
    if fmt == "xlsx":
        body, ctype = summary_xlsx(data), XLSX_CONTENT_TYPE
    elif fmt == "pdf":
        body, ctype = summary_pdf(data), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="daily-summary-{summary.business_day}.{fmt}"'
    return response


@require_POST
@tenant_view(Cap.SUMMARIES_MANAGE)
@once_per_submit
def summary_resend(request, pk):
    summary = access_object(selectors.summaries_for(membership=request.membership), pk=pk)
    try:
        mailing.summary_request_resend(summary=summary, actor=request.user, request=request)
        messages.success(request, _("已安排重新发送。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reports:summary_detail", pk=summary.pk)


@tenant_view(Cap.SUMMARIES_MANAGE)
def recipients_view(request):
    form = RecipientForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST":
        if request.POST.get("reset"):
            form = RecipientForm({"user": request.POST.get("reset"), "include": "1"}, tenant=request.tenant)
            if form.is_valid():
                services.recipient_set(tenant=request.tenant, user=form.cleaned_data["user"], include=None,
                                       actor=request.user, request=request)
                messages.success(request, _("已恢复默认设置。"))
                return redirect("reports:recipients")
        elif form.is_valid():
            services.recipient_set(tenant=request.tenant, user=form.cleaned_data["user"],
                                   include=form.cleaned_data["include"], actor=request.user, request=request)
            messages.success(request, _("收件人设置已保存。"))
            return redirect("reports:recipients")
    defaults = set(users_with_roles(tenant=request.tenant, roles=SUMMARY_RECIPIENT_ROLES).values_list("pk", flat=True))
    overrides = RecipientOverride.objects.filter(tenant=request.tenant).select_related("user").order_by("user__full_name")
    return render(request, "reports/recipients.html", {
        "form": form, "recipients": selectors.summary_recipients(tenant=request.tenant), "defaults": defaults,
        "overrides": overrides,
    })
