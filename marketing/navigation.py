"""The navigation, built per request from what the member's roles allow.

Each app lists its entries in ``<app>/navigation.py`` as ``NAV_ITEMS``; this module
collects them. An entry: ``NavItem(section, label, url_name, capabilities, badge=None)``;
it shows when the member holds any of ``capabilities`` (empty = every member). ``badge``
is an optional callable ``(request) -> int`` for counts such as the approval inbox."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# "reports.submissions" and "expenses.hospitality" are modules of their apps with their own pages.
APPS_WITH_NAV = ["marketing", "marketing.notifications", "reports", "reports.submissions", "contracts", "expenses",
                 "customers", "expenses.hospitality", "customers.partners"]


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    url_name: str
    capabilities: tuple[str, ...] = ()
    badge: Callable | None = field(default=None, compare=False)
    order: int = 100


@cache
def all_items() -> tuple[NavItem, ...]:
    items: list[NavItem] = []
    for app in APPS_WITH_NAV:
        try:
            module = importlib.import_module(f"{app}.navigation" if app != "marketing" else "marketing.nav_items")
        except ModuleNotFoundError:
            continue
        items.extend(getattr(module, "NAV_ITEMS", []))
    return tuple(sorted(items, key=lambda i: i.order))


@cache
def _url(url_name: str, prefix: str, urlconf) -> str | None:
    """The navigation's URLs, reversed once per process (they take no arguments)."""
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def items_for(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    sections: dict[str, list[dict]] = {}
    current = request.resolver_match.view_name if request.resolver_match else ""
    for item in all_items():
        if item.capabilities and not any(membership.can(c) for c in item.capabilities):
            continue
        url = _url(item.url_name, get_script_prefix(), get_urlconf())
        if url is None:
            continue
        badge = item.badge(request) if item.badge else 0
        sections.setdefault(str(item.section), []).append(
            {
                "label": item.label,
                "url": url,
                "badge": badge,
                "active": current == item.url_name
                or (current.split(":")[0] == item.url_name.split(":")[0] and item.url_name.endswith(":index")),
            }
        )
    return [{"title": title, "items": entries} for title, entries in sections.items()]


def context(request) -> dict:
    return {"nav_sections": items_for(request) if getattr(request, "user", None) else []}
