"""The navigation, built per request from what the member's roles allow.

Each app lists its entries in ``<app>/navigation.py`` as ``NAV_ITEMS``; this module
collects them. An entry: ``NavItem(section, label, url_name, capabilities, badge=None)``;
it shows when the member holds any of ``capabilities`` (empty = every member). ``badge``
is an optional callable ``(request) -> int`` for counts such as the approval inbox.

Every installed app's ``navigation.py`` is picked up (``APPS_WITH_NAV`` only fixes the order
of the first ones). The sidebar is the same for everyone with the same capabilities: what a
member sees is computed once per process per capability set, and the rendered sidebar is
kept per (capabilities, language, active page, badge counts) -- the badges themselves are
counted per request (docs/performance.md)."""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# "reports.submissions" and "expenses.hospitality" are modules of their apps with their own pages.
APPS_WITH_NAV = ["marketing", "marketing.notifications", "reports", "reports.submissions", "contracts", "expenses",
                 "customers", "expenses.hospitality", "marketing.onboarding", "marketing.materials",
                 "reports.leaders", "reports.meetings", "marketing.people",
                 "marketing.workflows", "customers.partners",
                 "reports.receivables"]


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    url_name: str
    capabilities: tuple[str, ...] = ()
    badge: Callable | None = field(default=None, compare=False)
    order: int = 100


def _nav_modules() -> list[str]:
    from django.apps import apps

    names = list(APPS_WITH_NAV) + [a.name for a in apps.get_app_configs() if a.name not in APPS_WITH_NAV]
    modules = []
    for app in names:
        module = "marketing.nav_items" if app == "marketing" else f"{app}.navigation"
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:  # the app's package itself is not importable as such
            found = None
        if found is not None:
            modules.append(module)
    return modules


@cache
def all_items() -> tuple[NavItem, ...]:
    items: list[NavItem] = []
    for module in _nav_modules():
        items.extend(getattr(importlib.import_module(module), "NAV_ITEMS", []))
    return tuple(sorted(items, key=lambda i: i.order))


@cache
def _url(url_name: str, prefix: str, urlconf) -> str | None:
    """The navigation's URLs, reversed once per process (they take no arguments)."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


@lru_cache(maxsize=256)
def _visible(capabilities: frozenset[str], prefix: str, urlconf) -> tuple[tuple[NavItem, str], ...]:
    """The entries a member with ``capabilities`` sees, with their URLs."""
    out = []
    for item in all_items():
        if item.capabilities and not any(c in capabilities for c in item.capabilities):
            continue
        url = _url(item.url_name, prefix, urlconf)
        if url is not None:
            out.append((item, url))
    return tuple(out)


def _is_active(current: str, url_name: str) -> bool:
    return current == url_name or (current.split(":")[0] == url_name.split(":")[0] and url_name.endswith(":index"))


def _entries(request) -> list[tuple[NavItem, str, int]]:
    """(item, url, badge) for the request's member; badges counted once per request."""
    memo = request.__dict__.setdefault("_branchdesk_memo", {})
    if "nav.entries" not in memo:
        visible = _visible(request.membership.capabilities, get_script_prefix(), get_urlconf())
        memo["nav.entries"] = [(item, url, item.badge(request) if item.badge else 0) for item, url in visible]
    return memo["nav.entries"]


def _current(request) -> str:
    return request.resolver_match.view_name if request.resolver_match else ""


def items_for(request) -> list[dict]:
    if getattr(request, "membership", None) is None:
        return []
    current = _current(request)
    sections: dict[str, list[dict]] = {}
    for item, url, badge in _entries(request):
        sections.setdefault(str(item.section), []).append(
            {"label": item.label, "url": url, "badge": badge, "active": _is_active(current, item.url_name)}
        )
    return [{"title": title, "items": entries} for title, entries in sections.items()]


SIDEBAR_CACHE_SIZE = 2048
_sidebars: OrderedDict = OrderedDict()
_sidebars_lock = threading.Lock()


def sidebar(request) -> str:
    """The rendered ``includes/nav.html`` for the request, from a per-process LRU keyed by
    everything it depends on: the capability set (which entries), the language (labels),
    the active page and the badge counts. Nothing user-specific is in it."""
    if getattr(request, "membership", None) is None:
        return ""
    entries = _entries(request)
    key = (request.membership.capabilities, get_language(), _current(request), get_script_prefix(),
           tuple(badge for _item, _url, badge in entries))
    with _sidebars_lock:
        html = _sidebars.get(key)
        if html is not None:
            _sidebars.move_to_end(key)
            return html
    html = render_to_string("includes/nav.html", {"nav_sections": items_for(request)})
    with _sidebars_lock:
        _sidebars[key] = html
        while len(_sidebars) > SIDEBAR_CACHE_SIZE:
            _sidebars.popitem(last=False)
    return html


def context(request) -> dict:
    if getattr(request, "user", None) is None:
        return {"nav_sections": [], "nav_sidebar": ""}

    def sections():
        memo = request.__dict__.setdefault("_branchdesk_memo", {})
        if "nav.sections" not in memo:
            memo["nav.sections"] = items_for(request)
        return memo["nav.sections"]

    # Callables: the template calls them only where it uses them (the home page lists the
    # sections; every page shows the sidebar).
    return {"nav_sections": sections, "nav_sidebar": lambda: sidebar(request)}
