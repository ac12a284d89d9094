"""Submitting, late, send-back and rewrite, acceptance, locked targets feeding the summary."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketing.models import Membership
from reports.models import MonthlyTarget
from reports.submissions import selectors, services
from reports.submissions.models import RevisionKind, Submission, SubmissionRule, SubmissionStatus

SH = ZoneInfo("Asia/Shanghai")
FRI = dt.date(2026, 10, 9)


def m_of(org, key):
    return Membership.objects.get(tenant=org.tenant, user=org.users[key])


def rule(org, code):
    return SubmissionRule.objects.get(tenant=org.tenant, code=code)


def weekly(org, key="sales", when=dt.datetime(2026, 10, 9, 11, 0, tzinfo=SH), data=None, **kw):
    return services.submission_save(
        membership=m_of(org, key), rule=rule(org, "weekly_plan"), period=FRI, branch=None,
        data=data or {"key_work": "拜访 3 家 4S 店", "visits": []}, submit=True, now=when, **kw,
    )


@pytest.mark.django_db
def test_on_time_late_missing_on_the_board(org_a):
    """S002-17: status per submitter and period: 已交 / 迟交 / 未交."""
    with org_a.scope():
        weekly(org_a, "sales")
        weekly(org_a, "sales2", when=dt.datetime(2026, 10, 9, 12, 30, tzinfo=SH))
        board = selectors.board(rule=rule(org_a, "weekly_plan"), period=FRI, now=dt.datetime(2026, 10, 9, 13, 0, tzinfo=SH))
        status = {r.user.username: (r.key, r.label) for r in board["rows"]}
        assert status[org_a.users["sales"].username] == ("on_time", "已交")
        assert status[org_a.users["sales2"].username] == ("late", "迟交")
        # allroles holds the salesperson role too and has not submitted: missing after the deadline.
        assert status[org_a.users["allroles"].username] == ("missing", "未交")
        assert board["counts"] == {"missing": 1, "pending": 0, "on_time": 1, "late": 1, "returned": 0, "accepted": 0}


@pytest.mark.django_db
def test_send_back_and_rewrite_keeps_the_earlier_version(org_a):
    """S002-13: unsuitable plans are sent back for rewriting; the earlier version stays visible."""
    with org_a.scope():
        sub = weekly(org_a)
        director = m_of(org_a, "mdirector")
        with pytest.raises(ValidationError) as err:
            services.submission_review(membership=director, submission=sub, accept=False, comment="  ")
        assert err.value.code == "comment_required"
        sub = services.submission_review(membership=director, submission=sub, accept=False, comment="请写清拜访目的")
        assert sub.status == SubmissionStatus.RETURNED
        rewritten = weekly(org_a, data={"key_work": "拜访 3 家 4S 店：续保、新签、理赔回访", "visits": []},
                           when=dt.datetime(2026, 10, 9, 15, 0, tzinfo=SH))
        assert (rewritten.status, rewritten.revision) == (SubmissionStatus.SUBMITTED, 2)
        old = rewritten.revisions.get()
        assert (old.revision, old.kind, old.comment) == (1, RevisionKind.RETURNED, "请写清拜访目的")
        assert old.data["key_work"] == "拜访 3 家 4S 店"
        # The first submission was on time; the rewrite after the deadline does not make it late.
        assert rewritten.is_late is False
        accepted = services.submission_review(membership=director, submission=rewritten, accept=True)
        assert accepted.status == SubmissionStatus.ACCEPTED


@pytest.mark.django_db
def test_only_reviewers_review_and_nobody_reviews_themselves(org_a):
    with org_a.scope():
        sub = weekly(org_a)
        with pytest.raises(PermissionDenied):
            services.submission_review(membership=m_of(org_a, "bgm"), submission=sub, accept=True)
        allroles = services.submission_save(
            membership=m_of(org_a, "allroles"), rule=rule(org_a, "weekly_plan"), period=FRI, branch=None,
            data={"key_work": "x", "visits": []}, submit=True, now=dt.datetime(2026, 10, 9, 9, 0, tzinfo=SH))
        with pytest.raises(ValidationError) as err:
            services.submission_review(membership=m_of(org_a, "allroles"), submission=allroles, accept=True)
        assert err.value.code == "self_review"


@pytest.mark.django_db
def test_a_stale_tab_cannot_overwrite_a_newer_save(org_a):
    with org_a.scope():
        first = weekly(org_a)
        stale_version = first.version
        weekly(org_a, data={"key_work": "newer", "visits": []}, expected_version=stale_version)
        with pytest.raises(ValidationError) as err:
            weekly(org_a, data={"key_work": "older tab", "visits": []}, expected_version=stale_version)
        assert err.value.code == "stale"
        assert Submission.objects.get(pk=first.pk).data["key_work"] == "newer"


@pytest.mark.django_db
def test_submitters_only_for_their_own_branch_and_valid_periods(org_a):
    with org_a.scope():
        plan = rule(org_a, "action_plan")
        with pytest.raises(PermissionDenied):  # bgm is A1's GM, not A2's
            services.submission_save(membership=m_of(org_a, "bgm"), rule=plan, period=dt.date(2026, 10, 7),
                                     branch=org_a.branches["A2"], data={}, submit=True)
        with pytest.raises(ValidationError) as err:  # a Thursday is not a period of a Wed/Sun rule
            services.submission_save(membership=m_of(org_a, "bgm"), rule=plan, period=dt.date(2026, 10, 8),
                                     branch=org_a.branches["A1"], data={}, submit=True)
        assert err.value.code == "bad_period"


@pytest.mark.django_db
def test_accepted_targets_become_the_branch_target_and_stay_locked_until_reviewed(org_a):
    """S000-31 / S001-11: per-salesperson targets add up to the branch target; once marketing
    accepts them the daily summary uses them; a later change is reviewed again first."""
    with org_a.scope():
        targets = rule(org_a, "sales_targets")
        bgm, mspec = m_of(org_a, "bgm"), m_of(org_a, "mspec")
        sales, sales_b = org_a.users["sales"], org_a.users["allroles"]
        period = dt.date(2026, 10, 25)  # Sunday -> due Monday 10-26; targets for November
        sub = services.submission_save(
            membership=bgm, rule=targets, period=period, branch=org_a.branches["A1"], submit=True,
            data={"targets": [{"salesperson": sales.pk, "target": "120000.00"},
                              {"salesperson": sales_b.pk, "target": "80000.50"}]},
            now=dt.datetime(2026, 10, 23, 9, 0, tzinfo=SH),
        )
        month = dt.date(2026, 11, 1)
        assert not MonthlyTarget.objects.filter(branch=org_a.branches["A1"], month=month).exists()
        services.submission_review(membership=mspec, submission=sub, accept=True)
        assert MonthlyTarget.objects.get(branch=org_a.branches["A1"], month=month).amount == Decimal("200000.50")
        # The GM lowers the figures: the change waits for review, the target does not move.
        changed = services.submission_save(
            membership=bgm, rule=targets, period=period, branch=org_a.branches["A1"], submit=False,
            data={"targets": [{"salesperson": sales.pk, "target": "50000"}]},
            now=dt.datetime(2026, 10, 24, 9, 0, tzinfo=SH),
        )
        assert (changed.status, changed.revision) == (SubmissionStatus.SUBMITTED, 2)
        assert changed.revisions.get().kind == RevisionKind.ACCEPTED
        assert MonthlyTarget.objects.get(branch=org_a.branches["A1"], month=month).amount == Decimal("200000.50")
        services.submission_review(membership=mspec, submission=changed, accept=True)
        assert MonthlyTarget.objects.get(branch=org_a.branches["A1"], month=month).amount == Decimal("50000.00")


@pytest.mark.django_db
def test_action_plan_starts_from_the_last_version(org_a):
    """S000-29: the GM tracks execution: the next version starts from the last one."""
    from reports.submissions.prefill import initial_for

    with org_a.scope():
        plan, bgm = rule(org_a, "action_plan"), m_of(org_a, "bgm")
        data = {"actions": [{"action": "走访 4S 店", "owner": bgm.user_id, "due": "2026-10-10", "status": "进行中"}]}
        services.submission_save(membership=bgm, rule=plan, period=dt.date(2026, 10, 4), branch=org_a.branches["A1"],
                                 data=data, submit=True, now=dt.datetime(2026, 10, 4, 9, 0, tzinfo=SH))
        assert initial_for(rule=plan, period=dt.date(2026, 10, 7), branch=org_a.branches["A1"], membership=bgm) == data
        assert initial_for(rule=plan, period=dt.date(2026, 10, 7), branch=org_a.branches["A2"], membership=bgm) == {}
