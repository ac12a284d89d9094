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
    # plans and periodic reports: reminders before each rule's deadline, digests after it.
    "submissions-dispatch": {"task": "reports.submissions.tasks.dispatch_submissions", "schedule": crontab()},
    # approvals: one digest a day of what waits for each approver.
    "approvals-daily-digest": {
        "task": "marketing.tasks.send_approval_digests",
        "schedule": crontab(hour=8, minute=30),
    },
    # customers: drop expired temporary grants (expiry is also enforced at query time).
    # hospitality: refuse (拒付) emergency applications not completed in time; remind before.
    "hospitality-sweep-emergencies": {
        "task": "expenses.hospitality.tasks.sweep_emergencies", "schedule": crontab(minute="*/15"),
    },
    "customers-expire-grants": {"task": "customers.tasks.purge_expired_grants", "schedule": crontab(minute=5)},
}
