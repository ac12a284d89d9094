"""The old daily-report partner rows move into the register, nothing lost (S000-02, S000-32),
and the daily report keeps writing through to it."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_scopes import scopes_disabled

from customers.partners.models import Agreement, AgreementKind, AgreementStage, OriginalState, Partner
from reports import services as report_services
from reports.models import SignedPartner

D1, D2 = dt.date(2026, 11, 17), dt.date(2026, 11, 18)


def at(day, hour):
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def file(org, code, day, partners, user="bgm"):
    return report_services.report_save(
        tenant=org.tenant, branch=org.branches[code], business_day=day, actor=org.users[user],
        data={"narrative": "x", "customer_visits": 1, "contracts_signed": 0, "problems": "", "next_plan": ""},
        partners=partners, submit=True, now=at(day, 18))


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_migration_moves_every_row_and_dedupes_by_name_and_type(org_a, org_b, monkeypatch):
    _migrate(("partners", "0001_register"))
    monkeypatch.setattr(report_services, "PARTNER_HOOKS", [])  # the old code: no register yet
    dealer = {"kind": "dealer", "name": "顺达4S店", "city": "上海", "contact": "李 139"}
    with org_a.scope():
        file(org_a, "A1", D1, [dealer, {"kind": "repair_shop", "name": "顺达4S店", "city": "上海", "contact": "王"}])
        file(org_a, "A2", D2, [{**dealer, "city": "杭州"}])  # the same dealer signed again
        first = SignedPartner.objects.filter(report__business_day=D1, kind="dealer").get()
        report_services.partner_set_paper_received(partner=first, actor=org_a.users["mspec"], received=True)
    with org_b.scope():
        file(org_b, "B1", D1, [dealer])
    monkeypatch.undo()
    _migrate(("partners", "0002_move_signed_partners"))
    with scopes_disabled():
        assert SignedPartner.objects.count() == 4  # kept, still readable
        assert Agreement.objects.count() == 4
        assert set(Agreement.objects.values_list("legacy_signed_partner_id", flat=True)) == set(
            SignedPartner.objects.values_list("pk", flat=True))
    with org_a.scope():
        dealers = Partner.objects.filter(type__code="dealer")
        assert dealers.count() == 1  # one dealer, two agreements
        p = dealers.get()
        assert (p.branch, p.city, p.contacts) == (org_a.branches["A1"], "上海", "李 139")
        kinds = list(p.agreements.order_by("signed_on").values_list("kind", "signed_on", "original_state", "branch"))
        assert kinds == [(AgreementKind.NEW, D1, OriginalState.RECEIVED, org_a.branches["A1"].pk),
                         (AgreementKind.RENEWAL, D2, OriginalState.TO_SEND, org_a.branches["A2"].pk)]
        a = p.agreements.get(signed_on=D1)
        assert (a.starts_on, a.ends_on) == (D1, dt.date(2027, 11, 16))
        first.refresh_from_db()
        assert first.paper_received_at and a.received_at == first.paper_received_at
        assert Partner.objects.filter(type__code="repair_shop").count() == 1
    with org_b.scope():
        assert Partner.objects.get().branch == org_b.branches["B1"]
    # running it again creates nothing
    _migrate(("partners", "0001_register"))
    with scopes_disabled():
        assert Agreement.objects.count() == 0 and Partner.objects.count() == 0
    _migrate(("partners", "0002_move_signed_partners"))
    from customers.partners.legacy import move
    from customers.partners.models import PartnerEvent, PartnerType
    from marketing.models import Branch
    with scopes_disabled():
        assert move(PartnerType=PartnerType, Partner=Partner, Agreement=Agreement, PartnerEvent=PartnerEvent,
                    SignedPartner=SignedPartner, Branch=Branch) == 0
        assert Agreement.objects.count() == 4


def test_daily_report_writes_through_to_the_register(org_a):
    line = {"kind": "dealer", "name": "恒通汽车", "city": "上海", "contact": "赵 138"}
    with org_a.scope():
        report = file(org_a, "A1", D1, [line])
        a = Agreement.objects.get()
        assert (a.partner.name, a.signed_on, a.source_report_id, a.branch) == ("恒通汽车", D1, report.pk,
                                                                                 org_a.branches["A1"])
        # saving again changes nothing in the register
        sp = SignedPartner.objects.get()
        file(org_a, "A1", D1, [{**line, "id": sp.pk}])
        assert Agreement.objects.count() == 1
        # the next day's report names the same dealer: a renewal of the same partner
        file(org_a, "A1", D2, [line])
        assert Partner.objects.count() == 1
        assert list(Agreement.objects.order_by("signed_on").values_list("kind", flat=True)) == [
            AgreementKind.NEW, AgreementKind.RENEWAL]
        # a line removed from the report cancels its untouched agreement
        file(org_a, "A1", D2, [])
        assert Agreement.objects.get(signed_on=D2).stage == AgreementStage.CANCELLED
        assert Agreement.objects.get(signed_on=D1).stage == AgreementStage.SIGNED
