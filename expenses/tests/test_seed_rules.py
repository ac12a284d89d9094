"""The register's rows for hospitality (seed 001, 公司业务招待费管理规定) and seed 000's
marketing-expense chain, each pinned by id with exact values through the real services.

The hospitality module (docs/hospitality.md) and the expense chain (docs/approvals.md) were
built by issues 13 and 8; these tests name the register rows they implement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from expenses.hospitality import selectors as hosp_selectors
from expenses.hospitality import services as hosp
from expenses.hospitality.models import ApplicationStatus, ClaimStatus
from expenses.hospitality.report import monthly_report
from expenses.hospitality.tasks import sweep_emergencies
from expenses.hospitality.tests.helpers import (
    TUESDAY,
    app_data,
    apply,
    approved_app,
    at,
    claim,
    emergency,
    guests,
    line,
    venue,
)
from expenses.hospitality.tests.helpers import approve as hosp_approve
from expenses.hospitality.tests.helpers import pending as hosp_pending
from expenses.models import ExpenseRequest, ExpenseStatus
from expenses.services import expense_mark_paid
from expenses.tests.helpers import approve, flow_of, make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalStep, StepKind, StepScope, StepStatus
from marketing.audit import AuditEvent
from marketing.demo import membership_of
from marketing.notifications.models import Message
from marketing.roles import Role
from reports import imports
from reports.models import ImportKind
from reports.summary import compile_summary

pytestmark = pytest.mark.django_db

WED, THU, FRI = (TUESDAY + dt.timedelta(days=n) for n in (1, 2, 3))


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        fn(*args, **kwargs)
    return exc.value.code


def shares(c):
    return c.bill_total, c.company_share, c.personal_share


def new_version(org, effective, **data):
    actor = data.pop("actor", "admin")
    base = {
        "effective_from": effective,
        "applicant_roles": [Role.SALESPERSON, Role.REGIONAL_MANAGER, Role.BRANCH_GM],
        "advance_working_days": 1,
        "allow_local_guests": False,
        "require_progress": True,
        "extra_dishes": 1,
        "lodging_per_room_night": D("300.00"),
        "max_companions_per_guest": 1,
        "emergency_working_days": 2,
        "note": "试行期满调整",
    }
    base.update(data)
    with org.scope():
        return hosp.policy_create(tenant=org.tenant, actor=org.users[actor], data=base)


@pytest.fixture
def v(org_a):
    return venue(org_a)  # 东方饭店, 上海 (A1's city), meals and lodging


# --- S001-30 … S001-35: what hospitality is, and applying before use --------------------------


def test_S001_30_hospitality_is_applied_for_before_use_and_arranged_centrally(org_a, v):
    """S001-30: 统一安排管理, 先申请后使用 -- a meal with no application is the salesperson's own;
    an approved application is sent to the company's arranger, not booked by the salesperson."""
    with at(TUESDAY):
        app = apply(org_a, v)  # for Wednesday
    assert app.status == ApplicationStatus.SUBMITTED
    with at(WED, 21):
        # the approval has not happened yet: no claim against it
        assert refused(claim, org_a, app, [line("dish", "300.00", 3)]) == "application_open"
    app = hosp_approve(org_a, app, "bgm")
    assert app.status == ApplicationStatus.APPROVED
    with org_a.scope():
        # central arrangement: without a 行政部 position the GM assistant gets the list to book
        sent = Message.objects.get(kind="hospitality.arrange", user=org_a.users["gmassist"])
        assert app.number in sent.subject
        assert not Message.objects.filter(kind="hospitality.arrange", user=org_a.users["sales"]).exists()
    with at(WED, 21):
        covered = claim(org_a, app, [line("dish", "300.00", 3)])
        unapplied = claim(
            org_a, None, [line("dish", "300.00", 3)], branch=org_a.branches["A1"], meal_date=WED, venue=v
        )
    assert shares(covered) == (D("300.00"), D("300.00"), D("0.00"))
    assert shares(unapplied) == (D("300.00"), D("0.00"), D("300.00"))
    assert unapplied.blanket_reason == "无招待申请：未完善招待手续，全部由个人自理"


def test_S001_31_only_meals_and_lodging_gifts_and_entertainment_are_personal(org_a, v):
    """S001-31: 只限客户用餐和住宿，不包括购买礼品、高档消费和娱乐."""
    with at(TUESDAY):
        app = approved_app(org_a, v, lodging=True, room_nights=1)
    with at(WED, 21):
        c = claim(
            org_a,
            app,
            [
                line("dish", "300.00", 3),
                line("lodging", "280.00", 1),
                line("other", "888.00", description="礼品：茶叶两盒"),
                line("other", "1200.00", description="KTV"),
            ],
        )
    assert shares(c) == (D("2668.00"), D("580.00"), D("2088.00"))
    with org_a.scope():
        others = list(c.lines.filter(kind="other").order_by("amount"))
    assert [(ln.company_amount, ln.personal_amount) for ln in others] == [
        (D("0.00"), D("888.00")),
        (D("0.00"), D("1200.00")),
    ]
    assert {ln.reason for ln in others} == {"招待费只限客户用餐和住宿（不含礼品、高档消费和娱乐）"}


