"""Per-minute dispatcher (declared in marketing/celery.py): finds the reminders and digests
due now and queues them; the claim rows make a repeated or duplicated run harmless."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone
from django_scopes import scopes_disabled

from marketing.models import Tenant
from marketing.tenancy import tenant_scope


def _rule(rule_id: int):
    from .models import SubmissionRule

    with scopes_disabled():
        rule = SubmissionRule.objects.select_related("tenant").filter(pk=rule_id, is_active=True,
                                                                       tenant__is_active=True).first()
    return rule


@shared_task(acks_late=True)
def send_submission_reminders(rule_id: int, period_iso: str) -> int:
    from .mailing import reminders_send

    rule = _rule(rule_id)
    if rule is None:
        return 0
    with tenant_scope(rule.tenant):
        return reminders_send(rule=rule, period=dt.date.fromisoformat(period_iso))


@shared_task(acks_late=True)
def send_submission_digest(rule_id: int, period_iso: str) -> str:
    from .mailing import digest_send

    rule = _rule(rule_id)
    if rule is None:
        return "no rule"
    with tenant_scope(rule.tenant):
        row = digest_send(rule=rule, period=dt.date.fromisoformat(period_iso))
    return "claimed elsewhere" if row is None else row.status


@shared_task(acks_late=True)
def resend_submission_digest(digest_id: int) -> str:
    from .mailing import digest_resend
    from .models import SubmissionDigest

    with scopes_disabled():
        row = SubmissionDigest.objects.select_related("tenant").filter(pk=digest_id, tenant__is_active=True).first()
    if row is None:
        return "no digest"
    with tenant_scope(row.tenant):
        sent = digest_resend(digest_id=digest_id)
    return "taken elsewhere" if sent is None else sent.status


@shared_task
def dispatch_submissions(now_iso: str | None = None) -> dict:
    from .mailing import due_work
    from .models import SubmissionDigest, SubmissionRule

    now = dt.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
    with scopes_disabled():
        rules = list(SubmissionRule.objects.filter(is_active=True, tenant__is_active=True).select_related("tenant"))
    by_tenant: dict[int, list] = {}
    for rule in rules:
        by_tenant.setdefault(rule.tenant_id, []).append(rule)
    reminders = digests = 0
    for tenant_rules in by_tenant.values():
        tenant: Tenant = tenant_rules[0].tenant
        with tenant_scope(tenant):
            due_reminders, due_digests = due_work(rules=tenant_rules, now=now)
            done = set(SubmissionDigest.objects.filter(
                tenant=tenant, rule__in=[r for r, _p in due_digests]).values_list("rule_id", "period"))
        for rule, period in due_reminders:
            send_submission_reminders.delay(rule.pk, period.isoformat())
            reminders += 1
        for rule, period in due_digests:
            if (rule.pk, period) not in done:
                send_submission_digest.delay(rule.pk, period.isoformat())
                digests += 1
    return {"reminders": reminders, "digests": digests}


@shared_task
def sweep_trip_checkins(now_iso: str | None = None) -> dict:
    """Every 15 minutes: each active tenant's trip reminders and missed-check-in notices
    (reports/submissions/trip_notices.py); the claim rows make a repeated run harmless."""
    from .trip_notices import trip_sweep

    now = dt.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
    totals = {"reminders": 0, "missed": 0}
    for tenant in Tenant.objects.filter(is_active=True):
        with tenant_scope(tenant):
            for key, n in trip_sweep(tenant=tenant, now=now).items():
                totals[key] += n
    return totals
