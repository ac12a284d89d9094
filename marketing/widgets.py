"""Form widgets rendered in Python for the hot paths of list pages.

Django renders a ``<select>`` through one template include per ``<option>``; a filter form
with a 200-person dropdown spent more time there than in all its SQL. ``FastSelect`` writes
the same markup (name, attributes, ``selected``, optgroups) with one string join, escaping
every value and label like the template does."""

from __future__ import annotations

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _text(value) -> str:
    """``conditional_escape`` without its lazy-string machinery (the hot loop of a dropdown):
    safe strings pass as they are, everything else is HTML-escaped like Django's escape()."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value), quote=True)


def _option(value, label, selected: set[str]) -> str:
    value = "" if value is None else str(value)
    mark = ""
    if value in selected:
        mark = " selected"
        selected.discard(value)  # like Select: a value is marked once
    return f'<option value="{_text(value)}"{mark}>{_text(label)}</option>'


class FastSelect(forms.Select):
    """``render`` keeps the markup of the last ``SELECT_CACHE_SIZE`` distinct dropdowns per
    process, keyed by everything it is made of (name, attributes, selected values, every
    value and label as text): the choices are read live on every request, only writing the
    same 200 options again is skipped."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        selected = tuple(sorted({str(v) for v in self.format_value(value)}))
        raw = list(iter(self.choices))  # model choices: one query or the cached rows (iter: no COUNT)
        token = getattr(self.choices, "rows_token", None)
        if token is not None:  # rows named by their cache key (marketing/pagecache.py): no need to spell them out
            choices = token
        else:
            choices = tuple(
                (_key(v), tuple((_key(sv), _key(sl)) for sv, sl in label)) if isinstance(label, list | tuple)
                else (_key(v), _key(label))
                for v, label in raw
            )
        key = (tuple((k, _key(v)) for k, v in final_attrs.items()), selected, choices)
        html = _rendered.get(key)
        if html is None:
            html = self._render(final_attrs, selected, raw)
            try:
                while len(_rendered) >= SELECT_CACHE_SIZE:
                    _rendered.pop(next(iter(_rendered)), None)  # the oldest (dicts keep insertion order)
            except (RuntimeError, StopIteration):  # another thread changed it meanwhile
                pass
            _rendered[key] = html
        return mark_safe(html)  # noqa: S308 -- every value and label is escaped in _render

    @staticmethod
    def _render(final_attrs, selected, choices) -> str:
        marks = set(selected)
        parts = [f"<select{flatatt(final_attrs)}>"]
        for option_value, option_label in choices:
            if isinstance(option_label, list | tuple):
                parts.append(f'<optgroup label="{conditional_escape(option_value)}">')
                parts.extend(_option(v, lab, marks) for v, lab in option_label)
                parts.append("</optgroup>")
            else:
                parts.append(_option(option_value, option_label, marks))
        parts.append("</select>")
        return "".join(parts)


SELECT_CACHE_SIZE = 256
_rendered: dict = {}


def _key(value):
    """A value as it renders: its text (in the active language, for lazy labels) and whether
    it is already safe HTML (a safe and a plain label of the same text render differently)."""
    if value is None:
        return None
    return (str(value), hasattr(value, "__html__"))


def _label_expressions():
    """How to read a model's option label (its ``__str__``) straight from SQL, for the models
    that fill the big dropdowns. ``tests/test_fast_widgets.py`` checks each equals ``str()``."""
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, NullIf

    return {
        "marketing.User": Coalesce(NullIf(F("full_name"), Value("")), F("username")),
        "marketing.Branch": F("name"),
        "marketing.Region": F("name"),
        "customers.Tag": F("name"),
    }


class ValuesChoiceIterator(forms.models.ModelChoiceIterator):
    """Choices read with one plain SELECT of (pk, label) -- no model instances, no
    ``select_related`` rows. Django's iterator builds every instance and reads it through
    ``.iterator()``, which on PostgreSQL is a server-side cursor (DECLARE, FETCH, CLOSE: three
    round trips per dropdown). Models without a known label expression get instances from a
    plain list() instead."""

    rows_token = None

    def __iter__(self):
        self.rows_token = None
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset = self.queryset
        label = _label_expressions().get(queryset.model._meta.label)
        if label is None or type(self.field).label_from_instance is not forms.ModelChoiceField.label_from_instance:
            for obj in list(queryset):
                yield self.choice(obj)
            return
        from . import pagecache

        # Kept per process until a watched table changes (marketing/pagecache.py "choices").
        key, rows = pagecache.cached_choices_keyed(queryset.values_list("pk", label))
        yield from rows
        if key is not None:  # what FastSelect's memo may key on instead of every row
            self.rows_token = ("rows", key, _key(self.field.empty_label))


def speed_up(form: forms.BaseForm) -> forms.BaseForm:
    """Swap every plain ``Select`` of ``form`` for ``FastSelect`` (same choices and attrs) and
    read model choices with one plain query."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
            field.iterator = ValuesChoiceIterator
            field.widget.choices = field.choices
        if type(field.widget) is forms.Select:
            field.widget.__class__ = FastSelect
    return form