def test_S001_32_emergency_by_message_completed_afterwards_or_refused(
    org_a, v, django_capture_on_commit_callbacks
):
    """S001-32: 紧急情况可短信申请，事后必补，否则公司可拒付."""
    with at(TUESDAY, 12):
        # an ordinary application is still possible for Wednesday: no emergency then
        assert refused(emergency, org_a, v, visit_date=WED) == "not_emergency"
        with django_capture_on_commit_callbacks(execute=True):
            completed = emergency(org_a, v)  # today's meal: the "text message" to the branch GM
            lapsed = emergency(org_a, v, expected_diners=2)
    assert completed.status == ApplicationStatus.EMERGENCY and completed.completion_due == THU
    assert org_a.users["bgm"].email in {a for m in mail.outbox for a in m.to}
    assert hosp_pending(org_a, completed) == []  # nothing to approve before the paperwork
    with at(THU, 17):
        user = org_a.users["sales"]
        with org_a.scope():
            completed = hosp.application_update(
                application=completed,
                membership=membership_of(user),
                actor=user,
                data=app_data(org_a, v, expected_diners=2),
                guests=guests(),
            )
    assert completed.status == ApplicationStatus.SUBMITTED and completed.visit_date == TUESDAY
    completed = hosp_approve(org_a, completed, "bgm")
    with at(FRI, 0, 15), django_capture_on_commit_callbacks(execute=True):
        assert sweep_emergencies(org_a.tenant.pk) == {"lapsed": 1, "reminded": 0}
    with org_a.scope():
        lapsed.refresh_from_db()
    assert lapsed.status == ApplicationStatus.LAPSED
    with at(FRI, 10):
        paid = claim(org_a, completed, [line("dish", "300.00", 3)])
        refused_claim = claim(org_a, lapsed, [line("dish", "300.00", 3)])
    assert shares(paid) == (D("300.00"), D("300.00"), D("0.00"))
    assert shares(refused_claim) == (D("300.00"), D("0.00"), D("300.00"))
    assert "拒付" in refused_claim.blanket_reason


def test_S001_33_rules_apply_from_their_date_and_are_adjusted_by_new_versions(org_a, v):
    """S001-33: 自颁布之日起执行，试行一个季度；不合理或与销售额不成比例时上报调整 -- versions with
    an effective date, never backdated; each claim judged under the version of its day; the
    monthly report puts hospitality beside collections."""
    with org_a.scope():
        first = hosp.policy_in_force(tenant=org_a.tenant, day=TUESDAY)
    assert (first.version, first.extra_dishes, first.note) == (1, 1, "公司业务招待费管理规定（试行）")
    with at(TUESDAY):
        assert refused(new_version, org_a, TUESDAY - dt.timedelta(days=1)) == "past_effective"
        app = approved_app(org_a, v)  # Wednesday, under v1
        adjusted = new_version(org_a, THU, extra_dishes=2)  # the adjusted rules start Thursday
        later = approved_app(org_a, v, visit_date=THU)
    assert adjusted.version == 2
    with org_a.scope():
        assert hosp.policy_in_force(tenant=org_a.tenant, day=WED).version == 1
        assert hosp.policy_in_force(tenant=org_a.tenant, day=THU).version == 2
    with at(THU, 21):
        # 2 diners, 4 dishes for ¥400: v1 allows 3 -> 400 × 1 ÷ 4 = 100.00 personal; v2 allows 4
        under_v1 = claim(org_a, app, [line("dish", "400.00", 4)])
        under_v2 = claim(org_a, later, [line("dish", "400.00", 4)])
    assert (under_v1.policy.version, under_v1.personal_share) == (1, D("100.00"))
    assert (under_v2.policy.version, under_v2.personal_share) == (2, D("0.00"))
    hosp_approve(org_a, under_v1, "finance")
    hosp_approve(org_a, under_v2, "finance")
    with org_a.scope():
        imports.apply_rows(
            tenant=org_a.tenant,
            kind=ImportKind.COLLECTIONS,
            rows=[{"branch_id": org_a.branches["A1"].pk, "day": TUESDAY, "amount": D("20000.00")}],
        )
        data = monthly_report(membership=membership_of(org_a.users["finance"]), month=dt.date(2026, 3, 1))
    a1 = {r["branch"]: r for r in data["rows"]}["甲一分公司"]
    # company shares 300.00 + 400.00 = 700.00 against ¥20,000.00 collected: 3.50 %
    assert (a1["company"], a1["personal"], a1["sales"], a1["ratio_pct"]) == (
        D("700.00"),
        D("100.00"),
        D("20000.00"),
        "3.50%",
    )


