"""Pages of the approval machinery: 待我审批, 我发起的, a flow's page with its actions, the
actions endpoint, delegations, the chain editor. Views are thin: form -> service -> redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.models import User
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap, Role
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import selectors, services
from .filters import InboxFilter, MineFilter
from .forms import (
    ActionForm,
    ChainFormSet,
    DelegationForm,
    HolderForm,
    PositionForm,
    PreviewForm,
    blank_row,
    chain_post_from_rows,
    chain_rows_from_post,
    spec_initial,
)
from .models import (
    ApprovalChain,
    ApprovalChainVersion,
    ApprovalComment,
    ApprovalDelegation,
    ApprovalTask,
    ChainVersionStatus,
    Position,
    PositionHolder,
    StepKind,
)
from .registry import OPS_BY_TYPE, all_types, condition_fields, get_type


def _flash_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _visible_flows(request):
    flows = selectors.visible_flows(tenant=request.tenant, user=request.user)
    if request.membership.can(Cap.APPROVALS_CONFIGURE):
        # The tenant admin who configures chains may follow every flow (not the documents).
        from .models import ApprovalFlow

        flows = ApprovalFlow.objects.filter(tenant=request.tenant)
    return flows


@tenant_view()
def inbox(request):
    filterset = InboxFilter(request.GET or None, queryset=selectors.inbox(tenant=request.tenant, user=request.user),
                            tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "approvals/inbox.html", {"filter": filterset, "page": page, "query": query})


@tenant_view()
def mine(request):
    filterset = MineFilter(request.GET or None, queryset=selectors.started_by(tenant=request.tenant, user=request.user),
                           tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "approvals/mine.html", {"filter": filterset, "page": page, "query": query})


@tenant_view()
def flow_detail(request, pk):
    flow = access_object(_visible_flows(request).select_related("applicant", "branch", "tenant"), pk=pk)
    panel = selectors.flow_panel(flow=flow, user=request.user)
    return render(request, "approvals/flow.html", {"flow": flow, "panel": panel, "type": get_type(flow.document_type)})


def _require_participant(request, flow) -> None:
    """Acting, commenting and opening attached files are for the people in the flow; the
    tenant admin who may follow every flow (``_visible_flows``) is refused here, on the server."""
    if not selectors.visible_flows(tenant=request.tenant, user=request.user).filter(pk=flow.pk).exists():
        raise PermissionDenied


def _back(request, flow):
    target = request.POST.get("next") or flow.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = flow.url
    return redirect(target)


@tenant_view()
@require_POST
@once_per_submit
def act(request, pk):
    flow = access_object(_visible_flows(request).select_related("tenant", "applicant"), pk=pk)
    _require_participant(request, flow)
    task = None
    task_id = request.POST.get("task")
    if task_id and str(task_id).isdigit():
        task = ApprovalTask.objects.filter(flow=flow, pk=int(task_id)).select_related("step").first()
    form = ActionForm(request.POST, request.FILES, checklist_items=task.step.checklist if task else ())
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return _back(request, flow)
    d = form.cleaned_data
    action, version, comment = d["action"], d.get("version"), d.get("comment") or ""
    if action in {"approve", "reject", "return", "transfer"} and task is None:
        messages.error(request, _("表单已过期，请刷新页面。"))
        return _back(request, flow)
    try:
        if action == "approve":
            services.approval_approve(task=task, actor=request.user, comment=comment, checklist=d["checklist"],
                                      version=version, request=request)
            messages.success(request, _("已处理：%(step)s。") % {"step": task.step.name})
        elif action == "reject":
            services.approval_reject(task=task, actor=request.user, reason=comment, version=version, request=request)
            messages.success(request, _("已驳回，单据退回申请人。"))
        elif action == "return":
            services.approval_return(task=task, actor=request.user, to_position=d.get("to_position") or 0,
                                     reason=comment, version=version, request=request)
            messages.success(request, _("已退回到前序步骤。"))
        elif action == "transfer":
            to_user = User.objects.filter(membership__tenant=request.tenant, pk=d.get("to_user") or 0).first()
            services.approval_transfer(task=task, actor=request.user, to_user=to_user, comment=comment,
                                       version=version, request=request)
            messages.success(request, _("已转交。"))
        elif action == "withdraw":
            services.approval_withdraw(flow=flow, actor=request.user, version=version, request=request)
            messages.success(request, _("已撤回，可以修改后重新提交。"))
        else:
            services.approval_comment(flow=flow, actor=request.user, body=comment, attachment=d.get("attachment"),
                                      request=request)
            messages.success(request, _("已添加评论。"))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return _back(request, flow)


@tenant_view()
def comment_file(request, pk):
    """A file attached to a flow: same reach as the flow page, never a bare media URL."""
    note = access_object(
        ApprovalComment.objects.filter(tenant=request.tenant, flow__in=_visible_flows(request).values("pk"))
        .exclude(attachment=""),
        pk=pk,
    )
    _require_participant(request, note.flow)
    try:
        handle = note.attachment.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=note.attachment_name)


# --- delegations ---------------------------------------------------------------------------


@tenant_view()
@once_per_submit
def delegations(request):
    form = DelegationForm(request.POST or None, tenant=request.tenant, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.delegation_create(tenant=request.tenant, actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("委托已设置。"))
            return redirect("approvals:delegations")
    rows = ApprovalDelegation.objects.filter(tenant=request.tenant).filter(
        Q(delegator=request.user) | Q(delegate=request.user)
    ).select_related("delegator", "delegate")
    page, query = paginate(request, rows)
    return render(request, "approvals/delegations.html",
                  {"form": form, "page": page, "query": query, "today": selectors.local_today(request.tenant)})


@tenant_view()
@require_POST
def delegation_revoke(request, pk):
    delegation = access_object(ApprovalDelegation.objects.filter(tenant=request.tenant, delegator=request.user), pk=pk)
    try:
        services.delegation_revoke(delegation=delegation, actor=request.user, request=request)
        messages.success(request, _("委托已撤销。"))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("approvals:delegations")


# --- chain editor --------------------------------------------------------------------------


@tenant_view(Cap.APPROVALS_CONFIGURE)
def chains(request):
    chains_by_key = {c.document_type: c for c in ApprovalChain.objects.filter(tenant=request.tenant)}
    configured = set(chains_by_key)
    latest = {}
    for v in ApprovalChainVersion.objects.filter(tenant=request.tenant).order_by("document_type", "number"):
        latest[v.document_type] = v
    people = {u.pk: u.display_name for u in User.objects.filter(membership__tenant=request.tenant)}
    rows = [
        {"type": t, "configured": t.key in configured, "chain": chains_by_key.get(t.key),
         "latest": latest.get(t.key), "steps": [
            {"name": s.name, "kind": StepKind(s.kind).label, "role": spec_approver_label(s, people), "scope": s.scope,
             "mode": s.mode, "condition": s.condition}
            for s in selectors.chain_for(tenant=request.tenant, key=t.key)
        ]}
        for t in all_types(configurable=True)
    ]
    return render(request, "approvals/chains.html", {"rows": rows})


def _edit_rows(request, rows):
    """Apply the editor's row buttons (add / up / down / remove) to the posted rows."""
    op = request.POST.get("op", "")
    verb, _sep, index = op.partition(":")
    i = int(index) if index.isdigit() else -1
    if verb == "add" and len(rows) < 20:
        rows.append(blank_row())
    elif verb == "up" and 0 < i < len(rows):
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and 0 <= i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    elif verb == "remove" and 0 <= i < len(rows):
        rows.pop(i)
    return rows


