"""View guards. A tenant view needs a logged-in member of an active tenant; a capability
check answers 403. Object reach (branch, ownership) is the access helper's job and answers
404, so existence never leaks."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .roles import provide_capabilities


def _check(request, capabilities: tuple[str, ...], any_of: bool):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    membership = getattr(request, "membership", None)
    if membership is None:
        # A platform superuser (no tenant) or a user without membership: no tenant pages.
        raise PermissionDenied
    if capabilities:
        held = [membership.can(c) for c in capabilities]
        if not (any(held) if any_of else all(held)):
            raise PermissionDenied
    return None


def tenant_view(*capabilities: str, any_of: bool = False):
    """Decorator for function views: ``@tenant_view(Cap.REPORTS_FILE)``. With several
    capabilities all are needed, unless ``any_of=True``."""

    provide_capabilities(*capabilities)  # these exist: the user page lists them (roles.py)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            denied = _check(request, capabilities, any_of)
            if denied is not None:
                return denied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class TenantViewMixin:
    """For class-based views: set ``capabilities = (Cap.X, ...)`` and optionally ``any_of``."""

    capabilities: tuple[str, ...] = ()
    any_of = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        provide_capabilities(*cls.capabilities)

    def dispatch(self, request, *args, **kwargs):
        denied = _check(request, tuple(self.capabilities), self.any_of)
        if denied is not None:
            return denied
        return super().dispatch(request, *args, **kwargs)