APPLICANTS = {"bgm", "bgm2", "rm", "sales", "sales2", "allroles"}  # the default applicant roles' holders


def _path(link: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _review_messages(org):
    with org.scope():
        return list(Message.objects.filter(tenant=org.tenant, kind="hospitality.policy_review").select_related("user"))


def test_S001_33_trial_quarter_over_reminds_admins_and_director_once(org_a, org_b, v, client_as):
    """S001-33: 自颁布之日起执行，试行一个季度；不合理或与销售额不成比例时上报调整 -- when the trial quarter
    of the version in force is over (its effective date + 3 months, on or after that day, from 09:00 local
    time), the daily sweep reminds the tenant's admins and marketing director once, with the quarter's
    hospitality (company share of assessed claims) beside its collections, and a link that opens for each
    (the policy page for who keeps the policy, the hospitality report for the director). Decision: a
    version replaced before its quarter was over, or with a newer version already issued (starting later),
    is not reminded (the adjustment was made); nothing for another tenant; a re-run or the next day sends
    nothing more."""
    from expenses.hospitality.models import PolicyReviewReminder
    from expenses.hospitality.tasks import remind_policy_reviews

    with at(TUESDAY):  # the rules in force are replaced on Thursday by v2
        adjusted = new_version(org_a, THU, extra_dishes=2)
        app = approved_app(org_a, v, visit_date=THU)
    with at(THU, 21):
        c = claim(org_a, app, [line("dish", "300.00", 3)])
    hosp_approve(org_a, c, "finance")
    with org_a.scope():
        imports.apply_rows(
            tenant=org_a.tenant,
            kind=ImportKind.COLLECTIONS,
            rows=[{"branch_id": org_a.branches["A1"].pk, "day": THU, "amount": D("20000.00")}],
        )
    end = dt.date(2026, 6, 12)  # 2026-03-12 + 3 months
    for day, hour in ((dt.date(2026, 6, 10), 10), (end - dt.timedelta(days=1), 23), (end, 8)):
        with at(day, hour):  # v2's quarter is not over (nor is it 09:00 on its last day); v1 was replaced
            assert remind_policy_reviews() == 0
    assert _review_messages(org_a) == []
    with at(end, 10):
        assert remind_policy_reviews() == 3  # admin, director, and the all-roles persona
        assert remind_policy_reviews() == 0  # a re-run of the sweep
    with at(end + dt.timedelta(days=1), 10):
        assert remind_policy_reviews(tenant_id=org_a.tenant.pk) == 0
    sent = _review_messages(org_a)
    assert {m.user.username for m in sent} == {org_a.users[p].username for p in ("admin", "mdirector", "allroles")}
    first = sent[0]
    assert first.subject == "【招待政策评估】v2 试行期满（2026-03-12 至 2026-06-11）"
    assert "试行期招待费（公司承担，已核定）：¥300.00；同期回款：¥20000.00；占比：1.50%。" in first.body
    links = {m.user.username: _path(m.link) for m in sent}
    assert links[org_a.users["admin"].username] == "/hospitality/policy/"
    assert links[org_a.users["mdirector"].username] == "/hospitality/report/?month=2026-06"
    for persona in ("admin", "mdirector", "allroles"):
        assert client_as(org_a.users[persona]).get(links[org_a.users[persona].username]).status_code == 200
    with org_a.scope():
        assert list(PolicyReviewReminder.objects.filter(tenant=org_a.tenant).values_list("policy", flat=True)) == [
            adjusted.pk
        ]
    assert _review_messages(org_b) == []  # org B's rules were issued with its first sweep: not a quarter ago
    # An adjustment already issued (starting later) when the quarter of the version in force ends: no reminder.
    with at(dt.date(2026, 7, 1)):
        v3 = new_version(org_a, dt.date(2026, 7, 2), extra_dishes=1)
    with at(dt.date(2026, 10, 1), 10):
        later = new_version(org_a, dt.date(2026, 10, 5), extra_dishes=2)
    with at(dt.date(2026, 10, 2), 10):
        with org_a.scope():
            assert hosp.policy_in_force(tenant=org_a.tenant, day=dt.date(2026, 10, 2)) == v3
        assert remind_policy_reviews(tenant_id=org_a.tenant.pk) == 0  # v3's quarter is over, but v4 is issued
    with at(dt.date(2027, 1, 4), 10):
        assert remind_policy_reviews(tenant_id=org_a.tenant.pk) == 0
    with at(dt.date(2027, 1, 5), 10):
        assert remind_policy_reviews(tenant_id=org_a.tenant.pk) == 3  # v4's own quarter
    with org_a.scope():
        reminded = set(PolicyReviewReminder.objects.filter(tenant=org_a.tenant).values_list("policy", flat=True))
    assert reminded == {adjusted.pk, later.pk} and v3.pk not in reminded
    from marketing.celery import app as celery_app

    assert "expenses.hospitality.tasks.remind_policy_reviews" in {
        entry["task"] for entry in celery_app.conf.beat_schedule.values()
    }


def test_S001_34_real_progress_and_the_sales_managers_approval(org_a, v):
    """S001-34: 有实质性进展的客户来郑考察，报销售部经理批准 (the branch GM of the branch)."""
    with at(TUESDAY):
        assert refused(apply, org_a, v, progress="  ") == "progress_required"
        app = apply(org_a, v, progress="已完成方案比选，下周签约")
    tasks = hosp_pending(org_a, app)
    assert {t.step.name for t in tasks} == {"分公司总经理审批"}
    assert {t.assignee for t in tasks} == {org_a.users["bgm"], org_a.users["allroles"]}  # not A2's bgm2
    assert hosp_pending(org_a, app, org_a.users["bgm2"]) == []
    assert hosp_approve(org_a, app, "bgm").status == ApplicationStatus.APPROVED
    with at(TUESDAY):
        own = apply(org_a, v, persona="bgm")  # the manager's own reception is signed above them
    assert hosp_pending(org_a, own, org_a.users["bgm"]) == []  # nobody signs their own
    with org_a.scope():
        steps = dict(
            ApprovalStep.objects.filter(
                flow__object_id=own.pk, flow__document_type="expenses.hospitality_application"
            ).values_list("name", "status")
        )
    assert steps == {"分公司总经理审批": StepStatus.ACTIVE, "市场营销总监审批": StepStatus.WAITING}
    hosp_approve(org_a, own, "allroles")
    assert [(t.step.name, t.assignee) for t in hosp_pending(org_a, own, org_a.users["mdirector"])] == [
        ("市场营销总监审批", org_a.users["mdirector"])
    ]
    assert hosp_approve(org_a, own, "mdirector").status == ApplicationStatus.APPROVED


def test_S001_35_reported_one_day_ahead_on_the_list(org_a, v):
    """S001-35: 提前一天上报《大客户招待清单》 -- by the end of the previous working day."""
    with at(TUESDAY):
        assert refused(apply, org_a, v, visit_date=TUESDAY) == "use_emergency"  # same day
    with at(dt.date(2026, 3, 13), 23, 30):  # Friday 23:30 for Monday: in time
        app = apply(org_a, v, visit_date=dt.date(2026, 3, 16), guest_list=guests(2), expected_diners=3)
    assert app.status == ApplicationStatus.SUBMITTED
    with org_a.scope():  # the list: guests with name, title, company and city
        assert list(app.guests.order_by("pk").values_list("name", "title", "company", "city")) == [
            ("客户1", "总经理", "北方汽车服务", "北京"),
            ("客户2", "总经理", "北方汽车服务", "北京"),
        ]
    with at(dt.date(2026, 3, 14), 9):  # Saturday for Monday: Friday has ended
        assert refused(apply, org_a, v, visit_date=dt.date(2026, 3, 16)) == "too_late"


def test_S001_37_out_of_town_guests_only(org_a, v):
    """S001-37: 外地来郑的大客户; 本市客户不在此范畴 (A1 is in 上海)."""
    with at(TUESDAY):
        with pytest.raises(ValidationError) as exc:
            apply(org_a, v, guest_list=guests(city="上海"))
        assert exc.value.code == "local_guest"
        assert exc.value.messages == ["客户1 来自本市（上海）：本市客户的招待不在招待费范围内。"]
        mixed = [
            {"name": "王总", "title": "", "company": "北方汽车", "city": "北京"},
            {"name": "李总", "title": "", "company": "浦东车行", "city": "上海"},
        ]
        assert refused(apply, org_a, v, guest_list=mixed, companion_count=0) == "local_guest"
        assert apply(org_a, v, guest_list=guests(city="北京")).status == ApplicationStatus.SUBMITTED
        # A2 is in 杭州: a 上海 guest is out of town there
        hz = venue(org_a, name="杭州饭店", city="杭州市")  # "杭州市" and "杭州" are one city
        assert apply(org_a, hz, persona="sales2", branch="A2", guest_list=guests(city="上海")).pk


def test_S001_37_hospitality_on_a_business_trip_is_outside_the_scheme(org_a, v):
    """S001-37: 外出联系业务中发生的招待费不在此范畴 -- a venue in another city than the branch's is
    refused at application, and a claim at such a venue is entirely personal."""
    hz = venue(org_a, name="杭州饭店", city="杭州")
    with at(TUESDAY):
        with pytest.raises(ValidationError) as exc:
            apply(org_a, hz)  # A1 (上海) entertaining in 杭州
        assert exc.value.code == "venue_elsewhere"
        assert exc.value.messages == [
            "所选场所在杭州，不在本分公司所在地（上海）：外出联系业务中发生的招待费不在招待费范围内。"
        ]
        with pytest.raises(ValidationError) as exc:
            emergency(org_a, hz)
        assert exc.value.code == "venue_elsewhere"
        app = approved_app(org_a, v)
        app2 = approved_app(org_a, v)
    with at(WED, 21):
        home = claim(org_a, app, [line("dish", "300.00", 3)])
        away = claim(org_a, app2, [line("dish", "300.00", 3)], venue=hz)
    assert shares(home) == (D("300.00"), D("300.00"), D("0.00"))
    assert shares(away) == (D("300.00"), D("0.00"), D("300.00"))
    assert away.blanket_reason == "外出联系业务中发生的招待费不在招待费范围内：全部由个人自理"


def test_S001_39_designated_venues_only(org_a, org_b, v):
    """S001-39: 以定点招待为原则 -- the tenant's venue list; an inactive or unlisted venue is not
    designated: refused at application, entirely personal at claim."""
    old = venue(org_a, name="旧店", active=False)
    elsewhere = venue(org_b, name="乙店", city="沈阳")
    with at(TUESDAY):
        assert refused(apply, org_a, old) == "venue_not_designated"
        assert refused(apply, org_a, elsewhere) == "venue_not_designated"  # another tenant's list
        app = approved_app(org_a, v)
        app2 = approved_app(org_a, v)
        app3 = approved_app(org_a, v)
    with org_a.scope():
        hosp.venue_save(
            tenant=org_a.tenant,
            actor=org_a.users["admin"],
            data={
                "name": "新桥酒家",
                "city": "上海",
                "address": "新桥路 2 号",
                "serves_meals": True,
                "serves_lodging": False,
                "is_active": True,
            },
        )
        assert (
            AuditEvent.objects.filter(tenant=org_a.tenant, verb__startswith="hospitality.venue").count() == 3
        )
    with at(WED, 21):
        at_venue = claim(org_a, app, [line("dish", "300.00", 3)])
        roadside = claim(org_a, app2, [line("dish", "300.00", 3)], venue=None, venue_other="路边大排档")
    assert shares(at_venue) == (D("300.00"), D("300.00"), D("0.00"))
    assert shares(roadside) == (D("300.00"), D("0.00"), D("300.00"))
    assert roadside.blanket_reason == "非定点招待场所：全部由个人自理"
    with org_a.scope():
        hosp.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], venue=v, data={"is_active": False})
        v.refresh_from_db()
    with at(WED, 22):
        after = claim(org_a, app3, [line("dish", "300.00", 3)], venue=v)
    assert shares(after) == (D("300.00"), D("0.00"), D("300.00"))


