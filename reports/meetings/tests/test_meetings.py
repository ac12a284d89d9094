"""市场部月例会 (seed 003 例会, issue 20): the pack's sheets and figures on seeded data, sent once
on the first working day; the minutes' closing rule; actions carried, on the home page and
reminded before their due date.

Seed rules pinned here: S003-21 (no closing without a decision), S003-22 (last month's work
and collections), S003-25 (每月销售业绩目标管理表), S003-26 (客户销售业绩进度管理表, no-progress
customers), S003-27 (the month's marketing activities), S001-03 (work handed out: action
items with owner and due date), S001-28 (minutes of the meeting)."""

import datetime as dt
import io

import pypdf
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from marketing.notifications.models import Message
from reports.meetings import services, tasks
from reports.meetings.models import ActionStatus, AgendaSource, MeetingStatus, MonthlyPack, PackStatus
from reports.tests.helpers import at
from reports.tests.test_rates import _setup  # Nov 2026: A1 103.7 %, A2 no target, A3 40.0 %

NOV = dt.date(2026, 11, 1)
DEC1_0810 = at(2026, 12, 1, 8, 10)  # Tuesday 1 December 2026: the first working day


@pytest.fixture
def november(org_a):
    """Collections/targets of test_rates; customers 甲客户一 (A1, visited 11-10) and 甲客户二 (A3, last
    visited in October: no progress in November); a 营销费用 activity planned for 11-25 in A1."""
    from customers import services as customer_services
    from expenses.tests.helpers import make_expense

    with org_a.scope():
        _setup(org_a)
        c1 = customer_services.customer_create(tenant=org_a.tenant, actor=org_a.users["sales"], data={
            "name": "甲客户一", "branch": org_a.branches["A1"], "owner": org_a.users["sales"]})
        c2 = customer_services.customer_create(tenant=org_a.tenant, actor=org_a.users["mdirector"], data={
            "name": "甲客户二", "branch": org_a.branches["A3"], "owner": org_a.users["mdirector"]})
        customer_services.visit_create(customer=c1, actor=org_a.users["sales"], data={
            "visited_on": dt.date(2026, 11, 10), "visited_by": org_a.users["sales"], "outcome": "意向签约",
            "next_step": "报价"})
        customer_services.visit_create(customer=c2, actor=org_a.users["mdirector"], data={
            "visited_on": dt.date(2026, 10, 20), "visited_by": org_a.users["mdirector"], "outcome": "暂无需求"})
    with time_machine.travel(at(2026, 11, 12, 10), tick=False):
        make_expense(org_a, planned_date=dt.date(2026, 11, 25))
    return {"c1": c1, "c2": c2}


def _pack(org):
    with org.scope():
        return services.pack_generate(tenant=org.tenant, month=NOV, now=DEC1_0810)


