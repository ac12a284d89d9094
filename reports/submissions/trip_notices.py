"""What the trip check-ins (S003-04) send by themselves, through the outbox
(``marketing.notifications.services.notify``), each exactly once -- a ``TripNotice`` row
(trip, day, kind) is claimed in the transaction that queues the message:

* **noon** -- a trip requiring 2 check-ins a day with none by 12:00 (tenant-local): the
  traveller is reminded, with a link to the trip's page (the check-in form);
* **evening** -- fewer check-ins than required by 18:00: the traveller is reminded;
* **missed** -- from 09:00 the next morning: the traveller's branch GM(s) and the marketing
  director(s) get one notice listing yesterday's trips with missing check-ins in their reach,
  linking to the 出差汇报 board of that day. Only the day just past is swept: a beat that was
  stopped does not send a week of old notices when it comes back.

The sweep runs every 15 minutes (``marketing/celery.py``); reminders are sent from the cut-off
until the day's end, the missed notice during the following day."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from marketing.models import Membership
from marketing.notifications.models import Purpose, register_kind
from marketing.notifications.services import notify
from marketing.roles import Role
from marketing.selectors import assigned_branch_ids, users_with_roles

from . import trips
from .models import Trip, TripNotice, TripNoticeKind

REMINDER = "submissions.trip_reminder"
MISSED = "submissions.trip_missed"
register_kind(REMINDER, gettext_lazy("出差汇报提醒"))
register_kind(MISSED, gettext_lazy("出差未汇报通知"))

NOON_CUTOFF = dt.time(12, 0)  # the first of two check-ins is due by noon
EVENING_CUTOFF = dt.time(18, 0)  # the day's total is due by 18:00
MISSED_FROM = dt.time(9, 0)  # the manager's notice about yesterday, from 09:00
MANAGER_ROLES = (Role.BRANCH_GM,)
DIRECTOR_ROLES = (Role.MARKETING_DIRECTOR,)


def _claim(*, trip: Trip, day: dt.date, kind: str, now: dt.datetime) -> TripNotice | None:
    try:
        with transaction.atomic():
            return TripNotice.objects.create(tenant=trip.tenant, trip=trip, day=day, kind=kind, sent_at=now)
    except IntegrityError:
        return None


def reminders_due(*, tenant, now: dt.datetime) -> list[tuple[Trip, str, int]]:
    """(trip, kind, check-ins so far) of today's trips short of a cut-off already passed."""
    local = timezone.localtime(now, tenant.zone)
    today = local.date()
    kinds = []
    if local.time() >= NOON_CUTOFF:
        kinds.append(TripNoticeKind.NOON)
    if local.time() >= EVENING_CUTOFF:
        kinds.append(TripNoticeKind.EVENING)
    if not kinds:
        return []
    todays = list(trips.on_trip_on(Trip.objects.filter(tenant=tenant), today).select_related("traveller", "tenant"))
    counts = trips.day_counts(tenant=tenant, trips=todays, days=[today])
    done = set(TripNotice.objects.filter(tenant=tenant, day=today, trip__in=todays).values_list("trip_id", "kind"))
    out = []
    for trip in todays:
        n = counts.get((trip.pk, today), 0)
        for kind in kinds:
            need = 1 if kind == TripNoticeKind.NOON else trip.checkins_per_day
            if kind == TripNoticeKind.NOON and trip.checkins_per_day < 2:
                continue
            if n < need and (trip.pk, kind) not in done:
                out.append((trip, kind, n))
    return out


def trip_reminders_send(*, tenant, now: dt.datetime | None = None) -> int:
    """Remind travellers short of today's check-ins. Returns how many were queued."""
    now = now or timezone.now()
    today = trips.local_date(tenant, now)
    sent = 0
    for trip, kind, n in reminders_due(tenant=tenant, now=now):
        cutoff = NOON_CUTOFF if kind == TripNoticeKind.NOON else EVENING_CUTOFF
        with override("zh-hans"), transaction.atomic():
            claim = _claim(trip=trip, day=today, kind=kind, now=now)
            if claim is None:
                continue
            subject = _("【出差汇报提醒】%(dest)s 今日已汇报 %(n)d/%(need)d 次") % {
                "dest": trip.destination, "n": n, "need": trip.checkins_per_day}
            line = _("您在 %(dest)s 出差（%(start)s 至 %(end)s），按公司规定每日应汇报 %(need)d 次业务进程；"
                     "截至 %(cutoff)s 今日已汇报 %(n)d 次，请尽快汇报。") % {
                "dest": trip.destination, "start": trip.start_date, "end": trip.end_date,
                "need": trip.checkins_per_day, "cutoff": cutoff.strftime("%H:%M"), "n": n}
            rows = notify(tenant=tenant, kind=REMINDER, users=[trip.traveller], subject=subject, lines=[line],
                          link=reverse("submissions:trip", args=[trip.pk]), link_label=_("汇报"),
                          purpose=Purpose.REMINDERS, dedupe_key=f"trip-remind:{trip.pk}:{today.isoformat()}:{kind}")
            claim.recipients = len(rows)
            claim.save(update_fields=["recipients"])
        sent += 1
    return sent


