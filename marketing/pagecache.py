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
* ``watched_cards``: an app's whole home cards (``<app>/dashboard.py`` declaring
  ``HOME_CARDS_WATCH``, model names) kept ``HOME_CARD_TTL`` seconds per member and language,
  and dropped for the tenant as soon as a row of a watched model is saved or deleted (at
  once and again after commit): filing a report shows on the next home page, not a minute
  later. Time alone (a deadline passing) moves a card within the TTL.

* ``choices``: the option lists of filter dropdowns (branches, people, regions, tags), kept
  per process keyed by their SQL and parameters and by the *choices generation*. Any
  INSERT/UPDATE/DELETE on a table such a list reads (``CHOICE_MODELS``) bumps the generation
  (in Redis, shared by every worker) at once and again after commit: the check is on the SQL
  the database receives (a connection execute wrapper), so ``save()``, ``delete()``,
  ``bulk_create``, ``update()`` and raw ORM writes all count, whatever app makes them. A list
  reading any other table (grants with expiry times, customers) is never cached.

Deliberately *not* cached across requests: the membership lookup (a deactivated user's
session must end on the next request) and anything a list page shows."""

from __future__ import annotations

import hashlib
import re
import threading
import time

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connections, transaction
from django.db.backends.signals import connection_created
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


_card_models: set[str] = set()


def _card_generation_key(tenant_id, model_name: str) -> str:
    return f"bd:gen:card:{tenant_id}:{model_name}"


def watched_cards(request, name: str, compute, models, ttl: int = HOME_CARD_TTL):
    """``compute()`` (a list of home cards) kept per member and language while no row of
    ``models`` (model names, lower case) of the tenant changed."""
    from django.utils import translation

    if getattr(request, "tenant", None) is None or getattr(request, "membership", None) is None:
        return compute()
    gen_keys = [_card_generation_key(request.tenant.pk, m) for m in models]
    key = f"{_key(request, name)}:{translation.get_language()}"
    found = cache.get_many([*gen_keys, key])
    generations = tuple(found.get(k, 0) for k in gen_keys)
    hit = found.get(key)
    if hit is not None and hit[0] == generations:
        return hit[1]
    value = compute()
    cache.set(key, (generations, value), ttl)
    return value


def watch_card_models(models) -> None:
    _card_models.update(m.lower() for m in models)


def _bump_card(tenant_id, model_name: str) -> None:
    key = _card_generation_key(tenant_id, model_name)
    try:
        cache.incr(key)
    except ValueError:  # not there yet
        cache.set(key, 1, None)


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
    name = sender._meta.model_name
    tenant_id = getattr(instance, "tenant_id", None)
    if not tenant_id:
        return
    if name in INBOX_MODELS:
        transaction.on_commit(lambda: _bump_inbox(tenant_id))
    if name in _card_models:
        # Now (the writer's own next page) and after commit (a reader that cached the old
        # cards in between is dropped too).
        _bump_card(tenant_id, name)
        transaction.on_commit(lambda: _bump_card(tenant_id, name))


def connect() -> None:
    post_save.connect(_on_change, dispatch_uid="pagecache-inbox-save")
    post_delete.connect(_on_change, dispatch_uid="pagecache-inbox-delete")
    connection_created.connect(_install_watch, dispatch_uid="pagecache-choices-watch")
    request_started.connect(_request_edge, dispatch_uid="pagecache-choices-request-started")
    request_finished.connect(_request_edge, dispatch_uid="pagecache-choices-request-finished")
    for conn in connections.all(initialized_only=True):
        _install_watch(None, conn)
    _collect_card_watches()


def _collect_card_watches() -> None:
    """Every process (web, worker) must bump what any home card watches: read the
    declarations of every app's dashboard at start."""
    import importlib

    from django.apps import apps

    from .navigation import APPS_WITH_NAV

    for name in dict.fromkeys([*APPS_WITH_NAV, *(c.name for c in apps.get_app_configs())]):
        try:
            module = importlib.import_module(f"{name}.dashboard")
        except ModuleNotFoundError:
            continue
        watch_card_models(getattr(module, "HOME_CARDS_WATCH", ()))


# --- dropdown choices ------------------------------------------------------------------------