def _venue_messages(org, venue_obj):
    with org.scope():
        return list(Message.objects.filter(tenant=org.tenant, kind="hospitality.venue",
                                           dedupe_key__startswith=f"hosp-venue:{venue_obj.pk}:").select_related("user"))


def _people(org, messages):
    names = {u.pk: k for k, u in org.users.items()}
    return sorted(names[m.user_id] for m in messages)


def test_S001_39_new_venue_is_announced_to_who_may_apply(org_a, org_b, client_as):
    """S001-39: 以定点招待为原则 -- the company keeps the venue list and announces new venues: a venue added
    active is sent through the outbox, once per person, to the active members the policy in force lets
    apply (its applicant roles), with a link to the application form that opens for them; not to another
    tenant, not again on an edit or a second save, not for a venue added inactive; again when re-activated."""
    with at(TUESDAY):
        new = venue(org_a, name="新桥酒家", lodging=False)
        hidden = venue(org_a, name="备用店", active=False)
    sent = _venue_messages(org_a, new)
    assert _people(org_a, sent) == sorted(APPLICANTS)
    assert sent[0].subject == "【定点招待场所】新增 新桥酒家（上海）"
    assert "新桥酒家，上海 人民路 1 号，提供用餐。" in sent[0].body
    assert {_path(m.link) for m in sent} == {"/hospitality/apply/"}
    assert client_as(org_a.users["sales"]).get(_path(sent[0].link)).status_code == 200
    assert _venue_messages(org_a, hidden) == []
    with org_b.scope():
        assert not Message.objects.filter(tenant=org_b.tenant, kind="hospitality.venue").exists()
    assert not {m.user_id for m in sent} & {u.pk for u in org_b.users.values()}
    with org_a.scope():  # an edit, and the same save twice: nothing more
        for _i in range(2):
            hosp.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], venue=new,
                            data={"address": "新桥路 2 号", "is_active": True})
    assert len(_venue_messages(org_a, new)) == len(APPLICANTS)
    with org_a.scope():  # off the list, and back on it: announced again (once)
        hosp.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], venue=new, data={"is_active": False})
        for _i in range(2):
            hosp.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], venue=new, data={"is_active": True})
    assert len(_venue_messages(org_a, new)) == 2 * len(APPLICANTS)
    with at(TUESDAY):  # the policy in force decides who may apply
        new_version(org_a, TUESDAY, applicant_roles=[Role.SALESPERSON])
        only_sales = venue(org_a, name="江景酒店")
    assert _people(org_a, _venue_messages(org_a, only_sales)) == ["allroles", "sales", "sales2"]


