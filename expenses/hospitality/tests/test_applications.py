"""Pre-approval (招待申请, the 大客户招待清单) and the emergency application (紧急申请):
every policy refusal with its reason, the chain, the deadline and the periodic sweep."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from customers import services as customer_services
from expenses.hospitality import services
from expenses.hospitality.models import ApplicationStatus, EmergencyReminder, HospitalityApplication
from expenses.hospitality.tasks import sweep_emergencies
from marketing.demo import membership_of
from marketing.roles import Role

from .helpers import TUESDAY, app_data, apply, approve, at, emergency, guests, pending, venue
from .test_policy import new_version

WED, THU, FRI = (TUESDAY + dt.timedelta(days=n) for n in (1, 2, 3))


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as e:
        fn(*args, **kwargs)
    return e.value.code


@pytest.fixture
def v(org_a):
    return venue(org_a)


def test_ordinary_application_goes_to_the_branch_gm(org_a, v):
    with at(TUESDAY):
        app = apply(org_a, v)
    assert app.status == ApplicationStatus.SUBMITTED and app.number.startswith("ZD-2026-")
    with org_a.scope():
        assert app.policy.version == 1 and app.guests.count() == 1
    tasks = pending(org_a, app)
    assert {t.step.name for t in tasks} == {"分公司总经理审批"}
    assert org_a.users["bgm"] in {t.assignee for t in tasks} and org_a.users["bgm2"] not in {t.assignee for t in tasks}
    app = approve(org_a, app, "bgm")
    assert app.status == ApplicationStatus.APPROVED


def test_a_branch_gm_applying_is_approved_by_the_marketing_director(org_a, v):
    with at(TUESDAY):
        app = apply(org_a, v, persona="bgm")
    from marketing.approvals.models import ApprovalStep, StepStatus

    with org_a.scope():
        steps = dict(ApprovalStep.objects.filter(flow__object_id=app.pk, flow__document_type="expenses.hospitality_application")
                     .values_list("name", "status"))
    assert steps["市场营销总监审批"] != StepStatus.SKIPPED
    with at(TUESDAY):
        sales_app = apply(org_a, v)
    with org_a.scope():
        steps = dict(ApprovalStep.objects.filter(flow__object_id=sales_app.pk,
                                                 flow__document_type="expenses.hospitality_application")
                     .values_list("name", "status"))
    assert steps["市场营销总监审批"] == StepStatus.SKIPPED


@pytest.mark.parametrize("when,visit,code", [
    (TUESDAY, TUESDAY, "use_emergency"),            # today: only as an emergency
    (TUESDAY, TUESDAY - dt.timedelta(days=1), "use_emergency"),  # past day
    # Saturday for Monday: the working day before (Friday) has ended
    (dt.date(2026, 3, 14), dt.date(2026, 3, 16), "too_late"),
])
def test_a_day_ahead(org_a, v, when, visit, code):
    with at(when):
        assert refused(apply, org_a, v, visit_date=visit) == code


def test_by_the_end_of_the_previous_working_day(org_a, v):
    with at(dt.date(2026, 3, 13), 23, 30):  # Friday evening, for Monday
        app = apply(org_a, v, visit_date=dt.date(2026, 3, 16))
    assert app.status == ApplicationStatus.SUBMITTED


def test_policy_refusals_with_reasons(org_a, v):
    inactive = venue(org_a, name="旧店", active=False)
    meals_only = venue(org_a, name="小馆", lodging=False)
    with at(TUESDAY):
        assert refused(apply, org_a, v, persona="sales", branch="A2") == "branch_not_allowed"
        assert refused(apply, org_a, inactive) == "venue_not_designated"
        assert refused(apply, org_a, v, meals=False, lodging=False) == "nothing_requested"
        assert refused(apply, org_a, meals_only, lodging=True, room_nights=1) == "venue_no_lodging"
        assert refused(apply, org_a, v, lodging=True, room_nights=0) == "room_nights_required"
        assert refused(apply, org_a, v, guest_list=[]) == "no_guests"
        assert refused(apply, org_a, v, progress="") == "progress_required"
        # one guest, at most one companion (严格控制陪同人员)
        assert refused(apply, org_a, v, companion_count=2, expected_diners=3) == "too_many_companions"
        assert refused(apply, org_a, v, expected_diners=5) == "too_many_diners"
        with pytest.raises(ValidationError) as e:
            apply(org_a, v, guest_list=guests(city="上海"))  # A1 is in 上海
        assert e.value.code == "local_guest" and "本市客户" in e.value.messages[0]
    with org_a.scope():
        assert HospitalityApplication.objects.filter(tenant=org_a.tenant).count() == 0


def test_who_may_apply_and_local_guests_follow_the_policy_version(org_a, v):
    with at(TUESDAY):
        new_version(org_a, THU, applicant_roles=[Role.SALESPERSON], allow_local_guests=True,
                    max_companions_per_guest=2)
    with at(TUESDAY):
        # for Thursday, v2 is in force: a regional manager may no longer apply; locals are allowed
        assert refused(apply, org_a, v, persona="rm", visit_date=THU) == "role_not_allowed"
        app = apply(org_a, v, visit_date=THU, guest_list=guests(city="上海"), companion_count=2, expected_diners=3)
        assert app.policy.version == 2
        # for Wednesday, v1: the same local guest is refused
        assert refused(apply, org_a, v, visit_date=WED, guest_list=guests(city="上海")) == "local_guest"


def test_guest_linked_to_the_archive_only_within_reach(org_a, v, client_as):
    from marketing import services as platform
    from marketing.models import CustomerReachPolicy, Tenant

    # Under the "own customers" policy a salesperson reads only their own (under the seed's
    # default they read the whole archive, and the link is checked against that reach).
    Tenant.objects.filter(pk=org_a.tenant.pk).update(customer_reach_policy=CustomerReachPolicy.OWN)
    with org_a.scope():
        # the stricter archive policy: a salesperson reads only their own customers (docs/customers.md)
        platform.tenant_settings_update(tenant=org_a.tenant, actor=None, data={"customer_reach_policy": "own"})
        own = customer_services.customer_create(tenant=org_a.tenant, actor=org_a.users["sales"], data={
            "name": "北京星光汽车服务有限公司", "industry": "dealer_4s", "branch": org_a.branches["A1"],
            "owner": org_a.users["sales"], "phone": "010-1234567", "business_situation": "机密经营数据"})
        other = customer_services.customer_create(tenant=org_a.tenant, actor=org_a.users["sales2"], data={
            "name": "杭州某车行", "industry": "dealer_4s", "branch": org_a.branches["A2"],
            "owner": org_a.users["sales2"], "phone": "0571-1234567"})
    with at(TUESDAY):
        assert refused(apply, org_a, v, guest_list=guests(customer=other)) == "customer_not_visible"
        app = apply(org_a, v, guest_list=[{"name": "王总", "title": "", "company": "", "city": "北京",
                                           "customer": own}])
    with org_a.scope():
        assert app.guests.get().company == "北京星光汽车服务有限公司"
    # the branch GM sees the application but not a link into the archive (and no archive data)
    page = client_as(org_a.users["bgm"]).get(f"/hospitality/applications/{app.pk}/").content.decode()
    assert "王总" in page and f"/customers/{own.pk}/" not in page and "机密经营数据" not in page
    mine = client_as(org_a.users["sales"]).get(f"/hospitality/applications/{app.pk}/").content.decode()
    assert f"/customers/{own.pk}/" in mine


def test_emergency_application_and_completion_in_time(org_a, v, django_capture_on_commit_callbacks):
    with at(TUESDAY, 12):
        assert refused(emergency, org_a, v, visit_date=WED) == "not_emergency"
        with django_capture_on_commit_callbacks(execute=True):
            app = emergency(org_a, v)
        assert app.status == ApplicationStatus.EMERGENCY and app.completion_due == THU  # 2 working days
        recipients = {a for m in mail.outbox for a in m.to}
        assert org_a.users["bgm"].email in recipients and org_a.users["bgm2"].email not in recipients
        assert org_a.users["sales"].email not in recipients
        assert "紧急招待申请" in mail.outbox[0].subject
        assert pending(org_a, app) == []  # the chain starts when it is completed
    with at(THU, 17):
        user = org_a.users["sales"]
        with org_a.scope():
            app = services.application_update(application=app, membership=membership_of(user), actor=user,
                                               data=app_data(org_a, v, visit_date=FRI, expected_diners=2),
                                               guests=guests())
    assert app.status == ApplicationStatus.SUBMITTED and app.visit_date == TUESDAY  # the date cannot move
    assert approve(org_a, app, "bgm").status == ApplicationStatus.APPROVED


def test_emergency_too_old_and_weekend_rules(org_a, v):
    with at(TUESDAY):
        # two working days back is Friday the 6th; Thursday the 5th is too old
        assert refused(emergency, org_a, v, visit_date=dt.date(2026, 3, 5)) == "emergency_too_old"
        assert emergency(org_a, v, visit_date=dt.date(2026, 3, 6)).completion_due == THU
    with at(dt.date(2026, 3, 14)):  # Saturday: Monday's meal can no longer be applied for normally
        app = emergency(org_a, v, visit_date=dt.date(2026, 3, 16))
    assert app.completion_due == dt.date(2026, 3, 17)  # Monday, Tuesday


def test_sweep_reminds_once_a_day_then_refuses_after_the_deadline(org_a, v, django_capture_on_commit_callbacks):
    with at(TUESDAY, 12):
        app = emergency(org_a, v)
    mail.outbox.clear()
    with at(WED, 9), django_capture_on_commit_callbacks(execute=True):
        assert sweep_emergencies(org_a.tenant.pk) == {"lapsed": 0, "reminded": 1}
        assert sweep_emergencies(org_a.tenant.pk) == {"lapsed": 0, "reminded": 0}  # once a day
    assert len(mail.outbox) == 1 and "提醒" in mail.outbox[0].subject
    with at(THU, 23, 59), django_capture_on_commit_callbacks(execute=True):
        assert sweep_emergencies(org_a.tenant.pk) == {"lapsed": 0, "reminded": 1}  # due today: still open
    with at(FRI, 0, 15), django_capture_on_commit_callbacks(execute=True):
        assert sweep_emergencies(org_a.tenant.pk) == {"lapsed": 1, "reminded": 0}
        assert sweep_emergencies(org_a.tenant.pk) == {"lapsed": 0, "reminded": 0}
    with org_a.scope():
        app.refresh_from_db()
        assert app.status == ApplicationStatus.LAPSED and app.lapsed_at is not None
        assert EmergencyReminder.objects.filter(application=app).count() == 2
    assert "拒付" in mail.outbox[-1].subject
    user = org_a.users["sales"]
    with at(FRI), org_a.scope(), pytest.raises(ValidationError) as e:
        services.application_update(application=app, membership=membership_of(user), actor=user,
                                    data=app_data(org_a, v), guests=guests())
    assert e.value.code == "not_editable"


def test_completion_after_the_deadline_is_refused_even_before_the_sweep(org_a, v):
    with at(TUESDAY):
        app = emergency(org_a, v)
    user = org_a.users["sales"]
    with at(FRI), org_a.scope(), pytest.raises(ValidationError) as e:
        services.application_update(application=app, membership=membership_of(user), actor=user,
                                    data=app_data(org_a, v), guests=guests())
    assert e.value.code == "completion_overdue"
