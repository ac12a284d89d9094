"""Two marketing specialists dispatch at the same moment from the same small stock: the
material row lock lets exactly one through; stock never goes negative (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from marketing.materials import services
from marketing.materials.models import Material, MaterialRequest, StockMovement

from .helpers import approved_request, line_ids, make_material


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatch_never_oversells(require_postgres, org_a):
    m = make_material(org_a, "C1", stock=5)
    first = approved_request(org_a, [(m, 4, "")], applicant="sales", branch="A1")
    second = approved_request(org_a, [(m, 4, "")], applicant="sales2", branch="A2")
    jobs = [(first, line_ids(org_a, first)["C1"]), (second, line_ids(org_a, second)["C1"])]
    barrier = threading.Barrier(2)
    outcomes = []

    def run(req, line):
        try:
            with org_a.scope():
                barrier.wait()
                services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={line: 4})
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["insufficient_stock", "ok"]
    with org_a.scope():
        m = Material.objects.get(pk=m.pk)
        total = StockMovement.objects.filter(material=m).aggregate(s=Sum("delta"))["s"]
        statuses = sorted(MaterialRequest.objects.values_list("status", flat=True))
    assert m.on_hand == 1 == total
    assert statuses == ["approved", "dispatched"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_dispatch_of_one_request(require_postgres, org_a):
    """The request row is locked first: two simultaneous dispatches of the last 3 of a line
    cannot both pass the "remaining" check."""
    m = make_material(org_a, "C2", stock=100)
    req = approved_request(org_a, [(m, 3, "")])
    line = line_ids(org_a, req)["C2"]
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            with org_a.scope():
                barrier.wait()
                services.request_dispatch(req=req, actor=org_a.users["mspec"], quantities={line: 3})
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["not_dispatchable", "ok"]
    with org_a.scope():
        assert Material.objects.get(pk=m.pk).on_hand == 97
