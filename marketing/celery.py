"""The Celery application and the one place periodic schedules are declared.

Tasks that must run at a tenant's local time (10:00 summary, 09:30 reminder) are driven by
a per-minute dispatcher that checks each tenant's own clock, so a tenant in another time
zone needs no schedule change; the dispatchers are idempotent, claim-before-send."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing.settings")

app = Celery("branchdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # reports: reminders before the deadline and the daily summary, each at the tenant's time.
    "reports-dispatch-reminders": {"task": "reports.tasks.dispatch_reminders", "schedule": crontab()},
    "reports-dispatch-summaries": {"task": "reports.tasks.dispatch_summaries", "schedule": crontab()},
    # reports: fail imports left running by a dead worker; delete uploaded files past
    # settings.IMPORT_FILE_RETENTION_DAYS.
    "reports-purge-import-files": {"task": "reports.tasks.purge_import_files", "schedule": crontab(minute="*/10")},
    # contracts: remind operations on each tenant's Friday to confirm the week's usage figures (once).
    "contracts-remind-usage": {"task": "contracts.tasks.remind_usage_all", "schedule": crontab(minute=15)},
    # plans and periodic reports: reminders before each rule's deadline, digests after it.
    "submissions-dispatch": {"task": "reports.submissions.tasks.dispatch_submissions", "schedule": crontab()},
    # business trips (S003-04): check-in reminders after 12:00/18:00 and the managers' notice of
    # yesterday's missed check-ins from 09:00, each tenant's time; claimed per trip, day and kind.
    "submissions-sweep-trips": {"task": "reports.submissions.tasks.sweep_trip_checkins", "schedule": crontab(minute="*/15")},
    # approvals: one digest a day of what waits for each approver, at 08:30 the tenant's time.
    "approvals-dispatch-digests": {"task": "marketing.tasks.dispatch_approval_digests", "schedule": crontab()},
    # the outbox: retries after backoff, and rows whose hand-off to the broker was lost.
    "notifications-dispatch-outbox": {"task": "marketing.notifications.tasks.dispatch_outbox", "schedule": crontab()},
    # customers: drop expired temporary grants (expiry is also enforced at query time).
    # hospitality: refuse (拒付) emergency applications not completed in time; remind before.
    "hospitality-sweep-emergencies": {
        "task": "expenses.hospitality.tasks.sweep_emergencies", "schedule": crontab(minute="*/15"),
    },
    # hospitality: a policy version's trial quarter is over (S001-33) -- remind once, from 09:00 the
    # tenant's time (hourly, so every time zone's morning is met; claimed per version).
    "hospitality-remind-policy-reviews": {
        "task": "expenses.hospitality.tasks.remind_policy_reviews", "schedule": crontab(minute=20),
    },
    "customers-expire-grants": {"task": "customers.tasks.purge_expired_grants", "schedule": crontab(minute=5)},
    # customers: overdue second visits (限期二次回访), reminded once a day from 09:00 the tenant's time.
    "customers-remind-followups": {
        "task": "customers.tasks.remind_overdue_followups", "schedule": crontab(minute="*/15"),
    },
    # platform housekeeping: orphan files (see marketing/files.py) and old one-time form tokens.
    "marketing-sweep-orphan-files": {"task": "marketing.tasks.sweep_orphan_files", "schedule": crontab(hour=3, minute=15)},
    "marketing-purge-form-submissions": {
        "task": "marketing.tasks.purge_form_submissions", "schedule": crontab(hour=3, minute=25),
    },
    # 市场部月例会 (issue 20): the past month's pack on the first working day, action reminders.
    "meetings-dispatch": {"task": "reports.meetings.tasks.dispatch", "schedule": crontab(minute="*/10")},
    # people: at each tenant's midnight, departures past their last day and transfers due (every 15 min).
    "people-midnight": {"task": "marketing.people.tasks.people_midnight_all", "schedule": crontab(minute="*/15")},
    # partners: originals overdue at HQ and agreements ending within 30 days, 09:00 the tenant's time.
    "partners-dispatch-reminders": {"task": "customers.partners.tasks.dispatch_reminders", "schedule": crontab(minute=2)},
}
