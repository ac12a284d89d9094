import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from marketing.models import AuditEvent
from reports.models import DailyReport, ReportAmendment, SignedPartner
from reports.selectors import FilingState, board, filing_state

from .helpers import at, file_report

D = dt.date(2026, 11, 17)  # Tuesday, due Wed 18th 10:00


def test_submitted_at_095959_is_on_time(org_a):
    with org_a.scope():
        report = file_report(org_a, "A1", D, now=at(2026, 11, 18, 9, 59, 59))
        assert filing_state(report, report.due_at, at(2026, 11, 18, 12)) == FilingState.ON_TIME
        assert AuditEvent.objects.filter(verb="reports.report_submit", object_id=str(report.pk)).exists()


def test_submitted_at_100000_is_late_by_how_much(org_a):
    with org_a.scope():
        report = file_report(org_a, "A1", D, now=at(2026, 11, 18, 10, 0, 0))
        assert filing_state(report, report.due_at, at(2026, 11, 18, 12)) == FilingState.LATE
        late = file_report(org_a, "A2", D, user="bgm2", now=at(2026, 11, 18, 11, 25))
        assert late.late_by == dt.timedelta(minutes=85)


def test_draft_then_submit_and_missing_after_deadline(org_a):
    with org_a.scope():
        draft = file_report(org_a, "A1", D, now=at(2026, 11, 17, 18), submit=False)
        assert filing_state(draft, draft.due_at, at(2026, 11, 18, 9)) == FilingState.PENDING
        assert filing_state(draft, draft.due_at, at(2026, 11, 18, 10)) == FilingState.MISSING
        done = file_report(org_a, "A1", D, now=at(2026, 11, 18, 9))
        assert done.pk == draft.pk and done.is_submitted
        b = board(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 18, 10, 5))
        assert b["counts"] == {"on_time": 1, "late": 0, "pending": 0, "missing": 2}


def test_edit_before_deadline_is_in_place_after_is_late_amendment(org_a):
    with org_a.scope():
        file_report(org_a, "A1", D, now=at(2026, 11, 18, 8))
        file_report(org_a, "A1", D, now=at(2026, 11, 18, 9), narrative="改过一次")
        assert not ReportAmendment.objects.exists()
        report = file_report(org_a, "A1", D, now=at(2026, 11, 18, 15), narrative="截止后补充")
        amendment = ReportAmendment.objects.get()
        assert amendment.before == {"narrative": "改过一次"} and amendment.after == {"narrative": "截止后补充"}
        assert report.amended_at == at(2026, 11, 18, 15)
        # still on time: the first submission counts
        assert filing_state(report, report.due_at, at(2026, 11, 18, 16)) == FilingState.ON_TIME


def test_partners_are_kept_with_paper_flag(org_a):
    with org_a.scope():
        partner = {"kind": "dealer", "name": "顺达4S店", "city": "上海", "contact": "李 139"}
        report = file_report(org_a, "A1", D, now=at(2026, 11, 17, 18), partners=[partner])
        p = SignedPartner.objects.get()
        from reports import services

        services.partner_set_paper_received(partner=p, actor=org_a.users["mspec"], received=True)
        file_report(org_a, "A1", D, now=at(2026, 11, 17, 19), partners=[{**partner, "id": p.pk, "name": "顺达汽车"}])
        p.refresh_from_db()
        assert p.paper_received and p.name == "顺达汽车" and p.report_id == report.pk
        file_report(org_a, "A1", D, now=at(2026, 11, 17, 20), partners=[])
        assert not SignedPartner.objects.exists()


@pytest.mark.parametrize(
    ("day", "now", "code"),
    [(dt.date(2026, 11, 21), at(2026, 11, 22, 9), "not_working_day"), (dt.date(2026, 11, 19), at(2026, 11, 18, 9), "future_day")],
)
def test_refuses_non_working_and_future_days(org_a, day, now, code):
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            file_report(org_a, "A1", day, now=now)
        assert exc.value.code == code
        assert not DailyReport.objects.exists()
