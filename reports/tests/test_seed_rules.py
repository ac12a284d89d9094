"""Seed 000's branch daily report (分公司动态日报) and the summary, one test per register row
(S000-12 … S000-17), and seed 001's regional manager's targets and the sales assistant's
monthly statistics (S001-18, S001-24). Each test checks its row's whole sentence with exact
figures; the older tests next to this file check parts of the same behaviour."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketing.models import Membership
from reports import dispatch, mailing, services
from reports.models import Collection, DailyReport, MonthlyTarget
from reports.selectors import FilingState, board, report_reach
from reports.summary import compile_summary, rate_pct
from reports.workcal import WorkCalendar

from .helpers import at, file_report

pytestmark = pytest.mark.django_db

D = dt.date


def _jobs_for(org, now):
    return [j.business_day for j in dispatch.summary_candidates(now) if j.tenant_id == org.tenant.pk]


def test_S000_12_report_covers_one_business_day_and_is_due_at_ten_the_next_working_day(org_a):
    """S000-12: the branch daily report is due on working days before 10:00; a report covers
    one business day and is due at 10:00 on the next working day."""
    with org_a.scope():
        cal = WorkCalendar(org_a.tenant)
        tuesday = D(2026, 11, 17)
        assert cal.due_at(tuesday) == at(2026, 11, 18, 10, 0)
        report = file_report(org_a, "A1", tuesday, now=at(2026, 11, 18, 9, 59, 59))
        assert report.business_day == tuesday and report.due_at == at(2026, 11, 18, 10, 0)
        assert not report.is_late  # before 10:00 on the next working day
        # Filing again for the same day edits the same report: one report per branch and day.
        again = file_report(org_a, "A1", tuesday, now=at(2026, 11, 18, 9, 59, 59), narrative="改")
        assert again.pk == report.pk
        assert DailyReport.objects.filter(branch=org_a.branches["A1"], business_day=tuesday).count() == 1
        # 10:00:00 itself is no longer "before 10:00".
        late = file_report(org_a, "A2", tuesday, user="bgm2", now=at(2026, 11, 18, 10, 0, 0))
        assert late.is_late and late.late_by == dt.timedelta(0)
        # Wednesday's report is a different report, due Thursday 10:00.
        wed = file_report(org_a, "A1", D(2026, 11, 18), now=at(2026, 11, 18, 18))
        assert wed.pk != report.pk and wed.due_at == at(2026, 11, 19, 10, 0)


def test_S000_13_friday_report_is_sent_on_monday(org_a):
    """S000-13: Friday's report is sent on the next working day, Monday; the summary for
    Friday goes out on Monday, nothing on the weekend."""
    with org_a.scope():
        cal = WorkCalendar(org_a.tenant)
        friday = D(2026, 11, 20)
        assert cal.due_at(friday) == at(2026, 11, 23, 10, 0)
        assert cal.business_day_sent_on(D(2026, 11, 23)) == friday
        on_monday = file_report(org_a, "A1", friday, now=at(2026, 11, 23, 9, 30))
        assert not on_monday.is_late  # sent Monday morning: on time
    assert _jobs_for(org_a, at(2026, 11, 21, 10, 0)) == []  # Saturday
    assert _jobs_for(org_a, at(2026, 11, 22, 10, 0)) == []  # Sunday
    assert _jobs_for(org_a, at(2026, 11, 23, 9, 59)) == []  # Monday before the send time
    assert _jobs_for(org_a, at(2026, 11, 23, 10, 0)) == [friday]


def test_S000_14_working_days_follow_the_official_calendar_with_tenant_overrides(org_a, org_b):
    """S000-14: working days follow the Chinese official calendar (holidays, 调休) with tenant
    overrides; no report is due on a non-working day and no summary is sent on one."""
    with org_a.scope():
        cal = WorkCalendar(org_a.tenant)
        # National Day 2026: Oct 1-7 off, Saturday Oct 10 a make-up working day.
        assert cal.due_at(D(2026, 9, 30)) == at(2026, 10, 8, 10, 0)
        assert cal.is_working(D(2026, 10, 10)) and cal.due_at(D(2026, 10, 9)) == at(2026, 10, 10, 10, 0)
        # No report is due for a holiday: filing one is refused.
        with pytest.raises(ValidationError) as exc:
            file_report(org_a, "A1", D(2026, 10, 5), now=at(2026, 10, 8, 9))
        assert exc.value.code == "not_working_day"
        assert not DailyReport.objects.exists()
    # No summary on a holiday or a plain Sunday; one on the make-up Saturday (for Friday Oct 9).
    assert _jobs_for(org_a, at(2026, 10, 5, 10, 0)) == []
    assert _jobs_for(org_a, at(2026, 10, 8, 10, 0)) == [D(2026, 9, 30)]
    assert _jobs_for(org_a, at(2026, 10, 10, 10, 0)) == [D(2026, 10, 9)]
    assert _jobs_for(org_a, at(2026, 10, 11, 10, 0)) == []
    # A tenant override: Monday Nov 23 off for tenant A only.
    with org_a.scope():
        services.override_set(
            tenant=org_a.tenant,
            day=D(2026, 11, 23),
            is_working=False,
            note="公司假日",
            actor=org_a.users["admin"],
        )
        assert WorkCalendar(org_a.tenant).due_at(D(2026, 11, 20)) == at(2026, 11, 24, 10, 0)
        with pytest.raises(ValidationError) as exc:
            file_report(org_a, "A1", D(2026, 11, 23), now=at(2026, 11, 24, 9))
        assert exc.value.code == "not_working_day"
    assert _jobs_for(org_a, at(2026, 11, 23, 10, 0)) == []
    assert _jobs_for(org_b, at(2026, 11, 23, 10, 0)) == [D(2026, 11, 20)]
    assert _jobs_for(org_a, at(2026, 11, 24, 10, 0)) == [D(2026, 11, 20)]


def test_S000_15_each_branch_is_on_time_late_by_how_much_pending_or_missing(org_a):
    """S000-15: the deadline is enforced: each branch's report shows as 按时, 迟报 with how late,
    待提交 before the deadline or 未报 after it."""
    tuesday = D(2026, 11, 17)
    with org_a.scope():
        file_report(org_a, "A1", tuesday, now=at(2026, 11, 18, 9, 0))
        file_report(
            org_a, "A3", tuesday, user="allroles", now=at(2026, 11, 18, 9, 30), submit=False
        )  # a draft
        before = board(tenant=org_a.tenant, business_day=tuesday, now=at(2026, 11, 18, 9, 59, 59))
        assert [(r.branch.code, str(r.label), r.late_by) for r in before["rows"]] == [
            ("A1", "按时", ""),
            ("A2", "待提交", ""),
            ("A3", "待提交", ""),
        ]
        file_report(org_a, "A2", tuesday, user="bgm2", now=at(2026, 11, 19, 11, 25))  # a day, 1 h 25 min late
        after = board(tenant=org_a.tenant, business_day=tuesday, now=at(2026, 11, 19, 12, 0))
        assert [(r.branch.code, str(r.label), r.late_by) for r in after["rows"]] == [
            ("A1", "按时", ""),
            ("A2", "迟报", "1天1小时25分钟"),
            ("A3", "未报", ""),
        ]
        assert after["counts"] == {
            FilingState.ON_TIME: 1,
            FilingState.LATE: 1,
            FilingState.PENDING: 0,
            FilingState.MISSING: 1,
        }
        data = compile_summary(tenant=org_a.tenant, business_day=tuesday, now=at(2026, 11, 19, 12, 0))
        assert [(r["code"], r["state_label"], r["late_by"]) for r in data["rows"]] == [
            ("A1", "按时", ""),
            ("A2", "迟报", "1天1小时25分钟"),
            ("A3", "未报", ""),
        ]


def _post_report(client, branch, narrative):
    return client.post(
        reverse("reports:file"),
        {
            "branch": str(branch.pk),
            "business_day": "2026-11-20",
            "narrative": narrative,
            "customer_visits": "3",
            "contracts_signed": "1",
            "problems": "",
            "next_plan": "",
            "action": "submit",
            "p-TOTAL_FORMS": "0",
            "p-INITIAL_FORMS": "0",
            "p-MIN_NUM_FORMS": "0",
            "p-MAX_NUM_FORMS": "50",
        },
    )


def test_S000_16_branch_gm_files_and_marketing_reads_every_branch(org_a, client_as, time_machine):
    """S000-16: the branch GM (分总) files the report and it goes to marketing: branches file in
    the app (their own branch only); marketing reads every branch's report."""
    time_machine.move_to(at(2026, 11, 23, 9, 0), tick=False)
    assert org_a.tenant.report_filing_roles == ["branch_gm"]
    bgm, bgm2, mspec = (client_as(org_a.users[k]) for k in ("bgm", "bgm2", "mspec"))
    assert _post_report(bgm, org_a.branches["A1"], "甲一：签约顺达4S店").status_code == 302
    assert _post_report(bgm2, org_a.branches["A2"], "甲二：拜访两家修理厂").status_code == 302
    refused = _post_report(bgm, org_a.branches["A2"], "代报")  # not their branch
    assert refused.status_code == 200 and "请选择您负责的分公司" in refused.content.decode()
    assert mspec.get(reverse("reports:file")).status_code == 403  # marketing reads, does not file
    with org_a.scope():
        a1 = DailyReport.objects.get(branch=org_a.branches["A1"])
        a2 = DailyReport.objects.get(branch=org_a.branches["A2"])
        assert (a1.submitted_by, a1.narrative) == (org_a.users["bgm"], "甲一：签约顺达4S店")
        assert (a2.submitted_by, a2.narrative) == (org_a.users["bgm2"], "甲二：拜访两家修理厂")
        marketing = Membership.objects.get(tenant=org_a.tenant, user=org_a.users["mspec"])
        branch_gm = Membership.objects.get(tenant=org_a.tenant, user=org_a.users["bgm"])
        assert set(report_reach(membership=marketing)) == {a1, a2}
        assert set(report_reach(membership=branch_gm)) == {a1}
    for pk, text in ((a1.pk, "甲一：签约顺达4S店"), (a2.pk, "甲二：拜访两家修理厂")):
        page = mspec.get(reverse("reports:detail", args=[pk]))
        assert page.status_code == 200 and text in page.content.decode()
    assert bgm.get(reverse("reports:detail", args=[a2.pk])).status_code == 404