def test_pack_sheets_and_figures(org_a, november, django_capture_on_commit_callbacks):
    """S003-22, S003-25, S003-26, S003-27 with exact figures."""
    with django_capture_on_commit_callbacks(execute=False):
        row = _pack(org_a)
    d = row.data
    assert row.status == PackStatus.SENT and d["month"] == "2026-11"
    assert d["pace"] == {"elapsed": 21, "total": 21, "ratio": "1", "pct": "100.0%"}  # 时间进度 at month end
    assert [(t["rank"], t["branch"], t["target"], t["mtd"], t["rate"], t["behind"]) for t in d["targets"]] == [
        (1, "甲一分公司", "100000.00", "103700.00", "1.0370", False),
        (2, "甲三分公司", "50000.00", "20000.00", "0.4000", True),
        (None, "甲二分公司", None, "89100.00", None, False)]
    assert [(g["region"], g["mtd"], g["target"], g["rate"]) for g in d["regions"]] == [
        ("甲一区", "192800.00", "100000.00", "1.0370"), ("甲二区", "20000.00", "50000.00", "0.4000")]
    assert d["total"]["rate"] == "0.8247"
    customers = {c["name"]: c for c in d["customers"]}
    assert customers["甲客户一"]["visits"] == 1 and customers["甲客户一"]["last_progress"] == "意向签约 / 报价"
    assert customers["甲客户一"]["no_progress"] is False
    assert customers["甲客户二"]["visits"] == 0 and customers["甲客户二"]["last_visit"] == "2026-10-20"
    assert customers["甲客户二"]["no_progress"] is True and d["no_progress"] == 1
    assert [(a["branch"], a["activity"], a["amount"], a["planned_date"], a["approved"]) for a in d["activities"]] == [
        ("甲一分公司", "车主讲堂", "3000.00", "2026-11-25", False)]

    # sent once through the outbox, to the marketing director and the GM, with a link
    with org_a.scope():
        sent = list(Message.objects.filter(kind=services.PACK_KIND).select_related("user"))
    # 营销总监 and 总经理 (allroles holds both roles too)
    assert {m.user.username for m in sent} == {org_a.users[k].username for k in ("mdirector", "gm", "allroles")}
    body = sent[0].body
    assert "公司完成率 82.5%，月末时间进度 100.0%" in body and "落后于时间进度的分公司：1 家" in body
    assert reverse("meetings:pack", args=[row.pk]) in sent[0].link


def test_pack_files_xlsx_and_pdf(org_a, november, client_as):
    row = _pack(org_a)
    client = client_as(org_a.users["gm"])
    resp = client.get(reverse("meetings:pack_file", args=[row.pk, "xlsx"]))
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["上月待办", "目标管理表", "销售人员目标", "客户进度管理表", "回款与目标", "应收账龄", "季度年度统计",
                             "市场活动"]
    targets = list(wb["目标管理表"].iter_rows(min_row=2, values_only=True))
    assert targets[0] == ("排名", "地区", "分公司", "月度目标（元）", "本月回款（元）", "完成率", "时间进度", "落后于时间进度")
    assert targets[1] == (1, "甲一区", "甲一分公司", 100000.0, 103700.0, 1.037, 1.0, None)
    assert targets[2][2] == "甲三分公司" and targets[2][-1] == "是"
    assert wb["目标管理表"].page_setup.orientation == "landscape" and wb["目标管理表"].page_setup.paperSize == 9  # A4
    assert wb["目标管理表"].cell(row=3, column=6).number_format == "0.0%"
    cust = {r[1]: r for r in wb["客户进度管理表"].iter_rows(min_row=3, values_only=True)}
    assert cust["甲客户二"][-1] == "是" and cust["甲客户一"][-1] is None
    money = list(wb["回款与目标"].iter_rows(min_row=3, values_only=True))
    assert money[-1][:4] == ("公司合计", 150000.0, 212800.0, 0.8247)

    pdf = client.get(reverse("meetings:pack_file", args=[row.pk, "pdf"])).content
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height) and round(float(box.width)) == 842  # A4 landscape
    text = "".join(p.extract_text() for p in reader.pages)
    for heading in ("每月销售业绩目标管理表", "客户销售业绩进度管理表", "回款与目标", "本月市场活动"):
        assert heading in text
    assert "时间进度 100.0%" in text and "第 1 页" in text and "103.7%" in text and "82.5%" in text


def test_customer_names_only_for_readers_who_may_see_them(org_a, november, client_as):
    row = _pack(org_a)
    # 市场专员 reads the meeting pack but not the whole customer archive (S003-16)
    page = client_as(org_a.users["mspec"]).get(reverse("meetings:pack", args=[row.pk])).content.decode()
    assert "甲客户一" not in page and "甲客户二" not in page
    assert f"客户 #{november['c1'].pk}" in page and "意向签约" in page  # figures stay, name masked
    wb = load_workbook(io.BytesIO(client_as(org_a.users["mspec"]).get(
        reverse("meetings:pack_file", args=[row.pk, "xlsx"])).content))
    assert "甲客户一" not in str(list(wb["客户进度管理表"].values))
    assert "甲客户一" in client_as(org_a.users["gm"]).get(reverse("meetings:pack", args=[row.pk])).content.decode()


