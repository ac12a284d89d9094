"""Working days: the Chinese official calendar (holidays and make-up working weekends, from
the ``chinesecalendar`` package) plus the tenant's own overrides. A year the package does
not cover falls back to Monday-Friday; ``missing_years`` lets the UI warn admins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

import chinese_calendar

from .models import WorkdayOverride


@lru_cache(maxsize=4096)
def official_workday(day: dt.date) -> bool | None:
    """True/False from the official calendar, None when the year is not covered."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def year_covered(year: int) -> bool:
    return official_workday(dt.date(year, 6, 1)) is not None


class WorkCalendar:
    """A tenant's calendar. Loads the tenant's overrides once (one query)."""

    def __init__(self, tenant, overrides: dict[dt.date, bool] | None = None):
        self.tenant = tenant
        if overrides is None:
            overrides = dict(WorkdayOverride.objects.filter(tenant=tenant).values_list("day", "is_working"))
        self.overrides = overrides

    def is_working(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        official = official_workday(day)
        if official is None:
            return day.weekday() < 5
        return official

    def next_working(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.is_working(day):
            day += dt.timedelta(days=1)
        return day

    def previous_working(self, day: dt.date) -> dt.date:
        day -= dt.timedelta(days=1)
        while not self.is_working(day):
            day -= dt.timedelta(days=1)
        return day

    def due_at(self, business_day: dt.date) -> dt.datetime:
        """The deadline of business day D: the tenant's deadline time on the next working day."""
        due_day = self.next_working(business_day)
        return dt.datetime.combine(due_day, self.tenant.report_deadline_time, tzinfo=self.tenant.zone)

    def business_day_sent_on(self, send_day: dt.date) -> dt.date:
        """The business day a summary sent on working day W covers: the working day before W."""
        return self.previous_working(send_day)

    def working_days_of_month(self, year: int, month: int) -> list[dt.date]:
        day = dt.date(year, month, 1)
        days = []
        while day.month == month:
            if self.is_working(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def time_progress(self, day: dt.date) -> tuple[int, int]:
        """时间进度 of the month ``day`` falls in, as (elapsed, total) working days: working days
        from the 1st up to and including ``day`` over the month's working days. The ratio is
        ``elapsed / total`` (see :func:`time_progress_ratio`); both counts follow the tenant's
        calendar, official holidays and 调休 included."""
        days = self.working_days_of_month(day.year, day.month)
        return sum(1 for d in days if d <= day), len(days)

    def current_business_day(self, now: dt.datetime) -> dt.date:
        """The day whose reports are due next: the last working day before today (local)."""
        return self.previous_working(now.astimezone(self.tenant.zone).date())


def default_filing_day(calendar: WorkCalendar, now: dt.datetime) -> dt.date:
    """What a branch most likely files now: before today's deadline the report still due this
    morning (previous working day); after it, today's own report (if today is a working day)."""
    local = now.astimezone(calendar.tenant.zone)
    if calendar.is_working(local.date()) and local.time() >= calendar.tenant.report_deadline_time:
        return local.date()
    return calendar.previous_working(local.date())


def missing_years(today: dt.date) -> list[int]:
    """Years around today that the official calendar does not cover (this year and next)."""
    return [y for y in (today.year, today.year + 1) if not year_covered(y)]


def time_progress_ratio(calendar: WorkCalendar, day: dt.date):
    """时间进度 as an unrounded Decimal ratio (0..1), or None for a month without working days.
    Display it with ``reports.summary.pct`` like every other rate (one rounding rule)."""
    elapsed, total = calendar.time_progress(day)
    if not total:
        return None
    return Decimal(elapsed) / Decimal(total)


def behind_pace(rate, pace) -> bool:
    """落后于时间进度: a completion ratio strictly below the time-progress ratio. Unknown either
    side (no target, no working days) is never "behind"."""
    if rate is None or pace is None:
        return False
    return rate < pace
