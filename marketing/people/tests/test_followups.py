"""Work that follows the successor: open submissions (person rules) handed over or explained on
the checklist, reminders computed from submitters by role, and approvals waiting on a departed
person rerouted at the cut-off (a step naming only them falls back to the role / branch GM)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from expenses.tests.helpers import make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.registry import StepSpec
from marketing.audit import AuditEvent
from marketing.models import Membership
from marketing.notifications.models import Message
from marketing.people import services
from marketing.people.models import HandoverRecord
from marketing.roles import Role
from marketing.selectors import users_with_roles
from reports.submissions import mailing, selectors
from reports.submissions import services as submissions
from reports.submissions.models import Submission, SubmissionReminder, SubmissionRule

from .helpers import file_departure, lines_by_key

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
FRI = dt.date(2026, 10, 9)
NEXT = dt.date(2026, 10, 16)


def _m(org, key):
    return Membership.objects.get(tenant=org.tenant, user=org.users[key])


def _draft(org, key, period, submit=False):
    """A weekly plan (a person rule: 每人一份, submitter role 销售) of ``key`` for ``period``."""
    with org.scope():
        rule = SubmissionRule.objects.get(tenant=org.tenant, code="weekly_plan")
        return submissions.submission_save(membership=_m(org, key), rule=rule, period=period, branch=None,
                                           data={"key_work": "拜访 4S 店", "visits": []}, submit=submit,
                                           now=dt.datetime.combine(period, dt.time(9), tzinfo=SH))


def test_open_submissions_go_to_a_colleague_who_files_that_rule_the_rest_is_explained(org_a):
    """S002-17 (every salesperson files the weekly plan): the leaver's drafts move to the colleague."""
    mine = _draft(org_a, "sales", FRI)
    clash = _draft(org_a, "sales", NEXT)
    _draft(org_a, "sales2", NEXT, submit=True)  # sales2 already has NEXT: that one cannot move
    d = file_departure(org_a)
    line = lines_by_key(org_a, d)["submissions"]
    assert (line.count, line.detail) == (2, "周工作计划表 2026-10-09、周工作计划表 2026-10-16")
    admin = org_a.users["admin"]
    with org_a.scope():
        # finance does not file weekly plans: nothing moves, the reason is the error
        with pytest.raises(ValidationError) as exc:
            services.line_resolve(departure=d, actor=admin, line="submissions", to_user=org_a.users["finance"])
        assert exc.value.code == "not_submitter"
        assert Submission.objects.filter(submitter=org_a.users["sales"]).count() == 2
        assert services.line_resolve(departure=d, actor=admin, line="submissions", to_user=org_a.users["sales2"]) == 1
        mine.refresh_from_db(), clash.refresh_from_db()
        assert (mine.submitter, clash.submitter) == (org_a.users["sales2"], org_a.users["sales"])
        assert selectors.may_edit(_m(org_a, "sales2"), mine)
        record = HandoverRecord.objects.get(departure=d, line="submissions")
        assert (record.count, record.to_user) == (1, org_a.users["sales2"])
        assert "1 份未能转交" in record.detail
        event = AuditEvent.objects.get(verb="people.submissions_handover")
        assert event.after == {"moved": [mine.pk], "kept": [clash.pk], "to": org_a.users["sales2"].pk}
    line = lines_by_key(org_a, d)["submissions"]
    assert (line.count, line.is_open, line.detail) == (1, True, "周工作计划表 2026-10-16")


def test_at_the_cut_off_drafts_go_to_the_successor_and_reminders_follow(org_a):
    mine = _draft(org_a, "sales", FRI)
    d = file_departure(org_a, successor=org_a.users["sales2"])
    with org_a.scope():
        services.departure_complete(departure=d)
        d.refresh_from_db()
        mine.refresh_from_db()
        assert mine.submitter == org_a.users["sales2"]
        assert (d.result["submissions_moved"], d.result["submissions_kept"]) == (1, 0)
        # reminders are by role at send time: the successor is reminded, the departed person never
        rule = SubmissionRule.objects.get(tenant=org_a.tenant, code="weekly_plan")
        mailing.reminders_send(rule=rule, period=FRI, now=dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH))
        reminded = set(SubmissionReminder.objects.filter(rule=rule, period=FRI).values_list("user_id", flat=True))
        assert org_a.users["sales2"].pk in reminded and org_a.users["sales"].pk not in reminded


def test_without_a_successor_the_drafts_stay_and_the_admin_is_told(org_a):
    _draft(org_a, "sales", FRI)
    d = file_departure(org_a)
    with org_a.scope():
        services.departure_complete(departure=d)
        d.refresh_from_db()
        assert (d.result["submissions_moved"], d.result["submissions_kept"]) == (0, 1)
        msg = Message.objects.get(kind="people.stranded", user=org_a.users["admin"])
        assert "1 份未交的计划与报表仍在其名下" in msg.body


def test_a_task_on_a_step_naming_only_the_leaver_is_rerouted_at_the_cut_off(org_a):
    with org_a.scope():
        approvals.chain_save(tenant=org_a.tenant, actor=org_a.users["admin"], key="expenses.request",
                             steps=[StepSpec(name="专人审核", user_ids=(org_a.users["mspec"].pk,))])
    expense = make_expense(org_a, applicant="sales", branch="A1")
    assert {t.assignee_id for t in pending(org_a, expense)} == {org_a.users["mspec"].pk}
    d = file_departure(org_a, who="mspec")
    with org_a.scope():
        gms = set(users_with_roles(tenant=org_a.tenant, roles=[Role.BRANCH_GM], branch=org_a.branches["A1"])
                  .values_list("pk", flat=True))
        services.departure_complete(departure=d)
        d.refresh_from_db()
        assert (d.result["rerouted_tasks"], d.result["pending_tasks"]) == (1, 0)
        msg = Message.objects.get(kind="people.stranded", user=org_a.users["admin"])
        assert "1 项在其名下的审批已改派" in msg.body and "专人审核" in msg.body
    assignees = {t.assignee_id for t in pending(org_a, expense)}
    assert len(assignees) == 1 and assignees <= gms
