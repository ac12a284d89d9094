"""Periods and deadlines across holidays and 调休 (Chinese official calendar, 2026)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from reports.submissions import cadence
from reports.submissions.models import SubmissionRule
from reports.workcal import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


def _rule(org, code):
    return SubmissionRule.objects.get(tenant=org.tenant, code=code)


@pytest.mark.django_db
def test_weekly_plan_due_friday_noon_moves_past_national_day(org_a):
    """S003-23: 周工作计划 due Friday 12:00; Friday 2026-10-02 is a holiday, so the deadline
    moves to the next working day, Thursday 2026-10-08 (Oct 3-7 are off)."""
    with org_a.scope():
        rule, cal = _rule(org_a, "weekly_plan"), WorkCalendar(org_a.tenant)
        assert cadence.due_at(rule, dt.date(2026, 9, 25), cal) == dt.datetime(2026, 9, 28, 12, 0, tzinfo=SH)  # 9-25 Fri off
        assert cadence.due_at(rule, dt.date(2026, 10, 2), cal) == dt.datetime(2026, 10, 8, 12, 0, tzinfo=SH)
        assert cadence.due_at(rule, dt.date(2026, 10, 9), cal) == dt.datetime(2026, 10, 9, 12, 0, tzinfo=SH)
        # Spring Festival: Fri 2026-02-20 off, Mon 02-23 off -> Tue 02-24.
        assert cadence.due_at(rule, dt.date(2026, 2, 20), cal) == dt.datetime(2026, 2, 24, 12, 0, tzinfo=SH)


@pytest.mark.django_db
def test_action_plan_twice_a_week_does_not_move_from_sunday(org_a):
    """S000-29: updated every Wednesday and Sunday; the rule keeps Sunday as the deadline."""
    with org_a.scope():
        rule, cal = _rule(org_a, "action_plan"), WorkCalendar(org_a.tenant)
        dates = list(cadence.nominal_dates(rule, dt.date(2026, 9, 28), dt.date(2026, 10, 11), cal))
        assert dates == [dt.date(2026, 9, 30), dt.date(2026, 10, 4), dt.date(2026, 10, 7), dt.date(2026, 10, 11)]
        assert cadence.due_at(rule, dt.date(2026, 10, 4), cal) == dt.datetime(2026, 10, 4, 22, 0, tzinfo=SH)


@pytest.mark.django_db
def test_daily_rule_follows_working_days_including_make_up_saturdays(org_a):
    """S001-16: the visit sheet is due every working day by 22:00: Sat 2026-02-14 is a
    调休 working day (a period), Mon 02-16 is Spring Festival (none)."""
    with org_a.scope():
        rule, cal = _rule(org_a, "visit_sheet"), WorkCalendar(org_a.tenant)
        dates = list(cadence.nominal_dates(rule, dt.date(2026, 2, 13), dt.date(2026, 2, 24), cal))
        assert dates == [dt.date(2026, 2, 13), dt.date(2026, 2, 14), dt.date(2026, 2, 24)]
        assert cadence.due_at(rule, dt.date(2026, 2, 14), cal) == dt.datetime(2026, 2, 14, 22, 0, tzinfo=SH)


@pytest.mark.django_db
def test_monthly_deadline_on_a_weekend_moves_to_monday(org_a):
    """S004-14: the monthly sales plan is due on the 26th; 2026-09-26 is a Saturday, so the
    deadline is Monday 2026-09-28 18:00. A month without day 31 uses its last day."""
    with org_a.scope():
        rule, cal = _rule(org_a, "monthly_sales_plan"), WorkCalendar(org_a.tenant)
        assert cadence.due_at(rule, dt.date(2026, 9, 26), cal) == dt.datetime(2026, 9, 28, 18, 0, tzinfo=SH)
        rule.month_day = 31
        dates = list(cadence.nominal_dates(rule, dt.date(2026, 1, 1), dt.date(2026, 4, 30), cal))
        assert dates == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30)]


@pytest.mark.django_db
def test_current_period_is_the_first_open_deadline(org_a):
    with org_a.scope():
        rule, cal = _rule(org_a, "weekly_plan"), WorkCalendar(org_a.tenant)
        # Friday 2026-10-09 11:59 -> this Friday; 12:01 -> next Friday.
        assert cadence.current_period(rule, dt.datetime(2026, 10, 9, 11, 59, tzinfo=SH), cal) == dt.date(2026, 10, 9)
        assert cadence.current_period(rule, dt.datetime(2026, 10, 9, 12, 1, tzinfo=SH), cal) == dt.date(2026, 10, 16)
        # During the holiday the shifted 10-02 period is still open until 10-08 12:00.
        assert cadence.current_period(rule, dt.datetime(2026, 10, 5, 9, 0, tzinfo=SH), cal) == dt.date(2026, 10, 2)
