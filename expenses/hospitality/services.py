"""Every write on hospitality: policy versions, venues, applications (ordinary and emergency),
claims, finance's corrections and the payment. One function per state change, atomic,
audited. Approval steps themselves belong to the engine (``marketing.approvals``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketing.approvals.services import approval_start, approval_withdraw
from marketing.approvals.uploads import validate_attachment
from marketing.audit import audit_record, model_snapshot
from marketing.roles import Role
from marketing.selectors import users_with_roles, visible_branches
from reports.workcal import WorkCalendar

from . import rules
from .mail import EMERGENCY, LAPSED, REMINDER, send_hospitality_mail
from .models import (
    ApplicationStatus,
    ClaimAttachment,
    ClaimLine,
    ClaimStatus,
    EmergencyReminder,
    Guest,
    HospitalityApplication,
    HospitalityClaim,
    HospitalityPolicy,
    HospitalitySequence,
    LineKind,
    Venue,
)

FIRST_POLICY_DAY = dt.date(2000, 1, 1)
POLICY_FIELDS = [
    "effective_from", "applicant_roles", "advance_working_days", "allow_local_guests", "require_progress",
    "extra_dishes", "lodging_per_room_night", "max_companions_per_guest", "max_guests", "emergency_working_days",
    "note",
]
VENUE_FIELDS = ["name", "city", "address", "serves_meals", "serves_lodging", "is_active"]
MAX_GUESTS = 20
MAX_LINES = 40
MAX_INVOICES = 6


def local_now(tenant) -> dt.datetime:
    return timezone.localtime(timezone.now(), tenant.zone)


def local_today(tenant) -> dt.date:
    return local_now(tenant).date()


def _app_url(app) -> str:
    from django.urls import reverse

    return reverse("hospitality:application", kwargs={"pk": app.pk})


def _refuse(message, code, **params):
    raise ValidationError(message, code=code, params=params or None)


def _next_number(tenant, kind: str) -> str:
    year = local_today(tenant).year
    seq, _created = HospitalitySequence.objects.select_for_update().get_or_create(tenant=tenant, kind=kind, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{kind}-{year}-{seq.last:05d}"


# --- policy ---------------------------------------------------------------------------------


def ensure_policy(*, tenant) -> None:
    """Every tenant starts with version 1: the seed's rules (the defaults of the model)."""
    if not HospitalityPolicy.objects.filter(tenant=tenant).exists():
        HospitalityPolicy.objects.get_or_create(tenant=tenant, version=1,
                                                defaults={"effective_from": FIRST_POLICY_DAY,
                                                          "note": _("公司业务招待费管理规定（试行）")})


def policy_in_force(*, tenant, day: dt.date) -> HospitalityPolicy:
    """The version in force on ``day``: the latest effective on or before it (the first
    version for a day before every version)."""
    ensure_policy(tenant=tenant)
    policy = HospitalityPolicy.objects.filter(tenant=tenant, effective_from__lte=day).order_by(
        "-effective_from", "-version").first()
    return policy or HospitalityPolicy.objects.filter(tenant=tenant).order_by("effective_from", "version").first()


@transaction.atomic
def policy_create(*, tenant, actor, data: dict, request=None) -> HospitalityPolicy:
    """A new version. Versions are never edited: claims already judged keep theirs. The
    effective date is today or later, so no past day changes its rules."""
    ensure_policy(tenant=tenant)
    HospitalityPolicy.objects.select_for_update().filter(tenant=tenant).exists()
    effective = data.get("effective_from")
    if effective is None or effective < local_today(tenant):
        _refuse(_("生效日期不能早于今天：已发生的招待按当时的政策核定。"), "past_effective")
    if HospitalityPolicy.objects.filter(tenant=tenant, effective_from=effective).exists():
        _refuse(_("该生效日期已有一个政策版本，请换一个日期。"), "duplicate_effective")
    roles = [r for r in data.get("applicant_roles") or [] if r in Role.values]
    if not roles:
        _refuse(_("请至少选择一个可申请的角色。"), "no_roles")
    last = HospitalityPolicy.objects.filter(tenant=tenant).aggregate(m=Max("version"))["m"] or 0
    policy = HospitalityPolicy(tenant=tenant, version=last + 1, created_by=actor)
    for name in POLICY_FIELDS:
        if name in data:
            setattr(policy, name, data[name])
    policy.applicant_roles = roles
    policy.full_clean()
    policy.save()
    audit_record(tenant=tenant, actor=actor, verb="hospitality.policy_create", obj=policy,
                 after=model_snapshot(policy, ["version", *POLICY_FIELDS]), request=request)
    return policy


