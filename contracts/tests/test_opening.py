"""The contract ledger's opening state (期初) and the price list's opening version (issue 21)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from contracts.models import (
    Contract,
    ContractEvent,
    ContractState,
    PriceList,
    PriceListConfirmation,
    PrintBatch,
)
from contracts.selectors_ledger import sell_through, usage, usage_totals
from contracts.services.requests import assess, figures_text
from marketing.onboarding import services
from marketing.onboarding.models import OpeningKind, OpeningStatus

from .helpers import approved_product, make_batch, make_request

pytestmark = pytest.mark.django_db
FRIDAY = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
AS_OF = dt.date(2026, 11, 20)
HEADER = ["合同编号", "产品", "状态", "分公司", "领取人", "入库日期", "派发日期", "领取日期", "签约日期", "作废日期"]


def xlsx(rows, header=HEADER, title=True) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append(["甲公司合同台账（截至 2026-11-20）"])
        ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ledger_rows(code):
    """A1: 10 contracts out there (2 dispatched, 3 received, 4 signed, 1 voided); 3 in stock."""
    rows = []
    n = 0

    def add(state, branch="", holder="", **dates):
        nonlocal n
        n += 1
        rows.append([f"QC-{n:06d}", code, state, branch, holder, dates.get("s", "2026-01-05"),
                     dates.get("d", ""), dates.get("r", ""), dates.get("g", ""), dates.get("v", "")])

    for _i in range(3):
        add("在库")
    for _i in range(2):
        add("已派发", "甲一分公司", d="2026-02-01")
    for _i in range(3):
        add("已领取", "甲一分公司", "甲一销售", d="2026-02-01", r="2026-02-03")
    for _i in range(4):
        add("客户已签", "甲一分公司", "已离职的王五", d="2026-02-01", r="2026-02-03", g="2026-03-01")
    add("回收作废", "甲一分公司", "甲一销售", d="2026-02-01", r="2026-02-03", v="2026-03-02")
    return rows


def upload(org, content, as_of=AS_OF, kind=OpeningKind.CONTRACTS, filename="台账期初.xlsx"):
    """The upload and its check task's body, in this process (the task path: onboarding tests)."""
    with org.scope():
        job = services.opening_create(tenant=org.tenant, kind=kind, filename=filename, content=content,
                                      as_of=as_of, actor=org.users["mspec"])
        return services.opening_check(job=job)


def confirm(org, job):
    """The confirm (claim) and the apply task's body."""
    with org.scope():
        return services.opening_apply(job=services.opening_confirm(job=job, actor=org.users["mspec"], enqueue=False))


@time_machine.travel(FRIDAY, tick=False)
def test_every_state_imported_with_dated_opening_events_and_exact_reconciliation(org_a):
    product = approved_product(org_a, code="QC")
    job = upload(org_a, xlsx(ledger_rows("QC")))
    assert job.status == OpeningStatus.READY, job.errors
    t = job.totals
    assert dict(t["per_state"]) == {"在库": 3, "已派发": 2, "已领取": 3, "客户已签": 4, "回收作废": 1}
    assert dict(t["per_branch"]) == {"总部": 3, "甲一分公司": 10}
    assert dict(t["per_product"]) == {"QC": 13} and t["new"] == 13 and t["unchanged"] == 0
    assert ["甲一分公司", [0, 2, 3, 4, 1], 10] in t["matrix"]
    job = confirm(org_a, job)
    assert job.status == OpeningStatus.DONE and job.result["new"] == 13
    with org_a.scope():
        assert Contract.objects.filter(tenant=org_a.tenant).count() == 13
        signed = Contract.objects.get(number="QC-000009")
        assert signed.state == ContractState.SIGNED and signed.holder_name == "已离职的王五"
        assert (signed.stocked_on, signed.dispatched_on, signed.received_on, signed.signed_on) == (
            dt.date(2026, 1, 5), dt.date(2026, 2, 1), dt.date(2026, 2, 3), dt.date(2026, 3, 1))
        path = list(signed.events.order_by("id").values_list("from_state", "to_state", "on", "note", "source"))
        assert path == [("", "in_stock", dt.date(2026, 1, 5), "期初", f"opening:{job.pk}"),
                        ("in_stock", "dispatched", dt.date(2026, 2, 1), "期初", f"opening:{job.pk}"),
                        ("dispatched", "received", dt.date(2026, 2, 3), "期初", f"opening:{job.pk}"),
                        ("received", "signed", dt.date(2026, 3, 1), "期初", f"opening:{job.pk}")]
        received = Contract.objects.get(number="QC-000006")
        assert received.holder == org_a.users["sales"]  # resolved to the salesperson of that branch
        assert Contract.objects.get(number="QC-000001").branch is None
        batches = PrintBatch.objects.filter(tenant=org_a.tenant, printer="期初")
        assert [(b.prefix, b.start, b.end) for b in batches] == [("QC-", 1, 13)]
        # 动销率 = 客户已签 4 ÷ (已派发 10 − 回收作废 1) = 0.4444 (S000-42)
        figures = sell_through(tenant=org_a.tenant, branch=org_a.branches["A1"], product=product)
        assert (figures["dispatched"], figures["signed"], figures["voided"], figures["rate"]) == (
            10, 4, 1, Decimal("0.4444"))
        # the weekly usage analysis (S000-47..53) counts them like any other contract
        total = usage_totals(usage(tenant=org_a.tenant, as_of=dt.date(2026, 11, 27)))
        assert (total["received"], total["signed"], total["voided"], total["remaining"], total["total"],
                total["in_use"]) == (8, 4, 1, 2, 10, 3)


