from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import selectors, services
from .concurrency import guard_version, versioned
from .filters import AuditFilter, MemberFilter
from .forms import (
    BranchForm,
    MembershipForm,
    PasswordResetByAdminForm,
    RegionForm,
    TenantSettingsForm,
    UserCreateForm,
)
from .models import Branch, CustomerReachPolicy, Membership, Region, Tenant
from .paging import paginate
from .permissions import tenant_view
from .roles import BRANCH_ROLES, CAPABILITY_LABELS, Cap, implemented_capabilities
from .submit_once import once_per_submit
from .tenancy import access_object


@never_cache
def healthz(request):
    """JSON health of the database, broker, Redis and beat's dispatchers; 503 if any is down
    (``?probe=web``: database and broker only, for the load balancer). See marketing/health.py."""
    from .health import health

    ok, body = health(probe=request.GET.get("probe", "full"))
    return JsonResponse(body, status=200 if ok else 503)


def _form_error(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


@login_required
def home(request):
    if request.membership is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        return redirect("login")
    from .dashboard import home_cards

    return render(request, "marketing/home.html", {"cards": home_cards(request)})


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(
            user=request.user, actor=request.user, password=form.cleaned_data["new_password1"],
            tenant=request.tenant, request=request,
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("密码已修改。"))
        return redirect("home")
    return render(request, "marketing/password_change.html", {"form": form})


# --- users ---------------------------------------------------------------------------


@tenant_view(Cap.TENANT_MANAGE)
def user_list(request):
    filterset = MemberFilter(request.GET or None, queryset=selectors.members(tenant=request.tenant, active=None), tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs)
    return render(request, "marketing/user_list.html", {"filter": filterset, "page": page, "query": query})


def _membership(request, pk) -> Membership:
    return access_object(selectors.members(tenant=request.tenant, active=None), pk=pk)


def _capability_label(cap: str, tenant) -> str:
    if cap == Cap.CUSTOMERS_VIEW_OWN:  # its reach is the tenant's policy (docs/customers.md)
        if tenant.customer_reach_policy == CustomerReachPolicy.SEED:
            return _("查询全部客户档案（市场业务员，按租户的档案查询权限）")
        return _("查看本人负责及共享的客户档案（其他客户需申请）")
    return CAPABILITY_LABELS.get(cap, cap)


@tenant_view(Cap.TENANT_MANAGE)
def user_detail(request, pk):
    membership = _membership(request, pk)
    branches = selectors.visible_branches(membership=membership)
    # Only what installed code implements (roles.implemented_capabilities), never a promise.
    caps = sorted(membership.capabilities & implemented_capabilities())
    return render(
        request,
        "marketing/user_detail.html",
        {
            "m": membership,
            "capabilities": [(c, _capability_label(c, request.tenant)) for c in caps],
            "branches": branches if not membership.can(Cap.BRANCHES_ALL) else None,
            "all_branches": membership.can(Cap.BRANCHES_ALL),
            "events": selectors.audit_events(tenant=request.tenant).filter(object_type="marketing.User", object_id=str(membership.user_id))[:20],
            # issue 19: a new set-password link (people:invite_resend) for people managers
            "may_invite": membership.is_active and membership.user.is_active and request.membership.can(Cap.PEOPLE_MANAGE),
        },
    )


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def user_create_view(request):
    form = UserCreateForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.user_create(
                tenant=request.tenant, actor=request.user, request=request, username=d["username"], password=d["password"],
                full_name=d["full_name"], email=d["email"], phone=d["phone"], title=d["title"], roles=d["roles"], branches=d["branches"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已创建用户 %(name)s。") % {"name": user.display_name})
            return redirect("marketing:user_detail", pk=user.membership.pk)
    return render(request, "marketing/user_form.html", {"form": form, "branch_roles": [r.value for r in BRANCH_ROLES]})


def _membership_extra(membership):
    """A user edit also changes the login row, the roles and the branch grants."""
    from .models import RoleAssignment, User

    user = User.objects.get(pk=membership.user_id)
    return (user.full_name, user.email, user.phone,
            sorted(RoleAssignment.objects.filter(membership_id=membership.pk).values_list("role", flat=True)),
            sorted(selectors.assigned_branch_ids(membership=membership)))


@tenant_view(Cap.TENANT_MANAGE)
def user_edit(request, pk):
    membership = _membership(request, pk)
    initial = {
        "full_name": membership.user.full_name, "email": membership.user.email, "phone": membership.user.phone,
        "title": membership.title, "roles": sorted(membership.roles),
        "branches": list(Branch.objects.filter(pk__in=selectors.assigned_branch_ids(membership=membership))),
    }
    form = versioned(MembershipForm(request.POST or None, initial=initial, tenant=request.tenant), membership,
                     extra=_membership_extra)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with guard_version(form, membership):
                services.membership_update(
                    membership=membership, actor=request.user, request=request, roles=d["roles"],
                    branches=d["branches"], title=d["title"], full_name=d["full_name"], email=d["email"],
                    phone=d["phone"],
                )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("marketing:user_detail", pk=membership.pk)
    return render(request, "marketing/user_form.html", {"form": form, "m": membership, "branch_roles": [r.value for r in BRANCH_ROLES]})


@require_POST
@tenant_view(Cap.TENANT_MANAGE)
def user_toggle_active(request, pk):
    membership = _membership(request, pk)
    try:
        services.user_set_active(membership=membership, actor=request.user, active=not membership.is_active, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("账号已启用。") if not membership.is_active else _("账号已停用，历史记录保留。"))
    return redirect("marketing:user_detail", pk=membership.pk)


@tenant_view(Cap.TENANT_MANAGE)
def user_reset_password(request, pk):
    membership = _membership(request, pk)
    form = PasswordResetByAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(user=membership.user, actor=request.user, password=form.cleaned_data["password"], tenant=request.tenant, request=request)
        messages.success(request, _("已重置密码。"))
        return redirect("marketing:user_detail", pk=membership.pk)
    return render(request, "marketing/simple_form.html", {"form": form, "title": _("重置密码：%(name)s") % {"name": membership.user.display_name}, "back": "marketing:users"})


# --- organisation --------------------------------------------------------------------


@tenant_view(Cap.TENANT_MANAGE)
def org(request):
    regions = selectors.regions_with_branches(tenant=request.tenant)
    return render(request, "marketing/org.html", {"regions": regions})


def _org_object_edit(request, *, model, form_class, create, update, pk, titles):
    """Create or edit a region or branch: the two pages differ only in model and service."""
    obj = access_object(model.objects.filter(tenant=request.tenant), pk=pk) if pk else None
    form = form_class(request.POST or None, instance=obj, tenant=request.tenant)
    if obj:
        versioned(form, obj)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form_class.Meta.fields}
        try:
            if obj:
                with guard_version(form, obj):
                    update(obj, actor=request.user, request=request, **data)
            else:
                create(tenant=request.tenant, actor=request.user, request=request, **data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("marketing:org")
    title = titles[0] if obj else titles[1]
    return render(request, "marketing/simple_form.html", {"form": form, "title": title, "back": "marketing:org"})


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def region_edit(request, pk=None):
    return _org_object_edit(
        request, model=Region, form_class=RegionForm, pk=pk,
        create=services.region_create, update=lambda o, **kw: services.region_update(region=o, **kw),
        titles=(_("编辑地区"), _("新建地区")),
    )


@tenant_view(Cap.TENANT_MANAGE)
@once_per_submit
def branch_edit(request, pk=None):
    return _org_object_edit(
        request, model=Branch, form_class=BranchForm, pk=pk,
        create=services.branch_create, update=lambda o, **kw: services.branch_update(branch=o, **kw),
        titles=(_("编辑分公司"), _("新建分公司")),
    )


@tenant_view(Cap.TENANT_MANAGE)
def tenant_settings(request):
    # A fresh copy: a rejected form must not leave bad values on request.tenant.
    tenant = Tenant.objects.get(pk=request.tenant.pk)
    form = versioned(TenantSettingsForm(request.POST or None, instance=tenant), tenant)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in TenantSettingsForm.Meta.fields}
        try:
            with guard_version(form, tenant):
                services.tenant_settings_update(tenant=tenant, actor=request.user, data=data, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("设置已保存。"))
            return redirect("marketing:settings")
    return render(request, "marketing/simple_form.html", {"form": form, "title": _("租户设置"), "back": "home"})


@tenant_view(Cap.AUDIT_VIEW)
def audit_list(request):
    filterset = AuditFilter(request.GET or None, queryset=selectors.audit_events(tenant=request.tenant), tenant=request.tenant, request=request)
    page, query = paginate(request, filterset.qs, per_page=50)
    from .audit import redact_for_reader

    events = redact_for_reader(request, page.object_list)
    return render(request, "marketing/audit_list.html", {"filter": filterset, "page": page, "query": query,
                                                         "events": events})

