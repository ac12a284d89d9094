"""Pages of the approval forms: the forms one may file, the admin's builder (fields with
↑/↓ buttons, publish), filing and resubmitting a request, its page with the engine's panel,
lists per form with filters, paging and xlsx. Thin: input -> service/selector -> render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.approvals import selectors as approval_selectors
from marketing.approvals.models import ApprovalChain, ApprovalChainVersion
from marketing.concurrency import guard_version, versioned
from marketing.models import Branch, User
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.selectors import visible_branches
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import display, exports, inputs, selectors, services
from .filters import RequestFilter
from .forms import TemplateCreateForm, TemplateMetaForm
from .models import (
    FieldType,
    FormAttachment,
    FormRequest,
    FormSample,
    FormVersion,
    RequestStatus,
    VersionStatus,
)

XLSX_MAX_ROWS = 20000


def _flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- what I may file, what I filed ------------------------------------------------------------


@tenant_view(Cap.WORKFLOWS_REQUEST)
def index(request):
    mine = FormRequest.objects.filter(tenant=request.tenant, applicant=request.user).select_related("template")
    page, query = paginate(request, mine)
    return render(request, "workflows/index.html", {
        "forms": selectors.fileable_templates(tenant=request.tenant), "page": page, "query": query,
        "can_configure": request.membership.can(Cap.WORKFLOWS_CONFIGURE),
    })


# --- builder ----------------------------------------------------------------------------------


@tenant_view(Cap.WORKFLOWS_CONFIGURE)
def templates(request):
    rows = selectors.templates(tenant=request.tenant)
    q = (request.GET.get("q") or "").strip()
    if q:
        rows = rows.filter(name__icontains=q) | rows.filter(code__icontains=q)
    published = {v.template_id: v for v in FormVersion.objects.filter(tenant=request.tenant,
                                                                       status=VersionStatus.PUBLISHED)}
    drafts = set(FormVersion.objects.filter(tenant=request.tenant, status=VersionStatus.DRAFT)
                 .values_list("template_id", flat=True))
    page, query = paginate(request, rows)
    for t in page.object_list:
        t.published = published.get(t.pk)
        t.has_draft = t.pk in drafts
    return render(request, "workflows/templates.html", {"page": page, "query": query, "q": q,
                                                        "form": TemplateCreateForm(),
                                                        "missing_shipped": missing_shipped(request.tenant)})


def missing_shipped(tenant) -> list[str]:
    from .shipped import SHIPPED

    have = set(selectors.templates(tenant=tenant).values_list("code", flat=True))
    return [f'{s["code"]} {s["name"]}' for s in SHIPPED if s["code"] not in have]


@tenant_view(Cap.WORKFLOWS_CONFIGURE)
@require_POST
def install_shipped(request):
    """Existing tenants: add the shipped forms they do not have yet (by code; nothing of the
    tenant's own is changed -- no data migration writes forms behind the admin's back)."""
    from .setup import ensure_shipped

    made = ensure_shipped(tenant=request.tenant, actor=request.user)
    messages.success(request, _("已添加 %(n)d 个内置表单。") % {"n": len(made)})
    return redirect("workflows:templates")


@tenant_view(Cap.WORKFLOWS_CONFIGURE)
@once_per_submit
def template_create(request):
    form = TemplateCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            template = services.template_create(tenant=request.tenant, actor=request.user, name=d["name"],
                                                code=d["code"], category=d["category"],
                                                description=d["description"], request=request)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("code" if exc.code in ("duplicate_code", "bad_code") else None, message)
        else:
            messages.success(request, _("表单已创建：请添加字段、设置审批流程，然后发布。"))
            return redirect("workflows:builder", pk=template.pk)
    return render(request, "workflows/template_new.html", {"form": form})


def _field_rows(version):
    rows = []
    for f in (version.fields if version else []):
        row = dict(f)
        row["options_text"] = "\n".join(f.get("options", []))
        row["columns_text"] = inputs.columns_to_text(f.get("columns"))
        rows.append(row)
    return rows


@tenant_view(Cap.WORKFLOWS_CONFIGURE)
def builder(request, pk):
    """Fields of the draft: every button posts the whole list (nothing typed is lost);
    ↑/↓/删除/添加字段 rearrange, 保存草稿 saves, 发布 saves and publishes."""
    template = access_object(selectors.templates(tenant=request.tenant), pk=pk)
    draft = FormVersion.objects.filter(template=template, status=VersionStatus.DRAFT).first()
    published = services.published_version(template)
    meta = versioned(TemplateMetaForm(request.POST if request.POST.get("op") == "meta" else None,
                                      tenant=request.tenant, prefix="meta", initial={
        "name": template.name, "category": template.category, "description": template.description,
        "is_active": template.is_active, "viewers": [str(v) for v in template.viewers]}), template)
    errors = []
    op = request.POST.get("op", "") if request.method == "POST" else ""
    if op == "meta":
        if meta.is_valid():
            d = meta.cleaned_data
            try:
                with guard_version(meta, template):
                    services.template_update(template=template, actor=request.user, name=d["name"],
                                             category=d["category"], description=d["description"],
                                             is_active=d["is_active"], viewers=d["viewers"], request=request)
            except ValidationError as exc:
                for message in exc.messages:
                    meta.add_error(None, message)
            else:
                messages.success(request, _("表单信息已保存。"))
                return redirect("workflows:builder", pk=template.pk)
        rows = _field_rows(draft or published)
    elif request.method == "POST":
        rows = inputs.apply_op(op, inputs.builder_rows(request.POST))
        if op in ("save", "publish"):
            try:
                services.draft_save(template=template, actor=request.user, fields=rows,
                                    stamp=request.POST.get("stamp") or None, request=request)
                if op == "publish":
                    version = services.version_publish(template=template, actor=request.user, request=request)
                    messages.success(request, _("已发布 v%(n)s：新的申请使用该版本，已提交的申请仍按原版本。")
                                     % {"n": version.number})
                else:
                    messages.success(request, _("草稿已保存（未发布）。"))
                return redirect("workflows:builder", pk=template.pk)
            except ValidationError as exc:
                errors = exc.messages
        for r in rows:
            r["options_text"] = "\n".join(r.get("options", []))
            r["columns_text"] = inputs.columns_to_text(r.get("columns"))
    else:
        rows = _field_rows(draft or published)
    chain = ApprovalChain.objects.filter(tenant=request.tenant, document_type=template.approval_key).first()
    steps = services.structured_chain(approval_selectors.chain_for(tenant=request.tenant, key=template.approval_key))
    pending = ApprovalChainVersion.objects.filter(tenant=request.tenant, document_type=template.approval_key,
                                                  status="pending").first()
    return render(request, "workflows/builder.html", {
        "template": template, "meta": meta, "rows": rows, "errors": errors, "draft": draft, "published": published,
        "types": FieldType.choices, "type_help": inputs.TYPE_HELP, "chain": chain, "steps": steps,
        "pending": pending, "versions": template.versions.all()[:20], "count": len(rows),
        "stamp": request.POST.get("stamp") if op not in ("", "meta") else services.fields_stamp(template),
    })


# --- filing -----------------------------------------------------------------------------------


def _choices(request, fields):
    out = {}
    kinds = {f["type"] for f in fields}
    if FieldType.PEOPLE in kinds:
        out["people"] = [(u.pk, u.display_name) for u in User.objects.filter(
            membership__tenant=request.tenant, membership__is_active=True, is_active=True).order_by("full_name")]
    if FieldType.BRANCH in kinds:
        out["branches"] = list(Branch.objects.filter(tenant=request.tenant).values_list("pk", "name"))
    if FieldType.CUSTOMER in kinds:
        from customers.selectors import customer_list

        out["customers"] = list(customer_list(membership=request.membership).order_by("name")
                                .values_list("pk", "name")[:500])
    if FieldType.PARTNER in kinds:
        from customers.partners.selectors import partners_visible

        out["partners"] = list(partners_visible(membership=request.membership).order_by("name")
                               .values_list("pk", "name")[:500])
    return out


def _form_context(request, *, template, version, values, errors, title, branch_id, post=None):
    fields = version.fields
    wanted = inputs.table_rows_wanted(fields, post, values)
    items = []
    for f in fields:
        value = values.get(f["key"])
        item = {"f": f, "name": f"v-{f['key']}", "value": value, "error": errors.get(f["key"])}
        if f["type"] == FieldType.TABLE:
            rows = list(value or [])
            item["rows"] = [(i, rows[i] if i < len(rows) else {}) for i in range(wanted[f["key"]])]
            item["row_count"] = wanted[f["key"]]
        if f["type"] == FieldType.PEOPLE:
            item["selected"] = {str(v) for v in (value or [])}
        items.append(item)
    return {"template": template, "version": version, "items": items, "choices": _choices(request, fields),
            "title": title, "branch_id": str(branch_id or ""), "errors": errors,
            "branches": list(visible_branches(membership=request.membership))}


def _posted_values(version, post):
    """What the applicant typed, shaped as values, to show the form again after an error."""
    from django.utils.datastructures import MultiValueDict

    raw, _uploads = inputs.request_raw(version.fields, post, MultiValueDict())
    return raw


@tenant_view(Cap.WORKFLOWS_REQUEST)
@once_per_submit
def request_new(request, pk):
    template = access_object(selectors.templates(tenant=request.tenant).filter(is_active=True), pk=pk)
    version = services.published_version(template)
    if version is None:
        raise Http404
    branches = list(visible_branches(membership=request.membership))
    values, errors, title = {}, {}, ""
    branch_id = branches[0].pk if len(branches) == 1 else ""
    samples = list(FormSample.objects.filter(tenant=request.tenant, template=template).select_related("version"))
    picked = (request.POST if request.method == "POST" else request.GET).get("sample", "")
    sample = next((s for s in samples if str(s.pk) == picked), None)  # another form's or tenant's: ignored
    if sample is not None and request.method != "POST":
        values, title = services.sample_initial(sample, version), sample.name
    if request.method == "POST":
        title, branch_id = request.POST.get("title", ""), request.POST.get("branch", "")
        values = _posted_values(version, request.POST)
        if request.POST.get("op", "submit") == "submit":
            branch = next((b for b in branches if str(b.pk) == branch_id), None)
            raw, uploads = inputs.request_raw(version.fields, request.POST, request.FILES)
            try:
                req = services.request_create(template=template, actor=request.user, membership=request.membership,
                                              title=title, branch=branch, raw=raw, uploads=uploads, sample=sample,
                                              request=request)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    errors = {k: " ".join(v.messages if hasattr(v, "messages") else map(str, v))
                              for k, v in exc.message_dict.items()}
                else:
                    _flash(request, exc)
            else:
                messages.success(request, _("申请 %(n)s 已提交审批。") % {"n": req.number})
                return redirect("workflows:request", pk=req.pk)
    ctx = _form_context(request, template=template, version=version, values=values, errors=errors, title=title,
                        branch_id=branch_id, post=request.POST if request.method == "POST" else None)
    ctx.update({"samples": samples, "sample": sample})
    return render(request, "workflows/request_form.html", ctx)


def _reachable(request):
    return selectors.request_list(membership=request.membership)


@tenant_view()
def request_detail(request, pk):
    req = access_object(_reachable(request), pk=pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=req)
    panel = approval_selectors.flow_panel(flow=flow, user=request.user, document=req) if flow else None
    names = display.Names(tenant=request.tenant, requests=[req])
    revisions = services.revisions_of(req)
    approved = req.status == RequestStatus.APPROVED
    return render(request, "workflows/request_detail.html", {
        "req": req, "rows": display.rows_of(req, names), "panel": panel, "flow": flow,
        "can_resubmit": req.applicant_id == request.user.pk and req.status in (RequestStatus.REJECTED,
                                                                                RequestStatus.WITHDRAWN),
        "newer": services.published_version(req.template),
        "revisions": revisions if len(revisions) > 1 else [],
        "can_revise": approved and req.applicant_id == request.user.pk and revisions[-1].pk == req.pk,
        "can_sample": approved and (req.applicant_id == request.user.pk
                                    or request.membership.can(Cap.WORKFLOWS_CONFIGURE)),
    })


def _field_errors(request, exc: ValidationError) -> dict:
    """A refused filing: errors per field for the form, anything else flashed."""
    if hasattr(exc, "error_dict"):
        return {k: " ".join(v) for k, v in exc.message_dict.items()}
    _flash(request, exc)
    return {}


@tenant_view()
def request_revise(request, pk):
    """修订方案 (S004-28): the applicant of an approved plan files its next revision."""
    req = access_object(_reachable(request), pk=pk)
    version = services.published_version(req.template)
    if version is None or req.applicant_id != request.user.pk or req.status != RequestStatus.APPROVED:
        messages.error(request, _("只有申请人可以修订已通过的方案。"))
        return redirect("workflows:request", pk=req.pk)
    values = services.carry_values(req.values, req.version.fields, version)
    errors, title = {}, req.title
    if request.method == "POST":
        title = request.POST.get("title", "")
        values = _posted_values(version, request.POST)
        if request.POST.get("op", "submit") == "submit":
            raw, uploads = inputs.request_raw(version.fields, request.POST, request.FILES)
            try:
                new = services.request_revise(document=req, actor=request.user, membership=request.membership,
                                              title=title, raw=raw, uploads=uploads, request=request)
            except ValidationError as exc:
                errors = _field_errors(request, exc)
            else:
                messages.success(request, _("修订方案 %(n)s 已提交审批。") % {"n": new.number})
                return redirect("workflows:request", pk=new.pk)
    ctx = _form_context(request, template=req.template, version=version, values=values, errors=errors,
                        title=title, branch_id=req.branch_id, post=request.POST if request.method == "POST" else None)
    ctx.update({"req": req, "resubmit": True, "revise": True})
    return render(request, "workflows/request_form.html", ctx)


@tenant_view()
@require_POST
def request_sample(request, pk):
    """存为样板 (S004-28): an approved request's values become a reusable model of its form."""
    req = access_object(_reachable(request), pk=pk)
    try:
        sample = services.sample_save(document=req, actor=request.user, name=request.POST.get("name", ""),
                                      request=request)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("已存为样板“%(n)s”：新建申请时可从样板开始。") % {"n": sample.name})
    return redirect("workflows:request", pk=req.pk)


