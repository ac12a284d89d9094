"""The checklist pages (thin: detection in steps.py, writes in services.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import services
from .forms import OpeningUploadForm, SkipForm
from .models import OpeningImport, OpeningKind, OpeningStatus
from .steps import chain_types, year_days
from .steps import checklist as build_checklist

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_CAPS = {OpeningKind.CONTRACTS: (Cap.TENANT_MANAGE, Cap.CONTRACTS_MANAGE),
             OpeningKind.PRICE_LIST: (Cap.TENANT_MANAGE, Cap.PRICELIST_EDIT)}
PAGES = {OpeningKind.CONTRACTS: "onboarding:opening_contracts", OpeningKind.PRICE_LIST: "onboarding:opening_pricelist"}


def _errors(request, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


@tenant_view(Cap.TENANT_MANAGE)
def checklist(request):
    states = build_checklist(request.tenant)
    required = [s for s in states if s.step.required]
    return render(request, "onboarding/checklist.html", {
        "states": states, "done": sum(1 for s in required if s.settled), "required": len(required),
        "next": next((s for s in states if s.step.required and not s.settled), None),
        "skip_form": SkipForm(),
    })


@tenant_view(Cap.TENANT_MANAGE)
@require_POST
def skip(request):
    form = SkipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写跳过的原因。"))
        return redirect("onboarding:checklist")
    try:
        services.step_skip(tenant=request.tenant, actor=request.user, step=form.cleaned_data["step"],
                           reason=form.cleaned_data["reason"], request=request)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("onboarding:checklist")


@tenant_view(Cap.TENANT_MANAGE)
@require_POST
def unskip(request):
    services.step_unskip(tenant=request.tenant, actor=request.user, step=request.POST.get("step", ""),
                         request=request)
    return redirect("onboarding:checklist")


@tenant_view(Cap.TENANT_MANAGE)
@require_POST
@once_per_submit
def confirm(request):
    step = request.POST.get("step", "")
    try:
        services.step_confirm(tenant=request.tenant, actor=request.user, step=step,
                              item=request.POST.get("item", ""), request=request)
        messages.success(request, _("已确认。"))
    except ValidationError as exc:
        _errors(request, exc)
    back = {"calendar": "onboarding:calendar", "approvals": "onboarding:approvals"}.get(step, "onboarding:checklist")
    return redirect(back)


@tenant_view(Cap.TENANT_MANAGE)
@require_POST
def test_send(request):
    try:
        rows = services.test_summary_send(tenant=request.tenant, actor=request.user, request=request)
        messages.success(request, _("测试汇总已放入发件箱，只发给您本人（%(n)s 条）。") % {"n": len(rows)})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("onboarding:checklist")


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def org_import(request):
    """地区与分公司 from an xlsx (组织架构.xlsx), then the organisation page to adjust."""
    from .forms import OrgUploadForm

    form = OrgUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.org_import(tenant=request.tenant, actor=request.user,
                                          content=form.cleaned_data["file"].read(), request=request)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if not outcome["errors"]:
                messages.success(request, _("已建立 %(r)s 个地区、%(b)s 个分公司。") % {
                    "r": outcome["regions"], "b": outcome["branches"]})
                return redirect("onboarding:checklist")
            for e in outcome["errors"][:50]:
                prefix = _("第 %(n)s 行：") % {"n": e["row"]} if e.get("row") else ""
                form.add_error(None, prefix + "；".join(e["messages"]))
    return render(request, "onboarding/org_import.html", {"form": form})


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def people(request):
    """Accounts from the roster: the plan with its totals per branch and role, then one click."""
    if request.method == "POST":
        made = services.accounts_from_roster(tenant=request.tenant, actor=request.user, request=request)
        messages.success(request, _("已建立 %(n)s 个账号。请为需要登录的人设置密码或开通企业登录，并填写邮箱。")
                         % {"n": made})
        return redirect("onboarding:people")
    context = {"plan": services.roster_plan(tenant=request.tenant), "can_invite": False}
    if services.invitations_available() and request.membership.can(Cap.PEOPLE_MANAGE):
        from marketing.paging import paginate

        page, query = paginate(request, services.accounts_to_invite(tenant=request.tenant))
        states = services.invitation_states(tenant=request.tenant, users=[m.user for m in page])
        context.update(can_invite=True, page=page, query=query,
                       invites=[{"m": m, "state": states.get(m.user_id, "")} for m in page])
    return render(request, "onboarding/people.html", context)


@tenant_view(Cap.PEOPLE_MANAGE)
@require_POST
@once_per_submit
def people_invite(request, pk):
    """A one-time set-password link for an account made from the roster (the people app's
    invitation: shown here once and sent to the person through notify()), back to this page."""
    if not services.invitations_available():
        raise Http404
    from marketing.models import Membership
    from marketing.people.services import invitation_create

    m = access_object(Membership.objects.filter(tenant=request.tenant, is_active=True).select_related("user"), pk=pk)
    _inv, path = invitation_create(tenant=request.tenant, actor=request.user, user=m.user, request=request)
    messages.info(request, _("%(name)s 的设置密码链接（仅显示一次，已同时发给本人）：%(url)s") % {
        "name": m.user.display_name, "url": request.build_absolute_uri(path)})
    return redirect("onboarding:people")


@tenant_view(Cap.TENANT_MANAGE)
def calendar(request):
    from reports.models import WorkdayOverride
    from reports.workcal import year_covered

    from .models import MarkKind, SetupMark

    today = timezone.localdate(timezone=request.tenant.zone)
    confirmed = set(SetupMark.objects.filter(tenant=request.tenant, step="calendar", kind=MarkKind.CONFIRMED)
                    .values_list("item", flat=True))
    years = []
    for year in (today.year, today.year + 1):
        years.append({"year": year, "covered": year_covered(year), "confirmed": str(year) in confirmed,
                      "overrides": list(WorkdayOverride.objects.filter(tenant=request.tenant, day__year=year)
                                        .order_by("day")),
                      **year_days(year)})
    return render(request, "onboarding/calendar.html", {"years": years})


@tenant_view(Cap.TENANT_MANAGE)
def approvals(request):
    from marketing.approvals.models import ApprovalChain
    from marketing.approvals.selectors import chain_for

    from .models import MarkKind, SetupMark

    edited = set(ApprovalChain.objects.filter(tenant=request.tenant).values_list("document_type", flat=True))
    confirmed = set(SetupMark.objects.filter(tenant=request.tenant, step="approvals", kind=MarkKind.CONFIRMED)
                    .values_list("item", flat=True))
    rows = [{"key": t.key, "label": t.label, "steps": [s.name for s in chain_for(tenant=request.tenant, key=t.key)],
             "edited": t.key in edited, "confirmed": t.key in confirmed} for t in chain_types()]
    return render(request, "onboarding/approvals.html", {"rows": rows})


def _can(request, kind) -> bool:
    return any(request.membership.can(c) for c in KIND_CAPS[kind])


def _opening_page(request, kind, template, date_label=None, date_help=None):
    if not _can(request, kind):
        raise PermissionDenied
    form = OpeningUploadForm(request.POST or None, request.FILES or None, tenant=request.tenant,
                             date_label=date_label, date_help=date_help)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.opening_upload(tenant=request.tenant, kind=kind, filename=upload.name,
                                          content=upload.read(), as_of=form.cleaned_data["as_of"],
                                          actor=request.user, request=request)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("onboarding:opening_detail", pk=job.pk)
    jobs = OpeningImport.objects.filter(tenant=request.tenant, kind=kind).select_related("created_by") \
        .defer("content")[:20]
    return render(request, template, {"form": form, "jobs": jobs, "kind": kind})


@tenant_view(Cap.TENANT_MANAGE, Cap.CONTRACTS_MANAGE, any_of=True)
@once_per_submit
def opening_contracts(request):
    return _opening_page(request, OpeningKind.CONTRACTS, "onboarding/opening_contracts.html")


@tenant_view(Cap.TENANT_MANAGE, Cap.PRICELIST_EDIT, any_of=True)
@once_per_submit
def opening_pricelist(request):
    return _opening_page(request, OpeningKind.PRICE_LIST, "onboarding/opening_pricelist.html",
                         date_label=_("生效日期"), date_help=_("这份报价表开始执行的日期（今天或更早）"))


@tenant_view(Cap.TENANT_MANAGE, Cap.CONTRACTS_MANAGE, Cap.PRICELIST_EDIT, any_of=True)
def opening_template(request, kind):
    from contracts import opening

    if kind == OpeningKind.CONTRACTS:
        data, name = opening.template_xlsx(), "contract-opening-template.xlsx"
    elif kind == OpeningKind.PRICE_LIST:
        data, name = opening.pricelist_template_xlsx(), "price-list-opening-template.xlsx"
    else:
        raise Http404
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _job(request, pk) -> OpeningImport:
    job = access_object(OpeningImport.objects.filter(tenant=request.tenant).select_related("created_by")
                        .defer("content"), pk=pk)
    if not _can(request, job.kind):
        raise PermissionDenied
    return job


def _detail(request, job) -> dict:
    from contracts.opening import LABELS

    services.live_progress(job)
    columns = [k for k in (job.preview[0] if job.preview else {}) if k != "row"]
    labels = {**LABELS, "vehicle_class": "车辆级别", "term_months": "期限（月）", "price": "价格"}
    lines = []
    for e in job.errors:
        prefix = _("第 %(n)s 行：") % {"n": e["row"]} if e.get("row") else ""
        lines.append(prefix + "；".join(e["messages"]))
    return {
        "job": job, "errors": lines, "more_errors": max(0, job.error_rows - len(lines)),
        "columns": [labels.get(c, c) for c in columns], "rows": [[r.get(c, "") for c in columns] for r in job.preview],
        "t": job.totals, "back": PAGES[job.kind], "is_ready": job.status == OpeningStatus.READY,
    }


@tenant_view(Cap.TENANT_MANAGE, Cap.CONTRACTS_MANAGE, Cap.PRICELIST_EDIT, any_of=True)
def opening_detail(request, pk):
    return render(request, "onboarding/opening_detail.html", _detail(request, _job(request, pk)))


@tenant_view(Cap.TENANT_MANAGE, Cap.CONTRACTS_MANAGE, Cap.PRICELIST_EDIT, any_of=True)
def opening_progress(request, pk):
    """Polled by htmx every 2 s while the job runs; answers 286 (htmx: stop polling) once it
    is no longer running (the same fragment the detail page includes)."""
    job = _job(request, pk)
    response = render(request, "onboarding/_opening_status.html", _detail(request, job))
    if not job.is_running:
        response.status_code = 286
    return response


@tenant_view(Cap.TENANT_MANAGE, Cap.CONTRACTS_MANAGE, Cap.PRICELIST_EDIT, any_of=True)
@require_POST
@once_per_submit
def opening_confirm_view(request, pk):
    """Claims the job (READY -> APPLYING) and queues the apply task; the page shows progress."""
    job = _job(request, pk)
    try:
        services.opening_confirm(job=job, actor=request.user, request=request)
        messages.success(request, _("已开始导入，完成前可以离开本页。"))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("onboarding:opening_detail", pk=job.pk)
