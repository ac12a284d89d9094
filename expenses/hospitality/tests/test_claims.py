"""The claim (报销): the company share vs 个人自理 with exact amounts for each reason, finance's
check with corrections, and the payment."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from expenses.hospitality import services
from expenses.hospitality.models import ClaimStatus, HospitalityClaim
from expenses.hospitality.tasks import sweep_emergencies
from marketing.approvals import services as approvals
from marketing.audit import AuditEvent
from marketing.demo import membership_of

from .helpers import TUESDAY, apply, approve, approved_app, at, claim, emergency, line, pending, venue

WED = TUESDAY + dt.timedelta(days=1)


@pytest.fixture
def v(org_a):
    return venue(org_a)


@pytest.fixture
def app(org_a, v):
    with at(TUESDAY):
        return approved_app(org_a, v, expected_diners=2)


def shares(c):
    return c.bill_total, c.company_share, c.personal_share


def test_within_the_standard(org_a, app):
    # 2 diners -> 3 dishes + soup + staple, all covered
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "360.00", 3), line("soup", "48.00"), line("staple", "24.00")])
    assert shares(c) == (D("432.00"), D("432.00"), D("0.00"))
    assert c.status == ClaimStatus.SUBMITTED and c.number.startswith("ZB-2026-")
    assert (c.dish_count, c.allowed_dishes, c.blanket_reason) == (3, 3, "")


def test_dishes_beyond_diners_plus_one(org_a, app):
    # 2 diners -> 3 allowed; 5 dishes for ¥580.00 -> 580 × (5 − 3) ÷ 5 = 232.00 personal
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "580.00", 5), line("soup", "40.00")])
    assert shares(c) == (D("620.00"), D("388.00"), D("232.00"))
    with org_a.scope():
        dish = c.lines.get(kind="dish")
    assert (dish.company_amount, dish.personal_amount) == (D("348.00"), D("232.00"))
    assert "× (5 − 3) ÷ 5" in dish.reason


def test_dishes_excess_to_the_fen(org_a, app):
    # 4 dishes for ¥333.33 -> 333.33 × 1 ÷ 4 = 83.3325 -> 83.33
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "333.33", 4)])
    assert shares(c) == (D("333.33"), D("250.00"), D("83.33"))


def test_drinks_are_personal(org_a, app):
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "300.00", 3), line("drink", "96.50", description="啤酒")])
    assert shares(c) == (D("396.50"), D("300.00"), D("96.50"))


def test_non_meal_lines_are_personal(org_a, app):
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "300.00", 3), line("other", "300.00", description="礼品")])
    assert shares(c) == (D("600.00"), D("300.00"), D("300.00"))


def test_lodging_above_the_standard(org_a, v):
    with at(TUESDAY):
        app = approved_app(org_a, v, lodging=True, room_nights=2)
    # standard ¥300.00 × 2 = ¥600.00; ¥780.00 billed -> ¥180.00 personal
    with at(WED, 21):
        c = claim(org_a, app, [line("lodging", "780.00", 2), line("dish", "300.00", 3)])
    assert shares(c) == (D("1080.00"), D("900.00"), D("180.00"))


def test_lodging_without_lodging_in_the_application(org_a, app):
    with at(WED, 21):
        c = claim(org_a, app, [line("lodging", "280.00", 1)])
    assert shares(c) == (D("280.00"), D("0.00"), D("280.00"))


def test_venue_not_designated(org_a, app):
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "300.00", 3), line("soup", "30.00")], venue=None, venue_other="路边大排档")
    assert shares(c) == (D("330.00"), D("0.00"), D("330.00"))
    assert "非定点" in c.blanket_reason


def test_venue_deactivated_is_not_designated(org_a, app, v):
    with org_a.scope():
        services.venue_save(tenant=org_a.tenant, actor=org_a.users["admin"], venue=v, data={"is_active": False})
        v.refresh_from_db()
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "300.00", 3)], venue=v)
    assert shares(c) == (D("300.00"), D("0.00"), D("300.00"))


def test_no_application(org_a, v):
    with at(WED, 21):
        c = claim(org_a, None, [line("dish", "260.00", 3)], branch=org_a.branches["A1"], meal_date=WED, venue=v)
    assert shares(c) == (D("260.00"), D("0.00"), D("260.00"))
    assert "无招待申请" in c.blanket_reason


def test_emergency_not_completed_in_time(org_a, v):
    with at(TUESDAY, 12):
        app = emergency(org_a, v)
    with at(TUESDAY + dt.timedelta(days=3), 1):
        sweep_emergencies(org_a.tenant.pk)
    with at(TUESDAY + dt.timedelta(days=3), 10):
        c = claim(org_a, app, [line("dish", "400.00", 4), line("staple", "20.00")], diners=3)
    assert shares(c) == (D("420.00"), D("0.00"), D("420.00"))
    assert "拒付" in c.blanket_reason


def test_rejected_application(org_a, v):
    with at(TUESDAY):
        app = apply(org_a, v)
        task = [t for t in pending(org_a, app) if t.assignee == org_a.users["bgm"]][0]
        with org_a.scope():
            approvals.approval_reject(task=task, actor=org_a.users["bgm"], reason="不符合招待条件")
            app.refresh_from_db()
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "200.00", 2)])
    assert shares(c) == (D("200.00"), D("0.00"), D("200.00"))


def test_more_diners_than_approved_needs_a_note(org_a, app):
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "400.00", 4)], diners=3, submit=False)
    # 3 diners against 2 approved, no note: everything personal
    assert shares(c) == (D("400.00"), D("0.00"), D("400.00"))
    user = org_a.users["sales"]
    with at(WED, 21), org_a.scope():
        c = services.claim_update(claim=c, actor=user, data={"venue": app.venue, "venue_other": "", "diners": 3,
                                                             "diners_note": "客户司机临时同桌"},
                                  lines=[line("dish", "400.00", 4)])
    # with a note: 3 diners -> 4 dishes, all covered
    assert shares(c) == (D("400.00"), D("400.00"), D("0.00"))


def test_paperwork_rules(org_a, v, app):
    with at(TUESDAY):
        open_app = apply(org_a, v)
    with at(WED, 21):
        with pytest.raises(ValidationError) as e:
            claim(org_a, open_app, [line("dish", "100.00", 1)])
        assert e.value.code == "application_open"
        with pytest.raises(ValidationError) as e:
            claim(org_a, app, [line("dish", "100.00", 1)], files=[])
        assert e.value.code == "invoice_required"
    with org_a.scope():  # a refused submission leaves nothing behind
        assert not HospitalityClaim.objects.filter(application=app).exists()
    with at(WED, 21):
        with pytest.raises(ValidationError) as e:
            claim(org_a, app, [line("dish", "100.00", 1)], persona="sales2")
        assert e.value.code == "not_applicant"


def test_finance_checks_corrects_and_pays(org_a, app):
    with at(WED, 21):
        c = claim(org_a, app, [line("dish", "300.00", 3), line("soup", "68.00", description="佛跳墙")])
    assert shares(c) == (D("368.00"), D("368.00"), D("0.00"))
    finance = org_a.users["finance"]
    with org_a.scope():
        soup = c.lines.get(kind="soup")
        with pytest.raises(ValidationError) as e:
            services.claim_correct_line(claim=c, line_id=soup.pk, actor=finance, membership=membership_of(finance),
                                        kind="drink", quantity=1, amount=D("68.00"), reason="")
        assert e.value.code == "reason_required"
        sales = org_a.users["sales"]
        with pytest.raises(ValidationError) as e:
            services.claim_correct_line(claim=c, line_id=soup.pk, actor=sales, membership=membership_of(sales),
                                        kind="drink", quantity=1, amount=D("68.00"), reason="x")
        assert e.value.code == "not_finance"
        c = services.claim_correct_line(claim=c, line_id=soup.pk, actor=finance, membership=membership_of(finance),
                                        kind="drink", quantity=1, amount=D("68.00"), reason="发票显示为黄酒")
        soup.refresh_from_db()
        assert soup.original == {"kind": "soup", "quantity": 1, "amount": "68.00"}
        assert AuditEvent.objects.filter(verb="hospitality.claim_correct", object_id=str(c.pk)).count() == 1
    assert shares(c) == (D("368.00"), D("300.00"), D("68.00"))
    with at(WED + dt.timedelta(days=1), 9):
        c = approve(org_a, c, "finance")
    assert c.status == ClaimStatus.APPROVED
    with at(WED + dt.timedelta(days=1)), org_a.scope():
        with pytest.raises(ValidationError) as e:
            services.claim_correct_line(claim=c, line_id=soup.pk, actor=finance, membership=membership_of(finance),
                                        kind="soup", quantity=1, amount=D("68.00"), reason="x")
        assert e.value.code == "not_checking"
        c = services.claim_mark_paid(claim=c, actor=finance, paid_on=WED + dt.timedelta(days=1), reference="PZ-88")
    assert c.status == ClaimStatus.PAID and c.company_share == D("300.00") and c.personal_share == D("68.00")


def test_one_claim_per_application(org_a, app):
    with at(WED, 21):
        claim(org_a, app, [line("dish", "300.00", 3)])
        with pytest.raises(ValidationError) as e:
            claim(org_a, app, [line("dish", "300.00", 3)])
        assert e.value.code == "already_claimed"
