"""A targets (or collections) file replaces only the (branch, month) / (branch, day) pairs it
lists (issue 8; seed rules S000-19, S000-31). Replacing a whole month is an explicit choice,
confirmed on its own page. The preview shows branch names and old -> new per row."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports import imports, services
from reports.imports import import_file_now
from reports.models import Collection, ImportJob, ImportKind, ImportStatus, MonthlyTarget

from .helpers import xlsx

NOV = dt.date(2026, 11, 1)


def _targets(org):
    return {t.branch.code: t.amount for t in MonthlyTarget.objects.filter(month=NOV).select_related("branch")}


def _seed_targets(org):
    for code, amount in (("A1", "1000"), ("A2", "2000"), ("A3", "3000")):
        services.target_set(tenant=org.tenant, branch=org.branches[code], month=NOV, amount=Decimal(amount), actor=None)


TWO_BRANCHES = [["月份", "分公司", "目标金额"], ["2026-11", "A1", 1500], ["2026-11", "甲二分公司", 2000]]


def test_two_branch_file_keeps_the_other_branches_targets(org_a):
    """S000-31: a two-branch file for November leaves A3's November target alone."""
    with org_a.scope():
        _seed_targets(org_a)
        result, outcome = import_file_now(tenant=org_a.tenant, kind=ImportKind.TARGETS, filename="t.xlsx",
                                          content=xlsx(TWO_BRANCHES))
        assert result.ok
        assert outcome == {"changed": True, "created": 0, "updated": 1, "unchanged": 1, "deleted": 0}
        assert _targets(org_a) == {"A1": Decimal("1500.00"), "A2": Decimal("2000.00"), "A3": Decimal("3000.00")}
        _, again = import_file_now(tenant=org_a.tenant, kind=ImportKind.TARGETS, filename="t.xlsx", content=xlsx(TWO_BRANCHES))
        assert again["changed"] is False


def test_whole_month_replacement_is_explicit(org_a):
    with org_a.scope():
        _seed_targets(org_a)
        _, outcome = import_file_now(tenant=org_a.tenant, kind=ImportKind.TARGETS, filename="t.xlsx",
                                     content=xlsx(TWO_BRANCHES), replace_scope=True)
        assert outcome["deleted"] == 1 and outcome["updated"] == 1
        assert _targets(org_a) == {"A1": Decimal("1500.00"), "A2": Decimal("2000.00")}


def test_collections_file_replaces_only_its_pairs(org_a):
    with org_a.scope():
        import_file_now(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, filename="c.xlsx",
                        content=xlsx([["日期", "分公司", "回款金额"], ["2026-11-03", "A1", 10], ["2026-11-03", "A2", 20]]))
        _, outcome = import_file_now(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, filename="c.xlsx",
                                     content=xlsx([["日期", "分公司", "回款金额"], ["2026-11-03", "A1", 11]]))
        assert outcome == {"changed": True, "created": 0, "updated": 1, "unchanged": 0, "deleted": 0}
        assert dict(Collection.objects.values_list("branch__code", "amount")) == {"A1": Decimal("11.00"), "A2": Decimal("20.00")}


def test_command_option_for_whole_month(org_a, tmp_path, capsys):
    with org_a.scope():
        _seed_targets(org_a)
    path = tmp_path / "t.xlsx"
    path.write_bytes(xlsx(TWO_BRANCHES))
    call_command("import_targets", "--tenant", "alpha", str(path))
    assert "0 new, 1 changed, 1 unchanged, 0 deleted" in capsys.readouterr().out
    call_command("import_targets", "--tenant", "alpha", "--replace-whole-scope", str(path))
    assert "1 deleted" in capsys.readouterr().out
    with org_a.scope():
        assert set(_targets(org_a)) == {"A1", "A2"}


def _upload(client, content, kind="targets"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("reports:imports"), {"kind": kind, "file": SimpleUploadedFile("t.xlsx", content)})


def test_preview_names_branches_and_shows_old_to_new(org_a, client_as, django_capture_on_commit_callbacks):
    with org_a.scope():
        _seed_targets(org_a)
    client = client_as(org_a.users["mspec"])
    rows = [*TWO_BRANCHES, ["2026-12", "A3", 500]]
    with django_capture_on_commit_callbacks(execute=True):
        r = _upload(client, xlsx(rows))
    with org_a.scope():
        job = ImportJob.objects.get()
    assert job.status == ImportStatus.READY
    assert job.preview == [
        {"row": 2, "branch": "甲一分公司", "key": "2026-11", "old": "1000.00", "new": "1500.00", "change": "changed"},
        {"row": 3, "branch": "甲二分公司", "key": "2026-11", "old": "2000.00", "new": "2000.00", "change": "same"},
        {"row": 4, "branch": "甲三分公司", "key": "2026-12", "old": None, "new": "500.00", "change": "new"},
    ]
    assert job.result["plan"] == {"created": 1, "updated": 1, "unchanged": 1, "others": 1}
    page = client.get(r.url).content.decode()
    assert "甲一分公司" in page and "1000.00 → 1500.00" in page and "branch_id" not in page
    assert "新增 1 行，修改 1 行，不变 1 行" in page and "（1 条）保持不变" in page

    # whole-month: the first POST only shows what would be deleted, nothing changes
    confirm = reverse("reports:import_confirm", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(confirm, {"scope": "whole"}).content.decode()
    assert "确认整月替换" in page and "甲三分公司" in page and "3000.00" in page
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    with org_a.scope():
        assert _targets(org_a)["A3"] == Decimal("3000.00")
    # the separate confirmation deletes A3's November target
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm, {"scope": "whole", "confirm_whole": "1"})
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.result["deleted"] == 1 and job.result["replace_scope"] is True
    with org_a.scope():
        assert set(_targets(org_a)) == {"A1", "A2"}


def test_default_confirm_keeps_other_branches(org_a, client_as, django_capture_on_commit_callbacks):
    with org_a.scope():
        _seed_targets(org_a)
    client = client_as(org_a.users["mspec"])
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, xlsx(TWO_BRANCHES))
    with org_a.scope():
        job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.result["deleted"] == 0
    assert "删除 0 行" in client.get(reverse("reports:import_detail", args=[job.pk])).content.decode()
    with org_a.scope():
        assert _targets(org_a)["A3"] == Decimal("3000.00")


def test_roster_has_no_whole_scope_option(org_a):
    with org_a.scope():
        job = imports.import_create(tenant=org_a.tenant, kind=ImportKind.ROSTER, filename="r.xlsx",
                                    content=xlsx([["姓名", "分公司", "岗位", "入职日期"], ["张三", "A1", "销售", "2025-01-02"]]),
                                    actor=None)
        job = imports.import_validate(job=job)
        assert job.preview[0]["branch"] == "甲一分公司"
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            imports.import_confirm(job=job, actor=None, replace_scope=True)