def test_S001_40_dishes_diners_plus_one_soup_and_staple_covered_drinks_not(org_a, v):
    """S001-40: 菜品数量以人数+1，另加汤和主食；酒水由公司配备."""
    with at(TUESDAY):
        app = approved_app(org_a, v, expected_diners=2)
        app2 = approved_app(org_a, v, expected_diners=2)
    with at(WED, 21):
        # 2 diners: 3 dishes + soup + staple, all the company's; the drinks on the bill are not
        c = claim(
            org_a,
            app,
            [
                line("dish", "360.00", 3),
                line("soup", "48.00"),
                line("staple", "24.00"),
                line("drink", "96.50", description="啤酒"),
            ],
        )
        # 2 diners, 4 dishes for ¥480.00: 480 × (4 − 3) ÷ 4 = 120.00 personal
        over = claim(org_a, app2, [line("dish", "480.00", 4), line("soup", "30.00")])
    assert shares(c) == (D("528.50"), D("432.00"), D("96.50"))
    assert (c.dish_count, c.allowed_dishes) == (3, 3)
    with org_a.scope():
        assert c.lines.get(kind="drink").reason == "酒水由公司配备，账单上的酒水不予报销"
    assert shares(over) == (D("510.00"), D("390.00"), D("120.00"))
    assert (over.dish_count, over.allowed_dishes) == (4, 3)