@tenant_view(Cap.APPROVALS_CONFIGURE)
def chain_edit(request, key):
    """The chain editor. Every button posts the whole form, so nothing typed is lost: 保存
    saves; ↑/↓/删除/添加步骤 rearrange the rows and show them again; 预览路线 shows the route a
    sample request would take through the chain as it stands on the page (unsaved)."""
    try:
        doc_type = get_type(key)
    except LookupError:
        raise Http404
    if doc_type.steps_for is not None:
        raise Http404
    if request.method == "POST" and request.POST.get("reset"):
        try:
            services.chain_reset(tenant=request.tenant, actor=request.user, key=key, request=request)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("已恢复默认流程。"))
        return redirect("approvals:chain_edit", key=key)
    fields = condition_fields(doc_type, request.tenant)
    op = request.POST.get("op", "save") if request.method == "POST" else ""
    if request.method == "POST":
        rows = _edit_rows(request, chain_rows_from_post(request.POST))
    else:
        rows = [spec_initial(s, fields) for s in selectors.chain_for(tenant=request.tenant, key=key)]
    formset = ChainFormSet(chain_post_from_rows(rows), doc_type=doc_type, tenant=request.tenant, prefix="steps")
    preview_form = PreviewForm(request.POST if op == "preview" else None, doc_type=doc_type, tenant=request.tenant,
                               prefix="sample")
    route = None
    chain = ApprovalChain.objects.filter(tenant=request.tenant, document_type=key).first()
    members = [(str(u.pk), u.display_name) for u in User.objects.filter(
        membership__tenant=request.tenant, membership__is_active=True, is_active=True).order_by("full_name", "username")]
    if request.method == "POST":
        signoff = [v for v in request.POST.getlist("signoff") if v.isdigit()]
    else:
        signoff = [str(u) for u in (chain.signoff_users if chain else [])]
    note = (request.POST.get("note") or "").strip()[:200]
    if op == "save" and formset.is_valid():
        try:
            services.chain_save(tenant=request.tenant, actor=request.user, key=key, steps=formset.specs(),
                                signoff_users=[int(v) for v in signoff], note=note, request=request)
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            pending = ApprovalChainVersion.objects.filter(tenant=request.tenant, document_type=key,
                                                          status=ChainVersionStatus.PENDING).first()
            if pending is not None:
                messages.success(request, _("变更已提交会签（v%(n)s），全部会签人同意后生效。") % {"n": pending.number})
                return redirect("approvals:chain_version", pk=pending.pk)
            messages.success(request, _("审批流程已保存；已在审批中的单据仍按原流程进行。"))
            return redirect(_next_url(request) or "approvals:chains")
    if op == "preview" and formset.is_valid() and preview_form.is_valid():
        d = preview_form.cleaned_data
        route = selectors.route_preview(tenant=request.tenant, specs=formset.specs(), values=preview_form.values(),
                                        branch=d.get("branch"), applicant=d.get("applicant"))
    bound = request.method == "POST" and op in ("save", "preview")
    return render(request, "approvals/chain_edit.html", {
        "formset": formset, "type": doc_type, "fields": fields, "show_errors": bound,
        "preview_form": preview_form, "route": route, "chain": chain, "members": members, "signoff": signoff,
        "note": note, "pending": ApprovalChainVersion.objects.filter(
            tenant=request.tenant, document_type=key, status=ChainVersionStatus.PENDING).first(),
        "back_url": _next_url(request),
        "field_types": {name: {"type": f.type, "ops": list(OPS_BY_TYPE.get(f.type, ("==", "!=")))}
                        for name, f in fields.items()},
    })