@tenant_view(Cap.WORKFLOWS_REQUEST)
def sample_list(request, pk):
    """A form's models (样板, S004-28): who saved each and from which request; the creator or
    a form administrator renames or deletes."""
    template = access_object(selectors.templates(tenant=request.tenant), pk=pk)
    samples = list(FormSample.objects.filter(tenant=request.tenant, template=template)
                   .select_related("created_by", "source").order_by("name"))
    rows = [{"s": s, "manage": services.may_manage_sample(s, request.user)} for s in samples]
    return render(request, "workflows/sample_list.html", {"template": template, "rows": rows})


@tenant_view(Cap.WORKFLOWS_REQUEST)
@require_POST
def sample_change(request, pk):
    sample = access_object(FormSample.objects.filter(tenant=request.tenant).select_related("template"), pk=pk)
    try:
        if request.POST.get("op") == "delete":
            services.sample_delete(sample=sample, actor=request.user, request=request)
            messages.success(request, _("样板“%(n)s”已删除。") % {"n": sample.name})
        else:
            sample = services.sample_rename(sample=sample, actor=request.user, name=request.POST.get("name", ""),
                                            request=request)
            messages.success(request, _("样板已改名为“%(n)s”。") % {"n": sample.name})
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("workflows:samples", pk=sample.template_id)


