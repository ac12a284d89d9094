"""Real concurrency on PostgreSQL (skips on SQLite): row locks and unique claims hold when
two requests race."""

import threading

import pytest
from django.db import close_old_connections, connection

from customers import access, importer, services
from customers.models import Customer, CustomerUserObjectPermission, ImportBatch, ReadAlert
from marketing.tenancy import tenant_scope

from .conftest import make_customer
from .test_history_import_export import _row, _xlsx


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
def test_import_confirmed_twice_at_once_imports_once(require_postgres, org_a):
    with org_a.scope():
        batch = importer.import_preview(tenant=org_a.tenant, actor=org_a.users["mdirector"], file_name="a.xlsx",
                                        content=_xlsx([_row("客户甲", "13900000001"), _row("客户乙", "")]).read())

    def confirm():
        with tenant_scope(org_a.tenant):
            return importer.import_confirm(batch=batch, actor=org_a.users["mdirector"])

    results, errors = _race(3, confirm)
    assert results == [2]
    assert len(errors) == 2 and all(getattr(e, "code", "") == "not_preview" for e in errors)
    with org_a.scope():
        assert Customer.objects.count() == 2
        assert ImportBatch.objects.get().status == ImportBatch.Status.DONE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_grants_for_same_user_keep_one_row(require_postgres, org_a):
    customer = make_customer(org_a)

    def grant():
        with tenant_scope(org_a.tenant):
            return services.grant_create(customer=customer, actor=org_a.users["gm"], user=org_a.users["finance"],
                                         days=5).pk

    results, errors = _race(4, grant)
    assert errors == [] and len(set(results)) == 1
    with org_a.scope():
        assert CustomerUserObjectPermission.all_grants.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reads_over_threshold_alert_once(require_postgres, org_a):
    org_a.tenant.customer_read_alert_per_hour = 1
    org_a.tenant.save()
    customer = make_customer(org_a)
    with org_a.scope():
        access.log_reads(tenant=org_a.tenant, user=org_a.users["exec"], customers=[customer], action="view")

    def read():
        with tenant_scope(org_a.tenant):
            access.log_reads(tenant=org_a.tenant, user=org_a.users["exec"], customers=[customer], action="view")

    _results, errors = _race(4, read)
    assert errors == []
    with org_a.scope():
        assert ReadAlert.objects.count() == 1
