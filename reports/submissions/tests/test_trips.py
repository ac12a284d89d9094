"""Business trips (出差) and their check-ins (出差汇报): declaring, checking in, the
reminders and the managers' notice (each exactly once), reach, the board and its export."""

import datetime as dt
import io
import re
from urllib.parse import urlsplit
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from marketing.demo import membership_of
from marketing.models import AuditEvent
from marketing.notifications.models import Message
from reports.submissions import trip_notices, trips
from reports.submissions.models import Trip, TripCheckIn, TripNotice
from reports.submissions.tasks import sweep_trip_checkins

SH = ZoneInfo("Asia/Shanghai")
MON = dt.date(2026, 10, 12)
TUE, WED, THU, FRI = (MON + dt.timedelta(days=n) for n in range(1, 5))
BEFORE = dt.datetime(2026, 10, 12, 9, 0, tzinfo=SH)  # Monday morning, before the trips


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def declare(org, persona, *, traveller=None, start=TUE, end=FRI, per_day=2, branch=None, now=BEFORE, **extra):
    m = membership_of(org.users[persona])
    data = {"traveller": traveller or org.users[persona], "branch": branch, "destination": extra.get("dest", "苏州"),
            "purpose": "走访 4S 店", "start_date": start, "end_date": end, "checkins_per_day": per_day}
    with org.scope():
        return trips.trip_declare(membership=m, data=data, now=now)


def checkin(org, persona, trip, when, text="拜访两家 4S 店"):
    with org.scope():
        return trips.trip_checkin(membership=membership_of(org.users[persona]), trip=trip, progress=text, now=when)


def form_data(org, **over):
    data = {"traveller": org.users["sales"].pk, "branch": org.branches["A1"].pk, "destination": "苏州",
            "purpose": "走访苏州 4S 店，洽谈延保合作", "start_date": TUE.isoformat(), "end_date": FRI.isoformat(),
            "checkins_per_day": "2", "submit_token": uuid4().hex}
    data.update(over)
    return data