def test_S000_17_marketing_compiles_every_branch_into_one_summary_with_its_report(org_a):
    """S000-17: marketing compiles all branches' reports into one summary (整理、汇总),
    including each branch's report content."""
    friday = D(2026, 11, 20)
    with org_a.scope():
        file_report(
            org_a,
            "A1",
            friday,
            now=at(2026, 11, 23, 9),
            narrative="甲一：签约顺达4S店",
            customer_visits=5,
            contracts_signed=2,
            problems="展厅人手不足",
            next_plan="跟进恒通",
        )
        file_report(
            org_a,
            "A2",
            friday,
            user="bgm2",
            now=at(2026, 11, 23, 9, 30),
            narrative="甲二：拜访两家修理厂",
            customer_visits=2,
            contracts_signed=0,
        )
        data = compile_summary(tenant=org_a.tenant, business_day=friday, now=at(2026, 11, 23, 10))
        rows = {r["code"]: r for r in data["rows"]}
        assert list(rows) == ["A1", "A2", "A3"]  # every branch, region order
        assert {
            k: rows["A1"]["report"][k]
            for k in ("narrative", "customer_visits", "contracts_signed", "problems", "next_plan")
        } == {
            "narrative": "甲一：签约顺达4S店",
            "customer_visits": 5,
            "contracts_signed": 2,
            "problems": "展厅人手不足",
            "next_plan": "跟进恒通",
        }
        assert rows["A2"]["report"]["narrative"] == "甲二：拜访两家修理厂"
        assert rows["A3"]["report"] is None
        assert data["not_filed"] == [{"branch": "甲三分公司", "region": "甲二区", "state_label": "未报"}]
        assert [g["region"] for g in data["regions"]] == ["甲一区", "甲二区"]
        row = mailing.summary_send(tenant=org_a.tenant, business_day=friday, now=at(2026, 11, 23, 10))
    assert row is not None and len(mail.outbox) == 1  # one summary for the company
    body = mail.outbox[0].body
    assert "甲一：签约顺达4S店" in body and "甲二：拜访两家修理厂" in body and "甲三分公司" in body


