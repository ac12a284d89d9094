"""What hospitality announces by itself, through the outbox (``mail.send_hospitality_mail``):

* S001-39 (定点招待: 公司确定并公布定点场所): a venue added active, or re-activated, is announced
  to the people who may apply under the policy in force -- members with one of its
  ``applicant_roles`` who may file an application -- with a link to the application form
  (where the venue list is the venue choice). One ``VenueAnnouncement`` row per venue and
  activation is claimed first, so a venue is announced once per activation, never on an edit.
* S001-33 (试行一个季度，不合理或与销售额不成比例时上报调整): when a version's trial quarter is
  over, the tenant's admins and marketing director are reminded, once per version
  (``PolicyReviewReminder``), to review it, with the quarter's hospitality beside its sales."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.audit import audit_record
from marketing.models import Membership
from marketing.roles import Cap, Role
from marketing.selectors import users_with_roles

from .mail import POLICY_REVIEW, VENUE, send_hospitality_mail
from .models import HospitalityPolicy, PolicyReviewReminder, Venue, VenueAnnouncement

TRIAL_MONTHS = 3
REVIEW_FROM_HOUR = 9  # local time: a reminder is a working-hours message
REVIEW_ROLES = (Role.TENANT_ADMIN, Role.MARKETING_DIRECTOR)


def _members(tenant, users) -> list[Membership]:
    return list(Membership.objects.filter(tenant=tenant, is_active=True, user__in=users, user__is_active=True)
                .select_related("user").prefetch_related("role_assignments").order_by("user__username"))


# --- S001-39: new designated venues ----------------------------------------------------------


def venue_audience(*, tenant, policy: HospitalityPolicy) -> list:
    """Who may apply for hospitality under ``policy``: active members holding one of its
    applicant roles and the right to file an application (so the link opens for each)."""
    roles = [r for r in policy.applicant_roles or [] if r in Role.values]
    if not roles:
        return []
    members = _members(tenant, users_with_roles(tenant=tenant, roles=roles))
    return [m.user for m in members if m.can(Cap.HOSPITALITY_REQUEST)]


def venue_announce(*, venue: Venue, actor=None) -> int:
    """Announce ``venue`` (active, just added or re-activated). Call inside the transaction of
    the save, with the venue row locked. Returns how many messages were queued."""
    from .services import local_today, policy_in_force

    tenant = venue.tenant
    activation = VenueAnnouncement.objects.filter(tenant=tenant, venue=venue).count() + 1
    try:
        with transaction.atomic():
            claim = VenueAnnouncement.objects.create(tenant=tenant, venue=venue, activation=activation)
    except IntegrityError:
        return 0  # this activation was announced already
    policy = policy_in_force(tenant=tenant, day=local_today(tenant))
    people = venue_audience(tenant=tenant, policy=policy)
    services = "、".join(s for s, on in ((_("用餐"), venue.serves_meals), (_("住宿"), venue.serves_lodging)) if on)
    sent = send_hospitality_mail(
        tenant=tenant, users=people, kind=VENUE, link=reverse("hospitality:apply"),
        dedupe_key=f"hosp-venue:{venue.pk}:{activation}",
        subject=_("【定点招待场所】新增 %(name)s（%(city)s）") % {"name": venue.name, "city": venue.city},
        body=_("公司定点招待场所新增：%(name)s，%(city)s %(address)s，提供%(services)s。\n"
               "业务招待以定点招待为原则：申请招待时请在定点场所中选择。")
        % {"name": venue.name, "city": venue.city, "address": venue.address, "services": services},
    )
    claim.recipients = len(people)
    claim.save(update_fields=["recipients"])
    audit_record(tenant=tenant, actor=actor, verb="hospitality.announce_venue", obj=venue,
                 after={"activation": activation, "recipients": len(people), "policy": policy.version})
    return sent


# --- S001-33: the end of a version's trial quarter -------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def trial_quarter(policy: HospitalityPolicy) -> tuple[dt.date, dt.date]:
    """(first day, day the trial is over) of ``policy``: a quarter from its issue -- its
    effective date, or the day it was saved when that is later (version 1 of every tenant
    carries a placeholder date of 2000-01-01: its rules were issued with the tenant)."""
    saved = timezone.localtime(policy.created_at, policy.tenant.zone).date() if policy.created_at else None
    start = max(policy.effective_from, saved) if saved else policy.effective_from
    return start, _add_months(start, TRIAL_MONTHS)


@transaction.atomic
def policy_review_sweep(*, tenant, now: dt.datetime | None = None) -> int:
    """The daily check: once the trial quarter of the version in force is over (on or after
    its end day, from 09:00 local time), remind the admins and the marketing director once to
    review it. A version replaced before its quarter was over -- or with a newer version
    already issued, starting later -- is not reminded: the adjustment has been made (the newer
    version gets its own reminder at the end of its quarter). Returns how many messages were queued."""
    from .report import period_figures
    from .services import policy_in_force

    now = now or timezone.now()
    local = timezone.localtime(now, tenant.zone)
    if local.hour < REVIEW_FROM_HOUR:
        return 0
    today = local.date()
    policy = policy_in_force(tenant=tenant, day=today)
    start, end = trial_quarter(policy)
    if today < end or policy.effective_from > today:
        return 0
    if HospitalityPolicy.objects.filter(tenant=tenant, version__gt=policy.version).exists():
        return 0
    try:
        with transaction.atomic():
            PolicyReviewReminder.objects.create(tenant=tenant, policy=policy, trial_end=end)
    except IntegrityError:
        return 0  # already reminded
    last = end - dt.timedelta(days=1)
    figures = period_figures(tenant=tenant, start=start, end=last)
    members = _members(tenant, users_with_roles(tenant=tenant, roles=REVIEW_ROLES))
    subject = _("【招待政策评估】v%(v)s 试行期满（%(start)s 至 %(last)s）") % {
        "v": policy.version, "start": start.isoformat(), "last": last.isoformat()}
    body = _("公司业务招待费管理规定 v%(v)s 自 %(start)s 起试行一个季度，已于 %(end)s 期满。\n"
             "试行期招待费（公司承担，已核定）：¥%(company)s；同期回款：¥%(sales)s；占比：%(ratio)s。\n"
             "请评估规定是否合理、招待费与销售额是否成比例；需要调整的，请上报并发布新的政策版本。") % {
        "v": policy.version, "start": start.isoformat(), "end": end.isoformat(), "company": figures["company"],
        "sales": figures["sales"], "ratio": figures["ratio_pct"] or _("无回款")}
    # The link opens for each reader: the policy page for those who keep the policy, the
    # hospitality report of the trial's last month for those who read it.
    editors = [m.user for m in members if m.can(Cap.HOSPITALITY_POLICY)]
    readers = [m.user for m in members if not m.can(Cap.HOSPITALITY_POLICY) and m.can(Cap.HOSPITALITY_VIEW_ALL)]
    key = f"hosp-policy-review:{policy.pk}"
    sent = send_hospitality_mail(tenant=tenant, users=editors, kind=POLICY_REVIEW, link=reverse("hospitality:policies"),
                                 dedupe_key=key, subject=subject, body=body)
    sent += send_hospitality_mail(tenant=tenant, users=readers, kind=POLICY_REVIEW,
                                  link=f"{reverse('hospitality:report')}?month={last:%Y-%m}", dedupe_key=key,
                                  subject=subject, body=body)
    audit_record(tenant=tenant, actor=None, verb="hospitality.policy_review_reminder", obj=policy,
                 after={"version": policy.version, "trial_start": start, "trial_end": end, **figures,
                        "recipients": len(editors) + len(readers)})
    return sent
