"""Caching of per-request work that every page repeats (docs/performance.md).

* ``per_request``: computed once per request (the inbox count is both the navigation badge
  and a home card); never stale.
* ``short_lived``: home-card aggregates over a whole archive (customer stages over 100,000
  rows, the expense pipeline) kept for ``ttl`` seconds in the cache (Redis in production),
  keyed by tenant, user and roles, so a number is never shown to someone with another reach.
  A home card may lag by up to ``ttl``; the lists themselves are always live.

Deliberately *not* cached across requests: the membership lookup (a deactivated user's
session must end on the next request) and anything a list page shows."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

HOME_CARD_TTL = 60


def per_request(request, name: str, compute):
    memo = request.__dict__.setdefault("_branchdesk_memo", {})
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def _key(request, name: str) -> str:
    tenant, membership = request.tenant, request.membership
    # created_at makes ids reused by a re-created tenant (tests, restores) miss the cache.
    stamp = int(tenant.created_at.timestamp() * 1_000_000) if tenant.created_at else 0
    roles = ",".join(sorted(membership.roles))
    digest = hashlib.blake2s(f"{roles}|{membership.pk}".encode(), digest_size=8).hexdigest()
    return f"bd:card:{name}:{tenant.pk}.{stamp}:{request.user.pk}:{digest}"


def short_lived(request, name: str, compute, ttl: int = HOME_CARD_TTL):
    if getattr(request, "tenant", None) is None or getattr(request, "membership", None) is None:
        return compute()
    key = _key(request, name)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value