@tenant_view()
def request_resubmit(request, pk):
    req = access_object(_reachable(request), pk=pk)
    if req.applicant_id != request.user.pk or req.status not in (RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
        messages.error(request, _("只有申请人可以在申请被驳回或撤回后修改并重新提交。"))
        return redirect("workflows:request", pk=req.pk)
    values, errors, title, branch_id = dict(req.values), {}, req.title, req.branch_id
    if request.method == "POST":
        title = request.POST.get("title", "")
        values = {**req.values, **_posted_values(req.version, request.POST)}
        if request.POST.get("op", "submit") == "submit":
            raw, uploads = inputs.request_raw(req.version.fields, request.POST, request.FILES)
            try:
                services.request_resubmit(document=req, actor=request.user, membership=request.membership,
                                          title=title, raw=raw, uploads=uploads, request=request)
            except ValidationError as exc:
                errors = _field_errors(request, exc)
            else:
                messages.success(request, _("已重新提交审批。"))
                return redirect("workflows:request", pk=req.pk)
    ctx = _form_context(request, template=req.template, version=req.version, values=values, errors=errors,
                        title=title, branch_id=branch_id, post=request.POST if request.method == "POST" else None)
    ctx.update({"req": req, "resubmit": True})
    return render(request, "workflows/request_form.html", ctx)


@tenant_view()
def attachment(request, pk):
    reach = _reachable(request).values("pk")
    row = access_object(FormAttachment.objects.filter(tenant=request.tenant, request__in=reach), pk=pk)
    try:
        handle = row.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404
    return FileResponse(handle, as_attachment=True, filename=row.name)


@tenant_view()
def request_pdf(request, pk):
    req = access_object(_reachable(request), pk=pk)
    flow = approval_selectors.flow_for(tenant=request.tenant, document=req)
    steps = []
    if flow is not None:
        rounds = approval_selectors.flow_history(flow)
        steps = rounds[0][1] if rounds else []
    names = display.Names(tenant=request.tenant, requests=[req])
    data = exports.request_pdf(req, tenant=request.tenant, rows=display.rows_of(req, names), steps=steps,
                               tz=request.tenant.zone)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{req.number}.pdf"'
    return response


# --- lists ------------------------------------------------------------------------------------


def _filtered(request, template):
    return RequestFilter(request.GET or None, queryset=selectors.request_list(membership=request.membership,
                                                                              template=template),
                         tenant=request.tenant, request=request)


def _template_for_list(request, pk):
    return access_object(selectors.templates(tenant=request.tenant), pk=pk)


@tenant_view(Cap.WORKFLOWS_REQUEST)
def request_list(request, pk):
    template = _template_for_list(request, pk)
    filterset = _filtered(request, template)
    page, query = paginate(request, filterset.qs.order_by("-created_at", "-id"))
    return render(request, "workflows/requests.html", {"template": template, "filter": filterset, "page": page,
                                                       "query": query})


@tenant_view(Cap.WORKFLOWS_REQUEST)
def request_export(request, pk):
    template = _template_for_list(request, pk)
    rows = list(_filtered(request, template).qs.order_by("-created_at", "-id")[:XLSX_MAX_ROWS])
    names = display.Names(tenant=request.tenant, requests=rows)
    data = exports.requests_xlsx(template, rows, names=names, tz=request.tenant.zone)
    stamp = timezone.localtime(timezone.now(), request.tenant.zone).strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{template.code}-{stamp}.xlsx"'
    return response
