"""Helpers for list rows written in Python instead of a template loop (issue 10,
docs/performance.md "Rows").

Django's template engine costs about a microsecond per variable and tens of microseconds per
``{% url %}``; a list page of 25 rows x 9 columns (the report board: 200 rows) spent more
time in its row loop than in all its SQL. A row renderer writes the same markup with
f-strings. Every helper here does what the template would have done for that value:

* ``esc(value)`` = ``{{ value }}``: safe strings as they are, everything else ``str()`` and
  HTML-escaped (Django's ``escape`` is ``html.escape(str(value))``); ``None`` renders "None"
  like the template (use ``or_default`` for ``|default:``).
* ``date(value, fmt)`` = ``{{ value|date:fmt }}``: aware datetimes in the current time zone.
* ``choice_labels(model, field)`` = ``get_FOO_display`` for every row: the field's choices
  read once per page, in the active language.
* ``url_maker(name)`` = ``{% url name pk %}``: one ``reverse()`` per page, then the pk is put
  in its place.

Each renderer's output is compared with the template loop it replaces
(``tests/test_performance.py``: parsed HTML, equal), so the markup cannot drift silently."""

from __future__ import annotations

import html

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.timezone import template_localtime

_PK_MARK = 918273645546372819


def esc(value) -> str:
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value), quote=True)


def or_default(value, default: str) -> str:
    """``{{ value|default:"—" }}`` (the default is trusted text)."""
    return esc(value) if value else default


def date(value, fmt: str) -> str:
    if value is None or value == "":
        return ""
    return date_filter(template_localtime(value), fmt)


def choice_labels(model, field: str) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


def display(labels: dict, value) -> str:
    return esc(labels.get(value, value))


def url_maker(view_name: str):
    """``{% url view_name pk %}`` for many pks with one ``reverse()``; the pk is an int (as
    every ``object_path`` takes), so it needs no escaping."""
    head, _, tail = reverse(view_name, args=[_PK_MARK]).partition(str(_PK_MARK))
    head, tail = esc(head), esc(tail)
    return lambda pk: f"{head}{int(pk)}{tail}"
