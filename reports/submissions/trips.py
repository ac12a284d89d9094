"""Business trips (出差) and their check-ins (出差汇报), S003-04: "业务人员出差应每日1-2次与公司保持联系，
汇报业务进程". Services (one per state change, atomic, audited) and the reads the views, the
home card and the sweep (``trip_notices``) share.

Decisions (docs/submissions.md, "出差与出差汇报"):

* Any active member declares their own trip; a manager who sees the traveller (a branch GM for
  the people of their branches, roles with ``REPORTS_VIEW_ALL`` for everyone) may declare,
  change or cancel it for them. Reach is the same rule: ``visible_trips``.
* ``checkins_per_day`` is a field of the trip (1 or 2, default 1): the declarer chooses.
* Every calendar day from start to end is a trip day -- travel days count on weekends and
  holidays too; days are the tenant's local days (``tenant.zone``).
* Only the traveller checks in, only on a trip day, at most ``MAX_CHECKINS_PER_DAY`` a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.models import Branch, Membership, User
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import Trip, TripCheckIn, TripStatus
from .selectors import members_of

MAX_CHECKINS_PER_DAY = 6
MAX_TRIP_DAYS = 90
PROGRESS_MAX = 1000
LOCATION_MAX = 100
TRIP_FIELDS = ["traveller", "branch", "destination", "purpose", "start_date", "end_date", "checkins_per_day", "status"]


def local_date(tenant, now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), tenant.zone).date()


# --- reach -----------------------------------------------------------------------------------


def sees_all_trips(membership: Membership) -> bool:
    return membership.can(Cap.REPORTS_VIEW_ALL)


def manages_branches(membership: Membership) -> bool:
    """A branch GM: the filing board of their branches (``REPORTS_BOARD_BRANCH``)."""
    return membership.can(Cap.REPORTS_BOARD_BRANCH)


def may_see_board(membership: Membership) -> bool:
    return sees_all_trips(membership) or manages_branches(membership)


def visible_trips(*, membership: Membership) -> QuerySet[Trip]:
    """Every trip this member may open: their own; the trips of their branches (the trip's
    branch, or a traveller assigned to them) for a branch GM; every trip for roles that
    see all reports."""
    qs = Trip.objects.filter(tenant=membership.tenant).select_related("traveller", "branch", "created_by")
    if sees_all_trips(membership):
        return qs
    reach = Q(traveller_id=membership.user_id)
    if manages_branches(membership):
        mine = visible_branches(membership=membership)
        reach |= Q(branch__in=mine) | Q(traveller_id__in=members_of(mine))
    return qs.filter(reach)


def travellers_for(*, membership: Membership) -> QuerySet[User]:
    """Whom this member may declare a trip for: themselves, and the active members they manage."""
    users = User.objects.filter(membership__tenant=membership.tenant, membership__is_active=True, is_active=True)
    if sees_all_trips(membership):
        return users.order_by("full_name", "username")
    reach = Q(pk=membership.user_id)
    if manages_branches(membership):
        reach |= Q(pk__in=members_of(visible_branches(membership=membership)))
    return users.filter(reach).order_by("full_name", "username")


def may_manage(membership: Membership, trip: Trip) -> bool:
    """Change or cancel: the traveller, or whoever may declare a trip for the traveller."""
    return trip.traveller_id == membership.user_id or travellers_for(membership=membership).filter(
        pk=trip.traveller_id).exists()


def _field_error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def _traveller_membership(tenant, traveller) -> Membership:
    m = (Membership.objects.filter(tenant=tenant, user_id=getattr(traveller, "pk", None), is_active=True,
                                   user__is_active=True)
         .select_related("user").prefetch_related("role_assignments").first())
    if m is None:
        raise _field_error("traveller", _("出差人必须是本公司的在职成员。"), "not_member")
    return m


def _check(*, tenant, actor_membership: Membership, data: dict, today: dt.date, creating: bool) -> Membership:
    traveller_m = _traveller_membership(tenant, data["traveller"])
    if not travellers_for(membership=actor_membership).filter(pk=traveller_m.user_id).exists():
        raise PermissionDenied
    start, end = data["start_date"], data["end_date"]
    if end < start:
        raise _field_error("end_date", _("返回日期不能早于出发日期。"), "end_before_start")
    if (end - start).days + 1 > MAX_TRIP_DAYS:
        raise _field_error("end_date", _("一次出差最长 %(n)d 天。") % {"n": MAX_TRIP_DAYS}, "too_long")
    if creating and end < today:
        raise _field_error("end_date", _("已经结束的出差无需申报。"), "in_the_past")
    if data.get("checkins_per_day") not in (1, 2):
        raise _field_error("checkins_per_day", _("每日汇报次数为 1 或 2 次。"), "bad_count")
    branch = data.get("branch")
    if branch is not None and not visible_branches(membership=traveller_m).filter(pk=branch.pk).exists():
        raise _field_error("branch", _("出差人不属于该分公司。"), "bad_branch")
    if not (data.get("destination") or "").strip() or not (data.get("purpose") or "").strip():
        raise ValidationError(_("请填写目的地和出差事由。"), code="required")
    return traveller_m


def _snapshot(trip: Trip) -> dict:
    return {f: getattr(trip, f"{f}_id") if f in ("traveller", "branch") else getattr(trip, f) for f in TRIP_FIELDS}


# --- services --------------------------------------------------------------------------------


@transaction.atomic
def trip_declare(*, membership: Membership, data: dict, request=None, now: dt.datetime | None = None) -> Trip:
    """Declare a trip (出差申报) for oneself or, as their manager, for someone else."""
    tenant = membership.tenant
    today = local_date(tenant, now)
    traveller_m = _check(tenant=tenant, actor_membership=membership, data=data, today=today, creating=True)
    trip = Trip.objects.create(
        tenant=tenant, traveller=traveller_m.user, branch=data.get("branch"),
        destination=data["destination"].strip(), purpose=data["purpose"].strip(),
        start_date=data["start_date"], end_date=data["end_date"], checkins_per_day=data["checkins_per_day"],
        created_by=membership.user,
    )
    audit_record(tenant=tenant, actor=membership.user, verb="submissions.trip_declared", obj=trip,
                 after=_snapshot(trip), request=request)
    return trip


@transaction.atomic
def trip_update(*, membership: Membership, trip: Trip, data: dict, request=None,
                now: dt.datetime | None = None) -> Trip:
    """Change a trip's details or dates (e.g. back a day early). Call inside
    ``guard_version`` from a form (stale tabs are refused there); the row is locked here."""
    tenant = membership.tenant
    trip = Trip.objects.select_for_update().get(tenant=tenant, pk=trip.pk)
    if not may_manage(membership, trip):
        raise PermissionDenied
    if trip.status == TripStatus.CANCELLED:
        raise ValidationError(_("已取消的出差不能修改。"), code="cancelled")
    today = local_date(tenant, now)
    _check(tenant=tenant, actor_membership=membership, data=data, today=today, creating=False)
    if data["traveller"].pk != trip.traveller_id and trip.checkins.exists():
        raise _field_error("traveller", _("已有出差汇报，不能更换出差人。"), "has_checkins")
    outside = trip.checkins.filter(Q(local_date__lt=data["start_date"]) | Q(local_date__gt=data["end_date"]))
    if outside.exists():
        raise ValidationError(_("已有汇报的日期不能移出出差期间。"), code="checkins_outside")
    before = _snapshot(trip)
    trip.traveller = data["traveller"]
    trip.branch = data.get("branch")
    trip.destination = data["destination"].strip()
    trip.purpose = data["purpose"].strip()
    trip.start_date, trip.end_date = data["start_date"], data["end_date"]
    trip.checkins_per_day = data["checkins_per_day"]
    trip.save(update_fields=["traveller", "branch", "destination", "purpose", "start_date", "end_date",
                             "checkins_per_day", "updated_at"])
    audit_record(tenant=tenant, actor=membership.user, verb="submissions.trip_updated", obj=trip, before=before,
                 after=_snapshot(trip), request=request)
    return trip


@transaction.atomic
def trip_cancel(*, membership: Membership, trip: Trip, request=None, now: dt.datetime | None = None) -> Trip:
    tenant = membership.tenant
    trip = Trip.objects.select_for_update().get(tenant=tenant, pk=trip.pk)
    if not may_manage(membership, trip):
        raise PermissionDenied
    if trip.status == TripStatus.CANCELLED:
        raise ValidationError(_("该出差已取消。"), code="cancelled")
    if local_date(tenant, now) > trip.end_date:
        raise ValidationError(_("已结束的出差不能取消。"), code="finished")
    trip.status = TripStatus.CANCELLED
    trip.save(update_fields=["status", "updated_at"])
    audit_record(tenant=tenant, actor=membership.user, verb="submissions.trip_cancelled", obj=trip,
                 before={"status": TripStatus.DECLARED}, after={"status": trip.status}, request=request)
    return trip


@transaction.atomic
def trip_checkin(*, membership: Membership, trip: Trip, progress: str, location: str = "", request=None,
                 now: dt.datetime | None = None) -> TripCheckIn:
    """A check-in from the road: the traveller only, on a trip day (tenant-local), at most
    ``MAX_CHECKINS_PER_DAY`` a day. The time is the server's, never the form's."""
    now = now or timezone.now()
    tenant = membership.tenant
    trip = Trip.objects.select_for_update().get(tenant=tenant, pk=trip.pk)
    if trip.traveller_id != membership.user_id:
        raise PermissionDenied
    if trip.status == TripStatus.CANCELLED:
        raise ValidationError(_("该出差已取消。"), code="cancelled")
    day = local_date(tenant, now)
    if not (trip.start_date <= day <= trip.end_date):
        raise ValidationError(_("只能在出差期间（%(start)s 至 %(end)s）汇报。") % {
            "start": trip.start_date, "end": trip.end_date}, code="not_on_trip")
    progress = (progress or "").strip()
    location = (location or "").strip()
    if not progress:
        raise _field_error("progress", _("请填写业务进展。"), "required")
    if len(progress) > PROGRESS_MAX or len(location) > LOCATION_MAX:
        raise ValidationError(_("内容过长。"), code="too_long")
    if TripCheckIn.objects.filter(tenant=tenant, trip=trip, local_date=day).count() >= MAX_CHECKINS_PER_DAY:
        raise ValidationError(_("今天已汇报 %(n)d 次，已达上限。") % {"n": MAX_CHECKINS_PER_DAY}, code="too_many")
    row = TripCheckIn.objects.create(tenant=tenant, trip=trip, user=membership.user, reported_at=now,
                                     local_date=day, progress=progress, location=location)
    audit_record(tenant=tenant, actor=membership.user, verb="submissions.trip_checkin", obj=trip,
                 after={"checkin": row.pk, "day": day, "progress": progress[:200], "location": location},
                 request=request)
    return row


# --- reads -----------------------------------------------------------------------------------


def day_counts(*, tenant, trips, days=None) -> dict[tuple[int, dt.date], int]:
    """{(trip id, local day): check-ins}, one query whatever the number of trips."""
    qs = TripCheckIn.objects.filter(tenant=tenant, trip_id__in=[t.pk for t in trips])
    if days is not None:
        qs = qs.filter(local_date__in=list(days))
    return {(r["trip_id"], r["local_date"]): r["n"]
            for r in qs.values("trip_id", "local_date").annotate(n=Count("id")).order_by()}


def missed_days(trip: Trip, counts: dict, today: dt.date) -> list[dt.date]:
    """Trip days before ``today`` with fewer check-ins than required (today is not over yet)."""
    if trip.status == TripStatus.CANCELLED:
        return []
    last = min(trip.end_date, today - dt.timedelta(days=1))
    out, day = [], trip.start_date
    while day <= last:
        if counts.get((trip.pk, day), 0) < trip.checkins_per_day:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def on_trip_on(qs: QuerySet[Trip], day: dt.date) -> QuerySet[Trip]:
    return qs.filter(status=TripStatus.DECLARED, start_date__lte=day, end_date__gte=day)


@dataclass
class BoardRow:
    trip: Trip
    done: int
    required: int
    missed: list[dt.date] = field(default_factory=list)

    @property
    def tone(self) -> str:
        return "ok" if self.done >= self.required else "warn"


def board_rows(*, tenant, trips, day: dt.date, today: dt.date) -> list[BoardRow]:
    """The board's rows for a page of trips: ``day``'s check-ins against the requirement and
    the days missed so far (up to ``day``, not counting a day that is not over)."""
    trips = list(trips)
    counts = day_counts(tenant=tenant, trips=trips)
    upto = today if day >= today else day + dt.timedelta(days=1)  # (no overflow at date.max)
    return [BoardRow(trip=t, done=counts.get((t.pk, day), 0), required=t.checkins_per_day,
                     missed=missed_days(t, counts, upto)) for t in trips]


def current_trip(*, membership: Membership, now: dt.datetime | None = None) -> Trip | None:
    """The member's own trip under way today (the earliest, should two overlap)."""
    today = local_date(membership.tenant, now)
    return (on_trip_on(Trip.objects.filter(tenant=membership.tenant, traveller_id=membership.user_id), today)
            .select_related("branch").order_by("start_date", "pk").first())


def today_count(trip: Trip, now: dt.datetime | None = None) -> int:
    return TripCheckIn.objects.filter(tenant=trip.tenant_id, trip=trip,
                                      local_date=local_date(trip.tenant, now)).count()


def checkins_for_export(*, tenant, trips: QuerySet[Trip], limit: int = 5000) -> list[TripCheckIn]:
    return list(TripCheckIn.objects.filter(tenant=tenant, trip__in=trips.values("pk"))
                .select_related("trip", "trip__traveller", "trip__branch", "user")
                .order_by("trip__start_date", "trip_id", "reported_at")[:limit])


def branches_of(*, membership: Membership) -> QuerySet[Branch]:
    return visible_branches(membership=membership).filter(is_active=True)
