"""Seed 001's and 002's plans on the submission rules, one test per register row: the weekly and
monthly work plans (S002-18, S002-19), the weekly meeting's key visits (S002-05), the manager's
monthly plan and tasks for every person (S002-11) and weekly plan compiled from everyone's
(S002-14), the manager's own monthly and weekly plans (S002-01), and the director's follow-up
of the monthly, weekly and daily plans (S001-05)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import Customer, Visit
from marketing.models import Membership
from reports.submissions import cadence, prefill, selectors, services
from reports.submissions.models import Cadence, RevisionKind, SubmissionRule, SubmissionStatus, SubmitterScope
from reports.workcal import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def m_of(org, key):
    return Membership.objects.get(tenant=org.tenant, user=org.users[key])


def rule(org, code):
    return SubmissionRule.objects.get(tenant=org.tenant, code=code)


def save(org, key, code, period, data, when, submit=True):
    return services.submission_save(
        membership=m_of(org, key),
        rule=rule(org, code),
        period=period,
        branch=None,
        data=data,
        submit=submit,
        now=when,
    )


def statuses(org, code, period, now, viewer=None):
    board = selectors.board(
        rule=rule(org, code), period=period, now=now, membership=m_of(org, viewer) if viewer else None
    )
    return {r.user.full_name: r.label for r in board["rows"]}


def test_S002_18_weekly_work_plan_table(org_a):
    """S002-18: 周工作方案表: every salesperson hands in a weekly work plan (next week's key work
    and intended-customer visits) by Friday 12:00, tracked 已交 / 迟交 / 未交."""
    with org_a.scope():
        r = rule(org_a, "weekly_plan")
        cal = WorkCalendar(org_a.tenant)
        assert (r.scope, r.submitter_roles, r.cadence, r.weekdays) == (
            SubmitterScope.PERSON,
            ["salesperson"],
            Cadence.WEEKLY,
            [4],
        )
        assert [f["key"] for f in r.fields] == ["key_work", "visits"]
        assert list(cadence.nominal_dates(r, dt.date(2026, 11, 1), dt.date(2026, 11, 30), cal)) == [
            dt.date(2026, 11, 6),
            dt.date(2026, 11, 13),
            dt.date(2026, 11, 20),
            dt.date(2026, 11, 27),
        ]
        assert cadence.due_at(r, dt.date(2026, 11, 20), cal) == at(2026, 11, 20, 12, 0)
        # Friday 2 October 2026 is National Day: the plan is due on the next working day.
        assert cadence.due_at(r, dt.date(2026, 10, 2), cal) == at(2026, 10, 8, 12, 0)
        fri = dt.date(2026, 11, 20)
        plan = {
            "key_work": "续保回访 3 家",
            "visits": [{"customer": "宁波丰田4S", "purpose": "续保", "day": "2026-11-24"}],
        }
        save(org_a, "sales", "weekly_plan", fri, plan, at(2026, 11, 20, 11, 59))
        assert statuses(org_a, "weekly_plan", fri, at(2026, 11, 20, 11, 59)) == {
            "甲全能": "待提交",
            "甲一销售": "已交",
            "甲二销售": "待提交",
        }
        save(
            org_a,
            "sales2",
            "weekly_plan",
            fri,
            {"key_work": "新签 2 家修理厂", "visits": []},
            at(2026, 11, 20, 12, 1),
        )
        assert statuses(org_a, "weekly_plan", fri, at(2026, 11, 20, 13, 0)) == {
            "甲全能": "未交",
            "甲一销售": "已交",
            "甲二销售": "迟交",
        }


def test_S002_19_monthly_work_plan_table(org_a):
    """S002-19: 月工作方案表: every salesperson hands in next month's work plan (key work, target,
    intended-customer visits) by the 25th (a weekend moves it to Monday); the director and the
    salesperson's branch GM check it and send an unsuitable one back for rewriting."""
    with org_a.scope():
        r = rule(org_a, "monthly_work_plan")
        cal = WorkCalendar(org_a.tenant)
        assert (r.name, r.scope, r.submitter_roles, r.cadence, r.month_day) == (
            "月工作方案表",
            SubmitterScope.PERSON,
            ["salesperson"],
            Cadence.MONTHLY,
            25,
        )
        assert [f["key"] for f in r.fields] == ["key_work", "target", "visits"]
        assert cadence.due_at(r, dt.date(2026, 11, 25), cal) == at(2026, 11, 25, 18, 0)
        assert cadence.due_at(r, dt.date(2026, 10, 25), cal) == at(2026, 10, 26, 18, 0)  # a Sunday
        nov = dt.date(2026, 11, 25)
        save(
            org_a,
            "sales",
            "monthly_work_plan",
            nov,
            {"key_work": "续保回访 20 家", "target": "80000", "visits": []},
            at(2026, 11, 25, 17, 0),
        )
        late = save(
            org_a,
            "sales2",
            "monthly_work_plan",
            nov,
            {"key_work": "看情况", "target": "1", "visits": []},
            at(2026, 11, 25, 18, 30),
        )
        assert statuses(org_a, "monthly_work_plan", nov, at(2026, 11, 25, 19, 0)) == {
            "甲全能": "未交",
            "甲一销售": "已交",
            "甲二销售": "迟交",
        }
        # The A1 branch GM checks A1's salespeople only; the director checks everyone.
        assert statuses(org_a, "monthly_work_plan", nov, at(2026, 11, 25, 19, 0), viewer="bgm") == {
            "甲全能": "未交",
            "甲一销售": "已交",
        }
        with pytest.raises(PermissionDenied):
            services.submission_review(
                membership=m_of(org_a, "bgm"), submission=late, accept=False, comment="重写"
            )
        back = services.submission_review(
            membership=m_of(org_a, "mdirector"),
            submission=late,
            accept=False,
            comment="目标与重点客户写具体",
            now=at(2026, 11, 26, 9, 0),
        )
        assert back.status == SubmissionStatus.RETURNED
        redo = save(
            org_a,
            "sales2",
            "monthly_work_plan",
            nov,
            {"key_work": "新签 5 家修理厂", "target": "50000.50", "visits": []},
            at(2026, 11, 26, 10, 0),
        )
        assert (redo.status, redo.revision) == (SubmissionStatus.SUBMITTED, 2)
        kept = redo.revisions.get()
        assert (kept.kind, kept.data["key_work"], kept.comment) == (
            RevisionKind.RETURNED,
            "看情况",
            "目标与重点客户写具体",
        )
        assert statuses(org_a, "monthly_work_plan", nov, at(2026, 11, 26, 11, 0))["甲二销售"] == "迟交"