def test_S001_18_region_sales_and_collection_targets_tracked_to_completion(org_a):
    """S001-18: the region's sales and collection targets are tracked to completion: the
    daily summary shows each region's month-to-date collections against its target, with
    the completion rate, day by day until the month is done."""
    nov = D(2026, 11, 1)
    with org_a.scope():
        for code, amount in (("A1", "100000"), ("A2", "50000"), ("A3", "80000")):
            MonthlyTarget.objects.create(
                tenant=org_a.tenant, branch=org_a.branches[code], month=nov, amount=Decimal(amount)
            )
        for code, day, amount in (
            ("A1", 2, "40000"),
            ("A2", 2, "20000.50"),
            ("A1", 20, "65000"),
            ("A3", 20, "30000"),
            ("A2", 30, "29999.50"),
        ):
            Collection.objects.create(
                tenant=org_a.tenant, branch=org_a.branches[code], day=D(2026, 11, day), amount=Decimal(amount)
            )

        def regions(day):
            data = compile_summary(tenant=org_a.tenant, business_day=day, now=at(2026, 12, 1, 10))
            return [(g["region"], g["mtd"], g["target"], rate_pct(g)) for g in data["regions"]]

        assert regions(D(2026, 11, 2)) == [
            ("甲一区", "60000.50", "150000.00", "40.0%"),
            ("甲二区", "0.00", "80000.00", "0.0%"),
        ]
        assert regions(D(2026, 11, 20)) == [
            ("甲一区", "125000.50", "150000.00", "83.3%"),
            ("甲二区", "30000.00", "80000.00", "37.5%"),
        ]
        # Month end: 甲一区 completed its target (103.3 %), 甲二区 did not (37.5 %).
        assert regions(D(2026, 11, 30)) == [
            ("甲一区", "155000.00", "150000.00", "103.3%"),
            ("甲二区", "30000.00", "80000.00", "37.5%"),
        ]


