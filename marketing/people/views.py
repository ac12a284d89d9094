"""People pages (/m/people/): departures and their handover, the roster reconciliation, the
role mapping, transfers, invitations. Thin: form -> service -> redirect."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.approvals.models import ApprovalTask, TaskStatus
from marketing.models import Membership, User
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.selectors import visible_branches
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object, tenant_scope

from . import exports, handover, jobs, selectors, services
from .filters import DepartureFilter, TransferFilter
from .forms import (
    DepartureForm,
    InvitationAcceptForm,
    MappingForm,
    PolicyForm,
    ResolveForm,
    TransferForm,
    WaiveForm,
)
from .models import Departure, DepartureStatus, HandoverJob, PositionRoleMap

MANAGE = (Cap.PEOPLE_MANAGE, Cap.PEOPLE_HANDOVER)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _people_in_reach(request):
    """Active people the member may file a departure / transfer for (a GM: their branches)."""
    m = request.membership
    qs = User.objects.filter(membership__tenant=request.tenant, membership__is_active=True, is_active=True)
    if m.can(Cap.PEOPLE_MANAGE) or (m.can(Cap.PEOPLE_HANDOVER) and m.can(Cap.BRANCHES_ALL)):
        return qs.order_by("full_name", "username")
    if m.can(Cap.PEOPLE_HANDOVER):
        from marketing.models import BranchUserObjectPermission

        granted = BranchUserObjectPermission.objects.filter(
            content_object__in=visible_branches(membership=m)).values("user_id")
        return qs.filter(Q(pk__in=granted) | Q(pk=request.user.pk)).order_by("full_name", "username")
    return qs.filter(pk=request.user.pk)


@tenant_view()
def departure_list(request):
    filterset = DepartureFilter(request.GET or None, queryset=selectors.departures_for(membership=request.membership),
                                tenant=request.tenant, membership=request.membership, request=request)
    page, query = paginate(request, filterset.qs.order_by("-last_day", "-id"))
    return render(request, "people/departures.html", {"filter": filterset, "page": page, "query": query})


@tenant_view()
@once_per_submit
def departure_new(request):
    people = _people_in_reach(request)
    colleagues = selectors.colleagues(tenant=request.tenant)
    form = DepartureForm(request.POST or None, people=people, colleagues=colleagues,
                         initial={"last_day": timezone.localdate() + dt.timedelta(
                             days=services.policy_for(request.tenant).notice_days)})
    if request.method == "POST" and form.is_valid():
        try:
            d = services.departure_file(tenant=request.tenant, actor=request.user, user=form.cleaned_data["user"],
                                        last_day=form.cleaned_data["last_day"], reason=form.cleaned_data["reason"],
                                        successor=form.cleaned_data["successor"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("离职申请已提交，请办理交接清单。"))
            return redirect("people:departure", pk=d.pk)
    return render(request, "people/departure_new.html", {"form": form,
                                                         "notice_days": services.policy_for(request.tenant).notice_days})


def _departure(request, pk) -> Departure:
    return access_object(selectors.departures_for(membership=request.membership), pk=pk)


def _signatures(flow, tz):
    if flow is None:
        return []
    rows = []
    tasks = (ApprovalTask.objects.filter(flow=flow, status=TaskStatus.APPROVED)
             .select_related("step", "assignee", "acted_by").order_by("decided_at", "id"))
    for t in tasks:
        rows.append({"step": t.step.name, "who": (t.acted_by or t.assignee).display_name,
                     "when": timezone.localtime(t.decided_at, tz).strftime("%Y-%m-%d %H:%M") if t.decided_at else "",
                     "comment": t.comment})
    return rows


@tenant_view()
def departure_detail(request, pk):
    d = _departure(request, pk)
    m = request.membership
    lines = handover.checklist(d)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=d)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=d)
    handles = request.user.pk != d.user_id and services.in_reach(membership=m, user=d.user)
    colleagues = selectors.colleagues(tenant=request.tenant, exclude_user=d.user)
    waivable = [line for line in lines if line.is_open and services.may_waive(membership=m, departure=d,
                                                                                line_key=line.provider.key)]
    return render(request, "people/departure_detail.html", {
        "d": d, "lines": lines, "panel": panel, "handles": handles and d.status == DepartureStatus.OPEN,
        "open_count": sum(1 for line in lines if line.is_open),
        "resolve_form": ResolveForm(colleagues=colleagues, initial={"to_user": d.successor_id}),
        "waive_form": WaiveForm(initial={"line": waivable[0].provider.key}) if waivable else None,
        "may_short": d.short_notice and not d.short_notice_approved_at and services.may_approve_short_notice(
            departure=d, user=request.user),
        "may_sign": d.status == DepartureStatus.OPEN and (handles or request.user.pk == d.user_id),
        "may_cancel": d.status == DepartureStatus.OPEN and (handles or request.user.pk == d.user_id),
        "may_rehire": d.status == DepartureStatus.DEPARTED and not d.rehired_at and m.can(Cap.PEOPLE_MANAGE),
        "records": d.records.select_related("to_user", "actor"),
        "jobs": d.jobs.select_related("to_user")[:5],
        "stranded": handover.stranded_steps(tenant=request.tenant, user=d.user) if d.is_open else d.result.get(
            "stranded", []),
    })


@tenant_view()
@require_POST
def departure_act(request, pk):
    d = _departure(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == "waive":
            form = WaiveForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请选择交接项并填写豁免原因。"), code="invalid")
            services.line_waive(departure=d, actor=request.user, line=form.cleaned_data["line"],
                                reason=form.cleaned_data["reason"], request=request)
            messages.success(request, _("已豁免。"))
        elif action == "resolve":
            form = ResolveForm(request.POST, colleagues=selectors.colleagues(tenant=request.tenant, exclude_user=d.user))
            if not form.is_valid():
                raise ValidationError(_("请选择交接项和接手同事。"), code="invalid")
            if form.cleaned_data["line"] == "customers" and jobs.needs_job(d):
                job = jobs.handover_job_start(departure=d, actor=request.user, to_user=form.cleaned_data["to_user"],
                                              request=request)
                messages.info(request, _("客户较多，已转入后台交接，本页显示进度。"))
                return redirect("people:job", pk=job.pk)
            n = services.line_resolve(departure=d, actor=request.user, line=form.cleaned_data["line"],
                                      to_user=form.cleaned_data["to_user"], reason=form.cleaned_data["reason"],
                                      request=request)
            messages.success(request, _("已办理 %(n)d 项。") % {"n": n})
        elif action == "short_notice":
            services.departure_approve_short_notice(departure=d, actor=request.user, request=request)
            messages.success(request, _("已同意提前期不足的离职。"))
        elif action == "sign":
            services.departure_sign_start(departure=d, actor=request.user, request=request)
            messages.success(request, _("交接已提交签字。"))
        elif action == "cancel":
            services.departure_cancel(departure=d, actor=request.user, request=request)
            messages.success(request, _("离职申请已撤销。"))
        elif action == "rehire":
            if not request.membership.can(Cap.PEOPLE_MANAGE):
                raise Http404
            _m, path = services.person_rehire(departure=d, actor=request.user, request=request)
            messages.success(request, _("账号已重新启用；原有客户、授权、岗位均未恢复。设置密码链接：%(url)s") % {
                "url": request.build_absolute_uri(path)})
        else:
            raise ValidationError(_("未知操作。"), code="bad_action")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("people:departure", pk=d.pk)


def _job(request, pk) -> HandoverJob:
    """Reach follows the departure: another tenant's job, or one of a departure out of reach, is a 404."""
    departures = selectors.departures_for(membership=request.membership).values("pk")
    return access_object(HandoverJob.objects.filter(tenant=request.tenant, departure__in=departures)
                         .select_related("departure__user", "to_user", "created_by"), pk=pk)