def _customers(org):
    a1 = org.branches["A1"]
    sales = org.users["sales"]
    return (
        Customer.objects.create(tenant=org.tenant, name="宁波丰田4S", branch=a1, owner=sales),
        Customer.objects.create(tenant=org.tenant, name="余姚修理厂", branch=a1, owner=sales),
    )


def test_S002_05_weekly_meeting_fixes_next_weeks_key_visits_and_revisits(org_a):
    """S002-05: at the weekly meeting salespeople report next week's key visits; the manager
    guides them (sends the plan back with advice) and fixes next week's key visits and
    revisits (accepts the rewritten plan, which the week's visit records then tick off)."""
    with org_a.scope():
        toyota, yuyao = _customers(org_a)
        sunday = dt.date(2026, 11, 22)
        r = rule(org_a, "visit_plan")
        assert (r.cadence, r.weekdays, r.submitter_roles) == (Cadence.WEEKLY, [6], ["salesperson"])
        assert cadence.due_at(r, sunday, WorkCalendar(org_a.tenant)) == at(2026, 11, 22, 20, 0)
        first = save(
            org_a,
            "sales",
            "visit_plan",
            sunday,
            {"visits": [{"customer": toyota.pk, "day": "2026-11-24", "purpose": "新签"}]},
            at(2026, 11, 22, 18),
        )
        manager = m_of(org_a, "bgm")
        guided = services.submission_review(
            membership=manager, submission=first, accept=False, comment="余姚修理厂上周报价，周四回访"
        )
        assert guided.status == SubmissionStatus.RETURNED
        fixed = save(
            org_a,
            "sales",
            "visit_plan",
            sunday,
            {
                "visits": [
                    {"customer": toyota.pk, "day": "2026-11-24", "purpose": "新签"},
                    {"customer": yuyao.pk, "day": "2026-11-26", "purpose": "回访"},
                ]
            },
            at(2026, 11, 22, 19),
        )
        fixed = services.submission_review(membership=manager, submission=fixed, accept=True)
        assert (fixed.status, fixed.revision) == (SubmissionStatus.ACCEPTED, 2)
        assert fixed.revisions.get().comment == "余姚修理厂上周报价，周四回访"
        Visit.objects.create(
            tenant=org_a.tenant,
            customer=yuyao,
            visited_on=dt.date(2026, 11, 26),
            visited_by=org_a.users["sales"],
        )
        assert [
            (row["customer"], row["purpose"], row["done"]) for row in prefill.plan_progress(submission=fixed)
        ] == [(toyota.pk, "新签", False), (yuyao.pk, "回访", True)]


