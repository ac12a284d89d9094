"""Tenant resolution and fail-closed scoping.

* ``TenantMiddleware`` resolves the tenant once per request from the user's active
  membership and runs the view inside ``django_scopes.scope(tenant=...)``. Outside a
  scope every tenant-owned query raises ``ScopeError``.
* ``tenant_scope(tenant)`` is the only way code outside a request (tasks, commands)
  enters a tenant; it refuses ``None``, because django-scopes treats ``None`` as
  "no filter" -- which would fail *open*.
* ``object_path`` declares a URL that takes an object id, so the cross-tenant URL walk
  test knows which model each id names.
"""

from __future__ import annotations

import zoneinfo
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.contrib.auth import logout
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django_scopes import scope, scopes_disabled

if TYPE_CHECKING:
    from .models import Membership, Tenant

# Models that belong to no tenant. Every other model must carry a ``tenant`` foreign key
# and a scoped default manager (tests/test_tenancy_classification.py enforces it).
GLOBAL_MODELS = {
    "marketing.Tenant",  # the scope itself
    "marketing.User",  # a login; tenant membership lives on Membership
    "marketing.Heartbeat",  # when a periodic job last ran; names a job, holds no tenant data
    "auth.Permission",
    "auth.Group",  # unused for tenant roles: global groups cannot mean "in this tenant"
    "contenttypes.ContentType",
    "sessions.Session",
    "admin.LogEntry",  # platform superusers only
    "guardian.UserObjectPermission",  # generic tables; tenant grants use direct-FK tables
    "guardian.GroupObjectPermission",
    "axes.AccessAttempt",  # login throttling, keyed by user name + IP before any tenant is known
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "axes.AccessAttemptExpiration",
    # django-allauth (company sign-in). A SocialApp is one identity provider client; which
    # tenant uses it is notifications.CompanySignIn (tenant-owned). Accounts belong to a User.
    "account.EmailAddress",
    "account.EmailConfirmation",
    "socialaccount.SocialApp",
    "socialaccount.SocialAccount",
    "socialaccount.SocialToken",
}


@contextmanager
def tenant_scope(tenant: Tenant):
    """Enter one tenant's scope. Refuses None: django-scopes would read it as 'all tenants'.

    Also activates the tenant's time zone, so every time a person sees or enters -- pages
    (the middleware runs views in here), form input, e-mails and exports made by tasks,
    ``timezone.localdate()`` -- is the tenant's local time, not the server's."""
    if tenant is None or getattr(tenant, "pk", None) is None:
        raise ValueError("tenant_scope() needs a saved tenant")
    with scope(tenant=tenant.pk), timezone.override(_zone_of(tenant)):
        yield


def _zone_of(tenant):
    try:
        return tenant.zone
    except (AttributeError, ValueError, KeyError, zoneinfo.ZoneInfoNotFoundError):
        return timezone.get_default_timezone()


def membership_for(user) -> Membership | None:
    """The user's active membership in an active tenant, or None. Read live on every request
    (never cached: a deactivation must end the session on the next request), in one query:
    the member's role rows joined to the membership and tenant (a member without roles
    takes a second query)."""
    from .models import Membership, RoleAssignment

    if not user.is_authenticated:
        return None
    with scopes_disabled():
        roles = list(
            RoleAssignment.objects.select_related("membership__tenant")
            .filter(membership__user=user, membership__is_active=True, membership__tenant__is_active=True)
            .order_by("pk")
        )
        if not roles:
            return (
                Membership.objects.select_related("tenant")
                .prefetch_related("role_assignments")
                .filter(user=user, is_active=True, tenant__is_active=True)
                .first()
            )
        membership = roles[0].membership
        for ra in roles:
            ra.membership = membership
        assigned = membership.role_assignments.all()
        assigned._result_cache, assigned._prefetch_done = roles, True
        membership._prefetched_objects_cache = {"role_assignments": assigned}
        return membership


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        user = request.user
        if user.is_authenticated and user.is_superuser and request.path.startswith("/admin/"):
            # Platform superusers administer every tenant from Django admin.
            with scopes_disabled():
                return self.get_response(request)
        if user.is_authenticated and not user.is_superuser:
            membership = membership_for(user)
            if membership is None:
                # Deactivated, or the tenant is switched off: the session ends here.
                logout(request)
                return redirect("login")
            request.membership = membership
            request.tenant = membership.tenant
            with tenant_scope(membership.tenant):
                return self.get_response(request)
        return self.get_response(request)


def access_object(queryset_or_model, **lookup):
    """Fetch one object inside the current tenant scope or answer 404. Another tenant's
    object is indistinguishable from a missing one. Pass a queryset that already encodes
    the user's reach (e.g. filtered to visible branches) to get 404 for "not yours" too."""
    return get_object_or_404(queryset_or_model, **lookup)


def object_path(
    route: str,
    view,
    *,
    name: str,
    model: type[models.Model] | str,
    extra: dict | None = None,
):
    """``path()`` for a URL whose ``pk`` kwarg names an instance of ``model``. ``extra`` gives
    values for any other kwargs (e.g. ``{"fmt": "xlsx"}``). The URL walk test reads these
    marks and fails on any URL with an int kwarg that lacks one."""
    pattern = path(route, view, name=name)
    pattern.object_model = model if isinstance(model, str) else model._meta.label
    pattern.object_extra = extra or {}
    return pattern
