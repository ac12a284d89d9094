"""S002-16 限期二次回访: the next date a visit promises; overdue when it passes without another
visit; on the home page and the customer list; reminded once a day from 09:00 tenant time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from customers import followups
from customers.models import Customer, Visit
from marketing.notifications.models import Message

SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def promised(org_a):
    with org_a.scope():
        sales, a1 = org_a.users["sales"], org_a.branches["A1"]
        late = Customer.objects.create(tenant=org_a.tenant, name="宁波丰田4S", branch=a1, owner=sales)
        kept = Customer.objects.create(tenant=org_a.tenant, name="余姚修理厂", branch=a1, owner=sales)
        soon = Customer.objects.create(tenant=org_a.tenant, name="慈溪大众4S", branch=a1, owner=sales)
        other = Customer.objects.create(tenant=org_a.tenant, name="杭州别克4S", branch=org_a.branches["A2"],
                                        owner=org_a.users["sales2"])
        visit = lambda c, day, nxt=None, who=sales: Visit.objects.create(  # noqa: E731
            tenant=org_a.tenant, customer=c, visited_on=day, visited_by=who, next_date=nxt)
        visit(late, dt.date(2026, 11, 2), dt.date(2026, 11, 10))  # promised the 10th: 10 days late
        visit(kept, dt.date(2026, 11, 2), dt.date(2026, 11, 10))
        visit(kept, dt.date(2026, 11, 11))  # the second visit happened: nothing due
        visit(soon, dt.date(2026, 11, 18), dt.date(2026, 11, 24))
        visit(other, dt.date(2026, 11, 1), dt.date(2026, 11, 5), who=org_a.users["sales2"])
    return {"late": late, "kept": kept, "soon": soon, "other": other}


@pytest.mark.django_db
def test_s002_16_overdue_and_due_soon(org_a, promised):
    with org_a.scope():
        everyone = Customer.objects.filter(tenant=org_a.tenant)
        assert set(followups.overdue(everyone, today=TODAY)) == {promised["late"], promised["other"]}
        assert list(followups.due_soon(everyone, today=TODAY)) == [promised["soon"]]
        assert followups.overdue(everyone, today=TODAY).get(pk=promised["late"].pk).followup_on == dt.date(2026, 11, 10)


@pytest.mark.django_db
def test_s002_16_home_card_and_list_filter_follow_reach(org_a, promised, client_as):
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 11, 20, 8, 0, tzinfo=SH), tick=False):
        home = client_as(org_a.users["sales"]).get("/").content.decode()
        page = client_as(org_a.users["sales"]).get("/customers/?followup=overdue").content.decode()
        soon = client_as(org_a.users["sales"]).get("/customers/?followup=soon").content.decode()
    assert "逾期未回访" in home
    # Within the reader's reach (the tenant's policy lets this salesperson read the archive):
    # the two whose promised date has passed, not the one visited again nor the one due soon.
    assert "宁波丰田4S" in page and "杭州别克4S" in page and "余姚修理厂" not in page and "慈溪大众4S" not in page
    assert "慈溪大众4S" in soon and "宁波丰田4S" not in soon


@pytest.mark.django_db
def test_s002_16_reminders_once_a_day_from_nine(org_a, promised):
    with org_a.scope():
        assert followups.remind(tenant=org_a.tenant, now=dt.datetime(2026, 11, 20, 8, 59, tzinfo=SH)) == 0
        nine = dt.datetime(2026, 11, 20, 9, 0, tzinfo=SH)
        sent = followups.remind(tenant=org_a.tenant, now=nine)
        again = followups.remind(tenant=org_a.tenant, now=nine + dt.timedelta(minutes=15))
        rows = Message.objects.filter(tenant=org_a.tenant, kind="customers.followup_overdue")
        mine = rows.get(user=org_a.users["sales"])
        assert mine.subject == "【回访提醒】1 位客户已过约定回访日期"
        assert "宁波丰田4S：约定 11-10 回访，已逾期 10 天" in mine.body
        assert "/customers/?followup=overdue" in mine.body
        gm = rows.get(user=org_a.users["bgm"])
        assert gm.subject == "【回访提醒】甲一分公司 有 1 位客户逾期未回访"
        assert "宁波丰田4S" not in gm.body and f"{org_a.users['sales'].display_name}：1 位客户" in gm.body
        assert again == 0 and sent == rows.count()
        # The next day the same overdue customer is reminded again (one message a day).
        followups.remind(tenant=org_a.tenant, now=nine + dt.timedelta(days=1))
        assert rows.filter(user=org_a.users["sales"]).count() == 2