def _weekly_plans(org, fri):
    save(
        org,
        "sales",
        "weekly_plan",
        fri,
        {
            "key_work": "续保回访 3 家",
            "visits": [
                {"customer": "宁波丰田4S", "purpose": "续保", "day": "2026-11-24"},
                {"customer": "余姚修理厂", "purpose": "回访", "day": ""},
            ],
        },
        at(2026, 11, 20, 11),
    )
    save(
        org,
        "sales2",
        "weekly_plan",
        fri,
        {"key_work": "新签 2 家修理厂", "visits": []},
        at(2026, 11, 20, 11, 30),
    )
    save(
        org,
        "allroles",
        "weekly_plan",
        fri,
        {"key_work": "草稿不算", "visits": []},
        at(2026, 11, 20, 11),
        submit=False,
    )


WEEKLY_COMPILED = (
    "周工作计划表 2026-11-20 共 2 份：\n"
    "· 甲一销售：续保回访 3 家；意向客户拜访：宁波丰田4S，续保，2026-11-24、余姚修理厂，回访\n"
    "· 甲二销售：新签 2 家修理厂"
)


def test_S002_14_weekly_plan_compiled_from_each_persons_key_work_and_visits(org_a):
    """S002-14: the manager compiles each person's key work and intended-customer visits into
    their own weekly plan and reports it to the office (the GM, who reviews it)."""
    with org_a.scope():
        _weekly_plans(org_a, dt.date(2026, 11, 20))
        monday = dt.date(2026, 11, 23)
        report = rule(org_a, "weekly_plan_report")
        assert (report.submitter_roles, report.reviewer_roles, report.digest_roles) == (
            ["marketing_director"],
            ["general_manager"],
            ["general_manager"],
        )
        initial = prefill.initial_for(
            rule=report, period=monday, branch=None, membership=m_of(org_a, "mdirector")
        )
        assert initial == {"summary": WEEKLY_COMPILED}
        sub = save(
            org_a,
            "mdirector",
            "weekly_plan_report",
            monday,
            {"summary": initial["summary"] + "\n意见：重点跟进宁波丰田续保。"},
            at(2026, 11, 23, 10, 30),
        )
        assert statuses(org_a, "weekly_plan_report", monday, at(2026, 11, 23, 12)) == {
            "甲全能": "未交",
            "甲营销总监": "已交",
        }
        done = services.submission_review(membership=m_of(org_a, "gm"), submission=sub, accept=True)
        assert done.status == SubmissionStatus.ACCEPTED


def _monthly_plans(org, period):
    save(
        org,
        "sales",
        "monthly_work_plan",
        period,
        {
            "key_work": "续保回访 20 家",
            "target": "80000",
            "visits": [{"customer": "宁波丰田4S", "purpose": "续保", "day": "2026-12-03"}],
        },
        at(2026, 11, 25, 16),
    )
    save(
        org,
        "sales2",
        "monthly_work_plan",
        period,
        {"key_work": "新签 5 家修理厂", "target": "50000.50", "visits": []},
        at(2026, 11, 25, 17),
    )