@transaction.atomic
def venue_save(*, tenant, actor, data: dict, venue: Venue | None = None, request=None) -> Venue:
    creating = venue is None
    if creating:
        venue = Venue(tenant=tenant)
    else:
        venue = Venue.objects.select_for_update().get(pk=venue.pk)
    before = None if creating else model_snapshot(venue, VENUE_FIELDS)
    was_active = not creating and venue.is_active
    for name in VENUE_FIELDS:
        if name in data:
            setattr(venue, name, data[name].strip() if isinstance(data[name], str) else data[name])
    if not venue.serves_meals and not venue.serves_lodging:
        _refuse(_("场所至少提供用餐或住宿之一。"), "no_service")
    dup = Venue.objects.filter(tenant=tenant, city=venue.city, name=venue.name).exclude(pk=venue.pk)
    if dup.exists():
        _refuse(_("该城市已有同名的定点场所。"), "duplicate_venue")
    venue.full_clean()
    venue.save()
    audit_record(tenant=tenant, actor=actor, verb="hospitality.venue_create" if creating else "hospitality.venue_update",
                 obj=venue, before=before, after=model_snapshot(venue, VENUE_FIELDS), request=request)
    if venue.is_active and not was_active:
        from .notices import venue_announce

        venue_announce(venue=venue, actor=actor)  # S001-39: a new (or re-activated) venue is announced
    return venue


# --- applications ---------------------------------------------------------------------------


def may_apply(*, membership, policy: HospitalityPolicy) -> bool:
    return bool(set(membership.roles) & set(policy.applicant_roles))


def ordinary_deadline(*, calendar: WorkCalendar, policy: HospitalityPolicy, visit_date: dt.date) -> dt.date:
    """The last local day an ordinary application for ``visit_date`` may be filed (to its end)."""
    day = visit_date
    for _i in range(policy.advance_working_days):
        day = calendar.previous_working(day)
    return day


def emergency_due(*, calendar: WorkCalendar, policy: HospitalityPolicy, filed_on: dt.date) -> dt.date:
    day = filed_on
    for _i in range(policy.emergency_working_days):
        day = calendar.next_working(day)
    return day


def _check_common(*, tenant, membership, data, policy):
    if not may_apply(membership=membership, policy=policy):
        _refuse(_("按现行招待政策（v%(v)s），您的角色不能申请业务招待。"), "role_not_allowed", v=policy.version)
    branch = data.get("branch")
    if branch is None or not visible_branches(membership=membership).filter(pk=branch.pk).exists():
        _refuse(_("您不能为该分公司申请招待。"), "branch_not_allowed")
    venue = data.get("venue")
    if venue is None or venue.tenant_id != tenant.pk or not venue.is_active:
        _refuse(_("请选择公司指定的定点招待场所（以定点招待为原则）。"), "venue_not_designated")
    if rules.away_from_branch(venue_city=venue.city, branch_city=branch.city):
        # S001-37: 外出联系业务中发生的招待费不在此范畴 -- the regulation covers guests received
        # where the branch is; a venue in another city is hospitality on a business trip.
        _refuse(_("所选场所在%(v)s，不在本分公司所在地（%(b)s）：外出联系业务中发生的招待费不在招待费范围内。"),
                "venue_elsewhere", v=venue.city, b=branch.city)
    meals, lodging = bool(data.get("meals")), bool(data.get("lodging"))
    if not meals and not lodging:
        _refuse(_("招待费只限客户用餐和住宿：请至少选择用餐或住宿。"), "nothing_requested")
    if meals and not venue.serves_meals:
        _refuse(_("所选场所不提供用餐。"), "venue_no_meals")
    if lodging and not venue.serves_lodging:
        _refuse(_("所选场所不提供住宿。"), "venue_no_lodging")
    if lodging and not data.get("room_nights"):
        _refuse(_("申请住宿时请填写间夜数。"), "room_nights_required")


def _check_full(*, tenant, membership, data, guests, policy, branch):
    """The rules of a complete application (ordinary, or an emergency being completed)."""
    from customers.selectors import customer_reach

    if not guests:
        _refuse(_("请至少填写一位招待客户。"), "no_guests")
    limit = min(policy.max_guests or MAX_GUESTS, MAX_GUESTS)
    if len(guests) > limit:  # S001-38: 单次接待的客户人数要尽可能少
        _refuse(_("单次招待客户最多 %(n)s 位（单次接待的客户人数要尽可能少）。"), "too_many_guests", n=limit)
    home = (branch.city or "").strip()
    if not policy.allow_local_guests and home:
        local = [g["name"] for g in guests if (g.get("city") or "").strip() == home]
        if local:
            _refuse(_("%(names)s 来自本市（%(city)s）：本市客户的招待不在招待费范围内。"), "local_guest",
                    names="、".join(local), city=home)
    if policy.require_progress and not (data.get("progress") or "").strip():
        _refuse(_("请说明客户的实质性进展（有实质性进展的客户才安排招待）。"), "progress_required")
    companions = data.get("companion_count") or 0
    limit = policy.max_companions_per_guest * len(guests)
    if companions > limit:
        _refuse(_("陪同人员 %(c)s 人超过政策上限（每位客户最多 %(m)s 人，共 %(l)s 人）：严格控制陪同人员。"),
                "too_many_companions", c=companions, m=policy.max_companions_per_guest, l=limit)
    expected = data.get("expected_diners") or 0
    if expected > len(guests) + companions:
        _refuse(_("预计就餐人数不能多于客户与陪同人数之和（%(n)s 人）。"), "too_many_diners",
                n=len(guests) + companions)
    linked = [g["customer"] for g in guests if g.get("customer") is not None]
    if linked:
        reach = customer_reach(membership=membership).filter(pk__in=[c.pk for c in linked]).count()
        if reach != len({c.pk for c in linked}):
            _refuse(_("只能关联您可查看的客户档案。"), "customer_not_visible")