@time_machine.travel(FRIDAY, tick=False)
def test_missing_dates_default_along_the_path_to_the_opening_date(org_a):
    approved_product(org_a, code="QC")
    job = confirm(org_a, upload(org_a, xlsx([["QC-1", "QC", "客户已签", "甲一分公司", "", "", "", "", "", ""],
                                             ["QC-2", "QC", "已派发", "甲一分公司", "", "2026-10-01", "", "", "", ""]])))
    assert job.status == OpeningStatus.DONE, job.errors
    with org_a.scope():
        c1, c2 = Contract.objects.get(number="QC-1"), Contract.objects.get(number="QC-2")
    assert {c1.stocked_on, c1.dispatched_on, c1.received_on, c1.signed_on} == {AS_OF}
    assert (c2.stocked_on, c2.dispatched_on) == (dt.date(2026, 10, 1), AS_OF)


@time_machine.travel(FRIDAY, tick=False)
def test_reimport_of_the_same_file_changes_nothing(org_a):
    approved_product(org_a, code="QC")
    content = xlsx(ledger_rows("QC"))
    confirm(org_a, upload(org_a, content))
    with org_a.scope():
        before = (Contract.objects.count(), ContractEvent.objects.count(), PrintBatch.objects.count())
    again = upload(org_a, content)
    assert again.status == OpeningStatus.READY and again.totals["new"] == 0 and again.totals["unchanged"] == 13
    again = confirm(org_a, again)
    assert again.status == OpeningStatus.DONE and again.result["new"] == 0
    with org_a.scope():
        assert (Contract.objects.count(), ContractEvent.objects.count(), PrintBatch.objects.count()) == before


@time_machine.travel(FRIDAY, tick=False)
def test_contracts_with_events_are_refused_per_row_and_nothing_is_written(org_a):
    product = approved_product(org_a, code="QC")
    make_batch(org_a, product, first="QC-000001", last="QC-000002")  # real history: 在库 events
    job = upload(org_a, xlsx(ledger_rows("QC")))
    assert job.status == OpeningStatus.INVALID and job.error_rows == 2
    assert [e["row"] for e in job.errors] == [4, 5]  # title, blank, header: data starts on row 4
    assert "已有流转记录" in job.errors[0]["messages"][0]
    with org_a.scope():
        assert Contract.objects.filter(tenant=org_a.tenant).count() == 2


@time_machine.travel(FRIDAY, tick=False)
def test_a_changed_row_of_an_imported_contract_is_refused(org_a):
    approved_product(org_a, code="QC")
    rows = ledger_rows("QC")
    confirm(org_a, upload(org_a, xlsx(rows)))
    rows[0][2] = "已派发"
    rows[0][3] = "甲一分公司"
    job = upload(org_a, xlsx(rows))
    assert job.status == OpeningStatus.INVALID and job.error_rows == 1 and job.errors[0]["row"] == 4


@time_machine.travel(FRIDAY, tick=False)
def test_row_errors_are_reported_per_row(org_a):
    approved_product(org_a, code="QC")
    job = upload(org_a, xlsx([
        ["QC-1", "QC", "已领取", "甲一分公司", "", "", "", "", "", ""],  # no holder
        ["QC-2", "QC", "在库", "甲一分公司", "", "", "", "", "", ""],  # 在库 with a branch
        ["QC-3", "NOPE", "在库", "", "", "", "", "", "", ""],  # unknown product
        ["QC-4", "QC", "丢了", "", "", "", "", "", "", ""],  # unknown state
        ["QC-5", "QC", "已领取", "甲一分公司", "甲二销售", "", "", "", "", ""],  # holder of another branch
        ["QC-6", "QC", "客户已签", "甲一分公司", "", "", "2026-03-01", "", "2026-02-01", ""],  # dates backwards
        ["QC-7", "QC", "在库", "", "", "2026-12-01", "", "", "", ""],  # after the opening date
        ["QC-8", "QC", "在库", "", "", "", "", "", "", ""],
        ["QC-8", "QC", "在库", "", "", "", "", "", "", ""],  # duplicate
        ["ABC", "QC", "在库", "", "", "", "", "", "", ""],  # no digits
    ]))
    assert job.status == OpeningStatus.INVALID
    assert [e["row"] for e in job.errors] == [4, 5, 6, 7, 8, 9, 10, 12, 13]
    assert "与第 11 行重复" in job.errors[7]["messages"][0]