@tenant_view()
def chain_version(request, pk):
    """A saved chain change: its steps, and -- while it waits for joint sign-off -- the
    engine's panel, where the named people sign it. Configurers and the people on its
    sign-off flow may look; anyone else gets a 404."""
    versions = ApprovalChainVersion.objects.filter(tenant=request.tenant)
    if not request.membership.can(Cap.APPROVALS_CONFIGURE):
        flows = selectors.visible_flows(tenant=request.tenant, user=request.user).filter(
            document_type="approvals.chain_change").values("object_id")
        versions = versions.filter(pk__in=flows)
    version = access_object(versions.select_related("created_by"), pk=pk)
    flow = selectors.flow_for(tenant=request.tenant, document=version)
    panel = selectors.flow_panel(flow=flow, user=request.user, document=version)
    people = {u.pk: u.display_name for u in User.objects.filter(membership__tenant=request.tenant)}
    steps = [services._spec_from_dict(d) for d in version.steps]
    rows = [{"spec": s, "approver": spec_approver_label(s, people)} for s in steps]
    history = ApprovalChainVersion.objects.filter(tenant=request.tenant, document_type=version.document_type)
    return render(request, "approvals/chain_version.html", {
        "version": version, "type": get_type(version.document_type), "rows": rows, "panel": panel,
        "signers": [people.get(u, "—") for u in version.signers],
        "signoff": [people.get(u, "—") for u in version.signoff_users],
        "history": history.select_related("created_by")[:50],
    })


