"""Reminders (S000-33): originals not at HQ N working days after signing -> the branch;
agreements ending within 30 days -> serving salesperson + branch GM; deduped."""

import datetime as dt

from customers.partners import reminders, services
from customers.partners.hooks import KIND_EXPIRING, KIND_ORIGINAL_OVERDUE
from customers.partners.models import CheckResult
from marketing.health import HEARTBEATS
from marketing.models import Heartbeat
from marketing.notifications.models import Message

MON = dt.date(2026, 11, 16)


def test_cutoff_counts_working_days(org_a):
    with org_a.scope():
        assert reminders.overdue_cutoff(org_a.tenant, MON) == dt.date(2026, 11, 2)  # 10 working days back
        services.settings_update(tenant=org_a.tenant, actor=org_a.users["mspec"], original_due_working_days=1,
                                 review_required=False)
        assert reminders.overdue_cutoff(org_a.tenant, MON) == dt.date(2026, 11, 13)  # the Friday before


def test_cutoff_skips_holidays(org_a):
    with org_a.scope():
        # back from Fri 23 Oct: 22-19, 16-12 (9 days), then Sat 10 Oct, a 调休 working day after 国庆
        cutoff = reminders.overdue_cutoff(org_a.tenant, dt.date(2026, 10, 23))
        assert cutoff == dt.date(2026, 10, 10)


def test_overdue_original_reminds_branch_once(make_a, org_a):
    p = make_a.partner()
    late = make_a.agreement(p, signed_on=dt.date(2026, 11, 2))
    make_a.agreement(p, signed_on=dt.date(2026, 11, 3))  # 9 working days: not yet
    received = make_a.agreement(make_a.partner("已收", "A1"), signed_on=dt.date(2026, 11, 2))
    with org_a.scope():
        services.original_send(agreement=received, actor=org_a.users["bgm"], courier="顺丰", waybill="1",
                               sent_on=dt.date(2026, 11, 3))
        services.original_receive(agreement=received, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
        assert list(reminders.overdue_originals(tenant=org_a.tenant, today=MON)) == [late]
        sent = reminders.send_reminders(tenant=org_a.tenant, today=MON)
        assert sent["overdue"] == 1
        msgs = Message.objects.filter(kind=KIND_ORIGINAL_OVERDUE)
        assert {m.user for m in msgs} == {org_a.users["bgm"], org_a.users["allroles"]}
        assert all(late.number in m.subject and m.link.endswith(f"/partners/{p.pk}/") for m in msgs)
        assert reminders.send_reminders(tenant=org_a.tenant, today=MON)["overdue"] == 0  # rerun: nothing
        assert msgs.count() == 2
        # posted: reminded again only if still not received later (a new state, a new key)
        services.original_send(agreement=late, actor=org_a.users["bgm"], courier="顺丰", waybill="2",
                               sent_on=dt.date(2026, 11, 16))
        assert reminders.send_reminders(tenant=org_a.tenant, today=MON)["overdue"] == 1


def test_expiring_reminds_salesperson_and_branch_gm(make_a, org_a):
    p = make_a.partner(salesperson=org_a.users["sales"])
    make_a.agreement(p, signed_on=dt.date(2025, 12, 11), starts_on=dt.date(2025, 12, 11),
                     ends_on=dt.date(2026, 12, 10))
    make_a.agreement(make_a.partner("远期", "A1"), signed_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 12, 17))
    with org_a.scope():
        for a in p.agreements.all():
            services.original_send(agreement=a, actor=org_a.users["bgm"], courier="x", waybill="1",
                                   sent_on=a.signed_on)
            services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
        sent = reminders.send_reminders(tenant=org_a.tenant, today=MON)
        assert sent["expiring"] == 1  # 2026-12-17 is 31 days away
        users = {m.user for m in Message.objects.filter(kind=KIND_EXPIRING)}
        assert users == {org_a.users["sales"], org_a.users["bgm"], org_a.users["allroles"]}
        assert reminders.send_reminders(tenant=org_a.tenant, today=MON)["expiring"] == 0


def test_dispatcher_beats_and_is_listed(org_a):
    from customers.partners.tasks import dispatch_reminders
    from marketing.celery import app

    assert "partners.dispatch_reminders" in HEARTBEATS
    assert any(e["task"] == "customers.partners.tasks.dispatch_reminders" for e in app.conf.beat_schedule.values())
    dispatch_reminders(force=True)
    assert Heartbeat.objects.filter(name="partners.dispatch_reminders").exists()
