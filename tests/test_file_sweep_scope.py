"""The orphan-file sweep must know every FileField: a file of a model it did not know would
look unreferenced and be deleted (data loss)."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from marketing.files import file_fields, sweep_orphan_files


def test_every_upload_model_is_known():
    labels = {label for label, _field in file_fields()}
    assert {"approvals.ApprovalComment", "expenses.ExpenseAttachment", "submissions.SubmissionAttachment"} <= labels


@pytest.mark.django_db
def test_sweep_keeps_a_plan_attachment(org_a):
    from django.core.files.storage import default_storage

    from marketing.models import Membership
    from reports.submissions import services
    from reports.submissions.models import SubmissionAttachment, SubmissionRule

    with org_a.scope():
        rule = SubmissionRule.objects.get(tenant=org_a.tenant, code="case_sharing")
        sub = services.submission_save(
            membership=Membership.objects.get(user=org_a.users["bgm"]), rule=rule, period=dt.date(2026, 10, 9),
            branch=org_a.branches["A1"], submit=True, data={"title": "t", "story": "s", "script": "x"},
            now=dt.datetime(2026, 10, 9, 9, 0, tzinfo=dt.UTC))
        services.attachment_add(submission=sub, field_key="files", upload=ContentFile(b"x", name="a.txt"),
                                actor=org_a.users["bgm"])
        name = SubmissionAttachment.objects.get(submission=sub).file.name
    default_storage.save(name, ContentFile(b"x"))  # the test's transaction never commits: write it here
    stray = default_storage.save(f"tenants/{org_a.tenant.pk}/submissions/stray-{sub.pk}.txt", ContentFile(b"y"))
    try:
        removed = sweep_orphan_files(older_than=dt.timedelta(0), now=timezone.now() + dt.timedelta(days=1))
        assert name not in removed and default_storage.exists(name)
        assert stray in removed and not default_storage.exists(stray)  # a real orphan still goes
    finally:
        default_storage.delete(name)
