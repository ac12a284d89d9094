"""Hospitality pages. Thin: form/filter -> selector/service -> render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.forms import service_errors as _errors
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import exports, report, selectors, services
from .filters import ApplicationFilter, ClaimFilter
from .forms import (
    ApplicationForm,
    ClaimForm,
    CorrectLineForm,
    EmergencyForm,
    GuestFormSet,
    LineFormSet,
    PaymentForm,
    PolicyForm,
    VenueForm,
)
from .models import ApplicationStatus, ClaimAttachment, ClaimStatus, HospitalityApplication, HospitalityClaim

VIEW_CAPS = (Cap.HOSPITALITY_REQUEST, Cap.HOSPITALITY_VIEW_BRANCH, Cap.HOSPITALITY_VIEW_ALL)
XLSX_MAX_ROWS = 20000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stamp(request) -> str:
    return timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y%m%d-%H%M")


# --- policy and venues ----------------------------------------------------------------------


@tenant_view(Cap.HOSPITALITY_POLICY)
def policy_list(request):
    today = services.local_today(request.tenant)
    current = services.policy_in_force(tenant=request.tenant, day=today)
    return render(request, "expenses/hospitality/policy_list.html", {
        "policies": selectors.policies(tenant=request.tenant), "current": current,
        "venues": selectors.venues(tenant=request.tenant).order_by("-is_active", "city", "name"),
    })


@tenant_view(Cap.HOSPITALITY_POLICY)
@once_per_submit
def policy_create(request):
    today = services.local_today(request.tenant)
    current = services.policy_in_force(tenant=request.tenant, day=today)
    initial = {name: getattr(current, name) for name in services.POLICY_FIELDS if name != "note"}
    initial["effective_from"] = today + dt.timedelta(days=1)
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_create(tenant=request.tenant, actor=request.user, data=form.model_data(),
                                            request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已保存招待政策 v%(v)s，自 %(d)s 起生效。") % {
                "v": policy.version, "d": policy.effective_from.isoformat()})
            return redirect("hospitality:policies")
    return render(request, "expenses/hospitality/form.html", {
        "form": form, "title": _("新的招待政策版本"), "back": "hospitality:policies"})


@tenant_view(Cap.HOSPITALITY_POLICY)
@once_per_submit
def venue_edit(request, pk=None):
    venue = access_object(selectors.venues(tenant=request.tenant), pk=pk) if pk else None
    form = VenueForm(request.POST or None, instance=venue, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.venue_save(tenant=request.tenant, actor=request.user, data=form.model_data(), venue=venue,
                                request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("定点场所已保存。"))
            return redirect("hospitality:policies")
    return render(request, "expenses/hospitality/form.html", {
        "form": form, "title": _("修改定点场所") if venue else _("新增定点场所"), "back": "hospitality:policies"})


# --- applications ---------------------------------------------------------------------------


def _app_filter(request):
    base = selectors.application_list(membership=request.membership)
    return ApplicationFilter(request.GET or None, queryset=base, tenant=request.tenant,
                             membership=request.membership, base=base, request=request)


@tenant_view(*VIEW_CAPS, any_of=True)
def application_list(request):
    filterset = _app_filter(request)
    page, query = paginate(request, filterset.qs.order_by("-visit_date", "-id"))
    return render(request, "expenses/hospitality/application_list.html", {
        "filter": filterset, "page": page, "query": query,
        "open_emergencies": selectors.open_emergencies(membership=request.membership)[:5],
    })


def _guest_formset(request, app=None):
    from customers.selectors import customer_reach

    customers = customer_reach(membership=request.membership).order_by("name")
    initial = None
    if app is not None and request.method != "POST":
        initial = [{"name": g.name, "title": g.title, "company": g.company, "city": g.city,
                    "customer": g.customer_id} for g in app.guests.all()]
    return GuestFormSet(request.POST or None, prefix="g", initial=initial, customers=customers)


def _policy_hint(request, day=None):
    return services.policy_in_force(tenant=request.tenant, day=day or services.local_today(request.tenant))


@tenant_view(Cap.HOSPITALITY_REQUEST)
@once_per_submit
def application_create(request):
    form = ApplicationForm(request.POST or None, tenant=request.tenant, membership=request.membership)
    guests = _guest_formset(request)
    if request.method == "POST" and form.is_valid() and guests.is_valid():
        try:
            app = services.application_create(tenant=request.tenant, membership=request.membership,
                                               actor=request.user, data=form.model_data(), guests=guests.guests(),
                                               client_key=form.cleaned_data.get("client_key") or "", request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("招待申请已提交审批。"))
            return redirect("hospitality:application", pk=app.pk)
    return render(request, "expenses/hospitality/application_form.html", {
        "form": form, "guests": guests, "policy": _policy_hint(request)})


@tenant_view(Cap.HOSPITALITY_REQUEST)
@once_per_submit
def emergency_create(request):
    initial = {"visit_date": services.local_today(request.tenant)}
    form = EmergencyForm(request.POST or None, initial=initial, tenant=request.tenant, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            app = services.emergency_create(tenant=request.tenant, membership=request.membership,
                                             actor=request.user, data=form.model_data(),
                                             client_key=form.cleaned_data.get("client_key") or "", request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("紧急申请已发送，请在 %(d)s 前补全。") % {"d": app.completion_due.isoformat()})
            return redirect("hospitality:application", pk=app.pk)
    return render(request, "expenses/hospitality/emergency_form.html", {"form": form,
                                                                        "policy": _policy_hint(request)})


def _application(request, pk) -> HospitalityApplication:
    return access_object(selectors.application_detail(membership=request.membership), pk=pk)


def _arranger_may_open(request, pk) -> HospitalityApplication | None:
    """An arranger (行政部 / 销售部经理助理, S001-36) opens the approved applications sent to them."""
    app = HospitalityApplication.objects.filter(tenant=request.tenant, pk=pk, status=ApplicationStatus.APPROVED).select_related(
        "branch", "branch__region", "applicant", "venue", "policy", "tenant").first()
    if app is not None and request.user.pk in {u.pk for u in services.arrangers(request.tenant, app.branch)}:
        return app
    return None


@tenant_view()
def application_detail(request, pk):
    allowed = any(request.membership.can(cap) for cap in VIEW_CAPS)
    app = _application(request, pk) if allowed else None
    if app is None:
        app = _arranger_may_open(request, pk)
        if app is None:
            from django.http import Http404

            raise Http404
    flow = approval_selectors.flow_for(tenant=request.tenant, document=app)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=app)
    guests = list(app.guests.all())
    reachable = selectors.guest_links(membership=request.membership, guests=guests)
    claims = list(selectors.visible_claims(membership=request.membership).filter(application=app))
    mine = app.applicant_id == request.user.pk
    may_arrange = (app.status == ApplicationStatus.APPROVED and app.arranged_at is None
                   and request.user.pk in {u.pk for u in services.arrangers(request.tenant, app.branch)})
    return render(request, "expenses/hospitality/application_detail.html", {
        "a": app, "panel": panel, "guests": guests, "reachable": reachable, "claims": claims,
        "may_arrange": may_arrange,
        "can_edit": mine and app.is_editable and not (
            app.status == ApplicationStatus.EMERGENCY and services.local_today(request.tenant) > app.completion_due),
        "can_claim": mine and app.status in services.CLAIMABLE and not app.claims.exists(),
    })


@tenant_view(Cap.HOSPITALITY_REQUEST)
def application_edit(request, pk):
    app = _application(request, pk)
    if app.applicant_id != request.user.pk or not app.is_editable:
        raise PermissionDenied
    initial = {"branch": app.branch_id, "visit_date": app.visit_date, "venue": app.venue_id, "meals": app.meals,
               "lodging": app.lodging, "room_nights": app.room_nights, "expected_diners": app.expected_diners,
               "progress": app.progress or app.emergency_note, "companions": app.companions,
               "companion_count": app.companion_count}
    form = ApplicationForm(request.POST or None, initial=initial, tenant=request.tenant,
                           membership=request.membership)
    if app.is_emergency:
        form.fields["visit_date"].disabled = True
    guests = _guest_formset(request, app)
    if request.method == "POST" and form.is_valid() and guests.is_valid():
        try:
            services.application_update(application=app, membership=request.membership, actor=request.user,
                                        data=form.model_data(), guests=guests.guests(), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("申请已补全并提交审批。") if app.is_emergency else _("已重新提交审批。"))
            return redirect("hospitality:application", pk=app.pk)
    return render(request, "expenses/hospitality/application_form.html", {
        "form": form, "guests": guests, "a": app, "policy": app.policy})


# --- claims ---------------------------------------------------------------------------------


def _claim_filter(request):
    base = selectors.claim_list(membership=request.membership)
    return ClaimFilter(request.GET or None, queryset=base, tenant=request.tenant, membership=request.membership,
                       base=base, request=request)


@tenant_view(*VIEW_CAPS, any_of=True)
def claim_list(request):
    filterset = _claim_filter(request)
    page, query = paginate(request, filterset.qs.order_by("-meal_date", "-id"))
    return render(request, "expenses/hospitality/claim_list.html", {"filter": filterset, "page": page,
                                                                    "query": query})


def _claim(request, pk):
    return access_object(selectors.claim_detail(membership=request.membership), pk=pk)


def _line_initial(claim):
    return [{"kind": ln.kind, "description": ln.description, "quantity": ln.quantity, "amount": ln.amount}
            for ln in claim.lines.all()]


@tenant_view(Cap.HOSPITALITY_REQUEST)
@once_per_submit
def claim_create(request):
    applications = selectors.claimable_applications(membership=request.membership)
    initial = {}
    chosen = request.GET.get("application")
    if chosen and chosen.isdigit():
        app = applications.filter(pk=int(chosen)).first()
        if app is not None:
            initial = {"application": app.pk, "venue": app.venue_id, "diners": app.expected_diners}
    if request.method == "POST":
        done = services.replayed(HospitalityClaim, tenant=request.tenant, actor=request.user,
                                 client_key=request.POST.get("client_key", "")[:36])
        if done is not None:  # the same form sent twice: the claim it already created
            return redirect("hospitality:claim", pk=done.pk)
    form = ClaimForm(request.POST or None, request.FILES or None, initial=initial, tenant=request.tenant,
                     membership=request.membership, applications=applications)
    lines = LineFormSet(request.POST or None, prefix="l")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            claim = services.claim_create(
                tenant=request.tenant, membership=request.membership, actor=request.user,
                application=form.cleaned_data.get("application"), data=form.model_data(), lines=lines.lines(),
                files=form.cleaned_data.get("invoices"), submit="submit" in request.POST, client_key=form.key(),
                request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("报销已提交财务审核。") if "submit" in request.POST else _("草稿已保存。"))
            return redirect("hospitality:claim", pk=claim.pk)
    return render(request, "expenses/hospitality/claim_form.html", {"form": form, "lines": lines})


@tenant_view(Cap.HOSPITALITY_REQUEST)
def claim_edit(request, pk):
    claim = _claim(request, pk)
    if claim.applicant_id != request.user.pk or not claim.is_editable:
        raise PermissionDenied
    initial = {"venue": claim.venue_id, "venue_other": claim.venue_other, "diners": claim.diners,
               "diners_note": claim.diners_note, "branch": claim.branch_id, "meal_date": claim.meal_date}
    form = ClaimForm(request.POST or None, request.FILES or None, initial=initial, tenant=request.tenant,
                     membership=request.membership, applications=None, editing=True)
    lines = LineFormSet(request.POST or None, prefix="l", initial=None if request.method == "POST"
                        else _line_initial(claim))
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            services.claim_update(claim=claim, actor=request.user, data=form.model_data(), lines=lines.lines(),
                                  files=form.cleaned_data.get("invoices"), submit="submit" in request.POST,
                                  request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("报销已提交财务审核。") if "submit" in request.POST else _("已保存。"))
            return redirect("hospitality:claim", pk=claim.pk)
    return render(request, "expenses/hospitality/claim_form.html", {"form": form, "lines": lines, "c": claim})


def _claim_page(request, claim, *, correct_form=None, pay_form=None, status=200):
    flow = approval_selectors.flow_for(tenant=request.tenant, document=claim)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=claim)
    checking = (claim.status == ClaimStatus.SUBMITTED and request.membership.can(Cap.HOSPITALITY_CHECK)
                and claim.applicant_id != request.user.pk)
    if pay_form is None and claim.status == ClaimStatus.APPROVED and request.membership.can(Cap.HOSPITALITY_CHECK):
        pay_form = PaymentForm(initial={"paid_on": services.local_today(request.tenant)})
    return render(request, "expenses/hospitality/claim_detail.html", {
        "c": claim, "panel": panel, "checking": checking, "correct_form": correct_form, "pay_form": pay_form,
        "can_edit": claim.is_editable and claim.applicant_id == request.user.pk,
        "kinds": CorrectLineForm.base_fields["kind"].choices,
    }, status=status)


@tenant_view(*VIEW_CAPS, any_of=True)
def claim_detail(request, pk):
    return _claim_page(request, _claim(request, pk))


@tenant_view(Cap.HOSPITALITY_REQUEST)
@require_POST
def claim_submit(request, pk):
    claim = _claim(request, pk)
    try:
        services.claim_submit(claim=claim, actor=request.user, request=request)
        messages.success(request, _("报销已提交财务审核。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("hospitality:claim", pk=claim.pk)


@tenant_view(Cap.HOSPITALITY_CHECK)
@require_POST
def claim_correct(request, pk):
    claim = _claim(request, pk)
    form = CorrectLineForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.claim_correct_line(claim=claim, line_id=d["line"], actor=request.user,
                                        membership=request.membership, kind=d["kind"], quantity=d["quantity"],
                                        amount=d["amount"], reason=d["reason"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("明细已更正，分摊已重新计算。"))
            return redirect("hospitality:claim", pk=claim.pk)
    for message in [e for errs in form.errors.values() for e in errs]:
        messages.error(request, message)
    return _claim_page(request, _claim(request, pk), correct_form=form, status=400)


@tenant_view(Cap.HOSPITALITY_CHECK)
@require_POST
def claim_pay(request, pk):
    claim = _claim(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            services.claim_mark_paid(claim=claim, actor=request.user, paid_on=form.cleaned_data["paid_on"],
                                     reference=form.cleaned_data["reference"], request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("已登记支付。"))
            return redirect("hospitality:claim", pk=claim.pk)
    return _claim_page(request, claim, pay_form=form, status=400)


@tenant_view(*VIEW_CAPS, any_of=True)
def claim_pdf(request, pk):
    claim = _claim(request, pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=claim)
    steps = []
    if flow is not None:
        rounds = approval_selectors.flow_history(flow)
        steps = rounds[-1][1] if rounds else []
    data = exports.claim_pdf(claim, steps=steps, tz=request.tenant.zone)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{claim.number}.pdf"'
    return response


def _invoice(request, pk) -> ClaimAttachment:
    visible = selectors.visible_claims(membership=request.membership).values("pk")
    return access_object(ClaimAttachment.objects.filter(tenant=request.tenant, claim__in=visible), pk=pk)


@tenant_view(*VIEW_CAPS, any_of=True)
def invoice_download(request, pk):
    att = _invoice(request, pk)
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.original_name)


@tenant_view(Cap.HOSPITALITY_REQUEST)
@require_POST
def invoice_delete(request, pk):
    att = _invoice(request, pk)
    try:
        services.claim_remove_attachment(attachment=att, actor=request.user, request=request)
        messages.success(request, _("发票已删除。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("hospitality:claim", pk=att.claim_id)


# --- export and report ----------------------------------------------------------------------


@tenant_view(*VIEW_CAPS, any_of=True)
def export_xlsx(request):
    claims = _claim_filter(request).qs.order_by("-meal_date", "-id")[:XLSX_MAX_ROWS]
    apps = _app_filter(request).qs.order_by("-visit_date", "-id")[:XLSX_MAX_ROWS]
    data = exports.hospitality_xlsx(claims=claims, applications=apps)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="hospitality-{_stamp(request)}.xlsx"'
    return response


def _month(request) -> dt.date:
    raw = request.GET.get("month") or ""
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date().replace(day=1)
    except ValueError:
        return services.local_today(request.tenant).replace(day=1)


@tenant_view(Cap.HOSPITALITY_VIEW_BRANCH, Cap.HOSPITALITY_VIEW_ALL, any_of=True)
def monthly_report(request):
    month = _month(request)
    data = report.monthly_report(membership=request.membership, month=month)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(exports.report_xlsx(data), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="hospitality-report-{month:%Y-%m}.xlsx"'
        return response
    return render(request, "expenses/hospitality/report.html", {"data": data, "month": month})


@require_POST
@tenant_view()
def application_arranged(request, pk):
    app = _arranger_may_open(request, pk)
    if app is None:
        from django.http import Http404

        raise Http404
    try:
        services.application_mark_arranged(app=app, actor=request.user, note=request.POST.get("note", ""),
                                           request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已登记招待安排，并通知申请人。"))
    return redirect("hospitality:application", pk=app.pk)
