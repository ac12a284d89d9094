"""Stale tabs: an edit form carries the version of the row it was opened on; a save whose
version no longer matches is refused with a clear message and the user's input kept.

    form = CustomerForm(request.POST or None, instance=customer, ...)
    versioned(form, customer)                      # adds the hidden ``row_version`` field
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, customer):   # atomic, row locked, version compared
                services.customer_update(...)
        except ValidationError as exc:             # StaleEdit is a ValidationError
            ...add to the form, re-render (the input is still in the bound form)

The version is a digest of the row's stored values (plus, for rows whose meaning spans
other tables, what ``extra(obj)`` returns), so no model needs a counter column and any
save by anyone -- another tab, another user, a service -- changes it. The comparison runs
under ``select_for_update`` in the same transaction as the save, so two simultaneous saves
of one version end with one saved and one refused (PostgreSQL), never both.

After a refusal the hidden version is moved to the current one: the user reads the notice,
checks the record, and a deliberate second save then wins. A POST without a version (an
old form, a script) is not checked."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

VERSION_FIELD = "row_version"

STALE_MESSAGE = _(
    "未保存：您打开此页面后，这条记录已被他人（或在另一个窗口中）修改。您填写的内容仍保留在下方；"
    "请先在新窗口中查看最新内容，确认仍以您的内容为准后再次保存。"
)


class StaleEdit(ValidationError):
    def __init__(self):
        super().__init__(STALE_MESSAGE, code="stale")


def row_version(obj, extra=None) -> str:
    parts = [f"{f.attname}={f.value_to_string(obj)}" for f in obj._meta.concrete_fields]
    if extra is not None:
        parts.append(repr(extra(obj)))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def versioned(form, obj, *, extra=None):
    """Add the hidden version field to ``form`` (initial: ``obj`` as loaded now)."""
    form.fields[VERSION_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False,
                                                 initial=row_version(obj, extra))
    form._version_extra = extra
    return form


@contextmanager
def guard_version(form, obj):
    """Lock ``obj``'s row, compare the posted version, raise ``StaleEdit`` if it moved."""
    extra = getattr(form, "_version_extra", None)
    key = form.add_prefix(VERSION_FIELD)
    with transaction.atomic():
        current = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        posted = form.data.get(key, "")
        if posted:
            now = row_version(current, extra)
            if posted != now:
                data = form.data.copy()
                data[key] = now
                form.data = data
                raise StaleEdit()
        yield current


def lock_or_create(model, *, defaults: dict | None = None, **lookup):
    """``(row, created)``: the row for ``lookup`` locked for update, created if missing.

    ``select_for_update()`` on a missing row locks nothing, so two simultaneous "set" calls
    would both insert and one would fail with IntegrityError (a 500). Here the insert runs in
    a savepoint; the loser of the race waits on the unique index, gets IntegrityError, and
    then locks the winner's row -- both callers end on one row, in order. Call inside a
    transaction (the service's ``@transaction.atomic``)."""
    from django.db import IntegrityError

    row = model.objects.select_for_update().filter(**lookup).first()
    if row is not None:
        return row, False
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **(defaults or {})), True
    except IntegrityError:
        return model.objects.select_for_update().get(**lookup), False
