"""Periods and deadlines of a submission rule, on the tenant's working-day calendar.

A period is named by its nominal deadline date. Daily rules have one period per working
day. Weekly rules have one per listed weekday, monthly rules one per month on
``month_day`` (the last day of a shorter month); quarterly rules one per quarter, on
``month_day`` of the quarter's ``period_month``-th month; yearly rules one per year, on
``month_day`` of month ``period_month``. With ``shift_to_working_day`` a deadline
that falls on a non-working day moves to the next working day (调休 make-up Saturdays
count as working days, as the official calendar says)."""

from __future__ import annotations

import calendar as pycal
import datetime as dt
from collections.abc import Iterator

from reports.workcal import WorkCalendar

from .models import Cadence, SubmissionRule


def _month_deadline(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, pycal.monthrange(year, month)[1]))


def nominal_dates(rule: SubmissionRule, start: dt.date, end: dt.date, cal: WorkCalendar) -> Iterator[dt.date]:
    """Nominal deadline dates in [start, end]."""
    if rule.cadence == Cadence.DAILY:
        day = start
        while day <= end:
            if cal.is_working(day):
                yield day
            day += dt.timedelta(days=1)
    elif rule.cadence == Cadence.WEEKLY:
        weekdays = {int(w) for w in rule.weekdays or []} or {4}
        day = start
        while day <= end:
            if day.weekday() in weekdays:
                yield day
            day += dt.timedelta(days=1)
    else:
        months = _deadline_months(rule)
        year, month = start.year, start.month
        while True:
            day = _month_deadline(year, month, rule.month_day)
            if day > end:
                return
            if day >= start and month in months:
                yield day
            month += 1
            if month > 12:
                year, month = year + 1, 1


def _deadline_months(rule: SubmissionRule) -> set[int]:
    if rule.cadence == Cadence.QUARTERLY:
        offset = min(max(int(rule.period_month or 3), 1), 3)
        return {offset, offset + 3, offset + 6, offset + 9}
    if rule.cadence == Cadence.YEARLY:
        return {min(max(int(rule.period_month or 12), 1), 12)}
    return set(range(1, 13))


def due_date(rule: SubmissionRule, period: dt.date, cal: WorkCalendar) -> dt.date:
    if rule.shift_to_working_day and not cal.is_working(period):
        return cal.next_working(period)
    return period


def due_at(rule: SubmissionRule, period: dt.date, cal: WorkCalendar) -> dt.datetime:
    return dt.datetime.combine(due_date(rule, period, cal), rule.deadline_time, tzinfo=rule.tenant.zone)


def is_period(rule: SubmissionRule, period: dt.date, cal: WorkCalendar) -> bool:
    return next(nominal_dates(rule, period, period, cal), None) == period


def current_period(rule: SubmissionRule, now: dt.datetime, cal: WorkCalendar) -> dt.date:
    """The period being worked on: the first one whose deadline has not passed."""
    today = now.astimezone(rule.tenant.zone).date()
    # A shifted deadline can lie up to a couple of weeks after its nominal date (long holidays).
    for period in nominal_dates(rule, today - dt.timedelta(days=20), today + dt.timedelta(days=400), cal):
        if due_at(rule, period, cal) >= now:
            return period
    raise ValueError("rule has no upcoming period")  # pragma: no cover - weekdays always recur


def previous_periods(rule: SubmissionRule, before: dt.date, cal: WorkCalendar, count: int) -> list[dt.date]:
    """Up to ``count`` periods before ``before``, newest first."""
    # Long enough to hold ``count`` periods even across the Spring Festival's 9 days off.
    span = {Cadence.DAILY: 2, Cadence.WEEKLY: 8, Cadence.MONTHLY: 32, Cadence.QUARTERLY: 93,
            Cadence.YEARLY: 367}[rule.cadence] * (count + 1) + 15
    dates = list(nominal_dates(rule, before - dt.timedelta(days=span), before - dt.timedelta(days=1), cal))
    return list(reversed(dates))[:count]


def period_label(rule: SubmissionRule, period: dt.date) -> str:
    if rule.cadence == Cadence.MONTHLY:
        return f"{period:%Y-%m}"
    if rule.cadence == Cadence.QUARTERLY:
        return f"{period.year}Q{(period.month - 1) // 3 + 1}"
    if rule.cadence == Cadence.YEARLY:
        return f"{period.year}"
    return f"{period:%Y-%m-%d}"
