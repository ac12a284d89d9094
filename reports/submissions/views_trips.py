"""Business trips (出差) and check-ins (出差汇报), S003-04. Reach lives in
``trips.visible_trips``: a trip outside it answers 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.concurrency import guard_version, versioned
from marketing.forms import service_errors as _errors
from marketing.paging import paginate
from marketing.permissions import tenant_view
from marketing.roles import Cap
from marketing.submit_once import once_per_submit
from marketing.tenancy import access_object

from . import trips
from .exports import trip_checkins_xlsx
from .forms_trips import CheckInForm, TripBoardFilter, TripForm
from .models import Trip, TripCheckIn, TripStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@tenant_view()
def my_trips(request):
    """我的出差: the member's own trips, and the check-in form of the trip under way."""
    m = request.membership
    now = timezone.now()
    today = trips.local_date(request.tenant, now)
    current = trips.current_trip(membership=m, now=now)
    qs = Trip.objects.filter(tenant=request.tenant, traveller_id=m.user_id).select_related("branch")
    page, query = paginate(request, qs)
    todays = []
    if current is not None:
        todays = list(TripCheckIn.objects.filter(tenant=request.tenant, trip=current, local_date=today)
                      .order_by("reported_at"))
    return render(request, "submissions/trips/my_trips.html", {
        "page": page, "query": query, "today": today, "current": current, "todays": todays,
        "form": CheckInForm(), "can_board": trips.may_see_board(m),
        "rows": [{"trip": t, "phase": t.phase_label(today)} for t in page],
    })


@tenant_view()
@once_per_submit
def trip_create(request):
    m = request.membership
    form = TripForm(request.POST or None, membership=m)
    if request.method == "POST" and form.is_valid():
        try:
            trip = trips.trip_declare(membership=m, data=form.service_data(), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("出差已申报。出差期间请每日按要求汇报业务进程。"))
            return redirect("submissions:trip", pk=trip.pk)
    return render(request, "submissions/trips/trip_form.html", {"form": form, "trip": None})


@tenant_view()
def trip_detail(request, pk: int):
    m = request.membership
    trip = access_object(trips.visible_trips(membership=m), pk=pk)
    now = timezone.now()
    today = trips.local_date(request.tenant, now)
    checkins = list(TripCheckIn.objects.filter(tenant=request.tenant, trip=trip).select_related("user")
                    .order_by("-reported_at"))
    counts = trips.day_counts(tenant=request.tenant, trips=[trip])
    on_trip = trip.phase(today) == "on_trip"
    return render(request, "submissions/trips/trip_detail.html", {
        "trip": trip, "phase": trip.phase_label(today), "checkins": checkins, "today": today,
        "today_count": counts.get((trip.pk, today), 0), "missed": trips.missed_days(trip, counts, today),
        "can_checkin": on_trip and trip.traveller_id == m.user_id,
        "can_manage": trip.status != TripStatus.CANCELLED and today <= trip.end_date and trips.may_manage(m, trip),
        "form": CheckInForm(),
    })


@tenant_view()
@once_per_submit
def trip_edit(request, pk: int):
    m = request.membership
    trip = access_object(trips.visible_trips(membership=m), pk=pk)
    if not trips.may_manage(m, trip):
        raise PermissionDenied
    form = versioned(TripForm(request.POST or None, instance=trip, membership=m), trip)
    if request.method == "POST" and form.is_valid():
        try:
            with guard_version(form, trip):
                trips.trip_update(membership=m, trip=trip, data=form.service_data(), request=request)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("出差信息已保存。"))
            return redirect("submissions:trip", pk=trip.pk)
    return render(request, "submissions/trips/trip_form.html", {"form": form, "trip": trip})


@tenant_view()
@once_per_submit
def trip_checkin(request, pk: int):
    m = request.membership
    trip = access_object(trips.visible_trips(membership=m), pk=pk)
    if request.method != "POST":  # after the lookup: another tenant's id is a 404 whatever the method
        return redirect("submissions:trip", pk=trip.pk)
    if trip.traveller_id != m.user_id:
        raise PermissionDenied
    form = CheckInForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("submissions:trip", pk=trip.pk)
    try:
        trips.trip_checkin(membership=m, trip=trip, progress=form.cleaned_data["progress"],
                           location=form.cleaned_data["location"], request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已汇报。"))
    target = request.POST.get("next")
    return redirect("submissions:my_trips" if target == "mine" else "submissions:trip",
                    **({} if target == "mine" else {"pk": trip.pk}))


@tenant_view()
@require_POST
@once_per_submit
def trip_cancel(request, pk: int):
    m = request.membership
    trip = access_object(trips.visible_trips(membership=m), pk=pk)
    try:
        trips.trip_cancel(membership=m, trip=trip, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("出差已取消。"))
    return redirect("submissions:trip", pk=trip.pk)


@tenant_view(Cap.REPORTS_VIEW_ALL, Cap.REPORTS_BOARD_BRANCH, any_of=True)
def trip_board(request):
    """出差汇报: the trips under way on a day (today by default) in the member's reach, that
    day's check-ins against the requirement and the days missed so far; xlsx of the check-ins."""
    m = request.membership
    today = trips.local_date(request.tenant)
    data = request.GET.copy()
    if not data.get("day"):
        data["day"] = today.isoformat()
    flt = TripBoardFilter(data, queryset=trips.visible_trips(membership=m).order_by("traveller__full_name", "pk"),
                          tenant=request.tenant, membership=m, request=request)
    qs = flt.qs if flt.is_valid() else Trip.objects.none()
    day = flt.form.cleaned_data.get("day") if flt.is_valid() else None
    day = day or today
    if request.GET.get("format") == "xlsx":
        body = trip_checkins_xlsx(rows=trips.checkins_for_export(tenant=request.tenant, trips=qs),
                                  tz=request.tenant.zone)
        response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="trip-checkins-{day:%Y%m%d}.xlsx"'
        return response
    page, query = paginate(request, qs)
    rows = trips.board_rows(tenant=request.tenant, trips=page, day=day, today=today)
    return render(request, "submissions/trips/board.html", {
        "filter": flt, "page": page, "query": query, "rows": rows, "day": day, "today": today,
        "export_query": _export_query(request, day),
    })


def _export_query(request, day: dt.date) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params["day"] = day.isoformat()
    params["format"] = "xlsx"
    return params.urlencode()
