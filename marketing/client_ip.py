"""One answer to "which address did this request come from", for the audit log, the
customer access log and django-axes (``AXES_CLIENT_IP_CALLABLE``).

``X-Forwarded-For`` is a list the client starts and each proxy appends to: only the entries
added by *our* proxies can be trusted. With ``TRUSTED_PROXY_COUNT = N`` (environment
variable, default 0 = no proxy, use the socket address) the client is the N-th entry from
the right; anything to its left was written by the client and is ignored. A header with
fewer entries than N (a request that bypassed a proxy) falls back to the socket address
rather than to a client-written value, and a value that is not an IP address is ignored."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    if request is None:
        return None
    remote = _valid(request.META.get("REMOTE_ADDR"))
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < trusted:
        return remote
    return _valid(hops[-trusted]) or remote