def test_S001_41_above_the_standard_is_paid_by_the_salesperson(org_a, v):
    """S001-41: 超出标准的部分由销售人员自理 -- dishes beyond the standard and lodging beyond
    ¥300.00 per room-night, to the fen."""
    with at(TUESDAY):
        app = approved_app(org_a, v, expected_diners=2, lodging=True, room_nights=2)
    with at(WED, 21):
        # 5 dishes for ¥333.33 (3 allowed): 333.33 × 2 ÷ 5 = 133.332 -> 133.33; lodging 2 × 300 = 600 of 780
        c = claim(
            org_a, app, [line("dish", "200.00", 3), line("dish", "133.33", 2), line("lodging", "780.00", 2)]
        )
    assert shares(c) == (D("1113.33"), D("800.00"), D("313.33"))
    with org_a.scope():
        dishes = list(
            c.lines.filter(kind="dish").order_by("pk").values_list("company_amount", "personal_amount")
        )
        lodging = c.lines.get(kind="lodging")
    # spread by amount: 200 × 133.33 ÷ 333.33 = 80.00; the last dish line takes the rest 53.33
    assert dishes == [(D("120.00"), D("80.00")), (D("80.00"), D("53.33"))]
    assert (lodging.company_amount, lodging.personal_amount) == (D("600.00"), D("180.00"))
    assert lodging.reason == "住宿标准 ¥300.00/间夜 × 2 间夜 = ¥600.00，超出 ¥180.00 由个人自理"


def test_S001_42_incomplete_paperwork_is_paid_entirely_by_the_salesperson(org_a, v):
    """S001-42: 凡没有完善业务招待手续的招待费一律自理 -- no application, a rejected one, more
    diners than approved without a note."""
    with at(TUESDAY):
        rejected = apply(org_a, v)
        with org_a.scope():
            task = hosp_pending(org_a, rejected, org_a.users["bgm"])[0]
            approvals.approval_reject(task=task, actor=org_a.users["bgm"], reason="不符合招待条件")
            rejected.refresh_from_db()
        app = approved_app(org_a, v, expected_diners=2)
    bill = [line("dish", "300.00", 3), line("soup", "30.00")]
    with at(WED, 21):
        none = claim(org_a, None, bill, branch=org_a.branches["A1"], meal_date=WED, venue=v)
        no = claim(org_a, rejected, bill)
        crowd = claim(org_a, app, bill, diners=3)
    for c in (none, no, crowd):
        assert shares(c) == (D("330.00"), D("0.00"), D("330.00"))
    assert no.blanket_reason == "招待申请未获批准：全部由个人自理"
    assert crowd.blanket_reason == "就餐 3 人超出批准的 2 人且未说明：全部由个人自理"


def test_S001_43_accompanying_staff_strictly_limited(org_a, v):
    """S001-43: 严格控制陪同人员 -- at most one companion per guest (policy v1)."""
    with at(TUESDAY):
        assert refused(apply, org_a, v, companion_count=2, expected_diners=3) == "too_many_companions"
        assert refused(apply, org_a, v, guest_list=guests(2), companion_count=3, expected_diners=5) == (
            "too_many_companions"
        )
        ok = apply(org_a, v, guest_list=guests(2), companion_count=2, expected_diners=4)
        assert ok.companion_count == 2
        # diners cannot exceed guests + staff either
        assert refused(apply, org_a, v, companion_count=1, expected_diners=3) == "too_many_diners"
        new_version(org_a, THU, max_companions_per_guest=0)
        assert refused(apply, org_a, v, visit_date=THU, companion_count=1) == "too_many_companions"


