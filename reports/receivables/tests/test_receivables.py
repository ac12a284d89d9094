"""Receivables (应收账款): S001-07 (collected promptly, doubtful/bad debts flagged and chased)
and S003-22 (the meeting reviews receivables collection: the ageing report per branch and
salesperson)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from marketing.models import AuditEvent, Branch
from marketing.notifications.models import Message
from reports.models import ImportStatus
from reports.receivables import imports, services
from reports.receivables.demo import sheet
from reports.receivables.models import CollectionAction, Receivable, ReceivableImport, ReceivableStatus
from reports.receivables.selectors import ageing

AS_OF = dt.date(2026, 11, 30)
D = Decimal


def _line(org, code, doc, amount, overdue_days, received="0", salesperson="sales", flag="", status="open"):
    return Receivable.objects.create(
        tenant=org.tenant, branch=org.branches[code], document=doc, debtor_name=f"客户{doc}",
        salesperson=org.users[salesperson] if salesperson else None, amount=D(amount), received=D(received),
        due_date=AS_OF - dt.timedelta(days=overdue_days), flag=flag, status=status)


def _seed_buckets(org):
    """Edges of every bucket, flagged and settled lines, in A1 (sales) and A2 (sales2)."""
    _line(org, "A1", "N1", "1000", -5, received="200")   # not yet due: 800
    _line(org, "A1", "N2", "500", 0)                      # due today: not yet due, 500
    _line(org, "A1", "B1", "300", 1)                      # 1-30
    _line(org, "A1", "B30", "100", 30)                    # 1-30
    _line(org, "A1", "B31", "50", 31, received="10")      # 31-60: 40
    _line(org, "A1", "B60", "60", 60)                     # 31-60
    _line(org, "A1", "B61", "70", 61)                     # 61-90
    _line(org, "A2", "B90", "90", 90, salesperson="sales2")     # 61-90
    _line(org, "A2", "B91", "91", 91, salesperson="sales2")     # 91-180
    _line(org, "A2", "B180", "180", 180, salesperson="sales2")  # 91-180
    _line(org, "A2", "B181", "181.50", 181, salesperson="sales2")  # over 180
    _line(org, "A1", "DBT", "2000", 200, received="500", flag="doubtful")  # doubtful: 1500, not in a bucket
    _line(org, "A2", "BAD", "3000", 400, flag="bad", salesperson="sales2")  # bad: 3000
    _line(org, "A1", "SET", "999", 100, received="999", status="settled")  # settled: not counted
    _line(org, "A3", "A3X", "777", 10, salesperson=None)  # another branch (reach)


def test_S001_07_ageing_buckets_exact_figures(org_a):
    with org_a.scope():
        _seed_buckets(org_a)
        report = ageing(tenant=org_a.tenant, branches=Branch.objects.filter(tenant=org_a.tenant), as_of=AS_OF)
    rows = {r.label: r.figures for r in report.branches}
    assert rows["甲一分公司"] == {"current": D("1300.00"), "d1_30": D("400.00"), "d31_60": D("100.00"),
                                "d61_90": D("70.00"), "d91_180": D("0.00"), "d180p": D("0.00"),
                                "doubtful": D("1500.00"), "bad": D("0.00"), "total": D("3370.00")}
    assert rows["甲二分公司"] == {"current": D("0.00"), "d1_30": D("0.00"), "d31_60": D("0.00"),
                                "d61_90": D("90.00"), "d91_180": D("271.00"), "d180p": D("181.50"),
                                "doubtful": D("0.00"), "bad": D("3000.00"), "total": D("3542.50")}
    assert rows["甲三分公司"]["d1_30"] == D("777.00")
    assert report.total.figures["total"] == D("3370.00") + D("3542.50") + D("777.00")
    assert report.total.lines == 14  # the settled line is not counted
    people = {r.label: r.figures["total"] for r in report.salespeople}
    assert people == {"甲一销售（甲一分公司）": D("3370.00"), "甲二销售（甲二分公司）": D("3542.50"),
                      "—（甲三分公司）": D("777.00")}


def test_S003_22_ageing_page_reach_branch_gm_sees_own_branch(org_a, client_as):
    with org_a.scope():
        _seed_buckets(org_a)
    body = client_as(org_a.users["bgm"]).get(reverse("receivables:ageing"), {"as_of": "2026-11-30"}).content.decode()
    assert "甲一分公司" in body and "3370.00" in body
    assert "甲二分公司" not in body and "甲三分公司" not in body
    body = client_as(org_a.users["finance"]).get(reverse("receivables:ageing"), {"as_of": "2026-11-30"}).content.decode()
    assert "甲二分公司" in body and "3542.50" in body and "甲三分公司" in body
    body = client_as(org_a.users["gm"]).get(reverse("receivables:ageing"), {"as_of": "2026-11-30"}).content.decode()
    assert "3542.50" in body
    assert client_as(org_a.users["sales"]).get(reverse("receivables:ageing")).status_code == 403
    assert client_as(org_a.users["hr"]).get(reverse("receivables:ageing")).status_code == 403


def test_ageing_defaults_to_today_in_tenant_zone_and_refuses_bad_date(org_a, client_as):
    from django.utils import timezone

    client = client_as(org_a.users["finance"])
    response = client.get(reverse("receivables:ageing"))
    with org_a.scope():
        assert response.context["as_of"] == timezone.localdate()
    response = client.get(reverse("receivables:ageing"), {"as_of": "3000-01-01"})
    assert response.status_code == 200 and "日期格式不正确" in response.content.decode()


def test_ageing_query_count_does_not_grow_with_lines(org_a, client_as, django_assert_max_num_queries):
    client = client_as(org_a.users["finance"])
    with org_a.scope():
        _seed_buckets(org_a)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("receivables:ageing"), {"as_of": "2026-11-30"})
    with org_a.scope():
        for i in range(60):
            _line(org_a, ("A1", "A2", "A3")[i % 3], f"X{i}", "10", i * 7, salesperson=("sales", "sales2", None)[i % 3])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("receivables:ageing"), {"as_of": "2026-11-30"})
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("receivables:ageing"), {"as_of": "2026-11-30", "format": "xlsx"})


def test_ageing_report_is_one_grouped_query(org_a, django_assert_num_queries):
    with org_a.scope():
        _seed_buckets(org_a)
        with django_assert_num_queries(1):
            ageing(tenant=org_a.tenant, branches=Branch.objects.filter(tenant=org_a.tenant), as_of=AS_OF)


def test_ageing_xlsx_is_formula_safe_with_exact_figures(org_a, client_as):
    with org_a.scope():
        _seed_buckets(org_a)
        Receivable.objects.filter(document="A3X").update(salesperson_name="=HYPERLINK(\"http://x\")")
    response = client_as(org_a.users["finance"]).get(reverse("receivables:ageing"),
                                                       {"as_of": "2026-11-30", "format": "xlsx"})
    wb = load_workbook(io.BytesIO(response.content))
    by_branch = {row[0].value: row for row in wb["按分公司"].iter_rows(min_row=3)}
    assert by_branch["甲二分公司"][9].value == 3542.5  # J: 未收合计
    assert by_branch["合计"][10].value == 14  # K: 笔数
    cells = [row[0] for row in wb["按销售"].iter_rows(min_row=3)]
    hyper = next(c for c in cells if str(c.value).startswith("="))
    assert hyper.data_type == "s"


# --- import -------------------------------------------------------------------------------

HEADER = ["客户/单位", "发票或合同号", "金额", "到期日", "已收金额", "分公司", "销售"]


def test_import_title_rows_totals_and_synonyms(org_a):
    content = sheet([["上海某4S店", "FP001", "1,200.00", "2026-12-31", "", "甲一分公司", "甲一销售"],
                     ["杭州某公司", "HT-9", 500, dt.date(2026, 10, 1), 100, "A2", "不在系统的人"],
                     ["合计", "", 1700, "", 100, "", ""]], title="2026年11月应收账款明细")
    with org_a.scope():
        result, outcome = imports.import_file_now(tenant=org_a.tenant, filename="r.xlsx", content=content)
        assert result.ok, result.errors
        assert result.header_row == 2 and result.skipped == [5]
        assert outcome == {"changed": True, "created": 2, "updated": 0, "unchanged": 0}
        fp = Receivable.objects.get(document="FP001")
        assert fp.amount == D("1200.00") and fp.received == D("0.00") and fp.salesperson == org_a.users["sales"]
        ht = Receivable.objects.get(document="HT-9")
        assert ht.salesperson is None and ht.salesperson_name == "不在系统的人" and ht.branch.code == "A2"


@pytest.mark.parametrize(("row", "text"), [
    (["", "D1", 1, "2026-12-01", 0, "A1", ""], "客户/单位为空"),
    (["c", "", 1, "2026-12-01", 0, "A1", ""], "发票或合同号为空"),
    (["c", "D1", "一百", "2026-12-01", 0, "A1", ""], "金额不是数字"),
    (["c", "D1", 1, "2026-13-01", 0, "A1", ""], "到期日格式不正确"),
    (["c", "D1", 1, "2026-12-01", 5, "A1", ""], "大于金额"),
    (["c", "D1", 1, "2026-12-01", -1, "A1", ""], "已收金额不能为负数"),
    (["c", "D1", 1, "2026-12-01", 0, "火星分公司", ""], "未知的分公司"),
    (["c", "GOOD", 1, "2026-12-01", 0, "A1", ""], "与第 2 行重复"),
])
def test_import_any_bad_row_imports_nothing(org_a, row, text):
    content = sheet([["ok", "GOOD", 10, "2026-12-01", 0, "A1", ""], row])
    with org_a.scope():
        result, outcome = imports.import_file_now(tenant=org_a.tenant, filename="r.xlsx", content=content)
        assert outcome is None and result.rows == []
        assert {e["row"]: " ".join(e["messages"]) for e in result.errors}[3].count(text) == 1
        assert not Receivable.objects.exists()


def test_import_missing_column_and_wrong_type(org_a):
    with org_a.scope():
        result = imports.parse_file(tenant=org_a.tenant, filename="r.xlsx",
                                    content=_plain([["客户/单位", "金额", "分公司"], ["a", 1, "A1"]]))
        assert "缺少必需的列：发票或合同号、到期日" in result.errors[0]["messages"][0]
        assert "文件类型不正确" in imports.parse_file(tenant=org_a.tenant, filename="r.csv", content=b"x").errors[0]["messages"][0]


def _plain(rows):
    from reports.tests.helpers import xlsx

    return xlsx(rows)


def test_S001_07_reimport_is_idempotent_and_keeps_flag_and_actions(org_a):
    rows = [["甲客户", "FP1", 1000, "2026-10-01", 0, "A1", "甲一销售"], ["乙客户", "FP2", 2000, "2026-11-01", 0, "A2", ""]]
    with org_a.scope():
        imports.import_file_now(tenant=org_a.tenant, filename="r.xlsx", content=sheet(rows))
        fp1 = Receivable.objects.get(document="FP1")
        services.receivable_flag(receivable=fp1, actor=org_a.users["finance"], flag="doubtful", reason="客户停业")
        services.collection_action_add(receivable=fp1, actor=org_a.users["sales"], action="上门催收",
                                       owner=org_a.users["sales"], action_date=dt.date(2026, 11, 20))
        _result, outcome = imports.import_file_now(tenant=org_a.tenant, filename="r.xlsx", content=sheet(rows))
        assert outcome == {"changed": False, "created": 0, "updated": 0, "unchanged": 2}
        rows[0][4] = 1000  # finance recorded the payment
        _result, outcome = imports.import_file_now(tenant=org_a.tenant, filename="r.xlsx", content=sheet(rows[:1]))
        assert outcome == {"changed": True, "created": 0, "updated": 1, "unchanged": 0}
        fp1.refresh_from_db()
        assert fp1.status == ReceivableStatus.SETTLED and fp1.flag == "doubtful" and fp1.flag_reason == "客户停业"
        assert CollectionAction.objects.filter(receivable=fp1).count() == 1
        assert Receivable.objects.count() == 2  # FP2, absent from the second file, is kept


def test_import_pages_upload_preview_confirm(org_a, org_b, client_as, django_capture_on_commit_callbacks):
    client = client_as(org_a.users["finance"])
    assert client.get(reverse("receivables:import_template")).status_code == 200
    content = sheet([["甲客户", "FP1", 1000, "2026-10-01", 0, "A1", "甲一销售"]], title="应收账款")
    upload = io.BytesIO(content)
    upload.name = "应收.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("receivables:imports"), {"file": upload})
    with org_a.scope():
        job = ReceivableImport.objects.get()
    assert response.status_code == 302 and job.status == ImportStatus.READY
    assert job.preview[0]["document"] == "FP1" and job.preview[0]["change"] == "new"
    assert job.result["plan"] == {"created": 1, "updated": 0, "unchanged": 0}
    with org_a.scope():
        assert not Receivable.objects.exists()  # nothing before the confirm
    page = client.get(reverse("receivables:import_detail", kwargs={"pk": job.pk})).content.decode()
    assert "FP1" in page and "确认导入" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("receivables:import_confirm", kwargs={"pk": job.pk}))
    with org_a.scope():
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE and Receivable.objects.count() == 1
    response = client.post(reverse("receivables:import_confirm", kwargs={"pk": job.pk}), follow=True)
    assert "不能确认导入" in response.content.decode()
    assert client_as(org_b.users["allroles"]).get(
        reverse("receivables:import_detail", kwargs={"pk": job.pk})).status_code == 404
    assert client_as(org_a.users["bgm"]).get(reverse("receivables:imports")).status_code == 403


def test_import_stale_branch_at_confirm_imports_nothing(org_a):
    content = sheet([["甲客户", "FP1", 1000, "2026-10-01", 0, "临时分公司", ""]])
    with org_a.scope():
        branch = Branch.objects.create(tenant=org_a.tenant, region=org_a.regions["RA1"], code="TMP", name="临时分公司")
        job = imports.import_create(tenant=org_a.tenant, filename="r.xlsx", content=content,
                                    actor=org_a.users["finance"], schedule=False)
        job = imports.import_validate(job=job)
        assert job.status == ImportStatus.READY
        job = imports.import_confirm(job=job, actor=org_a.users["finance"], schedule=False)
        branch.delete()
        job = imports.import_apply(job=job)
        assert job.status == ImportStatus.INVALID and not Receivable.objects.exists()


# --- flag and collection actions ----------------------------------------------------------------


def test_S001_07_flag_needs_reason_and_records_who_when_why(org_a):
    with org_a.scope():
        row = _line(org_a, "A1", "F1", "1000", 200)
        with pytest.raises(ValidationError) as exc:
            services.receivable_flag(receivable=row, actor=org_a.users["finance"], flag="bad", reason="  ")
        assert exc.value.code == "reason_required"
        row.refresh_from_db()
        assert row.flag == "" and row.flag_by is None
        services.receivable_flag(receivable=row, actor=org_a.users["finance"], flag="bad", reason="法院判决无财产可执行")
        row.refresh_from_db()
        assert (row.flag, row.flag_by, row.flag_reason) == ("bad", org_a.users["finance"], "法院判决无财产可执行")
        assert row.flag_at is not None
        event = AuditEvent.objects.get(verb="receivables.flag", object_id=str(row.pk))
        assert event.before["flag"] == "" and event.after["flag"] == "bad"
        told = set(Message.objects.filter(kind="receivables.flagged").values_list("user__username", flat=True))
        assert org_a.users["sales"].username in told and org_a.users["bgm"].username in told
        with pytest.raises(ValidationError):
            services.receivable_flag(receivable=row, actor=org_a.users["finance"], flag="bad", reason="again")


def test_flag_view_rights_and_form_error(org_a, org_b, client_as):
    with org_a.scope():
        row = _line(org_a, "A1", "F1", "1000", 200)
    url = reverse("receivables:flag", kwargs={"pk": row.pk})
    response = client_as(org_a.users["finance"]).post(url, {"flag": "doubtful", "reason": ""})
    assert response.status_code == 400 and "请填写认定理由" in response.content.decode()
    assert client_as(org_a.users["bgm"]).post(url, {"flag": "doubtful", "reason": "x"}).status_code == 403
    assert client_as(org_b.users["allroles"]).post(url, {"flag": "doubtful", "reason": "x"}).status_code == 404
    with org_a.scope():
        row.refresh_from_db()
        assert row.flag == ""
    assert client_as(org_a.users["finance"]).post(url, {"flag": "doubtful", "reason": "停业"}).status_code == 302
    with org_a.scope():
        row.refresh_from_db()
        assert row.flag == "doubtful"


def test_S001_07_collection_action_by_branch_gm_within_reach(org_a, client_as):
    with org_a.scope():
        own = _line(org_a, "A1", "C1", "1000", 40)
        other = _line(org_a, "A2", "C2", "1000", 40, salesperson="sales2")
    client = client_as(org_a.users["bgm"])
    data = {"action": "电话催收", "owner": org_a.users["sales"].pk, "action_date": "2026-11-28", "outcome": "承诺月底付款"}
    assert client.post(reverse("receivables:action_new", kwargs={"pk": own.pk}), data).status_code == 302
    assert client.post(reverse("receivables:action_new", kwargs={"pk": other.pk}), data).status_code == 404
    assert client.post(reverse("receivables:action_new", kwargs={"pk": own.pk}), {**data, "action": ""}).status_code == 400
    with org_a.scope():
        action = CollectionAction.objects.get()
        assert (action.receivable, action.owner, action.action_date) == (own, org_a.users["sales"], dt.date(2026, 11, 28))
    page = client.get(reverse("receivables:detail", kwargs={"pk": own.pk})).content.decode()
    assert "电话催收" in page and "承诺月底付款" in page
    assert client.get(reverse("receivables:detail", kwargs={"pk": other.pk})).status_code == 404


def test_list_filters_and_query_count(org_a, client_as, django_assert_max_num_queries):
    with org_a.scope():
        _seed_buckets(org_a)
    client = client_as(org_a.users["finance"])
    with django_assert_max_num_queries(14):
        body = client.get(reverse("receivables:list"), {"flag": "bad"}).content.decode()
    assert "BAD" in body and "B181" not in body
    body = client.get(reverse("receivables:list"), {"q": "B18"}).content.decode()
    assert "B180" in body and "B181" in body and "N1" not in body


def test_demo_seed_is_idempotent(org_a):
    from reports.receivables.demo import seed

    with org_a.scope():
        personas = org_a.users
        seed(tenant=org_a.tenant, personas=personas, rich=True)
        count = Receivable.objects.count()
        seed(tenant=org_a.tenant, personas=personas, rich=True)
        assert Receivable.objects.count() == count == 18
        assert ReceivableImport.objects.count() == 1 and CollectionAction.objects.count() == 1
        assert Receivable.objects.filter(flag="doubtful").count() == 1


def test_ageing_page_in_english(org_a, client_as):
    with org_a.scope():
        _seed_buckets(org_a)
    body = client_as(org_a.users["finance"], language="en").get(
        reverse("receivables:ageing"), {"as_of": "2026-11-30"}).content.decode()
    assert "Receivables ageing" in body and "Over 180 days" in body and "Doubtful" in body