def _save_guests(app, guests):
    Guest.objects.filter(application=app).delete()
    Guest.objects.bulk_create([
        Guest(tenant_id=app.tenant_id, application=app, position=i, name=g["name"].strip(),
              title=(g.get("title") or "").strip(),
              company=((g.get("company") or "").strip() or (g["customer"].name if g.get("customer") else ""))[:100],
              city=(g.get("city") or "").strip(), customer=g.get("customer"))
        for i, g in enumerate(guests)
    ])


APP_FIELDS = ["branch", "visit_date", "venue", "meals", "lodging", "room_nights", "expected_diners", "progress",
              "companions", "companion_count"]
EMERGENCY_FIELDS = ["branch", "visit_date", "venue", "meals", "lodging", "room_nights", "expected_diners",
                    "emergency_note"]


def _apply_fields(app, data, fields):
    for name in fields:
        if name in data:
            value = data[name]
            setattr(app, name, value.strip() if isinstance(value, str) else value)
    if not app.lodging:
        app.room_nights = 0


def replayed(model, *, tenant, actor, client_key: str):
    """The record a previous submission of the same form created (double click, resent POST)."""
    if not client_key:
        return None
    return model.objects.filter(tenant=tenant, applicant=actor, client_key=client_key).first()


@transaction.atomic
def application_create(*, tenant, membership, actor, data: dict, guests: list[dict], client_key: str = "",
                       request=None):
    """An ordinary application (a day ahead), submitted to the approval chain at once."""
    if (done := replayed(HospitalityApplication, tenant=tenant, actor=actor, client_key=client_key)) is not None:
        return done
    visit = data.get("visit_date")
    if visit is None:
        _refuse(_("请填写招待日期。"), "date_required")
    policy = policy_in_force(tenant=tenant, day=visit)
    _check_common(tenant=tenant, membership=membership, data=data, policy=policy)
    calendar = WorkCalendar(tenant)
    today = local_today(tenant)
    deadline = ordinary_deadline(calendar=calendar, policy=policy, visit_date=visit)
    if today > deadline:
        if visit <= today:
            _refuse(_("当天或已过去的招待只能以紧急申请提交，并须在期限内补全。"), "use_emergency")
        _refuse(_("招待须提前申请：%(visit)s 的招待最迟应在 %(deadline)s 下班前申请。请改用紧急申请。"),
                "too_late", visit=visit.isoformat(), deadline=deadline.isoformat())
    _check_full(tenant=tenant, membership=membership, data=data, guests=guests, policy=policy, branch=data["branch"])
    app = HospitalityApplication(tenant=tenant, applicant=actor, policy=policy, client_key=client_key[:36])
    _apply_fields(app, data, APP_FIELDS)
    app.full_clean(exclude=["number"])
    app.number = _next_number(tenant, "ZD")
    app.status, app.submitted_at = ApplicationStatus.SUBMITTED, timezone.now()
    app.save()
    _save_guests(app, guests)
    audit_record(tenant=tenant, actor=actor, verb="hospitality.apply", obj=app,
                 after={**model_snapshot(app, ["number", "status", *APP_FIELDS]), "guests": len(guests),
                        "policy": policy.version}, request=request)
    approval_start(document=app, actor=actor, request=request)
    return app


@transaction.atomic
def emergency_create(*, tenant, membership, actor, data: dict, client_key: str = "", request=None):
    """紧急申请 (the seed's SMS): a few fields, for today or a past day (or a day whose
    ordinary deadline has passed). Must be completed within the policy's deadline."""
    if (done := replayed(HospitalityApplication, tenant=tenant, actor=actor, client_key=client_key)) is not None:
        return done
    visit = data.get("visit_date")
    if visit is None:
        _refuse(_("请填写招待日期。"), "date_required")
    policy = policy_in_force(tenant=tenant, day=visit)
    _check_common(tenant=tenant, membership=membership, data=data, policy=policy)
    calendar = WorkCalendar(tenant)
    today = local_today(tenant)
    if today <= ordinary_deadline(calendar=calendar, policy=policy, visit_date=visit):
        _refuse(_("还来得及正常申请：请提前一天填写招待申请。"), "not_emergency")
    oldest = today
    for _i in range(policy.emergency_working_days):
        oldest = calendar.previous_working(oldest)
    if visit < oldest:
        _refuse(_("紧急申请最迟在招待后 %(n)s 个工作日内提交（%(d)s 之后的招待）。"), "emergency_too_old",
                n=policy.emergency_working_days, d=oldest.isoformat())
    app = HospitalityApplication(tenant=tenant, applicant=actor, policy=policy, is_emergency=True,
                                 client_key=client_key[:36],
                                 status=ApplicationStatus.EMERGENCY,
                                 completion_due=emergency_due(calendar=calendar, policy=policy, filed_on=today))
    _apply_fields(app, data, EMERGENCY_FIELDS)
    app.full_clean(exclude=["number"])
    app.number = _next_number(tenant, "ZD")
    app.save()
    audit_record(tenant=tenant, actor=actor, verb="hospitality.emergency", obj=app,
                 after=model_snapshot(app, ["number", "status", "completion_due", *EMERGENCY_FIELDS]),
                 request=request)
    gms = list(users_with_roles(tenant=tenant, roles=[Role.BRANCH_GM], branch=app.branch).exclude(pk=actor.pk))
    with translation.override(settings.LANGUAGE_CODE):  # mail to others: the primary language
        _emergency_notice(tenant, app, actor, gms, visit)
    return app