def test_S001_24_monthly_sales_indicator_statistics_report(org_a, client_as):
    """S001-24: the monthly sales-indicator statistics report (销售指标的月度统计报表): per branch
    and for the company, the month's collections against the month's target with 完成率,
    contracts signed, new customers and visits; on the page and as an xlsx for marketing."""
    import io
    import zoneinfo

    import time_machine
    from openpyxl import load_workbook

    from contracts.tests.helpers import approved_product, dispatched, make_batch, numbers_of, receive, sign
    from customers.models import Customer, Visit
    from marketing.models import Branch
    from reports.statistics import pct, period_for, sales_statistics

    sh = zoneinfo.ZoneInfo("Asia/Shanghai")

    def on(day):
        return time_machine.travel(dt.datetime(2026, 11, day, 9, 0, tzinfo=sh), tick=False)

    with on(2):
        product = approved_product(org_a)
        make_batch(org_a, product)
        _req, batch = dispatched(org_a, product, 4)
    numbers = numbers_of(org_a, batch)
    with on(4):
        receive(org_a, numbers[0], numbers[2])
    with on(6):
        sign(org_a, numbers[0])
        sign(org_a, numbers[1])
    with org_a.scope():
        a1, a2 = org_a.branches["A1"], org_a.branches["A2"]
        MonthlyTarget.objects.create(
            tenant=org_a.tenant, branch=a1, month=D(2026, 11, 1), amount=Decimal("120000")
        )
        MonthlyTarget.objects.create(
            tenant=org_a.tenant, branch=a2, month=D(2026, 11, 1), amount=Decimal("80000")
        )
        MonthlyTarget.objects.create(
            tenant=org_a.tenant, branch=a1, month=D(2026, 12, 1), amount=Decimal("999")
        )
        for branch, day, amount in (
            (a1, D(2026, 11, 3), "45000.25"),
            (a1, D(2026, 11, 30), "30000"),
            (a2, D(2026, 11, 16), "90000"),
            (a1, D(2026, 12, 1), "5000"),
        ):
            Collection.objects.create(tenant=org_a.tenant, branch=branch, day=day, amount=Decimal(amount))
        c = Customer.objects.create(
            tenant=org_a.tenant, name="宁波丰田4S", branch=a1, owner=org_a.users["sales"]
        )
        Customer.objects.filter(pk=c.pk).update(created_at=dt.datetime(2026, 11, 10, 10, 0, tzinfo=sh))
        for day in (D(2026, 11, 10), D(2026, 11, 24), D(2026, 10, 31)):
            Visit.objects.create(
                tenant=org_a.tenant, customer=c, visited_on=day, visited_by=org_a.users["sales"]
            )
        sheet = sales_statistics(
            tenant=org_a.tenant,
            branches=Branch.objects.filter(tenant=org_a.tenant),
            period=period_for("month", D(2026, 11, 18)),
        )
        got = [
            (r.branch.code, r.collections, r.target, pct(r.ratio), r.signed, r.new_customers, r.visits)
            for r in sheet["rows"]
        ]
        assert got == [
            ("A1", Decimal("75000.25"), Decimal("120000"), "62.5%", 2, 1, 2),
            ("A2", Decimal("90000"), Decimal("80000"), "112.5%", 0, 0, 0),
            ("A3", Decimal("0"), None, "", 0, 0, 0),
        ]
        total = sheet["total"]
        assert (total.collections, total.target, pct(sheet["total_ratio"]), total.signed) == (
            Decimal("165000.25"),
            Decimal("200000"),
            "82.5%",
            2,
        )
    client = client_as(org_a.users["mspec"])
    page = client.get("/reports/statistics/?kind=month&day=2026-11-18").content.decode()
    assert "销售情况月统计表" in page and "75,000.25" in page and "62.5%" in page and "82.5%" in page
    wb = load_workbook(
        io.BytesIO(client.get("/reports/statistics/?kind=month&day=2026-11-18&format=xlsx").content)
    )
    ws = wb["销售情况月统计表"]
    assert ws["A1"].value == "甲公司 销售情况月统计表 2026-11（金额单位：元）"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:8] == ("甲一区", "甲一分公司", 75000.25, 120000, 75000.25 / 120000, 2, 1, 2)
    assert rows[-1][0] == "合计" and rows[-1][2] == 165000.25 and rows[-1][4] == 165000.25 / 200000