def test_a_file_without_the_header_is_refused(org_a):
    job = upload(org_a, xlsx([["x"]], header=["编号", "名称"], title=False))
    assert job.status == OpeningStatus.INVALID and "找不到表头" in job.errors[0]["messages"][0]


@time_machine.travel(FRIDAY, tick=False)
def test_sell_through_says_opening_missing_instead_of_first_request(org_a):
    """Issue 21: until the opening import is done, an empty history is not 首次申领."""
    product = approved_product(org_a, code="QC")
    make_batch(org_a, product, first="QC-900001", last="QC-900050")
    doc = make_request(org_a, product, 10)
    with org_a.scope():
        a = assess(doc)
        assert a["first_request"] and not a["opening_pending"]  # a tenant that never used the checklist
        services.setup_start(tenant=org_a.tenant)
        a = assess(doc)
        assert a["opening_pending"] and not a["first_request"] and not a["passes"]
        assert "期初尚未导入" in figures_text(a)
    confirm(org_a, upload(org_a, xlsx(ledger_rows("QC"))))
    with org_a.scope():
        a = assess(doc)
        assert not a["opening_pending"] and a["rate"] == Decimal("0.4444") and a["dispatched"] == 10


@time_machine.travel(FRIDAY, tick=False)
def test_a_skipped_ledger_step_means_a_real_first_request(org_a):
    product = approved_product(org_a, code="QC")
    make_batch(org_a, product, first="QC-900001", last="QC-900050")
    doc = make_request(org_a, product, 10)
    with org_a.scope():
        services.setup_start(tenant=org_a.tenant)
        services.step_skip(tenant=org_a.tenant, actor=org_a.users["admin"], step="ledger", reason="新公司，无存量合同")
        a = assess(doc)
    assert a["first_request"] and a["passes"]


@time_machine.travel(FRIDAY, tick=False)
def test_command_imports_and_second_run_changes_nothing(org_a, tmp_path, capsys):
    approved_product(org_a, code="QC")
    path = tmp_path / "期初.xlsx"
    path.write_bytes(xlsx(ledger_rows("QC")))
    call_command("import_contract_opening", "--tenant", "alpha", "--as-of", "2026-11-20", str(path))
    assert "13 new, 0 unchanged" in capsys.readouterr().out
    call_command("import_contract_opening", "--tenant", "alpha", "--as-of", "2026-11-20", str(path))
    assert "0 new, 13 unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["QC-1", "QC", "丢了", "", "", "", "", "", "", ""]]))
    with pytest.raises(CommandError, match="1 error row"):
        call_command("import_contract_opening", "--tenant", "alpha", str(bad))


def test_another_tenants_opening_job_is_404_and_other_roles_403(org_a, org_b, client_as):
    job_b = upload(org_b, xlsx([]))
    assert client_as(org_a.users["admin"]).get(f"/m/setup/opening/{job_b.pk}/").status_code == 404
    job_a = upload(org_a, xlsx([]))
    assert client_as(org_a.users["admin"]).get(f"/m/setup/opening/{job_a.pk}/").status_code == 200
    assert client_as(org_a.users["sales"]).get(f"/m/setup/opening/{job_a.pk}/").status_code == 403
    assert client_as(org_a.users["sales"]).get("/m/setup/opening/contracts/").status_code == 403


@time_machine.travel(FRIDAY, tick=False)
def test_browser_upload_preview_and_confirm(org_a, client_as, django_assert_max_num_queries,
                                            django_capture_on_commit_callbacks):
    """The check and the apply run as Celery tasks after commit (eager in tests)."""
    approved_product(org_a, code="QC")
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_as(org_a.users["mspec"])
    assert c.get("/m/setup/opening/template/contracts/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/m/setup/opening/contracts/", {"as_of": "2026-11-20", "file": SimpleUploadedFile(
            "台账.xlsx", xlsx(ledger_rows("QC")))})
    assert r.status_code == 302
    detail = r["Location"]
    with django_assert_max_num_queries(12):
        page = c.get(detail)
    text = page.content.decode()
    assert "核对合计" in text and "确认导入" in text
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(detail + "confirm/")
    assert r.status_code == 302
    with org_a.scope():
        assert Contract.objects.filter(tenant=org_a.tenant).count() == 13


# --- price list opening version -------------------------------------------------------------