def test_S001_44_finance_checks_and_assesses_and_keeps_the_rules(org_a, v, client_as):
    """S001-44: 财务部负责检查和考核，并负责解释 -- the claim's only step is finance's check,
    finance corrects lines with a reason, records payment, and may issue policy versions."""
    with at(TUESDAY):
        app = approved_app(org_a, v)
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "300.00", 3), line("soup", "68.00")])
    tasks = hosp_pending(org_a, c)
    assert {t.step.name for t in tasks} == {"财务审核"}
    assert {t.assignee for t in tasks} == {org_a.users["finance"], org_a.users["allroles"]}
    step = tasks[0].step
    assert step.kind == StepKind.VERIFY and list(step.checklist) == [
        "发票",
        "就餐人数",
        "菜品与金额",
        "个人自理部分",
    ]
    finance, sales = org_a.users["finance"], org_a.users["sales"]
    with org_a.scope():
        soup = c.lines.get(kind="soup")
        assert (
            refused(
                hosp.claim_correct_line,
                claim=c,
                line_id=soup.pk,
                actor=sales,
                membership=membership_of(sales),
                kind="drink",
                quantity=1,
                amount=D("68.00"),
                reason="x",
            )
            == "not_finance"
        )
        c = hosp.claim_correct_line(
            claim=c,
            line_id=soup.pk,
            actor=finance,
            membership=membership_of(finance),
            kind="drink",
            quantity=1,
            amount=D("68.00"),
            reason="发票显示为黄酒",
        )
    assert shares(c) == (D("368.00"), D("300.00"), D("68.00"))
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_approve(task=hosp_pending(org_a, c, finance)[0], actor=finance, checklist=["发票"])
    assert exc.value.code == "checklist_incomplete"
    with at(THU, 9):
        c = hosp_approve(org_a, c, "finance")
    assert c.status == ClaimStatus.APPROVED
    with at(THU, 10), org_a.scope():
        c = hosp.claim_mark_paid(claim=c, actor=finance, paid_on=THU, reference="PZ-0044")
    assert (c.status, c.company_share, c.personal_share) == (ClaimStatus.PAID, D("300.00"), D("68.00"))
    # the rules: finance (and the tenant admin) issue versions; a salesperson may not
    assert client_as(finance).get("/hospitality/policy/").status_code == 200
    assert client_as(sales).get("/hospitality/policy/").status_code == 403
    with at(TUESDAY):
        assert new_version(org_a, FRI, actor="finance", lodging_per_room_night=D("320.00")).version == 2


def test_S001_45_hospitality_is_deducted_from_sales(org_a, v):
    """S001-45: 招待费将从销售额中直接扣减 -- the assessed company share per branch in the month
    of the meal; 扣减后业绩 = 本月累计回款 − 招待费 in the daily summary."""
    with at(TUESDAY):
        wed = approved_app(org_a, v)
        thu = approved_app(org_a, v, visit_date=THU)
        waiting = approved_app(org_a, v, visit_date=THU)
    with at(WED, 21):
        # 5 dishes for 580.00 with 2 diners: 232.00 personal, 348.00 company
        hosp_approve(org_a, claim(org_a, wed, [line("dish", "580.00", 5)]), "finance")
    with at(THU, 21):
        hosp_approve(org_a, claim(org_a, thu, [line("dish", "300.00", 3), line("drink", "50.00")]), "finance")
        claim(org_a, waiting, [line("dish", "100.00", 1)])  # still with finance: not deducted
    a1 = org_a.branches["A1"].pk
    with org_a.scope():
        imports.apply_rows(
            tenant=org_a.tenant,
            kind=ImportKind.COLLECTIONS,
            rows=[{"branch_id": a1, "day": TUESDAY, "amount": D("10000.00")}],
        )
        assert hosp_selectors.company_share_by_branch(tenant=org_a.tenant, day=WED) == {a1: D("348.00")}
        assert hosp_selectors.company_share_by_branch(tenant=org_a.tenant, day=THU) == {a1: D("648.00")}
        assert hosp_selectors.company_share_by_salesperson(tenant=org_a.tenant, day=THU) == {
            (a1, org_a.users["sales"].pk): D("648.00")
        }
        data = compile_summary(
            tenant=org_a.tenant,
            business_day=THU,
            now=dt.datetime(2026, 3, 13, 10, 0, tzinfo=org_a.tenant.zone),
        )
    row = {r["branch"]: r for r in data["rows"]}["甲一分公司"]
    assert (row["mtd"], row["hospitality"], row["net_mtd"]) == ("10000.00", "648.00", "9352.00")
    assert (data["total"]["hospitality"], data["total"]["net_mtd"]) == ("648.00", "9352.00")


