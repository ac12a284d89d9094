"""Branch side: file and edit the daily report; marketing side: the live board."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.bounds import parse_day
from marketing.concurrency import guard_version, versioned
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.selectors import visible_branches
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from .. import selectors, services
from ..filters import ReportFilter
from ..forms import PartnerFormSet, ReportForm, partner_rows
from ..models import DailyReport
from ..workcal import WorkCalendar, default_filing_day


def _require_reports(request):
    if not selectors.may_see_reports(request.membership):
        raise PermissionDenied


def _require_filer(request):
    if not selectors.can_file(request.membership):
        raise PermissionDenied


@tenant_view()
def report_list(request):
    _require_reports(request)
    membership = request.membership
    qs = selectors.report_reach(membership=membership).order_by("-business_day", "branch__sort_order", "branch__code")
    branches = selectors.visible_branches_for_reports(membership=membership)
    filterset = ReportFilter(request.GET or None, queryset=qs, tenant=request.tenant, branches=branches, request=request)
    page, query = paginate(request, filterset.qs)
    now = timezone.now()
    rows = [(r, selectors.filing_state(r, r.due_at, now)) for r in page]
    return render(request, "reports/report_list.html", {
        "filter": filterset, "page": page, "query": query,
        "rows": [(r, selectors.FilingState.LABELS[s], selectors.FilingState.TONES[s]) for r, s in rows],
        "can_file": selectors.can_file(membership),
    })


def _partner_initial(report):
    if report is None:
        return []
    return [{"id": p.pk, "kind": p.kind, "name": p.name, "city": p.city, "contact": p.contact}
            for p in report.partners.order_by("id")]


def _save(request, *, form, formset, report=None):
    if not (form.is_valid() and formset.is_valid()):
        return None
    data = form.cleaned_data
    branch = report.branch if report else data["branch"]
    day = report.business_day if report else data["business_day"]
    if report is None and DailyReport.objects.filter(tenant=request.tenant, branch=branch, business_day=day).exists():
        # Never overwrite (or drop the partners of) a report from the "new report" form.
        form.add_error("business_day", _("%(branch)s %(day)s 的日报已存在，请打开原日报修改。")
                       % {"branch": branch.name, "day": day.isoformat()})
        return None
    try:
        with guard_version(form, report) if report is not None else nullcontext():
            return services.report_save(
                tenant=request.tenant, branch=branch, business_day=day, actor=request.user,
                data={k: data[k] for k in ("narrative", "customer_visits", "contracts_signed", "problems", "next_plan")},
                partners=partner_rows(formset), submit=request.POST.get("action") == "submit", request=request,
            )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None


def _after_save(request, report):
    if report.is_submitted:
        if report.amended_at and report.amended_at >= timezone.now() - dt.timedelta(seconds=5):
            messages.warning(request, _("日报已在截止后修改，修改记录已保存为补充修订。"))
        elif report.is_late:
            messages.warning(request, _("日报已提交（迟报）。"))
        else:
            messages.success(request, _("日报已提交。"))
    else:
        messages.success(request, _("草稿已保存。"))
    return redirect("reports:detail", pk=report.pk)


@tenant_view()
@once_per_submit
def report_file(request):
    """A new report. If the branch already has one for that day, open it instead."""
    _require_filer(request)
    branches = selectors.filing_branches(membership=request.membership)
    calendar = WorkCalendar(request.tenant)
    initial = {"business_day": default_filing_day(calendar, timezone.now())}
    if request.method == "GET":
        branch = branches.filter(pk=request.GET.get("branch") or 0).first() if str(request.GET.get("branch", "")).isdigit() else None
        if branch is None and branches.count() == 1:
            branch = branches.first()
        try:
            day = parse_day(request.GET.get("day")) or initial["business_day"]
        except ValueError:
            day = initial["business_day"]
        initial["business_day"] = day
        if branch is not None:
            initial["branch"] = branch
            existing = DailyReport.objects.filter(tenant=request.tenant, branch=branch, business_day=day).first()
            if existing is not None and not request.GET.get("pick"):
                return redirect("reports:edit", pk=existing.pk)
    form = ReportForm(request.POST or None, tenant=request.tenant, branches=branches, initial=initial)
    formset = PartnerFormSet(request.POST or None, prefix="p")
    if request.method == "POST":
        report = _save(request, form=form, formset=formset)
        if report is not None:
            return _after_save(request, report)
    return render(request, "reports/report_form.html", {"form": form, "formset": formset, "report": None,
                                                         "due_at": None})


@tenant_view()
def report_edit(request, pk):
    _require_filer(request)
    branches = selectors.filing_branches(membership=request.membership)
    report = access_object(DailyReport.objects.filter(tenant=request.tenant, branch__in=branches).select_related("branch"), pk=pk)
    form = versioned(ReportForm(request.POST or None, instance=report, tenant=request.tenant, branches=branches),
                     report, extra=_partner_initial)
    formset = PartnerFormSet(request.POST or None, prefix="p", initial=_partner_initial(report))
    if request.method == "POST":
        saved = _save(request, form=form, formset=formset, report=report)
        if saved is not None:
            return _after_save(request, saved)
    return render(request, "reports/report_form.html", {
        "form": form, "formset": formset, "report": report,
        "after_deadline": report.is_submitted and timezone.now() >= report.due_at,
    })


@tenant_view()
def report_detail(request, pk):
    _require_reports(request)
    report = access_object(selectors.report_reach(membership=request.membership).prefetch_related("partners"), pk=pk)
    state = selectors.filing_state(report, report.due_at, timezone.now())
    can_edit = selectors.filing_branches(membership=request.membership).filter(pk=report.branch_id).exists()
    return render(request, "reports/report_detail.html", {
        "report": report, "state_label": selectors.FilingState.LABELS[state], "tone": selectors.FilingState.TONES[state],
        "late_by": selectors.format_delay(report.late_by), "amendments": _amendment_rows(report),
        "can_edit": can_edit,
    })


def _amendment_rows(report) -> list[dict]:
    labels = {f.name: f.verbose_name for f in DailyReport._meta.fields}
    labels["partners"] = _("新签经销商 / 修理厂")

    def show(value):
        if isinstance(value, list):
            return "；".join(f"{p.get('name', '')}（{p.get('city', '')}，{p.get('contact', '')}）" for p in value) or "—"
        return "—" if value in (None, "") else value

    return [
        {"at": a.changed_at, "by": a.changed_by, "changes": [
            (labels.get(k, k), show(a.before.get(k)), show(v)) for k, v in a.after.items()]}
        for a in report.amendments.select_related("changed_by")
    ]


def _board_context(request):
    now = timezone.now()
    calendar = WorkCalendar(request.tenant)
    day = calendar.current_business_day(now)
    if request.GET.get("day"):
        try:
            day = parse_day(request.GET["day"])
        except ValueError:
            messages.error(request, _("日期格式不正确或超出范围，已显示当前业务日。"))
    # Marketing sees every branch; a branch GM (REPORTS_BOARD_BRANCH) the branches assigned to them.
    membership = request.membership
    branches = None if membership.can(Cap.REPORTS_VIEW_ALL) else visible_branches(membership=membership)
    return {"board": selectors.board(tenant=request.tenant, business_day=day, now=now, branches=branches,
                                     calendar=calendar),
            "now": now, "is_working": calendar.is_working(day), "own_branches": branches is not None}


BOARD_CAPS = (Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH)


@tenant_view(*BOARD_CAPS, any_of=True)
def board(request):
    return render(request, "reports/board.html", _board_context(request))


@tenant_view(*BOARD_CAPS, any_of=True)
def board_rows(request):
    return render(request, "reports/_board_rows.html", _board_context(request))