def _next_url(request) -> str | None:
    """``?next=`` of a page that sent the admin here (the approval-form builder), same site only."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def spec_approver_label(spec, people) -> str:
    """Who signs a configured step, for the chain overview."""
    if spec.user_ids:
        return "、".join(people.get(u, "—") for u in spec.user_ids)
    if spec.position:
        return f"{spec.position}" + (f" / {Role(spec.role).label}" if spec.role else "")
    return str(Role(spec.role).label) if spec.role else "—"


def inbox_badge(request) -> int:
    if getattr(request, "tenant", None) is None:
        return 0
    return selectors.inbox_count(tenant=request.tenant, user=request.user)



# --- positions (岗位) --------------------------------------------------------------------------


@tenant_view(Cap.APPROVALS_CONFIGURE)
def positions(request):
    form = PositionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            position = services.position_create(tenant=request.tenant, actor=request.user, name=d["name"],
                                                description=d["description"], sort_order=d.get("sort_order") or 0,
                                                request=request)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("name", message)
        else:
            messages.success(request, _("岗位“%(n)s”已创建，请添加任职人员。") % {"n": position.name})
            return redirect("approvals:position", pk=position.pk)
    rows = selectors.positions(tenant=request.tenant, active=None).annotate(holder_count=Count("holders"))
    q = (request.GET.get("q") or "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    if request.GET.get("active") in {"1", "0"}:
        rows = rows.filter(is_active=request.GET["active"] == "1")
    page, query = paginate(request, rows)
    return render(request, "approvals/positions.html", {"form": form, "page": page, "query": query, "q": q})


@tenant_view(Cap.APPROVALS_CONFIGURE)
def position_detail(request, pk):
    position = access_object(Position.objects.filter(tenant=request.tenant), pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    form = PositionForm(request.POST if action == "update" else None, initial={
        "name": position.name, "description": position.description, "sort_order": position.sort_order,
        "is_active": position.is_active,
    })
    holder_form = HolderForm(request.POST if action == "assign" else None, tenant=request.tenant)
    if action == "update" and form.is_valid():
        d = form.cleaned_data
        try:
            services.position_update(position=position, actor=request.user, name=d["name"],
                                     description=d["description"], is_active=d["is_active"],
                                     sort_order=d.get("sort_order") or 0, request=request)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("name", message)
        else:
            messages.success(request, _("岗位已保存。"))
            return redirect("approvals:position", pk=position.pk)
    if action == "assign" and holder_form.is_valid():
        d = holder_form.cleaned_data
        try:
            services.position_assign(position=position, actor=request.user, user=d["user"], region=d.get("region"),
                                     branch=d.get("branch"), request=request)
        except ValidationError as exc:
            for message in exc.messages:
                holder_form.add_error(None, message)
        else:
            messages.success(request, _("已添加任职人员。"))
            return redirect("approvals:position", pk=position.pk)
    return render(request, "approvals/position.html", {
        "position": position, "form": form, "holder_form": holder_form,
        "holders": selectors.holders_of(position=position),
    })


@tenant_view(Cap.APPROVALS_CONFIGURE)
@require_POST
def position_holder_remove(request, pk):
    holder = access_object(PositionHolder.objects.filter(tenant=request.tenant).select_related("position"), pk=pk)
    try:
        services.position_unassign(holder=holder, actor=request.user, request=request)
        messages.success(request, _("已移除任职人员。"))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("approvals:position", pk=holder.position_id)
