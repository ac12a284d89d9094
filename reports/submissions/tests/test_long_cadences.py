"""Quarterly and yearly rules on the working-day calendar, and the plans of issue #22 that run
on them: S001-02 / S002-02 (yearly plans), S001-12 (quarterly sales plan), S004-17
(production plans), S001-14 (region target checked against its branches), S002-04 (the daily
work log prefilled from one's own visits), S002-12 (the commitment letter sent back), and
reviewers limited to their branches."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketing.models import Membership
from reports.models import MonthlyTarget
from reports.submissions import cadence, prefill, selectors, services
from reports.submissions.models import Cadence, SubmissionRule, SubmissionStatus
from reports.workcal import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


def m_of(org, key):
    return Membership.objects.get(tenant=org.tenant, user=org.users[key])


def rule(org, code):
    return SubmissionRule.objects.get(tenant=org.tenant, code=code)


def periods(r, cal, year=2026):
    return list(cadence.nominal_dates(r, dt.date(year, 1, 1), dt.date(year, 12, 31), cal))


@pytest.mark.django_db
def test_s001_12_quarterly_plan_periods_and_shifted_deadlines(org_a):
    with org_a.scope():
        r = rule(org_a, "quarterly_sales_plan")
        cal = WorkCalendar(org_a.tenant)
        assert (r.cadence, r.period_month, r.month_day) == (Cadence.QUARTERLY, 3, 26)
        assert periods(r, cal) == [dt.date(2026, 3, 26), dt.date(2026, 6, 26), dt.date(2026, 9, 26),
                                   dt.date(2026, 12, 26)]
        # 09-26 and 12-26 are Saturdays: the deadline moves to the next working day.
        assert [cadence.due_date(r, p, cal) for p in periods(r, cal)] == [
            dt.date(2026, 3, 26), dt.date(2026, 6, 26), dt.date(2026, 9, 28), dt.date(2026, 12, 28)]
        assert [cadence.period_label(r, p) for p in periods(r, cal)] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
        assert cadence.previous_periods(r, dt.date(2026, 12, 26), cal, 2) == [dt.date(2026, 9, 26),
                                                                              dt.date(2026, 6, 26)]
        assert cadence.current_period(r, dt.datetime(2026, 9, 27, 9, 0, tzinfo=SH), cal) == dt.date(2026, 9, 26)
        assert cadence.current_period(r, dt.datetime(2026, 9, 28, 18, 1, tzinfo=SH), cal) == dt.date(2026, 12, 26)


@pytest.mark.django_db
def test_quarterly_deadline_on_new_year_moves_to_the_make_up_sunday(org_a):
    """2026-01-01/02 are holidays and Sunday 01-04 is a 调休 working day: that is the deadline."""
    with org_a.scope():
        r = rule(org_a, "quarterly_sales_plan")
        r.period_month, r.month_day = 1, 1
        cal = WorkCalendar(org_a.tenant)
        assert periods(r, cal) == [dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 1), dt.date(2026, 10, 1)]
        assert cadence.due_date(r, dt.date(2026, 1, 1), cal) == dt.date(2026, 1, 4)
        r.shift_to_working_day = False
        assert cadence.due_date(r, dt.date(2026, 1, 1), cal) == dt.date(2026, 1, 1)


@pytest.mark.django_db
def test_s001_02_s002_02_s004_17_yearly_plans(org_a):
    with org_a.scope():
        cal = WorkCalendar(org_a.tenant)
        for code in ("annual_plan", "annual_work_plan", "production_plan_year"):
            r = rule(org_a, code)
            assert r.cadence == Cadence.YEARLY
            assert periods(r, cal) == [dt.date(2026, 12, 26)]
            assert cadence.due_at(r, dt.date(2026, 12, 26), cal) == dt.datetime(2026, 12, 28, 18, 0, tzinfo=SH)
            assert cadence.period_label(r, dt.date(2026, 12, 26)) == "2026"
        assert rule(org_a, "production_plan_month").cadence == Cadence.MONTHLY
        # A yearly deadline on a make-up Saturday (2026-02-14) stays where it is.
        r = rule(org_a, "annual_plan")
        r.period_month, r.month_day = 2, 14
        assert cadence.due_date(r, dt.date(2026, 2, 14), cal) == dt.date(2026, 2, 14)
        # The director submits the yearly plan once; the GM accepts it.
        sub = services.submission_save(
            membership=m_of(org_a, "mdirector"), rule=rule(org_a, "annual_plan"), period=dt.date(2026, 12, 26),
            branch=None, submit=True, now=dt.datetime(2026, 12, 20, 9, 0, tzinfo=SH),
            data={"plan": [{"branch": "甲一分公司", "sales": "3600000", "gross_profit": "900000", "expenses": "120000"}],
                  "notes": ""})
        services.submission_review(membership=m_of(org_a, "gm"), submission=sub, accept=True)
        sub.refresh_from_db()
        assert sub.status == SubmissionStatus.ACCEPTED


@pytest.mark.django_db
def test_s001_14_region_target_may_not_be_below_its_branches(org_a):
    with org_a.scope():
        december = dt.date(2026, 12, 1)
        MonthlyTarget.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], month=december,
                                     amount=Decimal("300000"))
        MonthlyTarget.objects.create(tenant=org_a.tenant, branch=org_a.branches["A2"], month=december,
                                     amount=Decimal("150000.50"))
        MonthlyTarget.objects.create(tenant=org_a.tenant, branch=org_a.branches["A3"], month=december,
                                     amount=Decimal("999999"))  # not the regional manager's branch
        r, rm = rule(org_a, "region_plan"), m_of(org_a, "rm")
        period, when = dt.date(2026, 11, 26), dt.datetime(2026, 11, 25, 9, 0, tzinfo=SH)
        plan = [{"action": "走访 4S 店", "branch": "甲一分公司", "due": "2026-12-15"}]
        with pytest.raises(ValidationError) as exc:
            services.submission_save(membership=rm, rule=r, period=period, branch=None, submit=True, now=when,
                                     data={"region_target": "450000.00", "work_plan": plan})
        assert exc.value.code == "region_below_branches"
        assert exc.value.messages == [
            "本区域 2026-12 目标 ¥450,000.00 低于所辖分公司目标之和 ¥450,000.50"
            "（甲一分公司 ¥300,000.00、甲二分公司 ¥150,000.50）。"]
        # A draft is not checked; the exact sum passes.
        services.submission_save(membership=rm, rule=r, period=period, branch=None, submit=False, now=when,
                                 data={"region_target": "1", "work_plan": plan})
        sub = services.submission_save(membership=rm, rule=r, period=period, branch=None, submit=True, now=when,
                                       data={"region_target": "450000.50", "work_plan": plan})
        assert sub.status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_s002_04_work_log_prefilled_from_ones_own_visits(org_a):
    from customers.models import Customer, Visit

    with org_a.scope():
        day = dt.date(2026, 11, 19)
        sales, other = org_a.users["sales"], org_a.users["allroles"]
        c = Customer.objects.create(tenant=org_a.tenant, name="宁波丰田4S", branch=org_a.branches["A1"], owner=sales)
        Visit.objects.create(tenant=org_a.tenant, customer=c, visited_on=day, visited_by=sales, outcome="谈续保",
                             next_step="下周报价")
        Visit.objects.create(tenant=org_a.tenant, customer=c, visited_on=day, visited_by=other, outcome="别人的拜访")
        r = rule(org_a, "work_log")
        initial = prefill.initial_for(rule=r, period=day, branch=None, membership=m_of(org_a, "sales"))
        assert initial == {"visits": [{"customer": c.pk, "by": sales.display_name, "outcome": "谈续保",
                                       "next": "下周报价"}]}
        # The regional manager's visit sheet still reads the branches' visits.
        sheet = prefill.initial_for(rule=rule(org_a, "visit_sheet"), period=day, branch=None,
                                    membership=m_of(org_a, "rm"))
        assert len(sheet["visits"]) == 2


@pytest.mark.django_db
def test_s002_12_commitment_letter_sent_back_by_the_branch_gm_of_that_branch_only(org_a):
    with org_a.scope():
        r = rule(org_a, "commitment_letter")
        period = dt.date(2026, 11, 3)
        letter = {"target": "80000", "customers": [], "pledge": "本月完成 8 万回款"}
        sub = services.submission_save(membership=m_of(org_a, "sales"), rule=r, period=period, branch=None,
                                       submit=True, data=letter, now=dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH))
        # The A2 branch GM neither sees nor reviews an A1 salesperson's letter.
        assert not selectors.visible_submissions(membership=m_of(org_a, "bgm2"), rule=r).filter(pk=sub.pk).exists()
        with pytest.raises(PermissionDenied):
            services.submission_review(membership=m_of(org_a, "bgm2"), submission=sub, accept=True)
        board = selectors.board(rule=r, period=period, now=dt.datetime(2026, 11, 4, 9, 0, tzinfo=SH),
                                membership=m_of(org_a, "bgm2"))
        assert org_a.users["sales"].pk not in {row.user.pk for row in board["rows"]}
        assert org_a.users["sales2"].pk in {row.user.pk for row in board["rows"]}
        # The A1 GM sends it back; the rewrite keeps the first version.
        bgm = m_of(org_a, "bgm")
        assert selectors.visible_submissions(membership=bgm, rule=r).filter(pk=sub.pk).exists()
        services.submission_review(membership=bgm, submission=sub, accept=False, comment="承诺金额低于上月实际，请重写")
        sub.refresh_from_db()
        assert sub.status == SubmissionStatus.RETURNED
        sub = services.submission_save(membership=m_of(org_a, "sales"), rule=r, period=period, branch=None,
                                       submit=True, data={**letter, "target": "120000"},
                                       now=dt.datetime(2026, 11, 3, 9, 0, tzinfo=SH))
        assert (sub.status, sub.revision, sub.revisions.get().data["target"]) == (SubmissionStatus.SUBMITTED, 2, "80000")
