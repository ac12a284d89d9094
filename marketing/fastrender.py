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
from functools import lru_cache

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


# Django date-format characters that are plain zero-padded numbers, as str.format fields.
_NUMERIC = {"Y": "{0.year:04d}", "m": "{0.month:02d}", "d": "{0.day:02d}", "H": "{0.hour:02d}",
            "i": "{0.minute:02d}", "s": "{0.second:02d}"}
_SEPARATORS = set(" -:./")


@lru_cache(maxsize=64)
def _numeric_format(fmt: str) -> str | None:
    """``fmt`` as a str.format pattern when it uses only numeric fields and separators (the
    list columns' "Y-m-d H:i", "m-d H:i:s"...); None sends it through Django's date filter."""
    out = []
    for ch in fmt:
        if ch in _NUMERIC:
            out.append(_NUMERIC[ch])
        elif ch in _SEPARATORS:
            out.append(ch)
        else:
            return None
    return "".join(out)


def date(value, fmt: str) -> str:
    if value is None or value == "":
        return ""
    value = template_localtime(value)
    pattern = _numeric_format(fmt)
    if pattern is None or not hasattr(value, "year") or ("H" in fmt and not hasattr(value, "hour")):
        return date_filter(value, fmt)
    return pattern.format(value)


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
