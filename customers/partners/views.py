"""Thin views: guard -> reach-checked lookup (404 otherwise) -> form -> one service -> redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from marketing.concurrency import guard_version, versioned
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import exports, selectors, services
from .filters import PartnerFilter, RegisterFilter
from .forms import (
    AgreementForm,
    ArchiveForm,
    FilingForm,
    PartnerForm,
    ReceiveForm,
    ScanForm,
    SendForm,
    SettingsForm,
    TerminateForm,
    TypeForm,
    put_errors,
    put_filing_errors,
)
from .models import Agreement, AgreementStage, PartnerType

READERS = (Cap.PARTNERS_VIEW_ALL, Cap.PARTNERS_VIEW_BRANCH, Cap.PARTNERS_VIEW_OWN, Cap.PARTNERS_REGION,
           Cap.PARTNERS_FILE, Cap.PARTNERS_MANAGE)
WRITERS = (Cap.PARTNERS_FILE, Cap.PARTNERS_MANAGE)
EXPORT_LIMIT = 20000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _partner(request, pk):
    return access_object(selectors.partners_visible(membership=request.membership)
                         .select_related("type", "branch", "region", "salesperson"), pk=pk)


def _agreement(request, pk):
    return access_object(selectors.agreements_visible(membership=request.membership)
                         .select_related("partner", "branch"), pk=pk)


def _may_write(request, branch_id: int) -> bool:
    m = request.membership
    if m.can(Cap.PARTNERS_MANAGE):
        return True
    return m.can(Cap.PARTNERS_FILE) and selectors.filing_branches(membership=m).filter(pk=branch_id).exists()


def _require_write(request, branch_id: int) -> None:
    if not _may_write(request, branch_id):
        raise PermissionDenied


def _stamp(request) -> str:
    now = timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y-%m-%d %H:%M")
    return _("%(user)s 导出于 %(time)s") % {"user": request.user.display_name, "time": now}


def _partner_rows(request):
    # Correlated subqueries, not a GROUP BY over the join: PostgreSQL walks the (tenant, name)
    # index, stops at the page's rows and counts agreements for those only (docs/performance.md).
    agreements = Agreement.objects.filter(partner=OuterRef("pk")).order_by().values("partner")
    return (selectors.partners_visible(membership=request.membership)
            .select_related("type", "branch", "region", "salesperson")
            .annotate(agreement_count=Coalesce(Subquery(
                          agreements.exclude(stage=AgreementStage.CANCELLED).annotate(n=Count("pk")).values("n")), 0),
                      latest_end=Subquery(
                          agreements.filter(stage=AgreementStage.SIGNED).annotate(m=Max("ends_on")).values("m")))
            .order_by("name", "id"))


def _register_rows(request):
    return selectors.register_rows(selectors.agreements_visible(membership=request.membership)
                                   .exclude(stage=AgreementStage.CANCELLED)).order_by("-signed_on", "-id")


# --- lists -----------------------------------------------------------------------------------


@tenant_view(*READERS, any_of=True)
def partner_list(request):
    services.ensure_default_types(request.tenant)
    filterset = PartnerFilter(request.GET or None, queryset=_partner_rows(request), membership=request.membership)
    page, query = paginate(request, filterset.qs)
    return render(request, "partners/partner_list.html", {
        "filter": filterset, "page": page, "query": query,
        "can_file": request.membership.can(Cap.PARTNERS_FILE) or request.membership.can(Cap.PARTNERS_MANAGE),
        "can_manage": request.membership.can(Cap.PARTNERS_MANAGE),
    })


@tenant_view(*READERS, any_of=True)
def register_list(request):
    filterset = RegisterFilter(request.GET or None, queryset=_register_rows(request), membership=request.membership)
    page, query = paginate(request, filterset.qs)
    return render(request, "partners/register_list.html", {"filter": filterset, "page": page, "query": query})


def _export(request, filterset, list_name, render_fn, filename):
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("筛选条件无效，未导出。"))
        return redirect(list_name)
    rows = list(filterset.qs[: EXPORT_LIMIT + 1])
    if len(rows) > EXPORT_LIMIT:
        messages.error(request, _("一次最多导出 %(n)s 行，请先缩小筛选范围。") % {"n": EXPORT_LIMIT})
        return redirect(f"{reverse(list_name)}?{request.GET.urlencode()}")
    response = HttpResponse(render_fn(rows, _stamp(request)), content_type=XLSX)
    day = timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{day}.xlsx"'
    return response


@never_cache
@tenant_view(*READERS, any_of=True)
def partner_export(request):
    filterset = PartnerFilter(request.GET or None, queryset=_partner_rows(request), membership=request.membership)
    return _export(request, filterset, "partners:list",
                   lambda rows, stamp: exports.partners_xlsx(partners=rows, stamp=stamp), "partners")


@never_cache
@tenant_view(*READERS, any_of=True)
def register_export(request):
    filterset = RegisterFilter(request.GET or None, queryset=_register_rows(request), membership=request.membership)
    return _export(request, filterset, "partners:register",
                   lambda rows, stamp: exports.register_xlsx(agreements=rows, stamp=stamp), "agreements-register")


# --- one partner -----------------------------------------------------------------------------


@tenant_view(*READERS, any_of=True)
def partner_detail(request, pk):
    partner = _partner(request, pk)
    agreements = list(selectors.partner_detail_agreements(partner))
    from .review import panel_for, review_state

    for a in agreements:  # drafts only: a handful per partner
        if a.stage == AgreementStage.DRAFT:
            a.review = review_state(a)
            a.panel = panel_for(agreement=a, user=request.user)
    writable = _may_write(request, partner.branch_id)
    manage = request.membership.can(Cap.PARTNERS_MANAGE)
    return render(request, "partners/partner_detail.html", {
        "p": partner, "agreements": agreements,
        "events": partner.events.select_related("agreement", "actor"),
        "can_write": writable, "can_manage": manage,
        "receive_form": ReceiveForm(),
    })


def _partner_branches(request):
    return selectors.filing_branches(membership=request.membership)


@tenant_view(*WRITERS, any_of=True)
@once_per_submit
def partner_create(request):
    services.ensure_default_types(request.tenant)
    form = PartnerForm(request.POST or None, tenant=request.tenant, branches=_partner_branches(request))
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(tenant=request.tenant, actor=request.user, request=request,
                                              **form.service_data())
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("合作单位已登记。"))
            return redirect("partners:detail", pk=partner.pk)
    return render(request, "partners/form.html", {"form": form, "title": _("登记合作单位")})


@tenant_view(*WRITERS, any_of=True)
def partner_edit(request, pk):
    partner = _partner(request, pk)
    _require_write(request, partner.branch_id)
    form = versioned(PartnerForm(request.POST or None, instance=partner, tenant=request.tenant,
                                 branches=_partner_branches(request)), partner)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, partner):
                services.partner_update(partner=partner, actor=request.user, data=form.service_data(),
                                        request=request)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("合作单位资料已保存。"))
            return redirect("partners:detail", pk=partner.pk)
    return render(request, "partners/form.html", {"form": form, "title": _("编辑合作单位"), "p": partner})


@tenant_view(*WRITERS, any_of=True)
@once_per_submit
def agreement_create(request, pk):
    partner = _partner(request, pk)
    _require_write(request, partner.branch_id)
    draft = request.GET.get("draft") == "1" or request.POST.get("draft") == "1"
    form = AgreementForm(request.POST or None, request.FILES or None, tenant=request.tenant,
                         initial={"salesperson": partner.salesperson_id})
    if draft:
        form.fields["signed_on"].required = False
    if request.method == "POST" and form.is_valid():
        try:
            if draft:
                from .review import draft_submit

                draft_submit(partner=partner, actor=request.user, request=request, **form.service_data())
            else:
                services.agreement_create(partner=partner, actor=request.user, request=request,
                                          **form.service_data())
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("已提交签约前报备。") if draft else _("协议已登记。"))
            return redirect("partners:detail", pk=partner.pk)
    title = _("签约前报备") if draft else _("登记协议（新签/续签）")
    return render(request, "partners/form.html", {"form": form, "title": title, "p": partner, "multipart": True,
                                                  "draft": draft})


# --- the original and the agreement's other moves -----------------------------------------------


def _post_action(request, pk, form_class, run, *, manage: bool):
    agreement = _agreement(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if manage and not request.membership.can(Cap.PARTNERS_MANAGE):
        raise PermissionDenied
    _require_write(request, agreement.branch_id)
    form = form_class(request.POST, request.FILES or None)
    if form.is_valid():
        try:
            run(agreement, form.cleaned_data)
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("已保存：%(n)s") % {"n": agreement.number})
    else:
        for errors in form.errors.values():
            for m in errors:
                messages.error(request, m)
    return redirect(f"{reverse('partners:detail', args=[agreement.partner_id])}#a{agreement.pk}")


@tenant_view(*WRITERS, any_of=True)
def original_send(request, pk):
    return _post_action(request, pk, SendForm, lambda a, d: services.original_send(
        agreement=a, actor=request.user, request=request, **d), manage=False)


@tenant_view(Cap.PARTNERS_MANAGE)
def original_receive(request, pk):
    return _post_action(request, pk, ReceiveForm, lambda a, d: services.original_receive(
        agreement=a, actor=request.user, request=request, **d), manage=True)


@tenant_view(Cap.PARTNERS_MANAGE)
def original_archive(request, pk):
    return _post_action(request, pk, ArchiveForm, lambda a, d: services.original_archive(
        agreement=a, actor=request.user, request=request, **d), manage=True)


@tenant_view(Cap.PARTNERS_MANAGE)
def agreement_terminate(request, pk):
    return _post_action(request, pk, TerminateForm, lambda a, d: services.agreement_terminate(
        agreement=a, actor=request.user, request=request, **d), manage=True)


@never_cache
@tenant_view(*READERS, any_of=True)
def agreement_scan(request, pk):
    """GET: the scan, reach-checked (never a public media URL). POST: attach / replace it."""
    if request.method == "POST":
        def run(agreement, data):
            from .review import draft_sign_if_ready

            services.agreement_attach_scan(agreement=agreement, actor=request.user, scan=data["scan"],
                                           request=request)
            draft_sign_if_ready(agreement=agreement, actor=request.user, request=request)

        return _post_action(request, pk, ScanForm, run, manage=False)
    agreement = _agreement(request, pk)
    if not agreement.scan:
        messages.info(request, _("协议 %(n)s 尚未上传扫描件。") % {"n": agreement.number})
        return redirect(f"{reverse('partners:detail', args=[agreement.partner_id])}#a{agreement.pk}")
    try:
        handle = agreement.scan.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=False, filename=agreement.scan_name or "scan")


# --- filing a day's signings (branch, region operations) ---------------------------------------


@tenant_view(*WRITERS, any_of=True)
@once_per_submit
def signing_file(request):
    membership = request.membership
    services.ensure_default_types(request.tenant)
    branches = selectors.filing_branches(membership=membership)
    partners = selectors.partners_visible(membership=membership).select_related("type", "branch")
    q = (request.GET.get("q") or "").strip()
    hits = []
    if q:
        hits = list(partners.filter(Q(name__icontains=q) | Q(credit_code=q.upper().replace(" ", "")))
                    .order_by("name")[:20])
    picked = None
    pick = request.POST.get("partner") or request.GET.get("partner")
    if pick and str(pick).isdigit():
        picked = partners.filter(pk=pick).first()
    today = timezone.localdate()
    initial = {"signed_on": today, "starts_on": today, "partner": picked.pk if picked else None,
               "branch": picked.branch_id if picked else None}
    form = FilingForm(request.POST or None, request.FILES or None, tenant=request.tenant, branches=branches,
                      partners=partners, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            agreement = services.signing_file(
                tenant=request.tenant, actor=request.user, branch=d["branch"], partner=d.get("partner"),
                new_partner=form.new_partner(), signed_on=d["signed_on"], starts_on=d["starts_on"],
                ends_on=d["ends_on"], number=d["number"], salesperson=d["salesperson"], terms=d["terms"],
                scan=d["scan"], request=request)
        except ValidationError as exc:
            put_filing_errors(form, exc)
        else:
            messages.success(request, _("已上报：%(p)s 协议 %(n)s。") % {"p": agreement.partner.name,
                                                                      "n": agreement.number})
            return redirect("partners:detail", pk=agreement.partner_id)
    return render(request, "partners/file.html", {"form": form, "q": q, "hits": hits, "picked": picked,
                                                  "searched": bool(q), "has_branches": branches.exists()})


# --- tenant set-up (marketing) ---------------------------------------------------------------


@tenant_view(Cap.PARTNERS_MANAGE)
def setup(request):
    services.ensure_default_types(request.tenant)
    current = services.settings_for(request.tenant)
    settings_form = SettingsForm(request.POST if request.POST.get("form") == "settings" else None, instance=current)
    type_form = TypeForm(request.POST if request.POST.get("form") == "type" else None)
    if request.method == "POST":
        try:
            if settings_form.is_bound and settings_form.is_valid():
                services.settings_update(tenant=request.tenant, actor=request.user, request=request,
                                         **settings_form.cleaned_data)
                messages.success(request, _("设置已保存。"))
                return redirect("partners:setup")
            if type_form.is_bound and type_form.is_valid():
                services.type_save(tenant=request.tenant, actor=request.user, request=request,
                                   **type_form.cleaned_data)
                messages.success(request, _("类型已添加。"))
                return redirect("partners:setup")
        except ValidationError as exc:
            (settings_form if settings_form.is_bound else type_form).add_error(None, exc.messages[0])
    return render(request, "partners/setup.html", {
        "settings_form": settings_form, "type_form": type_form,
        "types": PartnerType.objects.filter(tenant=request.tenant),
    })


@tenant_view(Cap.PARTNERS_MANAGE)
def type_toggle(request, pk):
    ptype = access_object(PartnerType.objects.filter(tenant=request.tenant), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.type_save(tenant=request.tenant, actor=request.user, partner_type=ptype, name=ptype.name,
                       is_active=not ptype.is_active, sort_order=ptype.sort_order, request=request)
    return redirect("partners:setup")


@tenant_view(*READERS, any_of=True)
def stats(request):
    """Per region and month (S000-32): new partners by type, active partners, originals outstanding."""
    from marketing import bounds

    try:
        month = bounds.parse_month(request.GET.get("month") or timezone.localdate().strftime("%Y-%m"))
    except ValueError:
        messages.error(request, _("月份无效。"))
        return redirect("partners:stats")
    table = selectors.stats_by_region(membership=request.membership, month=month)
    return render(request, "partners/stats.html", {"month": month, **table})


# --- xlsx upload of signings -----------------------------------------------------------------


@tenant_view(*WRITERS, any_of=True)
@once_per_submit
def import_upload(request):
    from . import imports

    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要上传的 Excel 文件。"))
        else:
            job = imports.import_upload(membership=request.membership, actor=request.user, filename=upload.name,
                                        content=upload.read(), request=request)
            return redirect("partners:import_preview", pk=job.pk)
    return render(request, "partners/import.html", {})


@tenant_view(*WRITERS, any_of=True)
def import_template(request):
    from . import imports

    response = HttpResponse(imports.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="partners-signings-template.xlsx"'
    return response


def _job(request, pk):
    from .models import SigningImport

    jobs = SigningImport.objects.filter(tenant=request.tenant)
    if not request.membership.can(Cap.PARTNERS_MANAGE):
        jobs = jobs.filter(created_by=request.user)  # an upload is its uploader's (and marketing's)
    return access_object(jobs, pk=pk)


@tenant_view(*WRITERS, any_of=True)
def import_preview(request, pk):
    from . import imports

    job = _job(request, pk)
    return render(request, "partners/import_preview.html", {"job": job, "errors": imports.error_lines(job),
                                                             "labels": imports.LABELS})


@tenant_view(*WRITERS, any_of=True)
@once_per_submit
def import_confirm(request, pk):
    from . import imports

    job = _job(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        job = imports.import_confirm(job=job, membership=request.membership, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        if job.status == "done":
            messages.success(request, _("已导入 %(n)s 份协议。") % {"n": job.result.get("agreements", 0)})
        else:
            messages.error(request, _("文件在确认时校验未通过，未导入任何数据。"))
    return redirect("partners:import_preview", pk=job.pk)