def _emergency_notice(tenant, app, actor, gms, visit):
    send_hospitality_mail(
        tenant=tenant, users=gms, kind=EMERGENCY, link=_app_url(app), dedupe_key=f"hosp-emergency:{app.pk}",
        subject=_("【紧急招待申请】%(number)s %(who)s %(day)s") % {"number": app.number, "who": actor.display_name,
                                                              "day": visit.isoformat()},
        body=_("%(who)s 提交了紧急招待申请：%(day)s，%(venue)s，预计 %(n)s 人。\n说明：%(note)s\n须在 %(due)s 前补全申请。")
        % {"who": actor.display_name, "day": visit.isoformat(), "venue": app.venue, "n": app.expected_diners,
           "note": app.emergency_note or "—", "due": app.completion_due.isoformat()},
    )


@transaction.atomic
def application_update(*, application, membership, actor, data: dict, guests: list[dict], request=None):
    """Complete an emergency application (in time), or correct and resubmit a rejected /
    withdrawn one. Either way it goes to the approval chain."""
    app = HospitalityApplication.objects.select_for_update(of=("self",)).select_related("tenant", "policy").get(pk=application.pk)
    tenant = app.tenant
    if app.applicant_id != actor.pk:
        _refuse(_("只有申请人可以修改。"), "not_applicant")
    if not app.is_editable:
        _refuse(_("审批中、已批准或已拒付的申请不能修改。"), "not_editable")
    today = local_today(tenant)
    if app.status == ApplicationStatus.EMERGENCY and app.completion_due and today > app.completion_due:
        _refuse(_("补全期限（%(d)s）已过：该紧急申请已拒付。"), "completion_overdue", d=app.completion_due.isoformat())
    if app.is_emergency:
        # The date is the one reported in the emergency application; it cannot move.
        data = {**data, "visit_date": app.visit_date}
    policy = app.policy if app.is_emergency else policy_in_force(tenant=tenant, day=data.get("visit_date"))
    _check_common(tenant=tenant, membership=membership, data=data, policy=policy)
    if not app.is_emergency:
        deadline = ordinary_deadline(calendar=WorkCalendar(tenant), policy=policy, visit_date=data["visit_date"])
        if today > deadline:
            _refuse(_("招待须提前申请：%(visit)s 的招待最迟应在 %(deadline)s 下班前申请。"), "too_late",
                    visit=data["visit_date"].isoformat(), deadline=deadline.isoformat())
    _check_full(tenant=tenant, membership=membership, data=data, guests=guests, policy=policy, branch=data["branch"])
    before = model_snapshot(app, ["status", *APP_FIELDS])
    _apply_fields(app, data, APP_FIELDS)
    app.policy = policy
    app.full_clean()
    app.status, app.submitted_at = ApplicationStatus.SUBMITTED, timezone.now()
    app.save()
    _save_guests(app, guests)
    audit_record(tenant=tenant, actor=actor, verb="hospitality.complete" if before["status"] == "emergency"
                 else "hospitality.resubmit", obj=app, before=before,
                 after={**model_snapshot(app, ["status", *APP_FIELDS]), "guests": len(guests)}, request=request)
    approval_start(document=app, actor=actor, request=request)
    return app


@transaction.atomic
def application_withdraw(*, application, actor, request=None):
    from marketing.approvals.selectors import flow_for

    flow = flow_for(tenant=application.tenant, document=application)
    if flow is None:
        _refuse(_("该申请尚未提交审批。"), "not_started")
    return approval_withdraw(flow=flow, actor=actor, request=request)


def _lapse(app, now) -> bool:
    app = HospitalityApplication.objects.select_for_update().get(pk=app.pk)
    if app.status != ApplicationStatus.EMERGENCY:
        return False
    app.status, app.lapsed_at = ApplicationStatus.LAPSED, now
    app.save(update_fields=["status", "lapsed_at"])
    audit_record(tenant=app.tenant, actor=None, verb="hospitality.lapsed", obj=app,
                 before={"status": ApplicationStatus.EMERGENCY},
                 after={"status": ApplicationStatus.LAPSED, "completion_due": app.completion_due})
    send_hospitality_mail(
        tenant=app.tenant, users=[app.applicant], kind=LAPSED, link=_app_url(app), dedupe_key=f"hosp-lapsed:{app.pk}",
        subject=_("【招待费拒付】%(number)s 紧急申请未在期限内补全") % {"number": app.number},
        body=_("您 %(day)s 的紧急招待申请 %(number)s 未在 %(due)s 前补全，按公司规定拒付，招待费用全部由个人自理。")
        % {"day": app.visit_date.isoformat(), "number": app.number, "due": app.completion_due.isoformat()},
    )
    return True


