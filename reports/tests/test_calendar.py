import datetime as dt

import pytest

from reports import services
from reports.workcal import WorkCalendar, missing_years

from .helpers import at

D = dt.date


@pytest.fixture
def cal(org_a):
    with org_a.scope():
        yield WorkCalendar(org_a.tenant)


def test_friday_report_is_due_monday_at_ten(cal):
    assert cal.due_at(D(2026, 11, 20)) == at(2026, 11, 23, 10)
    assert cal.business_day_sent_on(D(2026, 11, 23)) == D(2026, 11, 20)


def test_ordinary_weekday_is_due_next_morning(cal):
    assert cal.due_at(D(2026, 11, 17)) == at(2026, 11, 18, 10)


def test_national_day_week_with_make_up_saturday(cal):
    # 2026: Oct 1-7 off; Saturday Oct 10 is a make-up working day.
    assert cal.due_at(D(2026, 9, 30)) == at(2026, 10, 8, 10)
    assert cal.is_working(D(2026, 10, 10))
    assert cal.due_at(D(2026, 10, 9)) == at(2026, 10, 10, 10)
    assert cal.business_day_sent_on(D(2026, 10, 12)) == D(2026, 10, 10)


def test_spring_festival(cal):
    # 2026: Saturday Feb 14 is a working day; Feb 15-23 off.
    assert cal.due_at(D(2026, 2, 13)) == at(2026, 2, 14, 10)
    assert cal.due_at(D(2026, 2, 14)) == at(2026, 2, 24, 10)
    assert not cal.is_working(D(2026, 2, 16))


def test_year_without_calendar_data_falls_back_to_monday_to_friday(cal):
    assert missing_years(D(2026, 11, 22)) == [2027]
    assert cal.is_working(D(2027, 1, 1))  # a Friday; the official holiday is unknown
    assert cal.due_at(D(2027, 1, 8)) == at(2027, 1, 11, 10)
    assert not cal.is_working(D(2027, 1, 9))


def test_tenant_override_wins(org_a):
    with org_a.scope():
        services.override_set(tenant=org_a.tenant, day=D(2027, 1, 1), is_working=False, note="元旦", actor=org_a.users["admin"])
        cal = WorkCalendar(org_a.tenant)
        assert cal.due_at(D(2026, 12, 31)) == at(2027, 1, 4, 10)
        services.override_set(tenant=org_a.tenant, day=D(2026, 11, 21), is_working=True, note="加班", actor=org_a.users["admin"])
        assert WorkCalendar(org_a.tenant).due_at(D(2026, 11, 20)) == at(2026, 11, 21, 10)


def test_deadline_follows_tenant_time(org_a):
    org_a.tenant.report_deadline_time = dt.time(11, 30)
    with org_a.scope():
        assert WorkCalendar(org_a.tenant).due_at(D(2026, 11, 17)) == at(2026, 11, 18, 11, 30)


def test_default_filing_day(cal):
    from reports.workcal import default_filing_day

    assert default_filing_day(cal, at(2026, 11, 23, 9, 59)) == D(2026, 11, 20)  # Monday morning: Friday's
    assert default_filing_day(cal, at(2026, 11, 23, 18)) == D(2026, 11, 23)  # Monday evening: Monday's
    assert default_filing_day(cal, at(2026, 11, 22, 18)) == D(2026, 11, 20)  # Sunday: Friday's


def test_time_progress_over_national_day_with_make_up_saturday(cal):
    """时间进度 (issue #20): working days up to and including the day ÷ the month's working
    days. October 2026 has 18 (Oct 1-7 off, Saturday Oct 10 worked)."""
    from decimal import Decimal

    from reports.summary import pct
    from reports.workcal import behind_pace, time_progress_ratio

    assert cal.time_progress(D(2026, 10, 7)) == (0, 18)
    assert cal.time_progress(D(2026, 10, 10)) == (3, 18)  # the 调休 Saturday counts
    assert cal.time_progress(D(2026, 10, 12)) == (4, 18)
    assert cal.time_progress(D(2026, 10, 31)) == (18, 18)  # a Saturday after the last working day
    ratio = time_progress_ratio(cal, D(2026, 10, 12))
    assert ratio == Decimal(4) / Decimal(18)
    assert pct(str(ratio)) == "22.2%"
    assert behind_pace(Decimal("0.2"), ratio) and not behind_pace(Decimal("0.23"), ratio)
    assert not behind_pace(None, ratio)


def test_time_progress_follows_tenant_overrides(org_a):
    with org_a.scope():
        cal = WorkCalendar(org_a.tenant, overrides={D(2026, 10, 17): True})  # a Saturday worked
        assert cal.time_progress(D(2026, 10, 17)) == (9, 19)