# --- seed 000 营销费用申请: finance, cashier, archive and payout ----------------------------------


def _status(org, expense):
    with org.scope():
        return ExpenseRequest.objects.get(pk=expense.pk).status


def test_S000_25_finance_verifies_personnel_expense_account_and_time(org_a):
    """S000-25: 财务核对人员、费用、账号、时间节点 -- a verify step that passes only with every item ticked."""
    expense = make_expense(org_a)
    approve(org_a, expense, "mspec")
    task = pending(org_a, expense, org_a.users["finance"])[0]
    assert (task.step.name, task.step.kind) == ("财务核对", StepKind.VERIFY)
    assert list(task.step.checklist) == ["人员", "费用", "账号", "时间节点"]
    assert {t.assignee for t in pending(org_a, expense)} == {org_a.users["finance"], org_a.users["allroles"]}
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        approvals.approval_approve(
            task=task, actor=org_a.users["finance"], checklist=["人员", "费用", "账号"]
        )
    assert exc.value.code == "checklist_incomplete" and "时间节点" in exc.value.messages[0]
    assert pending(org_a, expense)[0].step.name == "财务核对"  # still waiting for finance
    approve(org_a, expense, "finance")
    with org_a.scope():
        task.refresh_from_db()
    assert task.checklist_values == {"人员": True, "费用": True, "账号": True, "时间节点": True}
    assert pending(org_a, expense)[0].step.name == "分公司出纳备案"


def test_S000_26_the_branch_cashier_records_the_request(org_a):
    """S000-26: 分公司出纳备案 -- a record step for the cashier of the request's branch only."""
    a1 = make_expense(org_a)
    a2 = make_expense(org_a, applicant="sales2", branch="A2")
    for expense in (a1, a2):
        approve(org_a, expense, "mspec")
        approve(org_a, expense, "finance")
    task = pending(org_a, a1)[0]
    assert (task.step.name, task.step.kind, task.step.scope) == (
        "分公司出纳备案",
        StepKind.RECORD,
        StepScope.BRANCH,
    )
    assert {t.assignee for t in pending(org_a, a1)} == {org_a.users["cashier"], org_a.users["allroles"]}
    # A1's cashier is not offered A2's request
    assert pending(org_a, a2, org_a.users["cashier"]) == []
    assert {t.assignee for t in pending(org_a, a2)} == {org_a.users["allroles"]}
    approve(org_a, a1, "cashier")
    assert pending(org_a, a1)[0].step.name == "分总签字"
    assert _status(org_a, a1) == ExpenseStatus.SUBMITTED


def test_S000_27_archived_after_the_branch_gm_signs_then_paid_with_date_and_reference(org_a):
    """S000-27: 归置存档, then 营销费用发放 with a payout date and a voucher reference."""
    expense = make_expense(org_a)
    for persona in ("mspec", "finance", "cashier"):
        approve(org_a, expense, persona)
    finance = org_a.users["finance"]
    with org_a.scope():
        expense.refresh_from_db()
        # not archived yet: no payout before 分总签字
        assert (
            refused(
                expense_mark_paid,
                expense=expense,
                actor=finance,
                paid_on=timezone.localdate(),
                reference="FK-1",
            )
            == "not_archived"
        )
    approve(org_a, expense, "bgm")
    with org_a.scope():
        expense.refresh_from_db()
        steps = list(
            ApprovalStep.objects.filter(flow=flow_of(org_a, expense))
            .order_by("position")
            .values_list("name", "status")
        )
    assert steps == [
        ("市场审核", StepStatus.DONE),
        ("财务核对", StepStatus.DONE),
        ("分公司出纳备案", StepStatus.DONE),
        ("分总签字", StepStatus.DONE),
    ]
    assert expense.status == ExpenseStatus.ARCHIVED and expense.archived_at is not None
    today = timezone.localdate()  # the service compares with the local date
    with org_a.scope():
        assert (
            refused(expense_mark_paid, expense=expense, actor=finance, paid_on=today, reference="  ")
            == "reference_required"
        )
        assert (
            refused(
                expense_mark_paid,
                expense=expense,
                actor=finance,
                paid_on=today + dt.timedelta(days=1),
                reference="FK-1",
            )
            == "bad_paid_on"
        )
        assert (
            refused(
                expense_mark_paid,
                expense=expense,
                actor=finance,
                paid_on=today - dt.timedelta(days=1),
                reference="FK-1",
            )
            == "bad_paid_on"
        )  # before the archive date
        expense_mark_paid(expense=expense, actor=finance, paid_on=today, reference="FK-0027")
        expense.refresh_from_db()
        event = AuditEvent.objects.get(verb="expenses.paid", object_id=str(expense.pk))
    assert (expense.status, expense.paid_on, expense.payment_reference, expense.paid_by) == (
        ExpenseStatus.PAID,
        today,
        "FK-0027",
        finance,
    )
    assert event.after["reference"] == "FK-0027"