def test_first_working_day_dispatch_sends_once(org_a, november, django_capture_on_commit_callbacks):
    with org_a.scope():
        assert tasks.dispatch_tenant(org_a.tenant, at(2026, 12, 1, 7, 50))["pack"] is None  # before 08:00
        assert not MonthlyPack.objects.filter(tenant=org_a.tenant).exists()
        first = tasks.dispatch_tenant(org_a.tenant, DEC1_0810)
        again = tasks.dispatch_tenant(org_a.tenant, at(2026, 12, 1, 8, 20))
        # a second beat racing the first: the claim row refuses it
        assert services.pack_claim(tenant=org_a.tenant, month=NOV, now=DEC1_0810) is None
        assert first["pack"] == PackStatus.SENT and again["pack"] is None
        assert MonthlyPack.objects.filter(tenant=org_a.tenant).count() == 1
    with org_a.scope():
        assert Message.objects.filter(kind=services.PACK_KIND).count() == 3  # director, GM, allroles: once each


def test_beat_entry_and_heartbeat():
    from marketing.celery import app
    from marketing.health import HEARTBEATS

    entry = app.conf.beat_schedule["meetings-dispatch"]
    assert entry["task"] == "reports.meetings.tasks.dispatch"
    assert HEARTBEATS["meetings.dispatch"] == 1800


@pytest.mark.django_db
def test_dispatch_task_records_heartbeat(org_a):
    from marketing.models import Heartbeat

    tasks.dispatch(at(2026, 12, 2, 7, 0).isoformat())
    assert Heartbeat.objects.filter(name="meetings.dispatch").exists()


def _meeting(org, month=NOV, held_on=dt.date(2026, 12, 3)):
    with org.scope():
        return services.meeting_create(tenant=org.tenant, actor=org.users["mdirector"], month=month, held_on=held_on)


def test_minutes_cannot_close_while_an_item_lacks_a_decision(org_a, november, client_as):
    """S003-21: 例会不能"会而不议、议而不决"."""
    _pack(org_a)
    meeting = _meeting(org_a)
    with org_a.scope():
        items = list(meeting.items.order_by("position"))
        assert [i.source for i in items] == [AgendaSource.PACK] * 4
        assert items[0].briefing == "公司完成率 82.5%，时间进度 100.0%；落后于时间进度：甲三分公司"
        assert items[2].briefing == "无进展客户 1 家：甲三分公司 1"  # counts only, no customer names
        for item in items[:-1]:
            services.agenda_item_update(item=item, actor=org_a.users["mdirector"], discussion="讨论", decision="决议")
        services.agenda_item_update(item=items[-1], actor=org_a.users["mdirector"], discussion="只讨论", decision="  ")
        with pytest.raises(ValidationError) as exc:
            services.meeting_close(meeting=meeting, actor=org_a.users["mdirector"])
        assert exc.value.code == "undecided" and items[-1].title in exc.value.messages[0]
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.OPEN
    # the page refuses with the same reason and changes nothing
    client = client_as(org_a.users["mdirector"])
    resp = client.post(reverse("meetings:close", args=[meeting.pk]), follow=True)
    assert "还没有决议" in resp.content.decode()
    with org_a.scope():
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.OPEN
        services.agenda_item_update(item=items[-1], actor=org_a.users["mdirector"], discussion="", decision="下月办两场")
    client.post(reverse("meetings:close", args=[meeting.pk]))
    with org_a.scope():
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.CLOSED
        with pytest.raises(ValidationError) as exc:  # closed minutes are final
            services.agenda_item_update(item=items[0], actor=org_a.users["mdirector"], discussion="", decision="改")
        assert exc.value.code == "closed"