def test_S002_11_month_plan_and_tasks_from_each_salespersons_monthly_plan(org_a):
    """S002-11: the manager builds the month's sales plan and tasks from each salesperson's
    monthly plan and assigns tasks to every person: the plan starts from the compiled monthly
    plans, with one task row per salesperson, and cannot be submitted while a salesperson has
    no task."""
    with org_a.scope():
        _monthly_plans(org_a, dt.date(2026, 11, 25))
        plan_rule = rule(org_a, "monthly_plan_report")
        period = dt.date(2026, 11, 27)
        assert cadence.due_at(plan_rule, period, WorkCalendar(org_a.tenant)) == at(2026, 11, 27, 18, 0)
        initial = prefill.initial_for(
            rule=plan_rule, period=period, branch=None, membership=m_of(org_a, "mdirector")
        )
        sales, sales2, allroles = (org_a.users[k] for k in ("sales", "sales2", "allroles"))
        assert initial == {
            "summary": "月工作方案表 2026-11-25 共 2 份：\n"
            "· 甲一销售：续保回访 20 家；下月目标回款（元）：80000；意向客户拜访：宁波丰田4S，续保，2026-12-03\n"
            "· 甲二销售：新签 5 家修理厂；下月目标回款（元）：50000.50",
            "tasks": [
                {"salesperson": sales.pk, "key_work": "续保回访 20 家", "target": "80000"},
                {"salesperson": sales2.pk, "key_work": "新签 5 家修理厂", "target": "50000.50"},
            ],
        }
        # 甲全能 also holds the salesperson role and handed in no plan: still needs a task.
        with pytest.raises(ValidationError) as exc:
            save(org_a, "mdirector", "monthly_plan_report", period, initial, at(2026, 11, 27, 10))
        assert exc.value.code == "person_without_task"
        assert exc.value.messages == ["以下人员尚未分配任务：甲全能。"]
        # A row without a task does not count either.
        blank = {
            **initial,
            "tasks": [*initial["tasks"], {"salesperson": allroles.pk, "key_work": "", "target": ""}],
        }
        with pytest.raises(ValidationError):
            save(org_a, "mdirector", "monthly_plan_report", period, blank, at(2026, 11, 27, 10))
        # A draft is not checked; every person with a task passes.
        save(org_a, "mdirector", "monthly_plan_report", period, initial, at(2026, 11, 27, 10), submit=False)
        full = {
            **initial,
            "tasks": [
                *initial["tasks"],
                {"salesperson": allroles.pk, "key_work": "大客户", "target": "10000"},
            ],
        }
        sub = save(org_a, "mdirector", "monthly_plan_report", period, full, at(2026, 11, 27, 11))
        assert sub.status == SubmissionStatus.SUBMITTED
        assert [t["salesperson"] for t in sub.data["tasks"]] == [sales.pk, sales2.pk, allroles.pk]


def test_S002_01_manager_makes_monthly_and_weekly_plans_and_monitors_execution(org_a, client_as):
    """S002-01: the department manager (the marketing director, who checks the salespeople's
    plans) makes the monthly and weekly work plans and monitors their execution: the monthly
    plan's tasks show, per person, what they did in the planned month."""
    from django.urls import reverse

    with org_a.scope():
        for code, cad in (("monthly_plan_report", Cadence.MONTHLY), ("weekly_plan_report", Cadence.WEEKLY)):
            r = rule(org_a, code)
            assert (r.cadence, r.submitter_roles, r.reviewer_roles) == (
                cad,
                ["marketing_director"],
                ["general_manager"],
            )
        _monthly_plans(org_a, dt.date(2026, 11, 25))
        period = dt.date(2026, 11, 27)
        initial = prefill.initial_for(
            rule=rule(org_a, "monthly_plan_report"),
            period=period,
            branch=None,
            membership=m_of(org_a, "mdirector"),
        )
        allroles = org_a.users["allroles"]
        data = {
            **initial,
            "tasks": [
                *initial["tasks"],
                {"salesperson": allroles.pk, "key_work": "大客户", "target": "10000"},
            ],
        }
        plan = save(org_a, "mdirector", "monthly_plan_report", period, data, at(2026, 11, 27, 11))
        weekly = save(
            org_a,
            "mdirector",
            "weekly_plan_report",
            dt.date(2026, 11, 23),
            {"summary": "本周重点：续保"},
            at(2026, 11, 23, 10),
        )
        assert (plan.status, weekly.status) == (SubmissionStatus.SUBMITTED, SubmissionStatus.SUBMITTED)
        # December, the planned month: 甲一销售 visits 2 customers 3 times and hands in two weekly
        # plans, one late; a November visit and a January one do not count.
        toyota, yuyao = _customers(org_a)
        sales = org_a.users["sales"]
        for customer, day in (
            (toyota, dt.date(2026, 12, 2)),
            (yuyao, dt.date(2026, 12, 3)),
            (toyota, dt.date(2026, 12, 9)),
            (toyota, dt.date(2026, 11, 30)),
            (yuyao, dt.date(2027, 1, 4)),
        ):
            Visit.objects.create(tenant=org_a.tenant, customer=customer, visited_on=day, visited_by=sales)
        save(
            org_a,
            "sales",
            "weekly_plan",
            dt.date(2026, 12, 4),
            {"key_work": "续保", "visits": []},
            at(2026, 12, 4, 11),
        )
        save(
            org_a,
            "sales",
            "weekly_plan",
            dt.date(2026, 12, 11),
            {"key_work": "续保", "visits": []},
            at(2026, 12, 11, 15),
        )
        progress = prefill.task_progress(submission=plan)
        assert [
            (
                t["name"],
                t["task"],
                t["target"],
                t["month"],
                t["visits"],
                t["customers_visited"],
                t["contracts_signed"],
                t["submissions"],
                t["late"],
            )
            for t in progress
        ] == [
            ("甲一销售", "续保回访 20 家", "80000", "2026-12", 3, 2, 0, 2, 1),
            ("甲二销售", "新签 5 家修理厂", "50000.50", "2026-12", 0, 0, 0, 0, 0),
            ("甲全能", "大客户", "10000", "2026-12", 0, 0, 0, 0, 0),
        ]
        assert prefill.task_progress(submission=weekly) == []  # a plan without a task table
    page = client_as(org_a.users["gm"]).get(reverse("submissions:detail", args=[plan.pk])).content.decode()
    assert "任务执行情况 · 2026-12" in page
    assert '<td>甲一销售</td><td>续保回访 20 家</td><td class="num">80000</td><td class="num">3</td>' in page