def local_path(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.django_db
def test_trip_checkins_daily_contact_s003_04(org_a, client_as, django_capture_on_commit_callbacks):
    """S003-04 (业务人员出差应每日1-2次与公司保持联系，汇报业务进程): a salesperson declares a trip,
    checks in from the road, is reminded at the cut-off when short, and the next morning the
    branch GM and the marketing director are told who missed a check-in."""
    sales = client_as(org_a.users["sales"])
    with time_machine.travel(BEFORE, tick=False):
        page = sales.get("/plans/trips/new/")
        assert page.status_code == 200 and 'for="id_destination"' in page.content.decode()
        done = sales.post("/plans/trips/new/", form_data(org_a))
    with org_a.scope():
        trip = Trip.objects.get(tenant=org_a.tenant)
        assert (trip.traveller, trip.created_by, trip.checkins_per_day) == (org_a.users["sales"],) * 2 + (2,)
        assert done.status_code == 302 and done["Location"] == f"/plans/trips/{trip.pk}/"
        assert AuditEvent.objects.filter(tenant=org_a.tenant, verb="submissions.trip_declared",
                                         object_id=str(trip.pk)).count() == 1
    with time_machine.travel(at(TUE, 10), tick=False):
        assert sales.get("/plans/trips/").status_code == 200
        posted = sales.post(f"/plans/trips/{trip.pk}/checkin/", {"progress": "拜访两家 4S 店", "location": "园区",
                                                                 "submit_token": uuid4().hex})
        assert posted.status_code == 302
    with org_a.scope():
        row = TripCheckIn.objects.get(trip=trip)
        assert (row.user, row.local_date, row.location) == (org_a.users["sales"], TUE, "园区")
        assert AuditEvent.objects.filter(verb="submissions.trip_checkin", object_id=str(trip.pk)).count() == 1
        # Tuesday: one of two by 18:00 -> the evening reminder; Wednesday: none at all -> both
        with django_capture_on_commit_callbacks(execute=True):
            assert trip_notices.trip_sweep(tenant=org_a.tenant, now=at(TUE, 18, 5)) == {"reminders": 1, "missed": 0}
            assert trip_notices.trip_sweep(tenant=org_a.tenant, now=at(WED, 9, 5)) == {"reminders": 0, "missed": 3}
        reminders = list(Message.objects.filter(kind=trip_notices.REMINDER))
        notices = list(Message.objects.filter(kind=trip_notices.MISSED))
    assert [m.user for m in reminders] == [org_a.users["sales"]]
    assert {m.user.username for m in notices} == {org_a.users[p].username for p in ("bgm", "mdirector", "allroles")}


@pytest.mark.django_db
def test_declare_refuses_end_before_start_and_changes_nothing(org_a, client_as):
    sales = client_as(org_a.users["sales"])
    with time_machine.travel(BEFORE, tick=False):
        page = sales.post("/plans/trips/new/", form_data(org_a, start_date=FRI.isoformat(), end_date=TUE.isoformat()))
    assert page.status_code == 200 and "返回日期不能早于出发日期。" in page.content.decode()
    with org_a.scope():
        assert not Trip.objects.exists()
        with pytest.raises(ValidationError) as exc:
            declare(org_a, "sales", start=FRI, end=TUE)
        assert exc.value.error_dict["end_date"][0].code == "end_before_start"


@pytest.mark.django_db
def test_declare_refuses_another_tenants_user_and_people_outside_reach(org_a, org_b, client_as):
    sales = client_as(org_a.users["sales"])
    with time_machine.travel(BEFORE, tick=False):
        page = sales.post("/plans/trips/new/", form_data(org_a, traveller=org_b.users["sales"].pk))
        assert page.status_code == 200 and 'class="error"' in page.content.decode()
        # a salesperson declares for themselves only
        page = sales.post("/plans/trips/new/", form_data(org_a, traveller=org_a.users["sales2"].pk))
        assert page.status_code == 200
    with org_a.scope():
        assert not Trip.objects.exists()
    with pytest.raises(ValidationError) as exc:
        declare(org_a, "mdirector", traveller=org_b.users["sales"])
    assert exc.value.error_dict["traveller"][0].code == "not_member"
    with pytest.raises(PermissionDenied):
        declare(org_a, "bgm", traveller=org_a.users["sales2"])  # A2 is not the A1 GM's branch
    for_sales = declare(org_a, "bgm", traveller=org_a.users["sales"], branch=org_a.branches["A1"])
    for_sales2 = declare(org_a, "mdirector", traveller=org_a.users["sales2"])
    assert (for_sales.created_by, for_sales2.traveller) == (org_a.users["bgm"], org_a.users["sales2"])
    with pytest.raises(ValidationError) as exc:
        declare(org_a, "sales", branch=org_a.branches["A2"])  # not the traveller's branch
    assert exc.value.error_dict["branch"][0].code == "bad_branch"


@pytest.mark.django_db
def test_stale_edit_is_refused_and_double_submit_creates_one(org_a, client_as):
    trip = declare(org_a, "sales")
    sales = client_as(org_a.users["sales"])
    with time_machine.travel(BEFORE, tick=False):
        page = sales.get(f"/plans/trips/{trip.pk}/edit/").content.decode()
        version = re.search(r'name="row_version" value="([0-9a-f]+)"', page).group(1)
        with org_a.scope():  # the branch GM changes the trip in the meantime
            trips.trip_update(membership=membership_of(org_a.users["bgm"]), trip=trip, now=BEFORE, data={
                "traveller": org_a.users["sales"], "branch": None, "destination": "无锡", "purpose": "走访",
                "start_date": TUE, "end_date": FRI, "checkins_per_day": 2})
        stale = sales.post(f"/plans/trips/{trip.pk}/edit/", form_data(org_a, destination="南通", row_version=version))
        assert stale.status_code == 200 and "已被他人" in stale.content.decode()
        with org_a.scope():
            assert Trip.objects.get(pk=trip.pk).destination == "无锡"
        token = uuid4().hex
        first = sales.post("/plans/trips/new/", form_data(org_a, submit_token=token, destination="常州"))
        second = sales.post("/plans/trips/new/", form_data(org_a, submit_token=token, destination="常州"))
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    with org_a.scope():
        assert Trip.objects.filter(destination="常州").count() == 1


@pytest.mark.django_db
def test_checkin_only_by_the_traveller_and_only_during_the_trip(org_a, client_as):
    trip = declare(org_a, "sales", start=TUE, end=WED)
    with pytest.raises(ValidationError) as exc:
        checkin(org_a, "sales", trip, at(MON, 23, 50))
    assert exc.value.code == "not_on_trip"
    # 00:10 Tuesday in Shanghai is still Monday in UTC: the tenant's day counts
    row = checkin(org_a, "sales", trip, at(TUE, 0, 10))
    assert row.local_date == TUE and row.reported_at.astimezone(dt.UTC).date() == MON
    with pytest.raises(PermissionDenied):
        checkin(org_a, "bgm", trip, at(TUE, 10))  # the GM sees the trip but does not travel
    bgm = client_as(org_a.users["bgm"])
    with time_machine.travel(at(TUE, 10), tick=False):
        assert bgm.get(f"/plans/trips/{trip.pk}/").status_code == 200
        assert bgm.post(f"/plans/trips/{trip.pk}/checkin/", {"progress": "x"}).status_code == 403
    with pytest.raises(ValidationError) as exc:
        checkin(org_a, "sales", trip, at(TUE, 11), text="   ")
    assert exc.value.error_dict["progress"][0].code == "required"
    for minute in range(5):
        checkin(org_a, "sales", trip, at(TUE, 12, minute))
    with pytest.raises(ValidationError) as exc:
        checkin(org_a, "sales", trip, at(TUE, 13))  # the seventh of the day
    assert exc.value.code == "too_many"
    with pytest.raises(ValidationError) as exc:
        checkin(org_a, "sales", trip, at(THU, 9))
    assert exc.value.code == "not_on_trip"
    with org_a.scope():
        assert TripCheckIn.objects.filter(trip=trip).count() == 6
        assert AuditEvent.objects.filter(verb="submissions.trip_checkin", object_id=str(trip.pk)).count() == 6
        trips.trip_cancel(membership=membership_of(org_a.users["sales"]), trip=trip, now=at(WED, 8))
    with pytest.raises(ValidationError) as exc:
        checkin(org_a, "sales", trip, at(WED, 9))
    assert exc.value.code == "cancelled"


@pytest.mark.django_db
def test_reminders_are_sent_once_to_the_traveller_with_a_link_that_opens(org_a, client_as,
                                                                         django_capture_on_commit_callbacks):
    trip = declare(org_a, "sales", start=WED, per_day=2)  # from Wednesday: no missed Tuesday to report
    once_a_day = declare(org_a, "sales2", start=WED, per_day=1, dest="宁波")
    checkin(org_a, "sales2", once_a_day, at(WED, 9))
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        assert trip_notices.trip_reminders_send(tenant=org_a.tenant, now=at(WED, 11, 59)) == 0
        assert trip_notices.trip_reminders_send(tenant=org_a.tenant, now=at(WED, 12, 5)) == 1  # none by noon
        assert trip_notices.trip_reminders_send(tenant=org_a.tenant, now=at(WED, 12, 20)) == 0
    checkin(org_a, "sales", trip, at(WED, 14))
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        assert trip_notices.trip_reminders_send(tenant=org_a.tenant, now=at(WED, 17, 59)) == 0
        assert trip_notices.trip_reminders_send(tenant=org_a.tenant, now=at(WED, 18, 5)) == 1  # 1 of 2 by 18:00
        for _ in range(2):  # the scheduled task, run twice, adds nothing
            assert sweep_trip_checkins(at(WED, 18, 20).isoformat()) == {"reminders": 0, "missed": 0}
        rows = list(Message.objects.filter(kind=trip_notices.REMINDER).order_by("pk"))
        claims = sorted(TripNotice.objects.filter(trip=trip).values_list("kind", flat=True))
    assert claims == ["evening", "noon"]
    assert [r.user for r in rows] == [org_a.users["sales"]] * 2
    assert "今日已汇报 0/2" in rows[0].subject and "今日已汇报 1/2" in rows[1].subject
    assert rows[0].link.endswith(f"/plans/trips/{trip.pk}/") and rows[0].link in rows[0].body
    with time_machine.travel(at(WED, 18, 30), tick=False):
        opened = client_as(org_a.users["sales"]).get(local_path(rows[0].link))
    assert opened.status_code == 200 and "提交汇报" in opened.content.decode()


@pytest.mark.django_db
def test_managers_get_yesterdays_missed_checkins_once_next_morning(org_a, client_as,
                                                                   django_capture_on_commit_callbacks):
    a1 = declare(org_a, "sales", per_day=2, branch=org_a.branches["A1"])
    a2 = declare(org_a, "sales2", per_day=1, dest="宁波")  # no branch: the traveller's branch (A2) counts
    complete = declare(org_a, "rm", per_day=1, dest="温州")
    checkin(org_a, "sales", a1, at(WED, 10))
    checkin(org_a, "rm", complete, at(WED, 10))
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        assert trip_notices.trip_missed_send(tenant=org_a.tenant, now=at(THU, 8, 59)) == 0
        assert trip_notices.trip_missed_send(tenant=org_a.tenant, now=at(THU, 9, 5)) == 4
        assert trip_notices.trip_missed_send(tenant=org_a.tenant, now=at(THU, 9, 20)) == 0
        assert trip_notices.trip_missed_send(tenant=org_a.tenant, now=at(THU, 15, 0)) == 0
        rows = {m.user.username: m for m in Message.objects.filter(kind=trip_notices.MISSED).select_related("user")}
        assert TripNotice.objects.filter(kind="missed", day=WED).count() == 2
    u = org_a.users
    assert set(rows) == {u["bgm"].username, u["bgm2"].username, u["mdirector"].username, u["allroles"].username}
    assert u["sales"].display_name in rows[u["bgm"].username].body
    assert u["sales2"].display_name not in rows[u["bgm"].username].body
    assert u["rm"].display_name not in rows[u["mdirector"].username].body  # checked in as required
    director = rows[u["mdirector"].username].body
    assert "已汇报 1 次，应汇报 2 次" in director and "已汇报 0 次，应汇报 1 次" in director
    for persona in ("bgm", "bgm2", "mdirector"):
        link = rows[u[persona].username].link
        assert link.endswith(f"/plans/trips/board/?day={WED.isoformat()}")
        with time_machine.travel(at(THU, 9, 30), tick=False):
            opened = client_as(u[persona]).get(local_path(link))
        assert opened.status_code == 200, persona
        # the board of that day: every trip under way in the reader's reach (the regional
        # manager, assigned to A1 and A2, is a member of both branches)
        expected = {"bgm": {a1, complete}, "bgm2": {a2, complete}}.get(persona, {a1, a2, complete})
        assert {r.trip for r in opened.context["rows"]} == expected


@pytest.mark.django_db
def test_other_tenant_and_people_outside_reach_get_404(org_a, org_b, client_as):
    trip = declare(org_a, "sales")
    foreign = client_as(org_b.users["allroles"])
    with time_machine.travel(at(WED, 10), tick=False):
        for path in ("", "edit/", "checkin/"):
            assert foreign.get(f"/plans/trips/{trip.pk}/{path}").status_code == 404
        for path in ("edit/", "checkin/", "cancel/"):
            assert foreign.post(f"/plans/trips/{trip.pk}/{path}", {"progress": "x"}).status_code == 404
        assert client_as(org_a.users["sales2"]).get(f"/plans/trips/{trip.pk}/").status_code == 404
        assert client_as(org_a.users["bgm2"]).get(f"/plans/trips/{trip.pk}/").status_code == 404
        assert client_as(org_a.users["sales"]).get("/plans/trips/board/").status_code == 403
    with org_a.scope():
        assert not TripCheckIn.objects.exists() and Trip.objects.get(pk=trip.pk).status == "declared"


def _board_setup(org_a):
    a1 = declare(org_a, "sales", per_day=2, branch=org_a.branches["A1"])  # Tue..Fri
    a2 = declare(org_a, "sales2", start=WED, end=THU, per_day=1, branch=org_a.branches["A2"], dest="宁波")
    later = declare(org_a, "sales", start=dt.date(2026, 10, 20), end=dt.date(2026, 10, 21), per_day=1, dest="合肥")
    gone = declare(org_a, "sales2", start=TUE, end=FRI, per_day=1, dest="嘉兴")
    with org_a.scope():
        trips.trip_cancel(membership=membership_of(org_a.users["sales2"]), trip=gone, now=BEFORE)
    checkin(org_a, "sales", a1, at(TUE, 9), text="=HYPERLINK(\"http://x\")")
    checkin(org_a, "sales", a1, at(TUE, 17))
    checkin(org_a, "sales", a1, at(WED, 10))
    checkin(org_a, "sales", a1, at(THU, 10))
    checkin(org_a, "sales2", a2, at(THU, 11))
    return a1, a2, later


@pytest.mark.django_db
def test_board_counts_todays_checkins_and_missed_days(org_a, client_as, django_assert_max_num_queries):
    a1, a2, _later = _board_setup(org_a)
    director = client_as(org_a.users["mdirector"])
    with time_machine.travel(at(THU, 14), tick=False):
        with django_assert_max_num_queries(20):
            page = director.get("/plans/trips/board/")
        rows = {r.trip: (r.done, r.required, r.missed) for r in page.context["rows"]}
        # a1: Tue 2/2, Wed 1/2 (missed), Thu 1/2 so far (not over); a2: Wed 0/1 (missed), Thu 1/1
        assert rows == {a1: (1, 2, [WED]), a2: (1, 1, [WED])}
        html = page.content.decode()
        assert '<caption class="vh">' in html and 'scope="col"' in html and 'for="filter_branch"' in html
        wed = {r.trip: (r.done, r.required, r.missed) for r in
               director.get(f"/plans/trips/board/?day={WED.isoformat()}").context["rows"]}
        assert wed == {a1: (1, 2, [WED]), a2: (0, 1, [WED])}
        by_branch = director.get(f"/plans/trips/board/?branch={org_a.branches['A2'].pk}").context["rows"]
        assert [r.trip for r in by_branch] == [a2]
        by_person = director.get(f"/plans/trips/board/?traveller={org_a.users['sales'].pk}").context["rows"]
        assert [r.trip for r in by_person] == [a1]
        for bad in ("2026-13-40", "9999-12-31"):  # a bad day is a form error, the last day no crash
            assert director.get(f"/plans/trips/board/?day={bad}").status_code == 200
        bgm = client_as(org_a.users["bgm"]).get("/plans/trips/board/").context["rows"]
        assert [(r.trip, r.done, r.required, len(r.missed)) for r in bgm] == [(a1, 1, 2, 1)]


@pytest.mark.django_db
def test_board_export_is_formula_safe_and_within_reach(org_a, client_as):
    a1, a2, _later = _board_setup(org_a)
    with time_machine.travel(at(THU, 14), tick=False):
        response = client_as(org_a.users["mdirector"]).get("/plans/trips/board/?format=xlsx")
        bgm = client_as(org_a.users["bgm"]).get("/plans/trips/board/?format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5 and {r[4] for r in rows} == {"苏州", "宁波"}
    cell = next(c for c in ws["H"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    assert [r[0] for r in rows][:2] == [TUE.isoformat()] * 2 and rows[0][1] == "2026-10-13 09:00"
    bgm_rows = list(load_workbook(io.BytesIO(bgm.content)).active.iter_rows(min_row=2, values_only=True))
    assert len(bgm_rows) == 4 and {r[2] for r in bgm_rows} == {org_a.users["sales"].display_name}


@pytest.mark.django_db
def test_home_card_shows_todays_checkins_on_a_trip(org_a):
    from django.test import RequestFactory

    from reports.submissions.dashboard import home_cards

    trip = declare(org_a, "sales", per_day=2)
    checkin(org_a, "sales", trip, at(WED, 9))

    def cards(persona, when):
        request = RequestFactory().get("/")
        request.user = org_a.users[persona]
        request.membership = membership_of(request.user)
        request.tenant = org_a.tenant
        with org_a.scope(), time_machine.travel(when, tick=False):
            return {c["title"]: c for c in home_cards(request)}

    card = cards("sales", at(WED, 15))["出差中：今日汇报"]
    assert card["value"] == "1/2" and card["url"] == f"/plans/trips/{trip.pk}/" and card["tone"] == "warn"
    assert cards("sales", at(THU, 8))["出差中：今日汇报"]["value"] == "0/2"
    assert "出差中：今日汇报" not in cards("sales", at(MON, 15))
    assert "出差中：今日汇报" not in cards("bgm", at(WED, 15))


@pytest.mark.django_db
def test_board_queries_do_not_grow_with_trips_and_pages_render_in_english(org_a, client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def board_queries():
        client = client_as(org_a.users["mdirector"])
        with time_machine.travel(at(WED, 14), tick=False), CaptureQueriesContext(connection) as ctx:
            assert client.get("/plans/trips/board/").status_code == 200
            assert client.get("/plans/trips/board/?format=xlsx").status_code == 200
        return len(ctx.captured_queries)

    first = declare(org_a, "sales")
    checkin(org_a, "sales", first, at(TUE, 9))
    board_queries()  # warms the per-process caches (navigation, capability sets)
    few = board_queries()
    for persona in ("sales2", "rm", "bgm", "bgm2", "cashier"):
        checkin(org_a, persona, declare(org_a, persona, dest="宁波"), at(TUE, 9))
    assert board_queries() == few
    english = client_as(org_a.users["sales"], language="en")
    with time_machine.travel(at(WED, 14), tick=False):
        mine = english.get("/plans/trips/").content.decode()
        home = client_as(org_a.users["sales"]).get("/").content.decode()
    assert "My trips" in mine and "Send check-in" in mine and "Declare a trip" in mine
    assert "出差中：今日汇报" in home and "0/2" in home