def pricelist_xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "明细"
    ws.append(["产品体系报价表 2026 版"])
    ws.append(["产品代码", "车辆级别", "期限（月）", "价格"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@time_machine.travel(FRIDAY, tick=False)
def test_price_list_becomes_the_first_published_version_without_confirmation_round(org_a, mailoutbox):
    approved_product(org_a, code="QC")
    content = pricelist_xlsx([["QC", "A级", 12, 1280], ["QC", "A级", 24, "2,380.00"]])
    job = upload(org_a, content, as_of=dt.date(2026, 7, 1), kind=OpeningKind.PRICE_LIST, filename="报价表.xlsx")
    assert job.status == OpeningStatus.READY, job.errors
    assert dict(job.totals["per_product"]) == {"QC": 2}
    job = confirm(org_a, job)
    assert job.status == OpeningStatus.DONE and job.result["changed"]
    with org_a.scope():
        pl = PriceList.objects.get(tenant=org_a.tenant)
        assert (pl.status, pl.version, pl.effective_on) == ("published", 1, dt.date(2026, 7, 1))
        assert sorted(pl.entries.values_list("term_months", "price")) == [(12, Decimal("1280.00")),
                                                                          (24, Decimal("2380.00"))]
        assert not PriceListConfirmation.objects.filter(price_list=pl).exists()
    assert not mailoutbox
    again = confirm(org_a, upload(org_a, content, as_of=dt.date(2026, 7, 1), kind=OpeningKind.PRICE_LIST,
                                  filename="报价表.xlsx"))
    assert again.status == OpeningStatus.DONE and not again.result["changed"]
    changed = upload(org_a, pricelist_xlsx([["QC", "A级", 12, 999]]), as_of=dt.date(2026, 7, 1),
                     kind=OpeningKind.PRICE_LIST, filename="报价表.xlsx")
    refused = confirm(org_a, changed)
    assert refused.status == OpeningStatus.INVALID and "期初版本只能导入一次" in refused.errors[0]["messages"][0]


@time_machine.travel(FRIDAY, tick=False)
def test_price_list_opening_row_errors_and_future_date(org_a):
    approved_product(org_a, code="QC")
    job = upload(org_a, pricelist_xlsx([["QC", "A级", 12, 1280], ["ZZ", "A级", 12, 1]]), as_of=dt.date(2026, 7, 1),
                 kind=OpeningKind.PRICE_LIST, filename="报价表.xlsx")
    assert job.status == OpeningStatus.INVALID and job.errors[0]["row"] == 4
    job = upload(org_a, pricelist_xlsx([["QC", "A级", 12, 1280]]), as_of=dt.date(2026, 12, 31),
                 kind=OpeningKind.PRICE_LIST, filename="报价表.xlsx")
    job = confirm(org_a, job)
    assert job.status == OpeningStatus.INVALID and "不能是将来的日期" in job.errors[0]["messages"][0]


@time_machine.travel(FRIDAY, tick=False)
def test_confirm_rechecks_and_a_late_bad_row_rolls_back_written_chunks(org_a, monkeypatch):
    """The confirm checks and writes in one pass; a row that turned bad since the preview (its
    number now has a history) makes the whole file INVALID and leaves nothing written."""
    from contracts import opening

    monkeypatch.setattr(opening, "CHUNK", 3)  # several chunks are written before the bad row is met
    product = approved_product(org_a, code="QC")
    job = upload(org_a, xlsx(ledger_rows("QC")))
    assert job.status == OpeningStatus.READY
    make_batch(org_a, product, first="QC-000013", last="QC-000013")  # the file's last number, meanwhile
    job = confirm(org_a, job)
    assert job.status == OpeningStatus.INVALID and [e["row"] for e in job.errors] == [16]
    with org_a.scope():
        assert list(Contract.objects.filter(tenant=org_a.tenant).values_list("number", flat=True)) == ["QC-000013"]
        assert not PrintBatch.objects.filter(tenant=org_a.tenant, printer="期初").exists()
        assert not ContractEvent.objects.filter(tenant=org_a.tenant, source__startswith="opening:").exists()


@time_machine.travel(FRIDAY, tick=False)
def test_price_list_opening_through_the_pages(org_a, client_as, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    approved_product(org_a, code="QC")
    c = client_as(org_a.users["admin"])
    assert c.get("/m/setup/opening/template/price_list/").status_code == 200
    assert c.get("/m/setup/opening/template/nope/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/m/setup/opening/price-list/", {"as_of": "2026-07-01", "file": SimpleUploadedFile(
            "报价表.xlsx", pricelist_xlsx([["QC", "A级", 12, 1280]]))})
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert "QC：1" in page and "确认导入" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(r["Location"] + "confirm/").status_code == 302
    with org_a.scope():
        assert PriceList.objects.get(tenant=org_a.tenant).status == "published"
    assert client_as(org_a.users["sales"]).get("/m/setup/opening/price-list/").status_code == 403