@transaction.atomic
def emergency_sweep(*, tenant, now: dt.datetime | None = None) -> dict:
    """The periodic job: refuse (拒付) emergency applications whose completion deadline has
    passed; remind the applicant, once a local day, of those still open. Idempotent."""
    now = now or timezone.now()
    today = timezone.localtime(now, tenant.zone).date()
    lapsed = reminded = 0
    open_apps = list(HospitalityApplication.objects.filter(tenant=tenant, status=ApplicationStatus.EMERGENCY)
                     .select_related("applicant", "tenant"))
    for app in open_apps:
        if app.completion_due and today > app.completion_due:
            lapsed += _lapse(app, now)
            continue
        with transaction.atomic():
            _row, created = EmergencyReminder.objects.get_or_create(tenant=tenant, application=app, day=today)
        if not created:
            continue
        reminded += 1
        send_hospitality_mail(
            tenant=tenant, users=[app.applicant], kind=REMINDER, link=_app_url(app),
            dedupe_key=f"hosp-reminder:{app.pk}:{today.isoformat()}",
            subject=_("【提醒】紧急招待申请 %(number)s 须在 %(due)s 前补全") % {"number": app.number,
                                                                     "due": app.completion_due.isoformat()},
            body=_("您 %(day)s 的紧急招待申请 %(number)s 尚未补全。请在 %(due)s 下班前补全客户、进展和陪同人员，"
                   "否则公司将拒付，费用全部由个人自理。") % {"day": app.visit_date.isoformat(), "number": app.number,
                                                 "due": app.completion_due.isoformat()},
        )
    return {"lapsed": lapsed, "reminded": reminded}


# --- application approval hooks (engine calls them inside its transaction, doc locked) -------


def _set_app_status(app, actor, status, verb, **extra):
    old = app.status
    app.status = status
    for k, v in extra.items():
        setattr(app, k, v)
    app.save(update_fields=["status", *extra])
    audit_record(tenant=app.tenant, actor=actor, verb=f"hospitality.{verb}", obj=app, before={"status": old},
                 after={"status": status})


def on_application_approved(app, actor):
    _set_app_status(app, actor, ApplicationStatus.APPROVED, "approved", decided_at=timezone.now())
    _send_to_arrangers(app)


ARRANGER_POSITIONS = ("行政部", "销售部经理助理")


def arrangers(tenant, branch) -> list:
    """Who books an approved reception (S001-36): holders of the tenant's 行政部 or 销售部经理助理
    positions (in the branch's scope), else the 总经理助理 role."""
    from marketing.approvals.models import StepScope
    from marketing.approvals.selectors import position_holders, positions_by_name
    from marketing.selectors import users_with_roles

    people: dict[int, object] = {}
    for position in positions_by_name(tenant=tenant, names=ARRANGER_POSITIONS).values():
        for user in position_holders(tenant=tenant, position=position, scope=StepScope.BRANCH, branch=branch,
                                     region=branch.region):
            people[user.pk] = user
    if not people:
        people = {u.pk: u for u in users_with_roles(tenant=tenant, roles=[Role.GM_ASSISTANT])}
    return list(people.values())


def _send_to_arrangers(app) -> None:
    from django.urls import reverse

    from marketing.notifications.services import notify

    guests = "、".join(f"{g.name}（{g.company}）" for g in app.guests.all())
    notify(tenant=app.tenant, kind="hospitality.arrange", users=arrangers(app.tenant, app.branch),
           subject=_("【招待安排】%(number)s %(day)s %(venue)s %(n)s 人") % {
               "number": app.number, "day": f"{app.visit_date:%m-%d}", "venue": app.venue.name, "n": app.expected_diners},
           lines=[_("申请人 %(who)s（%(branch)s），客户：%(guests)s。请按标准安排并在系统中登记。") % {
               "who": app.applicant.display_name, "branch": app.branch.name, "guests": guests}],
           link=reverse("hospitality:application", kwargs={"pk": app.pk}), link_label=_("登记安排"),
           dedupe_key=f"hospitality-arrange:{app.pk}")


