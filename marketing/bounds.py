"""Out-of-range input answers a form error, never a 500.

A date such as 9999-12-31 parses, then overflows the first time code adds a day to it (the
board's deadline, a month's end); a 23-digit id parses, then overflows SQLite's INTEGER or
compares against a bigint in a way the database refuses. So every form and filter field of
the product -- and of any app added later -- is bounded at the source: ``install()`` (run
from ``MarketingConfig.ready``) gives Django's form ``DateField``/``DateTimeField`` and
``IntegerField`` (and so ``DecimalField``/``FloatField``, django-filter's ``NumberFilter``)
a default validator, and model-choice fields refuse ids outside the bigint range before
they query. Views that read a date from a GET parameter by hand use ``parse_day``."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DAY_MIN = dt.date(1900, 1, 1)
DAY_MAX = dt.date(2100, 12, 31)
NUMBER_LIMIT = 10**15  # amounts are far below; ids stay inside bigint
BIGINT_MAX = 2**63 - 1
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def validate_day(value) -> None:
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if isinstance(day, dt.date) and not (DAY_MIN <= day <= DAY_MAX):
        raise ValidationError(
            _("日期超出范围（%(min)s 至 %(max)s）。"),
            code="date_out_of_range", params={"min": DAY_MIN.isoformat(), "max": DAY_MAX.isoformat()},
        )


def validate_number(value) -> None:
    if value is None:
        return
    if isinstance(value, int | float | Decimal) and abs(value) > NUMBER_LIMIT:
        raise ValidationError(_("数值超出范围。"), code="number_out_of_range")


def parse_day(value: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` GET parameter inside the product's range; ValueError otherwise."""
    if not value:
        return None
    day = dt.date.fromisoformat(str(value).strip())
    if not (DAY_MIN <= day <= DAY_MAX):
        raise ValueError("date out of range")
    return day


def parse_month(value: str | None) -> dt.date | None:
    """``YYYY-MM`` -> the first of that month, inside the product's range; ValueError otherwise."""
    match = _MONTH_RE.match(str(value or ""))
    if not match:
        raise ValueError("not a month")
    day = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if not (DAY_MIN <= day <= DAY_MAX):
        raise ValueError("date out of range")
    return day


def _bounded_to_python(original):
    def to_python(value):
        text = str(value).strip() if value is not None else ""
        if text.lstrip("-").isdigit() and abs(int(text)) > BIGINT_MAX:
            raise ValidationError(forms.ModelChoiceField.default_error_messages["invalid_choice"], code="invalid_choice")
        return original(value)

    return to_python


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    forms.DateField.default_validators = [*forms.DateField.default_validators, validate_day]
    forms.DateTimeField.default_validators = [*forms.DateTimeField.default_validators, validate_day]
    forms.IntegerField.default_validators = [*forms.IntegerField.default_validators, validate_number]

    original_mc = forms.ModelChoiceField.to_python
    forms.ModelChoiceField.to_python = lambda self, value: _bounded_to_python(
        lambda v: original_mc(self, v))(value)
    original_mmc = forms.ModelMultipleChoiceField._check_values

    def check_values(self, value):
        for item in value or ():
            text = str(item).strip()
            if text.lstrip("-").isdigit() and abs(int(text)) > BIGINT_MAX:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": text[:30]})
        return original_mmc(self, value)

    forms.ModelMultipleChoiceField._check_values = check_values


class RefuseNulCharacters:
    """A NUL character in a query-string or form value is refused with 400 before any view
    runs: PostgreSQL cannot store or compare it, so a search box fed one would answer 500.
    One place for the whole class instead of every view that reads ``request.GET``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import HttpResponseBadRequest

        for values in (request.GET.lists(), request.POST.lists() if request.method == "POST" else ()):
            for key, items in values:
                if "\x00" in key or any("\x00" in v for v in items):
                    return HttpResponseBadRequest("NUL characters are not allowed.")
        return self.get_response(request)
