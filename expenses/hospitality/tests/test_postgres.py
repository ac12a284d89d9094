"""Real concurrency on PostgreSQL (skips on SQLite): one claim per application when two
submissions race; a sweep running twice at once refuses an overdue emergency once and sends
one reminder a day."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection

from expenses.hospitality import services
from expenses.hospitality.models import EmergencyReminder, HospitalityApplication, HospitalityClaim
from marketing.demo import membership_of
from marketing.tenancy import tenant_scope

from .helpers import TUESDAY, approved_app, at, emergency, invoice, line, venue


def _race(n, work):
    barrier = threading.Barrier(n)
    errors, results = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_claims_for_one_application_at_once_make_one(require_postgres, org_a):
    v = venue(org_a)
    with at(TUESDAY):
        app = approved_app(org_a, v)
    user = org_a.users["sales"]
    keys = iter(["a" * 32, "b" * 32, "c" * 32])
    lock = threading.Lock()

    def file_claim():
        with lock:
            key = next(keys)
        with tenant_scope(org_a.tenant):
            return services.claim_create(
                tenant=org_a.tenant, membership=membership_of(user), actor=user, application=app,
                data={"venue": v, "venue_other": "", "diners": 2, "diners_note": ""},
                lines=[line("dish", "300.00", 3)], files=[invoice()], client_key=key).pk

    with at(TUESDAY + dt.timedelta(days=1), 21):
        results, errors = _race(3, file_claim)
    assert len(results) == 1
    assert len(errors) == 2 and all(getattr(e, "code", "") == "already_claimed" for e in errors)
    with org_a.scope():
        assert HospitalityClaim.objects.filter(application=app).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sweeps_racing_refuse_once_and_remind_once(require_postgres, org_a):
    v = venue(org_a)
    with at(TUESDAY, 12):
        late = emergency(org_a, v)
        open_one = emergency(org_a, v, visit_date=TUESDAY)

    def sweep():
        with tenant_scope(org_a.tenant):
            return services.emergency_sweep(tenant=org_a.tenant)

    with org_a.scope():
        HospitalityApplication.objects.filter(pk=late.pk).update(completion_due=TUESDAY)
    with at(TUESDAY + dt.timedelta(days=1), 9):
        results, errors = _race(3, sweep)
    assert errors == []
    assert sum(r["lapsed"] for r in results) == 1 and sum(r["reminded"] for r in results) == 1
    with org_a.scope():
        assert EmergencyReminder.objects.filter(application=open_one).count() == 1