def test_S001_05_director_follows_up_monthly_weekly_and_daily_plans(org_a):
    """S001-05: the department's monthly, weekly and daily work plans are followed up by the
    director: the salespeople's 月工作方案表 and 周工作计划表 and the regional managers' daily
    客户拜访/跟踪状况表 are reviewed by the director, who sees every submitter's status, gets
    the digest, and accepts or sends back."""
    with org_a.scope():
        director = m_of(org_a, "mdirector")
        codes = {
            "monthly_work_plan": Cadence.MONTHLY,
            "weekly_plan": Cadence.WEEKLY,
            "visit_sheet": Cadence.DAILY,
        }
        followed = [r.code for r in selectors.rules_for(membership=director) if r.code in codes]
        assert sorted(followed) == sorted(codes)
        for code, cad in codes.items():
            r = rule(org_a, code)
            assert (
                r.cadence == cad
                and "marketing_director" in r.reviewer_roles
                and "marketing_director" in r.digest_roles
            )
        month, week, day = dt.date(2026, 11, 25), dt.date(2026, 11, 20), dt.date(2026, 11, 20)
        monthly = save(
            org_a,
            "sales",
            "monthly_work_plan",
            month,
            {"key_work": "续保", "target": "80000", "visits": []},
            at(2026, 11, 25, 9),
        )
        weekly = save(
            org_a, "sales2", "weekly_plan", week, {"key_work": "新签", "visits": []}, at(2026, 11, 20, 13)
        )
        daily = save(
            org_a, "rm", "visit_sheet", day, {"visits": [], "notes": "走访甲一、甲二"}, at(2026, 11, 20, 21)
        )
        assert statuses(org_a, "monthly_work_plan", month, at(2026, 11, 26, 9), viewer="mdirector") == {
            "甲全能": "未交",
            "甲一销售": "已交",
            "甲二销售": "未交",
        }
        assert statuses(org_a, "weekly_plan", week, at(2026, 11, 21, 9), viewer="mdirector") == {
            "甲全能": "未交",
            "甲一销售": "未交",
            "甲二销售": "迟交",
        }
        assert statuses(org_a, "visit_sheet", day, at(2026, 11, 21, 9), viewer="mdirector") == {
            "甲全能": "未交",
            "甲一区经理": "已交",
        }
        services.submission_review(membership=director, submission=monthly, accept=True)
        services.submission_review(
            membership=director, submission=weekly, accept=False, comment="写清拜访对象"
        )
        services.submission_review(membership=director, submission=daily, accept=True)
        assert (
            statuses(org_a, "monthly_work_plan", month, at(2026, 11, 26, 9), viewer="mdirector")["甲一销售"]
            == "已审阅"
        )
        assert (
            statuses(org_a, "weekly_plan", week, at(2026, 11, 21, 9), viewer="mdirector")["甲二销售"]
            == "退回重写"
        )
        assert (
            statuses(org_a, "visit_sheet", day, at(2026, 11, 21, 9), viewer="mdirector")["甲一区经理"]
            == "已审阅"
        )


