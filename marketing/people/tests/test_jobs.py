"""Large customer handovers run as a background job (docs/people.md, "Background handover"):
progress on a polled page, exactly once (a repeated task writes nothing), a failure shown, reach
(a GM handles their branch only) and another tenant's job is a 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.tests.conftest import make_customer
from marketing.audit import AuditEvent
from marketing.notifications.models import Message
from marketing.people import jobs, services
from marketing.people.models import HandoverJob, HandoverJobStatus, HandoverRecord
from marketing.people.tasks import run_handover_job

from .helpers import file_departure, lines_by_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(services, "BULK_CUSTOMERS", 2)
    monkeypatch.setattr(services, "CUSTOMER_BATCH", 2)


def _leaver_with(org, n, who="sales", branch="A1"):
    ids = [make_customer(org, owner_key=who, branch=branch, name=f"交接客户{i}").pk for i in range(n)]
    return ids, file_departure(org, who=who)


def _post_resolve(client, d, to_user):
    return client.post(f"/m/people/departures/{d.pk}/act/", {"action": "resolve", "line": "customers",
                                                              "to_user": to_user.pk})


def test_over_the_limit_the_page_starts_a_job_and_shows_progress(org_a, client_as, small_limits,
                                                                 django_capture_on_commit_callbacks):
    ids, d = _leaver_with(org_a, 5)
    admin, sales2 = org_a.users["admin"], org_a.users["sales2"]
    client = client_as(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # the task is queued after commit
        r = _post_resolve(client, d, sales2)
    with org_a.scope():
        job = HandoverJob.objects.get(departure=d)
    assert r.status_code == 302 and r["Location"] == f"/m/people/jobs/{job.pk}/"
    assert len(callbacks) == 1
    assert (job.status, job.done, job.total) == (HandoverJobStatus.PENDING, 0, 5)
    page = client.get(f"/m/people/jobs/{job.pk}/").content.decode()
    assert f'data-hx-get="/m/people/jobs/{job.pk}/progress/"' in page and "已交接 0 / 5 家客户" in page
    # run it batch by batch, as the task does: the polled fragment follows, 200 while running
    with org_a.scope():
        assert jobs.handover_job_claim(job_pk=job.pk)
        assert jobs.handover_job_step(job_pk=job.pk)
    r = client.get(f"/m/people/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "已交接 2 / 5 家客户" in r.content.decode() and 'aria-valuenow="40"' in r.content.decode()
    with org_a.scope():
        while jobs.handover_job_step(job_pk=job.pk):
            pass
        job.refresh_from_db()
        assert (job.status, job.done, job.total) == (HandoverJobStatus.DONE, 5, 5)
        assert set(Customer.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {sales2.pk}
    r = client.get(f"/m/people/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r.status_code == 286 and "交接完成：5 家客户已转给" in r.content.decode()  # htmx stops polling
    assert lines_by_key(org_a, d)["customers"].count == 0
    assert f"/m/people/jobs/{job.pk}/" in client.get(f"/m/people/departures/{d.pk}/").content.decode()


def test_at_the_limit_it_stays_in_the_request(org_a, client_as, small_limits):
    _ids, d = _leaver_with(org_a, 2)
    r = _post_resolve(client_as(org_a.users["admin"]), d, org_a.users["sales2"])
    assert r["Location"] == f"/m/people/departures/{d.pk}/"
    with org_a.scope():
        assert not HandoverJob.objects.exists() and lines_by_key(org_a, d)["customers"].count == 0


def test_the_task_runs_once_a_repeat_writes_nothing(org_a, small_limits):
    ids, d = _leaver_with(org_a, 5)
    admin, sales2 = org_a.users["admin"], org_a.users["sales2"]
    with org_a.scope():
        job = jobs.handover_job_start(departure=d, actor=admin, to_user=sales2)
    assert run_handover_job(org_a.tenant.pk, job.pk) == "done"

    def written():
        with org_a.scope():
            return (Customer.history.filter(id__in=ids).count(), AuditEvent.objects.count(),
                    HandoverRecord.objects.filter(departure=d).count(), Message.objects.count())

    before = written()
    assert run_handover_job(org_a.tenant.pk, job.pk) == "skipped"  # re-delivered: claimed already
    with org_a.scope():
        assert jobs.handover_job_step(job_pk=job.pk) is False  # a stray step on a done job
    assert written() == before
    with org_a.scope():
        # per customer: the creation row and exactly one handover row; one record, one bulk event
        assert Customer.history.filter(id__in=ids, owner=sales2).count() == 5
        assert HandoverRecord.objects.get(departure=d).count == 5
        assert AuditEvent.objects.filter(verb="customers.customer_reassign_bulk").count() == 1
        # a second start while one runs is refused; after it is done a new one may start
        assert HandoverJob.objects.get(pk=job.pk).status == HandoverJobStatus.DONE


def test_one_active_job_per_departure(org_a, small_limits):
    _ids, d = _leaver_with(org_a, 5)
    with org_a.scope():
        jobs.handover_job_start(departure=d, actor=org_a.users["admin"], to_user=org_a.users["sales2"])
        with pytest.raises(ValidationError) as exc:
            jobs.handover_job_start(departure=d, actor=org_a.users["admin"], to_user=org_a.users["sales2"])
        assert exc.value.code == "job_running"
        with pytest.raises(ValidationError) as exc:  # nor the synchronous path meanwhile
            services.line_resolve(departure=d, actor=org_a.users["admin"], line="customers",
                                  to_user=org_a.users["sales2"])
        assert exc.value.code == "job_running"


def test_a_failure_is_recorded_shown_and_sent(org_a, client_as, small_limits, monkeypatch):
    ids, d = _leaver_with(org_a, 5)
    admin, sales2 = org_a.users["admin"], org_a.users["sales2"]
    with org_a.scope():
        job = jobs.handover_job_start(departure=d, actor=admin, to_user=sales2)
    real, calls = services.move_customer_batch, []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(*args, **kw)

    monkeypatch.setattr(services, "move_customer_batch", flaky)
    assert run_handover_job(org_a.tenant.pk, job.pk) == "failed"
    with org_a.scope():
        job.refresh_from_db()
        assert (job.status, job.done, job.error) == (HandoverJobStatus.FAILED, 2, "交接中断：RuntimeError")
        # the first batch stays moved, the failed one rolled back; the line shows what is left
        assert Customer.objects.filter(pk__in=ids, owner=sales2).count() == 2
        assert lines_by_key(org_a, d)["customers"].count == 3
        assert not HandoverRecord.objects.filter(departure=d).exists()
        msg = Message.objects.get(kind="people.handover_job")
        assert msg.user_id == admin.pk and f"/m/people/jobs/{job.pk}/" in msg.link
    r = client_as(admin).get(f"/m/people/jobs/{job.pk}/progress/")
    assert r.status_code == 286 and "交接失败，已交接的 2 家客户保持不变" in r.content.decode()
    assert "交接中断：RuntimeError" in r.content.decode()
    # a new job finishes the rest
    monkeypatch.setattr(services, "move_customer_batch", real)
    with org_a.scope():
        job2 = jobs.handover_job_start(departure=d, actor=admin, to_user=sales2)
    assert job2.total == 3 and run_handover_job(org_a.tenant.pk, job2.pk) == "done"
    assert lines_by_key(org_a, d)["customers"].count == 0


def test_a_receiver_disabled_meanwhile_fails_with_the_reason(org_a, small_limits):
    from marketing.models import Membership
    from marketing.services import user_set_active

    _ids, d = _leaver_with(org_a, 3)
    with org_a.scope():
        job = jobs.handover_job_start(departure=d, actor=org_a.users["admin"], to_user=org_a.users["sales2"])
        user_set_active(membership=Membership.objects.get(tenant=org_a.tenant, user=org_a.users["sales2"]),
                        actor=org_a.users["admin"], active=False)
    assert run_handover_job(org_a.tenant.pk, job.pk) == "failed"
    with org_a.scope():
        job.refresh_from_db()
        assert (job.done, job.error) == (0, "接手人须为本公司的在职人员。")


def test_reach_a_gm_handles_their_branch_only(org_a, client_as, small_limits):
    _ids, d = _leaver_with(org_a, 3)  # sales is in A1
    # bgm2 (A2) may not start it: the departure itself is a 404 to them
    assert _post_resolve(client_as(org_a.users["bgm2"]), d, org_a.users["sales2"]).status_code == 404
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            jobs.handover_job_start(departure=d, actor=org_a.users["bgm2"], to_user=org_a.users["sales2"])
        assert exc.value.code == "not_entitled"
        with pytest.raises(ValidationError) as exc:  # nor the leaver themselves
            jobs.handover_job_start(departure=d, actor=org_a.users["sales"], to_user=org_a.users["sales2"])
        assert exc.value.code == "not_entitled"
    bgm = client_as(org_a.users["bgm"])
    assert _post_resolve(bgm, d, org_a.users["sales2"]).status_code == 302
    with org_a.scope():
        job = HandoverJob.objects.get(departure=d)
        assert job.created_by == org_a.users["bgm"]
    assert bgm.get(f"/m/people/jobs/{job.pk}/").status_code == 200
    for user in ("bgm2", "sales2"):
        c = client_as(org_a.users[user])
        assert c.get(f"/m/people/jobs/{job.pk}/").status_code == 404
        assert c.get(f"/m/people/jobs/{job.pk}/progress/").status_code == 404


def test_another_tenants_job_is_a_404(org_a, org_b, client_as, small_limits, django_assert_max_num_queries):
    _ids, d = _leaver_with(org_a, 3)
    with org_a.scope():
        job = jobs.handover_job_start(departure=d, actor=org_a.users["admin"], to_user=org_a.users["sales2"])
    other = client_as(org_b.users["admin"])
    assert other.get(f"/m/people/jobs/{job.pk}/").status_code == 404
    assert other.get(f"/m/people/jobs/{job.pk}/progress/").status_code == 404
    client = client_as(org_a.users["admin"])
    client.get(f"/m/people/jobs/{job.pk}/progress/")
    with django_assert_max_num_queries(12):
        assert client.get(f"/m/people/jobs/{job.pk}/progress/").status_code == 200


def test_english_progress_page(org_a, client_as, small_limits):
    _ids, d = _leaver_with(org_a, 3)
    with org_a.scope():
        job = jobs.handover_job_start(departure=d, actor=org_a.users["admin"], to_user=org_a.users["sales2"])
    page = client_as(org_a.users["admin"], language="en").get(f"/m/people/jobs/{job.pk}/").content.decode()
    assert "Customer handover progress" in page and "0 / 3 customers handed over" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_move_each_customer_once(require_postgres, org_a, small_limits, monkeypatch):
    """A task delivered twice at the same moment: one claims the row, the other writes nothing."""
    import threading

    monkeypatch.setattr(run_handover_job, "delay", lambda *a, **kw: None)  # the two workers below run it

    from django.db import connection

    from marketing.tenancy import tenant_scope

    ids, d = _leaver_with(org_a, 5)
    with org_a.scope():
        job = jobs.handover_job_start(departure=d, actor=org_a.users["admin"], to_user=org_a.users["sales2"])
    barrier, outcomes = threading.Barrier(2), []

    def worker():
        try:
            barrier.wait(timeout=10)
            with tenant_scope(org_a.tenant):
                outcomes.append(jobs.handover_job_run(job_pk=job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["done", "skipped"]
    with org_a.scope():
        assert Customer.history.filter(id__in=ids, owner=org_a.users["sales2"]).count() == 5
        assert HandoverRecord.objects.filter(departure=d).count() == 1
