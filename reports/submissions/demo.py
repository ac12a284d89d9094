"""Demo data: the shipped rules and a few weeks of history in every state (on time, late,
accepted, returned for rewriting, draft)."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from marketing.models import Membership
from marketing.selectors import visible_branches
from reports.workcal import WorkCalendar

from . import cadence, defaults, services
from .models import DigestStatus, Submission, SubmissionDigest, SubmissionRule


def _member(tenant, personas, keys):
    user = next((personas[k] for k in keys if k in personas), None)
    return Membership.objects.get(tenant=tenant, user=user) if user else None


def seed_trip(*, tenant, personas) -> None:
    """One business trip under way (S003-04), declared by the salesperson, with one check-in today."""
    from . import trips
    from .models import Trip

    if Trip.objects.filter(tenant=tenant).exists():
        return
    traveller = _member(tenant, personas, ("sales_hz", "sales_sy", "sales", "bgm", "bgm_hz", "bgm_sy"))
    if traveller is None:
        return
    today = trips.local_date(tenant)
    branch = visible_branches(membership=traveller).first()
    trip = trips.trip_declare(membership=traveller, data={
        "traveller": traveller.user, "branch": branch, "destination": "苏州",
        "purpose": "走访苏州地区 4S 店，洽谈延保合作。", "start_date": today - dt.timedelta(days=1),
        "end_date": today + dt.timedelta(days=2), "checkins_per_day": 2,
    })
    trips.trip_checkin(membership=traveller, trip=trip, progress="上午拜访两家 4S 店售后经理，约定下周提交合作方案。",
                       location="苏州工业园区")


def seed(*, tenant, personas, rich: bool) -> None:
    defaults.ensure_default_rules(tenant=tenant)
    seed_trip(tenant=tenant, personas=personas)
    if Submission.objects.filter(tenant=tenant).exists():
        return
    bgm = _member(tenant, personas, ("bgm", "bgm_hz", "bgm_sy"))
    reviewer = _member(tenant, personas, ("mspec",))
    if bgm is None:
        return
    now = timezone.now()
    cal = WorkCalendar(tenant)
    branch = visible_branches(membership=bgm).first()
    rule = SubmissionRule.objects.get(tenant=tenant, code="case_sharing")
    periods = cadence.previous_periods(rule, cadence.current_period(rule, now, cal), cal, 4 if rich else 2)
    for index, period in enumerate(periods):
        due = cadence.due_at(rule, period, cal)
        sub = services.submission_save(
            membership=bgm, rule=rule, period=period, branch=branch, submit=True,
            data={"title": f"案例 {period:%m-%d}：老客户续保", "customer": None,
                  "story": "4S 店售后经理对延保价格有顾虑，分总陪同拜访，讲清理赔流程后签约。",
                  "script": "“延保不是多花钱，是把以后的维修费提前锁定。”", "recorder": bgm.user_id},
            now=due - dt.timedelta(hours=2) if index != 2 else due + dt.timedelta(hours=3),  # one late
        )
        if index == 0:
            upload = ContentFile("案例现场记录（演示）\n".encode(), name="case-notes.txt")
            services.attachment_add(submission=sub, field_key="files", upload=upload, actor=bgm.user)
        if reviewer is not None and index == 0:
            services.submission_review(membership=reviewer, submission=sub, accept=True, now=due + dt.timedelta(hours=5))
        elif reviewer is not None and index == 1:
            services.submission_review(membership=reviewer, submission=sub, accept=False,
                                       comment="请补充客户的顾虑点和应对话术。", now=due + dt.timedelta(hours=5))
    # The digests of the two oldest periods as the dispatcher left them: one sent, one failed
    # (the rule page shows both; the failed one can be resent from there).
    for period, failed in zip(list(reversed(periods))[:2], (False, True), strict=False):
        SubmissionDigest.objects.get_or_create(tenant=tenant, rule=rule, period=period, defaults={
            "status": DigestStatus.FAILED if failed else DigestStatus.SENT,
            "claimed_at": cadence.due_at(rule, period, cal) + dt.timedelta(hours=1),
            "sent_at": None if failed else cadence.due_at(rule, period, cal) + dt.timedelta(hours=1),
            "error": "SMTPServerDisconnected: Connection unexpectedly closed（演示）" if failed else "",
        })
    if rich:
        plan = SubmissionRule.objects.get(tenant=tenant, code="action_plan")
        for period in cadence.previous_periods(plan, cadence.current_period(plan, now, cal), cal, 3):
            services.submission_save(
                membership=bgm, rule=plan, period=period, branch=branch, submit=True,
                data={"actions": [{"action": "走访区域内 4S 店", "owner": bgm.user_id, "due": period.isoformat(),
                                   "status": "进行中"}]},
                now=cadence.due_at(plan, period, cal) - dt.timedelta(hours=1),
            )