@transaction.atomic
def application_mark_arranged(*, app, actor, note: str, request=None):
    """The arranger records that the reception is booked (venue, time, room)."""
    app = HospitalityApplication.objects.select_for_update().get(pk=app.pk, tenant_id=app.tenant_id)
    if app.status != ApplicationStatus.APPROVED:
        _refuse(_("只有已批准的招待申请可以登记安排。"), "not_approved")
    if app.arranged_at is not None:
        _refuse(_("该招待已登记安排（%(who)s）。"), "already_arranged", who=app.arranged_by.display_name)
    if actor.pk not in {u.pk for u in arrangers(app.tenant, app.branch)}:
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        _refuse(_("请写明安排情况（场所、时间、包间等）。"), "note_required")
    app.arranged_by, app.arranged_at, app.arrangement_note = actor, timezone.now(), note[:300]
    app.save(update_fields=["arranged_by", "arranged_at", "arrangement_note"])
    audit_record(tenant=app.tenant, actor=actor, verb="hospitality.arranged", obj=app, after={"note": app.arrangement_note},
                 request=request)
    from django.urls import reverse

    from marketing.notifications.services import notify

    notify(tenant=app.tenant, kind="hospitality.arrange", users=[app.applicant],
           subject=_("【招待安排】%(number)s 已安排") % {"number": app.number}, lines=[app.arrangement_note],
           link=reverse("hospitality:application", kwargs={"pk": app.pk}))
    return app


def on_application_rejected(app, actor, reason):
    _set_app_status(app, actor, ApplicationStatus.REJECTED, "rejected", decided_at=timezone.now())


def on_application_withdrawn(app, actor):
    _set_app_status(app, actor, ApplicationStatus.WITHDRAWN, "withdrawn")


# --- claims ---------------------------------------------------------------------------------

CLAIM_FIELDS = ["meal_date", "venue", "venue_other", "diners", "diners_note"]
CLAIMABLE = (ApplicationStatus.APPROVED, ApplicationStatus.LAPSED, ApplicationStatus.REJECTED,
             ApplicationStatus.WITHDRAWN)


def recompute(claim: HospitalityClaim, lines: list[ClaimLine] | None = None) -> rules.Split:
    """Judge the claim's lines under its policy version and store the split on claim and lines."""
    lines = list(claim.lines.all()) if lines is None else lines
    app = claim.application
    # The reasons are part of the record (finance, payroll, the PDF): written in the
    # product's primary language whatever the language of the person who saved the claim.
    with translation.override(settings.LANGUAGE_CODE):
        blanket = rules.blanket_reason(application=app, venue=claim.venue, diners=claim.diners,
                                       diners_note=claim.diners_note, branch_city=claim.branch.city)
        values = [rules.Line(kind=ln.kind, amount=ln.amount, quantity=ln.quantity) for ln in lines]
        split = rules.compute_split(
            lines=values, diners=claim.diners, extra_dishes=claim.policy.extra_dishes,
            lodging_per_room_night=claim.policy.lodging_per_room_night,
            lodging_approved=app is None or app.lodging, blanket=blanket,
        )
    for line, value in zip(lines, values, strict=True):
        line.amount, line.company_amount, line.personal_amount, line.reason = (
            value.amount, value.company, value.personal, value.reason[:300])
    if lines and all(ln.pk for ln in lines):
        ClaimLine.objects.bulk_update(lines, ["amount", "company_amount", "personal_amount", "reason"])
    claim.bill_total, claim.company_share, claim.personal_share = split.bill_total, split.company, split.personal
    claim.dish_count, claim.allowed_dishes, claim.blanket_reason = split.dish_count, split.allowed_dishes, blanket[:200]
    return split


def _check_lines(lines: list[dict]):
    if not lines:
        _refuse(_("请至少填写一行账单明细。"), "no_lines")
    if len(lines) > MAX_LINES:
        _refuse(_("账单明细最多 %(n)s 行。"), "too_many_lines", n=MAX_LINES)
    for ln in lines:
        if ln.get("kind") not in LineKind.values:
            _refuse(_("未知的明细类别。"), "bad_kind")
        if ln.get("amount") is None or Decimal(ln["amount"]) < 0:
            _refuse(_("金额不能为负。"), "bad_amount")


def _save_lines(claim, lines: list[dict]) -> list[ClaimLine]:
    ClaimLine.objects.filter(claim=claim).delete()
    rows = [ClaimLine(tenant_id=claim.tenant_id, claim=claim, position=i, kind=ln["kind"],
                      description=(ln.get("description") or "").strip()[:100],
                      quantity=max(int(ln.get("quantity") or 1), 1), amount=rules.fen(ln["amount"]))
            for i, ln in enumerate(lines)]
    ClaimLine.objects.bulk_create(rows)
    return list(ClaimLine.objects.filter(claim=claim).order_by("position", "id"))


def _attach(claim, actor, files):
    files = list(files or [])
    if claim.attachments.count() + len(files) > MAX_INVOICES:
        _refuse(_("每份报销最多 %(n)s 个发票文件。"), "too_many_files", n=MAX_INVOICES)
    for upload in files:
        validate_attachment(upload)
        att = ClaimAttachment(tenant_id=claim.tenant_id, claim=claim, original_name=upload.name[:200],
                              size=upload.size, uploaded_by=actor)
        att.file.save(upload.name, upload, save=False)
        att.save()