def test_next_pack_and_meeting_open_with_last_months_actions(org_a, november):
    """S001-03: work handed out with owner and due date, followed up at the next meeting."""
    _pack(org_a)
    meeting = _meeting(org_a)
    with org_a.scope():
        items = list(meeting.items.order_by("position"))
        for item in items:
            services.agenda_item_update(item=item, actor=org_a.users["mdirector"], discussion="", decision="执行")
        open_one = services.action_add(item=items[0], actor=org_a.users["mdirector"], title="甲三分公司追赶计划",
                                       owner=org_a.users["bgm"], due_on=dt.date(2026, 12, 10))
        done = services.action_add(item=items[3], actor=org_a.users["mdirector"], title="排下月活动",
                                   owner=org_a.users["mspec"], due_on=dt.date(2026, 12, 5))
        with pytest.raises(ValidationError) as exc:
            services.action_add(item=items[0], actor=org_a.users["mdirector"], title="x", owner=org_a.users["bgm"],
                                due_on=dt.date(2026, 12, 1))
        assert exc.value.code == "due_on"
        services.meeting_close(meeting=meeting, actor=org_a.users["mdirector"])
        from marketing.demo import membership_of

        services.action_complete(action=done, actor=org_a.users["mspec"], membership=membership_of(org_a.users["mspec"]),
                                 note="已排")
        with pytest.raises(ValidationError) as exc:  # not the owner, not a minute-taker
            services.action_complete(action=open_one, actor=org_a.users["sales"],
                                     membership=membership_of(org_a.users["sales"]))
        assert exc.value.code == "forbidden"
        dec = services.pack_generate(tenant=org_a.tenant, month=dt.date(2026, 12, 1), now=at(2027, 1, 4, 8, 30))
        assert [(a["title"], a["owner"], a["status"]) for a in dec.data["previous_actions"]] == [
            ("排下月活动", "甲市场专员", ActionStatus.DONE), ("甲三分公司追赶计划", "甲一分总", ActionStatus.OPEN)]
        nxt = services.meeting_create(tenant=org_a.tenant, actor=org_a.users["mdirector"], month=dt.date(2026, 12, 1),
                                      held_on=dt.date(2027, 1, 5))
        first = nxt.items.order_by("position").first()
        assert first.source == AgendaSource.CARRIED and first.carried_action == open_one  # only the open one
        assert nxt.items.filter(source=AgendaSource.CARRIED).count() == 1
        assert "上次例会待办：1/2 项已完成" in Message.objects.filter(kind=services.PACK_KIND).order_by("-pk")[0].body
    with org_a.scope(), pytest.raises(ValidationError):
        services.meeting_create(tenant=org_a.tenant, actor=org_a.users["mdirector"], month=NOV,
                                held_on=dt.date(2026, 12, 3))


def test_action_on_owners_home_and_reminded_before_due(org_a, november, client_as):
    _pack(org_a)
    meeting = _meeting(org_a)
    with org_a.scope():
        item = meeting.items.first()
        action = services.action_add(item=item, actor=org_a.users["mdirector"], title="甲三分公司追赶计划",
                                     owner=org_a.users["bgm"], due_on=dt.date(2026, 12, 10))
    with time_machine.travel(at(2026, 12, 4, 10), tick=False):
        home = client_as(org_a.users["bgm"]).get("/").content.decode()
        assert "月例会待办" in home and "甲三分公司追赶计划" in home
        assert "月例会待办" not in client_as(org_a.users["bgm2"]).get("/").content.decode()
        # the owner may open the minutes of their action, another branch GM may not
        assert client_as(org_a.users["bgm"]).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
        assert client_as(org_a.users["bgm2"]).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    with org_a.scope():
        assert services.actions_remind(tenant=org_a.tenant, today=dt.date(2026, 12, 7)) == 0  # 3 days before
        assert services.actions_remind(tenant=org_a.tenant, today=dt.date(2026, 12, 8)) == 1
        assert services.actions_remind(tenant=org_a.tenant, today=dt.date(2026, 12, 9)) == 0  # once (dedupe key)
        msg = Message.objects.get(kind=services.DUE_KIND)
        assert msg.user == org_a.users["bgm"] and "2026-12-10" in msg.subject
        assert msg.dedupe_key.startswith(f"meetings.action_due:{action.pk}:2026-12-10")
    client = client_as(org_a.users["bgm"])
    resp = client.post(reverse("meetings:action_done", args=[action.pk]), {"note": "已提交"})
    assert resp.status_code == 302
    with org_a.scope():
        action.refresh_from_db()
        assert action.status == ActionStatus.DONE and action.note == "已提交"
        assert services.actions_remind(tenant=org_a.tenant, today=dt.date(2026, 12, 10)) == 0