def test_S001_17_regional_managers_daily_weekly_monthly_sales_plan_reports(org_a):
    """S001-17: the regional manager files daily, weekly and monthly sales-plan reports
    (销售计划的日(周、月)报), each starting from the figures of the branches they cover: the
    period's collections, the month to date, the month's target and 完成率; the director
    follows them up."""
    from decimal import Decimal

    from reports.models import Collection, MonthlyTarget

    with org_a.scope():
        a1, a2, a3 = (org_a.branches[c] for c in ("A1", "A2", "A3"))
        MonthlyTarget.objects.create(
            tenant=org_a.tenant, branch=a1, month=dt.date(2026, 11, 1), amount=Decimal("100000")
        )
        MonthlyTarget.objects.create(
            tenant=org_a.tenant, branch=a3, month=dt.date(2026, 11, 1), amount=Decimal("200000")
        )
        for branch, day, amount in (
            (a1, 2, "40000"),
            (a1, 16, "10000"),
            (a1, 18, "20000.50"),
            (a1, 20, "5000"),
            (a2, 20, "3000"),
            (a3, 20, "99999"),
            (a1, 30, "25000"),
        ):
            Collection.objects.create(
                tenant=org_a.tenant, branch=branch, day=dt.date(2026, 11, day), amount=Decimal(amount)
            )
        rm, cal = m_of(org_a, "rm"), WorkCalendar(org_a.tenant)
        expected = {
            # the day: 5,000 + 3,000; the rate counts A1 only (A2 has no target): 75,000.50 / 100,000
            "daily": (
                dt.date(2026, 11, 20),
                at(2026, 11, 20, 22),
                {
                    "period_collections": "8000.00",
                    "mtd_collections": "78000.50",
                    "month_target": "100000.00",
                    "rate": "75.0%",
                },
            ),
            # Monday 16 to Friday 20
            "weekly": (
                dt.date(2026, 11, 20),
                at(2026, 11, 20, 22),
                {
                    "period_collections": "38000.50",
                    "mtd_collections": "78000.50",
                    "month_target": "100000.00",
                    "rate": "75.0%",
                },
            ),
            # the month's last day: A1 100,000.50 of 100,000
            "monthly": (
                dt.date(2026, 11, 30),
                at(2026, 11, 30, 22),
                {
                    "period_collections": "103000.50",
                    "mtd_collections": "103000.50",
                    "month_target": "100000.00",
                    "rate": "100.0%",
                },
            ),
        }
        for suffix, (period, due, figures) in expected.items():
            r = rule(org_a, f"region_sales_{suffix}")
            assert r.submitter_roles == ["regional_manager"] and r.reviewer_roles == ["marketing_director"]
            assert cadence.is_period(r, period, cal) and cadence.due_at(r, period, cal) == due
            initial = prefill.initial_for(rule=r, period=period, branch=None, membership=rm)
            assert initial == figures
            sub = save(
                org_a,
                "rm",
                f"region_sales_{suffix}",
                period,
                {**initial, "progress": "按计划推进", "next": ""},
                due - dt.timedelta(hours=1),
            )
            assert (
                statuses(org_a, f"region_sales_{suffix}", period, due, viewer="mdirector")["甲一区经理"]
                == "已交"
            )
            assert (
                services.submission_review(
                    membership=m_of(org_a, "mdirector"), submission=sub, accept=True
                ).status
                == SubmissionStatus.ACCEPTED
            )
        assert cadence.period_label(rule(org_a, "region_sales_monthly"), dt.date(2026, 11, 30)) == "2026-11"
        assert not cadence.is_period(
            rule(org_a, "region_sales_daily"), dt.date(2026, 11, 21), cal
        )  # a Saturday