@tenant_view()
def job_detail(request, pk):
    return render(request, "people/job_detail.html", {"job": _job(request, pk)})


@tenant_view()
def job_progress(request, pk):
    """Polled by htmx while the job runs; answers 286 (htmx: stop polling) once it is over."""
    job = _job(request, pk)
    response = render(request, "people/_job_status.html", {"job": job})
    if not job.is_running:
        response.status_code = 286
    return response


@tenant_view()
def departure_certificate(request, pk):
    d = _departure(request, pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=d)
    data = exports.certificate_pdf(departure=d, lines=handover.checklist(d),
                                   records=list(d.records.select_related("to_user", "actor")),
                                   signatures=_signatures(flow, request.tenant.zone), tz=request.tenant.zone)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="handover-{d.pk}.pdf"'
    return response


# --- reconciliation ----------------------------------------------------------------------


@tenant_view(Cap.PEOPLE_MANAGE)
@once_per_submit
def reconcile(request):
    proposals = selectors.reconciliation(tenant=request.tenant)
    if request.method == "POST":
        chosen = set(request.POST.getlist("keys"))
        if request.POST.get("row"):
            chosen = {request.POST["row"]}
        done, links = 0, []
        for p in proposals:
            if p.key not in chosen:
                continue
            try:
                links.extend(_confirm(request, p))
                done += 1
            except ValidationError as exc:
                messages.error(request, f"{p.name}：" + "；".join(exc.messages))
        if done:
            messages.success(request, _("已确认 %(n)d 项。") % {"n": done})
        for name, url in links:
            messages.info(request, _("%(name)s 的设置密码链接（仅显示一次）：%(url)s") % {"name": name, "url": url})
        return redirect("people:reconcile")
    return render(request, "people/reconcile.html", {
        "proposals": proposals, "has_mapping": PositionRoleMap.objects.filter(tenant=request.tenant).exists()})


