"""Access log, access requests and import views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import access, approval, importer, selectors
from .crypto import mask_phone
from .filters import AccessLogFilter
from .forms import AccessRequestForm, ImportUploadForm
from .models import AccessRequestStatus, ImportBatch, ReadAlert


@tenant_view(Cap.CUSTOMERS_ACCESS_LOG)
def access_log(request):
    filterset = AccessLogFilter(request.GET or None, queryset=selectors.access_log(tenant=request.tenant),
                                tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs, per_page=50)
    alerts = ReadAlert.objects.filter(tenant=request.tenant).select_related("user")[:10]
    return render(request, "customers/access_log.html",
                  {"filter": filterset, "page": page, "query": query, "alerts": alerts})


# --- access requests -------------------------------------------------------------------------


def _can_request(membership) -> bool:
    return membership.can(Cap.CUSTOMERS_REQUEST_ACCESS)


@tenant_view(Cap.CUSTOMERS_REQUEST_ACCESS, Cap.CUSTOMERS_ACCESS_LOG, any_of=True)
def request_list(request):
    qs = selectors.access_requests(membership=request.membership)
    status = request.GET.get("status")
    if status in AccessRequestStatus.values:
        qs = qs.filter(status=status)
    page, query = paginate(request, qs)
    shown = selectors.shown_request_customers(membership=request.membership, docs=page.object_list)
    for d in page.object_list:
        d.shown_customer = shown[d.pk]
    return render(request, "customers/request_list.html", {
        "page": page, "query": query, "statuses": AccessRequestStatus.choices, "status": status,
        "can_request": _can_request(request.membership),
        "can_decide": selectors.can_decide_requests(request.membership),
    })


@tenant_view(Cap.CUSTOMERS_REQUEST_ACCESS)
@once_per_submit
def request_create(request):
    if not selectors.needs_request(request.membership):
        # e.g. a salesperson under the seed's policy: already reads the whole archive (S003-16)
        messages.info(request, _("你可以直接查询全部客户档案，无需申请。"))
        return redirect("customers:list")
    form = AccessRequestForm(request.POST or None, tenant=request.tenant)
    valid = request.method == "POST" and form.is_valid()
    if form.looked_up:
        # Every lookup is logged, hit or miss; a hit by phone is a read of that customer.
        access.log_request_lookup(tenant=request.tenant, user=request.user, by=form.looked_up,
                                  customer=form.customer, request=request)
    if valid:
        try:
            doc = access.access_request_submit(
                tenant=request.tenant, actor=request.user, customer=form.customer,
                reason=form.cleaned_data["reason"], days=form.cleaned_data["days"], request=request,
            )
        except ValidationError as exc:
            for m in exc.messages:
                form.add_error(None, m)
        else:
            messages.success(request, _("申请已提交，等待总经理审批。"))
            return redirect("customers:request_detail", pk=doc.pk)
    return render(request, "customers/form.html", {
        "form": form, "title": _("申请查阅客户档案"),
        "intro": _("客户档案属公司机密。请填写客户全称或电话（需完全一致）并写明事由；批准后可在授权期限内查阅该客户，期间每次查阅都会被记录。"),
    })


@tenant_view()
def request_detail(request, pk):
    """The request and its approval panel: approve / reject / withdraw happen in the engine."""
    doc = access_object(selectors.access_requests(membership=request.membership), pk=pk)
    panel = approval.panel_for(document=doc, user=request.user)
    shown = selectors.shown_request_customers(membership=request.membership, docs=[doc])[doc.pk]
    return render(request, "customers/request_detail.html", {
        "doc": doc, "panel": panel, "shown_customer": shown, "customer_hidden": shown != doc.customer.name,
    })


# --- import -------------------------------------------------------------------------------------


@tenant_view(Cap.CUSTOMERS_IMPORT)
@once_per_submit
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = importer.import_preview(tenant=request.tenant, actor=request.user, file_name=upload.name,
                                            content=upload.read())
        except ValidationError as exc:
            for m in exc.messages:
                form.add_error("file", m)
        else:
            return redirect("customers:import_preview", pk=batch.pk)
    recent = ImportBatch.objects.filter(tenant=request.tenant).select_related("uploaded_by")[:10]
    return render(request, "customers/import_upload.html", {"form": form, "recent": recent})


@tenant_view(Cap.CUSTOMERS_IMPORT)
def import_template(request):
    response = HttpResponse(importer.template_xlsx(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="customer-import-template.xlsx"'
    return response


@tenant_view(Cap.CUSTOMERS_IMPORT)
@once_per_submit
def import_preview(request, pk):
    batch = access_object(ImportBatch.objects.filter(tenant=request.tenant), pk=pk)
    if request.method == "POST" and batch.status == ImportBatch.Status.PREVIEW:
        try:
            if request.POST.get("action") == "discard":
                importer.import_discard(batch=batch, actor=request.user, request=request)
                messages.success(request, _("已放弃本次导入。"))
                return redirect("customers:import")
            n = importer.import_confirm(batch=batch, actor=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            batch.refresh_from_db()
        else:
            messages.success(request, _("已导入 %(n)s 个客户。") % {"n": n})
            return redirect("customers:list")
    rows = importer.batch_rows(batch)
    from marketing.models import Branch, User

    branches = dict(Branch.objects.filter(tenant=request.tenant).values_list("pk", "name"))
    users = {u.pk: u.display_name for u in User.objects.filter(pk__in={r.get("owner") for r in rows if r.get("owner")})}
    for r in rows:
        r["branch_name"] = branches.get(r.get("branch"), "")
        r["owner_name"] = users.get(r.get("owner"), "")
        r["phone_masked"] = mask_phone(r.get("phone", ""))
    return render(request, "customers/import_preview.html", {"batch": batch, "rows": rows})
