"""The opening imports as background jobs (issue 21, follow-up): the check and the confirm run as
Celery tasks (eager in tests) with progress on the job, an htmx progress page, exactly-once
confirm, failures shown with their error, another tenant's job a 404."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_scopes import scopes_disabled

from contracts import opening
from contracts.models import Contract, ContractEvent, PrintBatch
from contracts.tests.helpers import approved_product
from contracts.tests.test_opening import ledger_rows, xlsx
from marketing.models import AuditEvent
from marketing.onboarding import services, tasks
from marketing.onboarding.models import OpeningImport, OpeningKind, OpeningStatus

pytestmark = pytest.mark.django_db
FRIDAY = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
AS_OF = dt.date(2026, 11, 20)


def _create(org, content=None):
    with org.scope():
        return services.opening_create(tenant=org.tenant, kind=OpeningKind.CONTRACTS, filename="台账期初.xlsx",
                                       content=content or xlsx(ledger_rows("QC")), as_of=AS_OF,
                                       actor=org.users["mspec"])


def _get(job) -> OpeningImport:
    with scopes_disabled():
        return OpeningImport.objects.defer("content").select_related("tenant").get(pk=job.pk)


def _audits(org, verb) -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(tenant=org.tenant, verb=verb).count()


def _counts(org):
    with org.scope():
        return (Contract.objects.filter(tenant=org.tenant).count(),
                ContractEvent.objects.filter(tenant=org.tenant).count(),
                PrintBatch.objects.filter(tenant=org.tenant).count())


def _upload_page(client, capture):
    with capture(execute=True):
        r = client.post("/m/setup/opening/contracts/", {"as_of": AS_OF.isoformat(), "file": SimpleUploadedFile(
            "台账.xlsx", xlsx(ledger_rows("QC")))})
    assert r.status_code == 302
    with scopes_disabled():
        return r["Location"], OpeningImport.objects.defer("content").latest("pk")


@time_machine.travel(FRIDAY, tick=False)
def test_progress_advances_through_the_check_and_the_apply(org_a, monkeypatch):
    monkeypatch.setattr(opening, "PROGRESS_EVERY", 4)
    approved_product(org_a, code="QC")
    seen_check, seen_apply = [], []
    real_check, real_apply = services._check_progress, services._apply_progress

    def spy_check(job):
        report = real_check(job)

        def progress(done, total):
            report(done, total)  # written at once (autocommit): what the page polls
            with scopes_disabled():
                seen_check.append(OpeningImport.objects.values_list("status", "processed_rows", "total_rows")
                                  .get(pk=job.pk))
        return progress

    def spy_apply(job):
        report = real_apply(job)

        def progress(done, total):
            report(done, total)  # in the cache: the apply's own transaction is not visible yet
            live = services.live_progress(_get(job))
            seen_apply.append((live.status, live.processed_rows, live.total_rows, live.percent))
        return progress

    monkeypatch.setattr(services, "_check_progress", spy_check)
    monkeypatch.setattr(services, "_apply_progress", spy_apply)
    job = _create(org_a)
    assert tasks.check_opening(org_a.tenant.pk, job.pk) == OpeningStatus.READY
    assert [s for s, _d, _t in seen_check] == ["checking"] * 4
    assert [d for _s, d, _t in seen_check] == [4, 8, 12, 13]
    assert all(t >= d for _s, d, t in seen_check) and seen_check[-1][1:] == (13, 13)
    job = _get(job)
    assert (job.status, job.processed_rows, job.total_rows) == ("ready", 13, 13)
    with org_a.scope():
        services.opening_confirm(job=job, actor=org_a.users["mspec"], enqueue=False)
    assert tasks.apply_opening(org_a.tenant.pk, job.pk) == OpeningStatus.DONE
    assert seen_apply == [("applying", 4, 13, 30), ("applying", 8, 13, 61), ("applying", 12, 13, 92),
                          ("applying", 13, 13, 100)]
    job = _get(job)
    assert (job.status, job.processed_rows, job.result["new"]) == ("done", 13, 13)
    assert cache.get(services._progress_key(job.pk)) is None


@time_machine.travel(FRIDAY, tick=False)
def test_progress_page_polls_with_htmx_while_running_and_stops_when_done(org_a, client_as,
                                                                        django_assert_max_num_queries):
    approved_product(org_a, code="QC")
    job = _create(org_a)
    c = client_as(org_a.users["mspec"])
    page = c.get(f"/m/setup/opening/{job.pk}/").content.decode()
    assert f'data-hx-get="/m/setup/opening/{job.pk}/progress/"' in page and 'data-hx-trigger="every 2s"' in page
    assert "排队中" in page
    with scopes_disabled():
        OpeningImport.objects.filter(pk=job.pk).update(status=OpeningStatus.APPLYING, total_rows=13)
    cache.set(services._progress_key(job.pk), (6, 13))
    with django_assert_max_num_queries(8):
        r = c.get(f"/m/setup/opening/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert r.status_code == 200
    text = r.content.decode()
    assert "已处理 6 / 13 行" in text and 'aria-valuenow="46"' in text and "<html" not in text
    with scopes_disabled():
        OpeningImport.objects.filter(pk=job.pk).update(status=OpeningStatus.DONE, processed_rows=13,
                                                       result={"new": 13, "unchanged": 0})
    r = c.get(f"/m/setup/opening/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert r.status_code == 286  # htmx stops polling
    assert "新增合同 13 份" in r.content.decode()
    assert "data-hx-get" not in c.get(f"/m/setup/opening/{job.pk}/").content.decode()


@time_machine.travel(FRIDAY, tick=False)
def test_a_second_confirm_and_a_duplicated_task_write_nothing_twice(org_a, client_as,
                                                                   django_capture_on_commit_callbacks):
    approved_product(org_a, code="QC")
    c = client_as(org_a.users["mspec"])
    detail, job = _upload_page(c, django_capture_on_commit_callbacks)
    assert job.status == OpeningStatus.READY
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert c.post(detail + "confirm/").status_code == 302
    assert len(queued) == 1 and _get(job).status == OpeningStatus.DONE
    once = _counts(org_a)
    assert once == (13, 13 + 10 + 8 + 4 + 1, 1)  # 13 contracts; 在库 13 + 派发 10 + 领取 8 + 签约 4 + 作废 1
    # the double click: the second confirm finds the job no longer READY; nothing is queued
    with django_capture_on_commit_callbacks(execute=True) as queued:
        r = c.post(detail + "confirm/", follow=True)
    assert not queued and "不能确认导入" in r.content.decode()
    # a duplicated or redelivered task: the job is DONE, it returns without writing
    assert tasks.apply_opening(org_a.tenant.pk, job.pk) == OpeningStatus.DONE
    assert _counts(org_a) == once
    assert _audits(org_a, "onboarding.opening_apply") == 1
    assert _audits(org_a, "onboarding.opening_confirm") == 1


@time_machine.travel(FRIDAY, tick=False)
def test_the_task_queued_twice_for_one_confirm_applies_once(org_a, django_capture_on_commit_callbacks):
    approved_product(org_a, code="QC")
    job = _create(org_a)
    with org_a.scope():
        services.opening_check(job=job)
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        services.opening_confirm(job=job, actor=org_a.users["mspec"])  # queues apply_opening
        transaction.on_commit(lambda: tasks.apply_opening.delay(org_a.tenant.pk, job.pk))  # the duplicate
    assert _get(job).status == OpeningStatus.DONE and _counts(org_a) == (13, 36, 1)


@time_machine.travel(FRIDAY, tick=False)
def test_a_failed_apply_shows_its_error_and_writes_nothing(org_a, client_as, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    approved_product(org_a, code="QC")
    c = client_as(org_a.users["mspec"])
    detail, job = _upload_page(c, django_capture_on_commit_callbacks)
    real = opening.apply_contracts

    def crash(**kwargs):
        real(**kwargs)  # everything written ...
        raise RuntimeError("worker lost its database")  # ... then an unexpected error

    monkeypatch.setattr(opening, "apply_contracts", crash)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(detail + "confirm/")
    job = _get(job)
    assert job.status == OpeningStatus.FAILED and job.is_final
    assert "处理文件时出错（RuntimeError）" in job.errors[0]["messages"][0]
    assert _counts(org_a) == (0, 0, 0)  # rolled back with the job's transaction
    page = c.get(detail).content.decode()
    assert "导入失败，没有导入任何数据" in page and "处理文件时出错（RuntimeError）" in page
    assert "确认导入" not in page and "data-hx-get" not in page
    assert c.get(detail + "progress/").status_code == 286
    assert _audits(org_a, "onboarding.opening_failed") == 1


@time_machine.travel(FRIDAY, tick=False)
def test_a_failed_check_shows_its_error(org_a, client_as, monkeypatch, django_capture_on_commit_callbacks):
    approved_product(org_a, code="QC")

    def broken(**kwargs):
        raise MemoryError

    monkeypatch.setattr(opening, "check_contracts", broken)
    c = client_as(org_a.users["mspec"])
    detail, job = _upload_page(c, django_capture_on_commit_callbacks)
    assert job.status == OpeningStatus.FAILED
    assert "处理文件时出错（MemoryError）" in c.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        c.post(detail + "confirm/")
    assert not queued and _get(job).status == OpeningStatus.FAILED


@time_machine.travel(FRIDAY, tick=False)
def test_another_tenants_job_is_404_for_the_pages_and_the_tasks(org_a, org_b, client_as,
                                                               django_capture_on_commit_callbacks):
    job_b = _create(org_b, xlsx(ledger_rows("QC")))
    with scopes_disabled():  # as if its check had passed
        OpeningImport.objects.filter(pk=job_b.pk).update(status=OpeningStatus.READY, total_rows=13)
    c = client_as(org_a.users["admin"])
    assert c.get(f"/m/setup/opening/{job_b.pk}/").status_code == 404
    assert c.get(f"/m/setup/opening/{job_b.pk}/progress/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert c.post(f"/m/setup/opening/{job_b.pk}/confirm/").status_code == 404
    assert not queued
    # a task naming the wrong tenant finds nothing in its scope
    assert tasks.apply_opening(org_a.tenant.pk, job_b.pk) == "no job"
    assert tasks.check_opening(org_a.tenant.pk, job_b.pk) == "no job"
    assert _get(job_b).status == OpeningStatus.READY and _counts(org_b) == (0, 0, 0)
    assert client_as(org_a.users["sales"]).get(f"/m/setup/opening/{job_b.pk}/progress/").status_code in (403, 404)


@time_machine.travel(FRIDAY, tick=False)
def test_a_duplicated_check_task_does_nothing_but_a_redelivery_after_a_dead_worker_takes_over(org_a):
    from django.utils import timezone

    approved_product(org_a, code="QC")
    job = _create(org_a)
    with scopes_disabled():
        OpeningImport.objects.filter(pk=job.pk).update(status=OpeningStatus.CHECKING, heartbeat_at=timezone.now())
    assert tasks.check_opening(org_a.tenant.pk, job.pk) == OpeningStatus.CHECKING  # another worker is on it
    assert _get(job).total_rows == 0
    with scopes_disabled():
        OpeningImport.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - services.STALE_CHECK - dt.timedelta(seconds=1))
    assert tasks.check_opening(org_a.tenant.pk, job.pk) == OpeningStatus.READY
    assert _get(job).total_rows == 13