# The models filter dropdowns read (labels, reach through roles/branch grants, tenant state).
CHOICE_MODELS = (
    "marketing.Branch", "marketing.Region", "marketing.User", "marketing.Membership",
    "marketing.RoleAssignment", "marketing.BranchUserObjectPermission", "marketing.Tenant",
    "auth.Permission", "customers.Tag", "customers.CustomerStage",
)
CHOICES_TTL = 600  # belt and braces: a process forgets a list after ten minutes anyway
CHOICES_SIZE = 512
_CHOICES_GEN_KEY = "bd:gen:choices"
_TABLE_RE = re.compile(r'(?:\bFROM|\bJOIN)\s+"(\w+)"')
_SOURCE_RE = re.compile(r'\b(?:FROM|JOIN)\s+(\S)')  # what follows must be a quoted table or "("
_WRITE_RE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"(\w+)"', re.IGNORECASE)
# Logging in writes last_login only: no label or reach changes.
_HARMLESS_PREFIX = 'UPDATE "marketing_user" SET "last_login" = '
_VOLATILE = ("NOW()", "CURRENT_", "STATEMENT_TIMESTAMP", "RANDOM()", "'now'")
_choices: dict = {}
_choices_lock = threading.Lock()
_tables: frozenset[str] | None = None
# The generation is read once per request (a page has up to seven dropdowns), not once per
# dropdown; a write of the request itself drops the memo.
_local = threading.local()


def _request_edge(sender, **kwargs) -> None:
    _local.generation = None
    _local.in_request = kwargs.get("environ") is not None or "scope" in kwargs


def _watched_tables() -> frozenset[str]:
    global _tables
    if _tables is None:
        from django.apps import apps

        names = set()
        for label in CHOICE_MODELS:
            try:
                names.add(apps.get_model(label)._meta.db_table)
            except LookupError:
                continue
        _tables = frozenset(names)
    return _tables


def choices_generation() -> int:
    generation = getattr(_local, "generation", None)
    if generation is not None:
        return generation
    generation = cache.get(_CHOICES_GEN_KEY)
    if generation is None:
        # A fresh (or cleared) cache starts from a new number, never from an old one.
        cache.add(_CHOICES_GEN_KEY, time.time_ns(), None)
        generation = cache.get(_CHOICES_GEN_KEY, 0)
    if getattr(_local, "in_request", False):
        _local.generation = generation
    return generation


def bump_choices() -> None:
    _local.generation = None
    try:
        cache.incr(_CHOICES_GEN_KEY)
    except ValueError:  # not there (yet, or evicted)
        cache.set(_CHOICES_GEN_KEY, time.time_ns(), None)


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    head = sql.lstrip()[:7].upper()
    if head.startswith(("INSERT", "UPDATE", "DELETE")) and not sql.startswith(_HARMLESS_PREFIX):
        match = _WRITE_RE.match(sql)
        if match and match.group(1) in _watched_tables():
            # Now (so this transaction's own next read sees it) and after commit (so a reader
            # that cached the old rows under the first bump is dropped too).
            bump_choices()
            transaction.on_commit(bump_choices, using=context["connection"].alias)
    return result


def _install_watch(sender, connection, **kwargs) -> None:
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def cached_choices(queryset) -> list:
    """``list(queryset.values_list(...))`` from the per-process cache when every table the
    SQL reads is a watched one (else read live)."""
    return cached_choices_keyed(queryset)[1]


def cached_choices_keyed(queryset) -> tuple[tuple | None, list]:
    """(key, rows): the key names these rows in this process (None: read live, not cached)."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except Exception:  # EmptyResultSet and friends: let the queryset answer
        return None, list(queryset)
    tables = set(_TABLE_RE.findall(sql))
    if any(c not in '"(' for c in _SOURCE_RE.findall(sql)):
        return None, list(queryset)  # a source not named as Django names tables: not ours to judge
    if not tables or not tables <= _watched_tables() or any(v in sql.upper() for v in _VOLATILE):
        return None, list(queryset)
    key = (choices_generation(), queryset.db, sql, tuple(map(repr, params)))
    now = time.monotonic()
    hit = _choices.get(key)
    if hit is not None and hit[0] > now:
        return key, hit[1]
    rows = list(queryset)
    with _choices_lock:
        while len(_choices) >= CHOICES_SIZE:
            _choices.pop(next(iter(_choices)), None)
        _choices[key] = (now + CHOICES_TTL, rows)
    return key, rows