def missed_recipients(*, tenant, trip: Trip) -> list:
    """The traveller's branch GM(s) -- of the trip's branch, or else of the branches the
    traveller is assigned to -- and the marketing director(s); never the traveller."""
    from marketing.models import Branch

    if trip.branch_id:
        branches = [trip.branch]
    else:
        m = Membership.objects.filter(tenant=tenant, user_id=trip.traveller_id).first()
        branches = list(Branch.objects.filter(tenant=tenant, pk__in=assigned_branch_ids(membership=m))) if m else []
    people = []
    for branch in branches:
        people += list(users_with_roles(tenant=tenant, roles=MANAGER_ROLES, branch=branch))
    people += list(users_with_roles(tenant=tenant, roles=DIRECTOR_ROLES))
    return [u for u in {u.pk: u for u in people}.values() if u.pk != trip.traveller_id]


def trip_missed_send(*, tenant, now: dt.datetime | None = None) -> int:
    """From 09:00: yesterday's trips with missing check-ins, one notice per manager listing
    those in their reach. Returns how many notices were queued."""
    now = now or timezone.now()
    local = timezone.localtime(now, tenant.zone)
    if local.time() < MISSED_FROM:
        return 0
    day = local.date() - dt.timedelta(days=1)
    candidates = list(trips.on_trip_on(Trip.objects.filter(tenant=tenant), day)
                      .select_related("traveller", "branch", "tenant").order_by("traveller__full_name", "pk"))
    counts = trips.day_counts(tenant=tenant, trips=candidates, days=[day])
    short = [(t, counts.get((t.pk, day), 0)) for t in candidates if counts.get((t.pk, day), 0) < t.checkins_per_day]
    if not short:
        return 0
    queued = 0
    with override("zh-hans"), transaction.atomic():
        by_user: dict[int, tuple] = {}
        claimed = []
        for trip, n in short:
            claim = _claim(trip=trip, day=day, kind=TripNoticeKind.MISSED, now=now)
            if claim is None:
                continue
            people = missed_recipients(tenant=tenant, trip=trip)
            claim.recipients = len(people)
            claim.save(update_fields=["recipients"])
            claimed.append(trip.pk)
            for user in people:
                by_user.setdefault(user.pk, (user, []))[1].append((trip, n))
        if not claimed:
            return 0
        digest = hashlib.sha256(",".join(map(str, claimed)).encode()).hexdigest()[:12]
        link = reverse("submissions:trip_board") + f"?day={day.isoformat()}"
        for user, items in by_user.values():
            lines = [_("%(day)s 以下出差人员未按规定汇报业务进程：") % {"day": day.isoformat()}]
            lines += [_("· %(who)s（%(dest)s）：已汇报 %(n)d 次，应汇报 %(need)d 次") % {
                "who": t.traveller.display_name, "dest": t.destination, "n": n, "need": t.checkins_per_day}
                for t, n in items]
            subject = _("【出差未汇报】%(day)s 共 %(n)d 人") % {"day": day.isoformat(), "n": len(items)}
            notify(tenant=tenant, kind=MISSED, users=[user], subject=subject, lines=lines, link=link,
                   link_label=_("查看出差汇报"), purpose=Purpose.REMINDERS,
                   dedupe_key=f"trip-missed:{day.isoformat()}:{user.pk}:{digest}")
            queued += 1
    return queued


def trip_sweep(*, tenant, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    return {"reminders": trip_reminders_send(tenant=tenant, now=now),
            "missed": trip_missed_send(tenant=tenant, now=now)}