def _confirm(request, p) -> list:
    tenant = request.tenant
    if p.kind == selectors.NEW:
        user, path = services.reconcile_create_account(
            tenant=tenant, actor=request.user, proposal=p, username=request.POST.get(f"username-{p.key}", ""),
            email=request.POST.get(f"email-{p.key}", ""), request=request)
        return [(user.display_name, request.build_absolute_uri(path))]
    user = User.objects.get(pk=p.user_id, membership__tenant=tenant)
    if p.kind in (selectors.LEAVING, selectors.GONE):
        services.departure_file(tenant=tenant, actor=request.user, user=user,
                                last_day=p.leave_date or timezone.localdate(),
                                reason=_("花名册：%(k)s") % {"k": _("已填离职日期") if p.leave_date else _("已不在花名册中")},
                                request=request)
    elif p.kind == selectors.MOVED:
        from marketing.models import Branch

        services.transfer_create(tenant=tenant, actor=request.user, user=user,
                                 to_branch=Branch.objects.get(tenant=tenant, pk=p.branch_id), to_roles=p.roles,
                                 effective_on=timezone.localdate(), note=_("花名册分公司变更"), request=request)
    return []


@tenant_view(Cap.PEOPLE_MANAGE)
def mappings(request):
    form = MappingForm(request.POST or None)
    policy_form = PolicyForm(instance=services.policy_for(request.tenant), prefix="policy")
    if request.method == "POST":
        if "policy-notice_days" in request.POST:
            policy_form = PolicyForm(request.POST, instance=services.policy_for(request.tenant), prefix="policy")
            form = MappingForm()
            if policy_form.is_valid():
                services.policy_save(tenant=request.tenant, actor=request.user, request=request,
                                     notice_days=policy_form.cleaned_data["notice_days"],
                                     invitation_hours=policy_form.cleaned_data["invitation_hours"])
                messages.success(request, _("已保存。"))
                return redirect("people:mappings")
        elif form.is_valid():
            try:
                services.mapping_save(tenant=request.tenant, actor=request.user, request=request, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("people:mappings")
    from reports.models import RosterEntry

    rows = PositionRoleMap.objects.filter(tenant=request.tenant)
    known = set(rows.values_list("position", flat=True))
    unmapped = sorted(set(RosterEntry.objects.filter(tenant=request.tenant).values_list("position", flat=True)) - known)
    return render(request, "people/mappings.html", {"form": form, "policy_form": policy_form, "rows": rows,
                                                    "unmapped": unmapped})


@tenant_view(Cap.PEOPLE_MANAGE)
@require_POST
def mapping_delete(request, pk):
    row = access_object(PositionRoleMap.objects.filter(tenant=request.tenant), pk=pk)
    services.mapping_delete(row=row, actor=request.user, request=request)
    messages.success(request, _("已删除。"))
    return redirect("people:mappings")


# --- transfers ---------------------------------------------------------------------------


@tenant_view(*MANAGE, any_of=True)
def transfer_list(request):
    filterset = TransferFilter(request.GET or None, queryset=selectors.transfers_for(membership=request.membership),
                               tenant=request.tenant, membership=request.membership, request=request)
    page, query = paginate(request, filterset.qs.order_by("-effective_on", "-id"))
    return render(request, "people/transfers.html", {"filter": filterset, "page": page, "query": query})


@tenant_view(*MANAGE, any_of=True)
@once_per_submit
def transfer_new(request):
    form = TransferForm(request.POST or None, people=_people_in_reach(request).exclude(pk=request.user.pk),
                        branches=visible_branches(membership=request.membership),
                        colleagues=selectors.colleagues(tenant=request.tenant))
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = services.transfer_preview(tenant=request.tenant, user=data["user"], to_branch=data["to_branch"],
                                                to_roles=data["to_roles"], customers_follow=data["customers_follow"])
        else:
            try:
                t = services.transfer_create(tenant=request.tenant, actor=request.user, request=request, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("调岗已登记（%(s)s）。") % {"s": t.get_status_display()})
                return redirect("people:transfers")
    return render(request, "people/transfer_new.html", {"form": form, "preview": preview})


@tenant_view(*MANAGE, any_of=True)
@require_POST
def transfer_cancel(request, pk):
    t = access_object(selectors.transfers_for(membership=request.membership), pk=pk)
    try:
        services.transfer_cancel(transfer=t, actor=request.user, request=request)
        messages.success(request, _("已取消。"))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("people:transfers")


# --- invitations -------------------------------------------------------------------------


@tenant_view(Cap.PEOPLE_MANAGE)
@require_POST
@once_per_submit
def invitation_resend(request, pk):
    m = access_object(Membership.objects.filter(tenant=request.tenant, is_active=True).select_related("user"), pk=pk)
    _inv, path = services.invitation_create(tenant=request.tenant, actor=request.user, user=m.user, request=request)
    messages.info(request, _("%(name)s 的设置密码链接（仅显示一次）：%(url)s") % {
        "name": m.user.display_name, "url": request.build_absolute_uri(path)})
    return redirect("marketing:user_detail", pk=m.pk)


def invitation_accept(request, token):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "people/invite_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with tenant_scope(invitation.tenant):
            try:
                services.invitation_accept(invitation=invitation, password=form.cleaned_data["password1"],
                                           request=request)
            except ValidationError as exc:
                form.add_error("password1", exc)
            else:
                messages.success(request, _("密码已设置，请登录。"))
                return redirect("login")
    return render(request, "people/invite.html", {"form": form, "invitation": invitation})
