"""Home page cards. Each app may offer ``home_cards(request) -> list[dict]`` in
``<app>/dashboard.py``; a card is ``{"title", "value", "hint", "url", "tone"}``."""

import importlib

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
        cards.extend(module.home_cards(request))
    return cards
