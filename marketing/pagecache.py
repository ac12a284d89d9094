"""Caching of per-request work that every page repeats (docs/performance.md).

* ``per_request``: computed once per request (the inbox count is both the navigation badge
  and a home card); never stale.
* ``inbox_count``: the approval inbox count shown in the navigation of every page, kept
  ``INBOX_TTL`` seconds per tenant and user, and dropped for the whole tenant whenever an
  approval flow, task or delegation of the tenant is saved or deleted (after commit). Bulk
  ``update()`` calls happen together with such a save in the approval services; the TTL
  bounds anything else.
* ``short_lived``: home-card aggregates over a whole archive (customer stages over 100,000
  rows, the expense pipeline) kept for ``ttl`` seconds in the cache (Redis in production),
  keyed by tenant, user and roles, so a number is never shown to someone with another reach.
  A home card may lag by up to ``ttl``; the lists themselves are always live.

Deliberately *not* cached across requests: the membership lookup (a deactivated user's
session must end on the next request) and anything a list page shows."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

HOME_CARD_TTL = 60
INBOX_TTL = 30
# Models whose changes can change someone's inbox count (matched by model name, so the
# approvals engine may live in any app).
INBOX_MODELS = {"approvalflow", "approvaltask", "approvaldelegation"}


def per_request(request, name: str, compute):
    memo = request.__dict__.setdefault("_branchdesk_memo", {})
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def _key(request, name: str) -> str:
    tenant, membership = request.tenant, request.membership
    roles = ",".join(sorted(membership.roles))
    digest = hashlib.blake2s(f"{roles}|{membership.pk}".encode(), digest_size=8).hexdigest()
    # created_at makes ids reused by a re-created tenant (tests, restores) miss the cache.
    return f"bd:card:{name}:{_tenant_stamp(tenant)}:{request.user.pk}:{digest}"


def short_lived(request, name: str, compute, ttl: int = HOME_CARD_TTL):
    if getattr(request, "tenant", None) is None or getattr(request, "membership", None) is None:
        return compute()
    key = _key(request, name)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value


def _tenant_stamp(tenant) -> str:
    stamp = int(tenant.created_at.timestamp() * 1_000_000) if tenant.created_at else 0
    return f"{tenant.pk}.{stamp}"


def _inbox_generation_key(tenant_id) -> str:
    return f"bd:gen:inbox:{tenant_id}"


def inbox_count(request, compute) -> int:
    """The inbox count for the request's user: once per request, and across requests while
    nothing in the tenant's approvals changed (at most ``INBOX_TTL`` seconds)."""
    def cached():
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return compute()
        gen_key = _inbox_generation_key(tenant.pk)
        key = f"bd:inbox:{_tenant_stamp(tenant)}:{request.user.pk}"
        found = cache.get_many([gen_key, key])
        generation = found.get(gen_key, 0)
        hit = found.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        value = compute()
        cache.set(key, (generation, value), INBOX_TTL)
        return value

    return per_request(request, "approvals.inbox_count", cached)


def _bump_inbox(tenant_id) -> None:
    key = _inbox_generation_key(tenant_id)
    try:
        cache.incr(key)
    except ValueError:  # not there yet
        cache.set(key, 1, None)


def _on_change(sender, instance, **kwargs) -> None:
    if sender._meta.model_name in INBOX_MODELS and getattr(instance, "tenant_id", None):
        tenant_id = instance.tenant_id
        transaction.on_commit(lambda: _bump_inbox(tenant_id))


def connect() -> None:
    post_save.connect(_on_change, dispatch_uid="pagecache-inbox-save")
    post_delete.connect(_on_change, dispatch_uid="pagecache-inbox-delete")