def test_pages_per_role(org_a, org_b, november, client_as):
    row = _pack(org_a)
    assert client_as(org_a.users["sales"]).get(reverse("meetings:list")).status_code == 403
    assert client_as(org_a.users["bgm"]).get(reverse("meetings:pack", args=[row.pk])).status_code == 403
    assert client_as(org_b.users["gm"]).get(reverse("meetings:pack", args=[row.pk])).status_code == 404
    gm = client_as(org_a.users["exec"])
    page = gm.get(reverse("meetings:list")).content.decode()
    assert "2026-11" in page and 'name="month"' not in page  # readers do not get the create form
    director = client_as(org_a.users["mdirector"])
    assert 'name="month"' in director.get(reverse("meetings:list")).content.decode()
    bad = director.post(reverse("meetings:create"), {"month": "2026-13", "held_on": "2026-12-03"})
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()
    ok = director.post(reverse("meetings:create"), {"month": "2026-11", "held_on": "2026-12-03"})
    assert ok.status_code == 302
    twice = director.post(reverse("meetings:create"), {"month": "2026-11", "held_on": "2026-12-03"})
    assert "已存在" in twice.content.decode()
    meeting_url = ok["Location"]
    assert "每月销售业绩目标完成情况" in director.get(meeting_url).content.decode()


def test_pack_page_query_count_is_flat(org_a, november, client_as, django_assert_max_num_queries):
    row = _pack(org_a)
    client = client_as(org_a.users["gm"])
    client.get(reverse("meetings:list"))
    with django_assert_max_num_queries(10):
        client.get(reverse("meetings:pack", args=[row.pk]))
    with django_assert_max_num_queries(10):
        client.get(reverse("meetings:pack_file", args=[row.pk, "xlsx"]))


def test_english(org_a, november, client_as):
    row = _pack(org_a)
    client = client_as(org_a.users["gm"], language="en")
    assert "Monthly marketing meeting" in client.get(reverse("meetings:list")).content.decode()
    assert "Monthly sales target management sheet" in client.get(reverse("meetings:pack", args=[row.pk])).content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_dispatchers_send_the_pack_once(require_postgres, org_a):
    """Four beats/workers at 08:10 on the first working day: one pack row, one message per recipient."""
    import threading

    from django.db import connection

    from marketing.models import Tenant
    from marketing.tenancy import tenant_scope

    with org_a.scope():
        _setup(org_a)
    barrier, results, errors = threading.Barrier(4), [], []

    def run():
        try:
            tenant = Tenant.objects.get(pk=org_a.tenant.pk)
            barrier.wait()
            with tenant_scope(tenant):
                results.append(tasks.dispatch_tenant(tenant, DEC1_0810)["pack"])
        except Exception as exc:  # noqa: BLE001 - inspected below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results, key=str) == [None, None, None, PackStatus.SENT]
    with org_a.scope():
        assert MonthlyPack.objects.filter(tenant=org_a.tenant).count() == 1
        assert Message.objects.filter(kind=services.PACK_KIND).count() == 3