def _claim_apply(claim, data, application):
    for name in CLAIM_FIELDS:
        if name in data:
            value = data[name]
            setattr(claim, name, value.strip() if isinstance(value, str) else value)
    if application is not None:
        claim.meal_date = application.visit_date
        claim.branch = application.branch
    if claim.venue_id:
        claim.venue_other = ""
    elif not claim.venue_other:
        _refuse(_("请选择定点场所，或填写实际就餐的场所名称。"), "venue_required")
    if not claim.diners:
        _refuse(_("请填写就餐人数。"), "diners_required")
    if claim.meal_date is None:
        _refuse(_("请填写招待日期。"), "date_required")
    if claim.meal_date > local_today(claim.tenant):
        _refuse(_("招待尚未发生：招待之后再报销。"), "meal_in_future")


@transaction.atomic
def claim_create(*, tenant, membership, actor, application, data: dict, lines: list[dict], files=(),
                 submit: bool = False, client_key: str = "", request=None) -> HospitalityClaim:
    """The bill against an application (or with no application: all personal)."""
    if (done := replayed(HospitalityClaim, tenant=tenant, actor=actor, client_key=client_key)) is not None:
        return done
    if application is not None:
        application = HospitalityApplication.objects.select_for_update().get(pk=application.pk)
        if application.applicant_id != actor.pk:
            _refuse(_("只能对本人的招待申请报销。"), "not_applicant")
        if application.status not in CLAIMABLE:
            _refuse(_("该招待申请尚在审批或补全中，批准后才能报销。"), "application_open")
        if HospitalityClaim.objects.filter(application=application).exists():
            _refuse(_("该招待申请已有报销单。"), "already_claimed")
        branch = application.branch
    else:
        branch = data.get("branch")
        if branch is None or not visible_branches(membership=membership).filter(pk=branch.pk).exists():
            _refuse(_("请选择您的分公司。"), "branch_not_allowed")
    _check_lines(lines)
    day = application.visit_date if application is not None else data.get("meal_date")
    if day is None:
        _refuse(_("请填写招待日期。"), "date_required")
    claim = HospitalityClaim(tenant=tenant, applicant=actor, application=application, branch=branch,
                             policy=policy_in_force(tenant=tenant, day=day), meal_date=day,
                             client_key=client_key[:36])
    _claim_apply(claim, data, application)
    claim.number = _next_number(tenant, "ZB")
    claim.save()
    saved = _save_lines(claim, lines)
    recompute(claim, saved)
    claim.save()
    _attach(claim, actor, files)
    audit_record(tenant=tenant, actor=actor, verb="hospitality.claim_create", obj=claim,
                 after={**model_snapshot(claim, ["number", "meal_date", "diners", "bill_total", "company_share",
                                                 "personal_share"]), "policy": claim.policy.version},
                 request=request)
    if submit:
        claim = claim_submit(claim=claim, actor=actor, request=request)
    return claim


@transaction.atomic
def claim_update(*, claim, actor, data: dict, lines: list[dict], files=(), submit=False, request=None):
    claim = HospitalityClaim.objects.select_for_update(of=("self",)).select_related("application", "policy", "tenant").get(
        pk=claim.pk)
    if claim.applicant_id != actor.pk:
        _refuse(_("只有报销人可以修改。"), "not_applicant")
    if not claim.is_editable:
        _refuse(_("财务审核中或已核定的报销不能修改。"), "not_editable")
    _check_lines(lines)
    before = model_snapshot(claim, ["diners", "bill_total", "company_share", "personal_share"])
    _claim_apply(claim, data, claim.application)
    claim.policy = policy_in_force(tenant=claim.tenant, day=claim.meal_date)
    saved = _save_lines(claim, lines)
    recompute(claim, saved)
    claim.save()
    _attach(claim, actor, files)
    audit_record(tenant=claim.tenant, actor=actor, verb="hospitality.claim_update", obj=claim, before=before,
                 after=model_snapshot(claim, ["diners", "bill_total", "company_share", "personal_share"]),
                 request=request)
    if submit:
        claim = claim_submit(claim=claim, actor=actor, request=request)
    return claim


@transaction.atomic
def claim_submit(*, claim, actor, request=None) -> HospitalityClaim:
    claim = HospitalityClaim.objects.select_for_update(of=("self",)).select_related("application", "policy", "tenant").get(
        pk=claim.pk)
    if claim.applicant_id != actor.pk:
        _refuse(_("只有报销人可以提交。"), "not_applicant")
    if not claim.is_editable:
        _refuse(_("该报销已提交，不能重复提交。"), "not_editable")
    if not claim.attachments.exists():
        _refuse(_("请上传发票照片或 PDF 后再提交。"), "invoice_required")
    recompute(claim)
    old = claim.status
    claim.status, claim.submitted_at = ClaimStatus.SUBMITTED, timezone.now()
    claim.save()
    audit_record(tenant=claim.tenant, actor=actor, verb="hospitality.claim_submit", obj=claim,
                 before={"status": old}, after={"status": claim.status, "company_share": claim.company_share,
                                                "personal_share": claim.personal_share}, request=request)
    approval_start(document=claim, actor=actor, request=request)
    return claim


