"""Home page cards. Each app may offer ``home_cards(request) -> list[dict]`` in
``<app>/dashboard.py``; a card is ``{"title", "value", "hint", "url", "tone"}``. A module
that declares ``HOME_CARDS_WATCH`` (the model names its cards read) has its cards kept a
minute per member and language, dropped when such a row of the tenant changes
(marketing/pagecache.py ``watched_cards``)."""

import importlib

from . import pagecache
from .navigation import APPS_WITH_NAV


def home_cards(request) -> list[dict]:
    cards: list[dict] = []
    for app in APPS_WITH_NAV:
        if app == "marketing":
            continue
        try:
            module = importlib.import_module(f"{app}.dashboard")
        except ModuleNotFoundError:
            continue
        watch = getattr(module, "HOME_CARDS_WATCH", None)
        if watch:
            cards.extend(pagecache.watched_cards(request, f"{app}.home", lambda m=module: m.home_cards(request),
                                                 watch))
        else:
            cards.extend(module.home_cards(request))
    return cards
