"""Files people upload (issue 9): every import ends in a clear state -- never stuck in 校验中,
never a 500, commands exit non-zero with a message; a lying <dimension> never imports less
than the file holds; uploaded files are encrypted at rest and deleted after the retention
period; roster phones are ciphertext in the database."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers import importer as customer_importer
from marketing.crypto import MAGIC
from marketing.tests.test_xlsx import BASE, HEAD, SHEET, TAIL, blank_rows, with_sheet
from reports import imports, maintenance, tasks
from reports.models import Collection, ImportJob, ImportKind, ImportStatus, MonthlyTarget, RosterEntry

from .helpers import xlsx

COLL, TARGETS, ROSTER = ImportKind.COLLECTIONS, ImportKind.TARGETS, ImportKind.ROSTER


def _job(org, content, kind=TARGETS, filename="t.xlsx"):
    job = imports.import_create(tenant=org.tenant, kind=kind, filename=filename, content=content, actor=None)
    return imports.import_validate(job=job)


@pytest.mark.parametrize("amount", ["1E+30", 1e30, "1e400", "NaN", "-0.001", "9" * 60])
def test_huge_or_odd_amounts_are_row_errors_not_a_stuck_job(org_a, amount):
    with org_a.scope():
        job = _job(org_a, xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", amount]]))
    assert job.status == ImportStatus.INVALID
    assert job.errors[0]["row"] == 2 and "金额" in job.errors[0]["messages"][0]


def test_truncated_or_non_xlsx_file_ends_invalid_with_a_message(org_a):
    good = xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 1]])
    with org_a.scope():
        for content in (good[: len(good) // 2], b"\xd0\xcf\x11\xe0 old xls", b"a,b\n1,2"):
            job = _job(org_a, content)
            assert job.status == ImportStatus.INVALID and job.finished_at is not None
            assert job.errors[0]["row"] is None and job.errors[0]["messages"][0]


def test_zip_bomb_upload_is_refused_cleanly(org_a, client_as, django_capture_on_commit_callbacks):
    bomb = with_sheet(xlsx([["月份", "分公司", "目标金额"]]), blank_rows(15_000_000))
    client = client_as(org_a.users["mspec"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("reports:imports"), {"kind": "targets", "file": SimpleUploadedFile("t.xlsx", bomb)})
    with org_a.scope():
        job = ImportJob.objects.get()
    assert job.status == ImportStatus.INVALID
    assert "解压后超过 60 MB" in job.errors[0]["messages"][0]
    page = client.get(r.url)
    assert page.status_code == 200 and "解压后超过 60 MB" in page.content.decode()


def test_unexpected_error_in_validation_ends_failed(org_a, client_as, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(imports, "parse_file", boom)
    with org_a.scope():
        job = _job(org_a, xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 1]]))
    assert job.status == ImportStatus.FAILED and not job.is_running and job.finished_at
    assert "处理文件时出错（RuntimeError）" in job.errors[0]["messages"][0]
    page = client_as(org_a.users["mspec"]).get(reverse("reports:import_detail", args=[job.pk]))
    assert page.status_code == 200 and "处理失败" in page.content.decode()
    progress = client_as(org_a.users["mspec"]).get(reverse("reports:import_progress", args=[job.pk]))
    assert progress.status_code == 286  # the page stops polling


def test_unexpected_error_in_apply_rolls_back_and_ends_failed(org_a, monkeypatch):
    with org_a.scope():
        job = _job(org_a, xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 1], ["2026-11", "A2", 2]]))
        imports.import_confirm(job=job, actor=None)
        real = imports.apply_rows

        def half_then_boom(**kwargs):
            real(**kwargs)
            raise RuntimeError("disk full")

        monkeypatch.setattr(imports, "apply_rows", half_then_boom)
        job = imports.import_apply(job=ImportJob.objects.get(pk=job.pk))
        assert job.status == ImportStatus.FAILED
        assert not MonthlyTarget.objects.exists()  # the writes were rolled back


def test_commands_print_an_error_and_fail_on_a_corrupt_file_or_a_bug(org_a, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_targets", "--tenant", "alpha", str(bad))
    assert "file: 文件类型不正确" in capsys.readouterr().err
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 1]]))
    monkeypatch.setattr(imports, "apply_rows", lambda **kw: 1 / 0)
    with pytest.raises(CommandError, match="import failed, nothing imported: ZeroDivisionError"):
        call_command("import_targets", "--tenant", "alpha", str(good))


def _lying_dimension(rows: int) -> bytes:
    """Header + ``rows`` data rows, while <dimension> claims A1:C3."""
    def write(fh):
        fh.write(HEAD.replace(b"<sheetData>", b'<dimension ref="A1:C3"/><sheetData>'))
        fh.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe6\x97\xa5\xe6\x9c\x9f</t></is></c>'  # 日期
                 b'<c r="B1" t="inlineStr"><is><t>branch</t></is></c><c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>')
        for i in range(rows):
            r = i + 2
            fh.write(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>2026-11-%02d</t></is></c>'
                     b'<c r="B%d" t="inlineStr"><is><t>A1</t></is></c><c r="C%d"><v>%d</v></c></row>'
                     % (r, r, 1 + i % 28, r, r, i + 1) if i < 28 else
                     b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>2026-10-%02d</t></is></c>'
                     b'<c r="B%d" t="inlineStr"><is><t>A1</t></is></c><c r="C%d"><v>%d</v></c></row>'
                     % (r, r, 1 + i - 28, r, r, i + 1))
        fh.write(TAIL)
    return with_sheet(BASE, write)


def test_a_sheet_claiming_a1_c3_but_holding_40_rows_imports_40(org_a):
    content = _lying_dimension(40)
    assert b'ref="A1:C3"' in zipfile.ZipFile(io.BytesIO(content)).read(SHEET)
    with org_a.scope():
        result, outcome = imports.import_file_now(tenant=org_a.tenant, kind=COLL, filename="c.xlsx", content=content)
        assert result.ok and result.total == 40 and outcome["created"] == 40
        assert Collection.objects.count() == 40
        assert sum(Collection.objects.values_list("amount", flat=True)) == Decimal(sum(range(1, 41)))


def test_customer_import_uses_the_bounded_reader(org_a, client_as):
    """Same reader for the customer archive import: a bomb is a form error (never a 500) and
    a lying <dimension> does not hide rows."""
    header = "".join(f'<c r="{col}1" t="inlineStr"><is><t>{label}</t></is></c>'
                     for col, (_k, label) in zip("ABCDEFGHIJK", customer_importer.COLUMNS, strict=False))

    def write(fh):
        fh.write(HEAD.replace(b"<sheetData>", b'<dimension ref="A1:C3"/><sheetData>'))
        fh.write(f'<row r="1">{header}</row>'.encode())
        for r in range(2, 42):
            fh.write(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>客户{r}</t></is></c></row>'.encode())
        fh.write(TAIL)
    with org_a.scope():
        rows = customer_importer.parse_rows(tenant=org_a.tenant, content=with_sheet(BASE, write))
    assert len(rows) == 40 and rows[-1]["line"] == 41
    bomb = with_sheet(BASE, blank_rows(15_000_000))
    junk = io.BytesIO(bomb)
    junk.name = "bomb.xlsx"
    r = client_as(org_a.users["mdirector"]).post(reverse("customers:import"), {"file": junk})
    assert r.status_code == 200 and "解压后超过 60 MB" in r.content.decode()
    with org_a.scope(), pytest.raises(ValidationError, match="文件已损坏"):
        customer_importer.import_preview(tenant=org_a.tenant, actor=org_a.users["mdirector"], file_name="x.xlsx",
                                         content=with_sheet(BASE, lambda fh: fh.write(HEAD + b"<row><c><v>1</v></c><row")))


def test_uploaded_file_is_encrypted_and_roster_phones_are_ciphertext(org_a):
    content = xlsx([["姓名", "分公司", "岗位", "入职日期", "手机"], ["张三", "A1", "销售", "2025-01-02", "13812345678"]])
    with org_a.scope():
        job = _job(org_a, content, kind=ROSTER, filename="r.xlsx")
        stored = bytes(ImportJob.objects.get(pk=job.pk).content)
        assert stored.startswith(MAGIC) and stored != content and content not in stored
        assert imports.job_content(job) == content
        assert job.preview[0]["phone"] == "138****5678"  # the preview keeps no full number
        imports.import_confirm(job=job, actor=None)
        assert imports.import_apply(job=ImportJob.objects.get(pk=job.pk)).status == ImportStatus.DONE
        assert RosterEntry.objects.get().phone == "13812345678"
        with connection.cursor() as cursor:
            cursor.execute("SELECT phone FROM reports_rosterentry")
            (raw,) = cursor.fetchone()
        assert raw.startswith("v1:") and "13812345678" not in raw
        # a second identical import is recognised as unchanged despite the random nonces
        again = _job(org_a, content, kind=ROSTER, filename="r.xlsx")
        imports.import_confirm(job=again, actor=None)
        assert imports.import_apply(job=ImportJob.objects.get(pk=again.pk)).result["changed"] is False


def test_files_are_deleted_after_the_retention_period(org_a, org_b, settings):
    settings.IMPORT_FILE_RETENTION_DAYS = 7
    content = xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 1]])
    with org_a.scope():
        old_done = _job(org_a, content)
        imports.import_confirm(job=old_done, actor=None)
        imports.import_apply(job=ImportJob.objects.get(pk=old_done.pk))
        old_ready, fresh = _job(org_a, content), _job(org_a, content)
        eight_days_ago = timezone.now() - dt.timedelta(days=8)
        ImportJob.objects.filter(pk__in=[old_done.pk, old_ready.pk]).update(created_at=eight_days_ago)
    with org_b.scope():
        other = imports.import_create(tenant=org_b.tenant, kind=TARGETS, filename="b.xlsx", content=content, actor=None)
        ImportJob.objects.filter(pk=other.pk).update(created_at=eight_days_ago, status=ImportStatus.DONE)
    assert tasks.purge_import_files() == {"stale": 0, "purged": 3}
    with org_a.scope():
        done, ready, kept = (ImportJob.objects.get(pk=j.pk) for j in (old_done, old_ready, fresh))
        assert bytes(done.content) == b"" and done.file_purged_at and done.status == ImportStatus.DONE
        assert done.preview == [] and done.result["created"] == 1  # what happened stays visible
        assert ready.status == ImportStatus.FAILED and "保留期限（7 天）" in ready.errors[0]["messages"][0]
        assert kept.file_purged_at is None and bytes(kept.content).startswith(MAGIC)
        assert MonthlyTarget.objects.get().amount == Decimal("1.00")  # imported data is not touched
        with pytest.raises(ValidationError):
            imports.import_confirm(job=ready, actor=None)
    assert tasks.purge_import_files() == {"stale": 0, "purged": 0}


def test_a_job_left_running_by_a_dead_worker_ends_failed(org_a):
    with org_a.scope():
        job = imports.import_create(tenant=org_a.tenant, kind=TARGETS, filename="t.xlsx",
                                    content=xlsx([["月份", "分公司", "目标金额"]]), actor=None)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING,
                                                   heartbeat_at=timezone.now() - dt.timedelta(minutes=31))
        busy = imports.import_create(tenant=org_a.tenant, kind=TARGETS, filename="t.xlsx",
                                     content=xlsx([["月份", "分公司", "目标金额"]]), actor=None)
        ImportJob.objects.filter(pk=busy.pk).update(status=ImportStatus.VALIDATING, heartbeat_at=timezone.now())
        assert maintenance.purge_import_files(tenant=org_a.tenant) == {"stale": 1, "purged": 0}
        job.refresh_from_db()
        busy.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "处理中断" in job.errors[0]["messages"][0]
    assert busy.status == ImportStatus.VALIDATING


def test_purge_is_scheduled():
    from marketing.celery import app

    entry = app.conf.beat_schedule["reports-purge-import-files"]
    assert entry["task"] == "reports.tasks.purge_import_files"


def test_migration_encrypts_what_was_stored_in_plain_text(org_a):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("reports.migrations.0003_import_files_encrypted_and_failed_state")
    plain = xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 1]])
    with org_a.scope():
        job = imports.import_create(tenant=org_a.tenant, kind=TARGETS, filename="t.xlsx", content=plain, actor=None)
        RosterEntry.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], name="张三", position="销售",
                                   hire_date=dt.date(2025, 1, 2), phone="13800000000")
    with connection.cursor() as cursor:  # what an older version of the app wrote
        cursor.execute("UPDATE reports_rosterentry SET phone = %s", ["13800000000"])
    ImportJob._base_manager.filter(pk=job.pk).update(content=plain)

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.encrypt_existing(apps, editor)
    with org_a.scope():
        assert RosterEntry.objects.get().phone == "13800000000"
        assert bytes(ImportJob.objects.get(pk=job.pk).content).startswith(MAGIC)
        assert imports.job_content(ImportJob.objects.get(pk=job.pk)) == plain
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM reports_rosterentry")
        assert cursor.fetchone()[0].startswith("v1:")