@transaction.atomic
def claim_correct_line(*, claim, line_id: int, actor, membership, kind: str, quantity: int, amount, reason: str,
                       request=None) -> HospitalityClaim:
    """Finance corrects one line while checking (kind, quantity, amount), with a reason; the
    split is recomputed under the claim's policy version."""
    from marketing.roles import Cap

    if not membership.can(Cap.HOSPITALITY_CHECK):
        _refuse(_("只有财务可以更正报销明细。"), "not_finance")
    claim = HospitalityClaim.objects.select_for_update(of=("self",)).select_related("application", "policy", "tenant").get(
        pk=claim.pk)
    if claim.status != ClaimStatus.SUBMITTED:
        _refuse(_("只有财务审核中的报销可以更正。"), "not_checking")
    if claim.applicant_id == actor.pk:
        _refuse(_("不能更正本人的报销。"), "self_correction")
    reason = (reason or "").strip()
    if not reason:
        _refuse(_("请填写更正原因。"), "reason_required")
    line = ClaimLine.objects.filter(claim=claim, pk=line_id).first()
    if line is None:
        _refuse(_("明细不存在。"), "no_line")
    _check_lines([{"kind": kind, "amount": amount}])
    before = {"kind": line.kind, "quantity": line.quantity, "amount": str(line.amount)}
    if line.original is None:
        line.original = before
    line.kind, line.quantity, line.amount = kind, max(int(quantity or 1), 1), rules.fen(amount)
    line.corrected_by, line.correction_reason = actor, reason[:300]
    line.save()
    old_shares = model_snapshot(claim, ["bill_total", "company_share", "personal_share"])
    recompute(claim)
    claim.save()
    audit_record(tenant=claim.tenant, actor=actor, verb="hospitality.claim_correct", obj=claim,
                 before={**before, **old_shares},
                 after={"line": line.pk, "kind": line.kind, "quantity": line.quantity, "amount": str(line.amount),
                        "reason": reason, **model_snapshot(claim, ["bill_total", "company_share", "personal_share"])},
                 request=request)
    return claim


@transaction.atomic
def claim_mark_paid(*, claim, actor, paid_on, reference: str, request=None) -> HospitalityClaim:
    """Finance records the payment of the company share; the personal share stays recorded
    for payroll."""
    claim = HospitalityClaim.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=claim.pk)
    if claim.status != ClaimStatus.APPROVED:
        _refuse(_("只有已核定的报销可以登记支付。"), "not_approved")
    reference = (reference or "").strip()
    if not reference:
        _refuse(_("请填写付款凭证号。"), "reference_required")
    if paid_on is None or paid_on > local_today(claim.tenant):
        _refuse(_("支付日期不能是将来的日期。"), "bad_paid_on")
    if claim.approved_at and paid_on < timezone.localtime(claim.approved_at, claim.tenant.zone).date():
        _refuse(_("支付日期不能早于核定日期。"), "bad_paid_on")
    claim.status, claim.paid_on, claim.payment_reference, claim.paid_by = ClaimStatus.PAID, paid_on, reference, actor
    claim.save(update_fields=["status", "paid_on", "payment_reference", "paid_by"])
    audit_record(tenant=claim.tenant, actor=actor, verb="hospitality.claim_paid", obj=claim,
                 before={"status": ClaimStatus.APPROVED},
                 after={"status": claim.status, "paid_on": paid_on, "reference": reference,
                        "company_share": claim.company_share}, request=request)
    return claim


@transaction.atomic
def claim_remove_attachment(*, attachment, actor, request=None) -> None:
    claim = HospitalityClaim.objects.select_for_update().get(pk=attachment.claim_id)
    if claim.applicant_id != actor.pk or not claim.is_editable:
        _refuse(_("只有报销人在提交前可以删除发票。"), "not_editable")
    audit_record(tenant=claim.tenant, actor=actor, verb="hospitality.invoice_remove", obj=claim,
                 before={"file": attachment.original_name}, request=request)
    attachment.file.delete(save=False)
    attachment.delete()


def _set_claim_status(claim, actor, status, verb, **extra):
    old = claim.status
    claim.status = status
    for k, v in extra.items():
        setattr(claim, k, v)
    claim.save(update_fields=["status", *extra])
    audit_record(tenant=claim.tenant, actor=actor, verb=f"hospitality.claim_{verb}", obj=claim,
                 before={"status": old}, after={"status": status, "company_share": claim.company_share,
                                                "personal_share": claim.personal_share})


def on_claim_approved(claim, actor):
    _set_claim_status(claim, actor, ClaimStatus.APPROVED, "approved", approved_at=timezone.now())
    from .. import budgets

    budgets.consume_claim(claim, actor)  # S001-13: the company share against the budget


def on_claim_rejected(claim, actor, reason):
    _set_claim_status(claim, actor, ClaimStatus.REJECTED, "rejected")
    from .. import budgets

    budgets.release_claim(claim, actor)  # S001-13: the company share against the budget


def on_claim_withdrawn(claim, actor):
    _set_claim_status(claim, actor, ClaimStatus.WITHDRAWN, "withdrawn")
    from .. import budgets

    budgets.release_claim(claim, actor)  # S001-13: the company share against the budget
