"""Files written inside a transaction that rolls back (issue 9): nothing stays on disk; a
file is deleted only once its row's deletion commits; a daily sweep removes orphans."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from expenses import services
from expenses.models import ExpenseAttachment
from expenses.tests.helpers import make_expense, pdf_upload
from marketing import files
from marketing.celery import app

pytestmark = pytest.mark.django_db


def _stored():
    return set(files._walk(default_storage, files.ROOT))


class Boom(Exception):
    pass


def test_rolled_back_create_leaves_no_file(org_a, django_capture_on_commit_callbacks):
    before = _stored()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        make_expense(org_a, files=[("quote", pdf_upload())])
        raise Boom  # e.g. the approval start fails after the attachment was saved
    assert _stored() == before
    with org_a.scope():
        assert not ExpenseAttachment.objects.exists()


def test_committed_create_writes_the_file(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a, submit=False, files=[("quote", pdf_upload())])
    with org_a.scope():
        att = ExpenseAttachment.objects.get(request=expense)
    assert default_storage.exists(att.file.name)
    assert default_storage.open(att.file.name).read().startswith(b"%PDF")


def test_delete_waits_for_the_commit(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a, submit=False, files=[("quote", pdf_upload())])
    with org_a.scope():
        att = ExpenseAttachment.objects.get(request=expense)
    name = att.file.name
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic(), org_a.scope():
        services.expense_remove_attachment(attachment=att, actor=org_a.users["sales"])
        raise Boom
    assert default_storage.exists(name)  # the row is still there, so is its file
    with django_capture_on_commit_callbacks(execute=True), org_a.scope():
        att = ExpenseAttachment.objects.get(request=expense)
        services.expense_remove_attachment(attachment=att, actor=org_a.users["sales"])
    assert not default_storage.exists(name)


def test_sweep_removes_only_old_unreferenced_files(org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        expense = make_expense(org_a, submit=False, files=[("quote", pdf_upload())])
    with org_a.scope():
        kept = ExpenseAttachment.objects.get(request=expense).file.name
    orphan = default_storage.save(f"tenants/{org_a.tenant.pk}/expenses/999/orphan.pdf", pdf_upload())
    assert orphan not in files.sweep_orphan_files(now=timezone.now())  # too young: a write may be in flight
    removed = files.sweep_orphan_files(now=timezone.now() + dt.timedelta(hours=7))
    assert orphan in removed and kept not in removed
    assert default_storage.exists(kept) and not default_storage.exists(orphan)


def test_sweep_is_scheduled():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"marketing.tasks.sweep_orphan_files", "marketing.tasks.purge_form_submissions"} <= tasks


def test_purge_form_submissions(org_a):
    from marketing.models import FormSubmission
    from marketing.tasks import purge_form_submissions

    with org_a.scope():
        old = FormSubmission.objects.create(tenant=org_a.tenant, token="1" * 32, user=org_a.users["sales"], path="/")
        FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
        FormSubmission.objects.create(tenant=org_a.tenant, token="2" * 32, user=org_a.users["sales"], path="/")
    assert purge_form_submissions() == 1
