"""History diff, xlsx import (preview, per-row errors, all-or-nothing), exports."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from customers import importer, services
from customers.history import customer_history
from customers.models import Customer, ImportBatch, Stage

from .conftest import make_customer

# --- history -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_history_reads_as_diff_with_who_and_when(org_a, client_as, cust_a):
    with org_a.scope():
        services.customer_update(customer=cust_a, actor=org_a.users["mdirector"],
                                 data={"stage": Stage.NEGOTIATING, "business_situation": "今年销量下滑"})
        entries = customer_history(customer=cust_a)
    latest = entries[0]
    assert latest["user"] == org_a.users["mdirector"].display_name
    changes = {c["field"]: (c["old"], c["new"]) for c in latest["changes"]}
    assert changes == {"阶段": ("目标客户", "洽谈中"), "经营状况": ("经营稳定", "今年销量下滑")}
    response = client_as(org_a.users["gm"]).get(reverse("customers:history", args=[cust_a.pk]))
    body = response.content.decode()
    assert "今年销量下滑" in body and "洽谈中" in body
    # Personal values are masked in the diff.
    assert "138****5678" in body and "13812345678" not in body


@pytest.mark.django_db
def test_illegal_stage_move_refused_and_nothing_changes(org_a, client_as, cust_a):
    client = client_as(org_a.users["sales"])
    url = reverse("customers:edit", args=[cust_a.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "tags"}
    data.update({"stage": Stage.SIGNED, "branch": cust_a.branch_id, "name": "改了名字"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "客户阶段不能从" in response.content.decode()
    assert response.context["form"]["name"].value() == "改了名字"  # what was typed is kept
    with org_a.scope():
        cust_a.refresh_from_db()
        assert (cust_a.stage, cust_a.name) == (Stage.TARGET, "上海永达大众汽车销售服务有限公司")
        assert cust_a.history.count() == 1


# --- import --------------------------------------------------------------------------------


def _xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append([label for _k, label in importer.COLUMNS])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "archive.xlsx"
    return buf


def _row(name, phone, branch="A1", owner=None, stage="目标客户"):
    return [name, "汽车修理厂", stage, branch, owner or "alpha_sales", phone, "杭州", "张三 60%", "", "", "重点,新"]


@pytest.mark.django_db
def test_import_preview_shows_row_errors_and_duplicates_nothing_saved(org_a, client_as, cust_a):
    client = client_as(org_a.users["mdirector"])
    upload = _xlsx([
        _row("好客户", "13900000001"),
        _row("", "13900000002"),  # name missing
        _row("坏分公司", "13900000003", branch="ZZ"),
        _row("好客户", "139-0000-0001"),  # same as line 2
        _row(cust_a.name, "021-64001234"),  # already in the archive
        _row("坏电话", "abc"),
    ])
    response = client.post(reverse("customers:import"), {"file": upload})
    assert response.status_code == 302
    with org_a.scope():
        batch = ImportBatch.objects.get()
    assert (batch.row_count, batch.error_count) == (6, 5)
    page = client.get(response.url).content.decode()
    assert "客户名称必填" in page and "分公司“ZZ”不存在" in page and "与第 2 行重复" in page
    assert "档案中已有同名同电话的客户" in page and "请输入有效的电话号码" in page
    response = client.post(response.url, {"action": "confirm"}, follow=True)
    assert "未导入任何数据" in response.content.decode()
    with org_a.scope():
        assert Customer.objects.count() == 1
        assert ImportBatch.objects.get().status == ImportBatch.Status.PREVIEW


@pytest.mark.django_db
def test_import_confirm_creates_all_rows(org_a, client_as):
    client = client_as(org_a.users["mdirector"])
    response = client.post(reverse("customers:import"), {"file": _xlsx([
        _row("客户甲", "13900000001"), _row("客户乙", "", owner="甲二销售", branch="甲二分公司"),
    ])})
    response = client.post(response.url, {"action": "confirm"})
    assert response.status_code == 302
    with org_a.scope():
        rows = {c.name: c for c in Customer.objects.all()}
        assert set(rows) == {"客户甲", "客户乙"}
        assert rows["客户乙"].owner == org_a.users["sales2"]
        assert rows["客户甲"].shareholders == [{"name": "张三", "stake": "60.00"}]
        assert sorted(t.name for t in rows["客户甲"].tags.all()) == ["新", "重点"]
        assert ImportBatch.objects.get().status == ImportBatch.Status.DONE
    # Confirming twice does nothing more.
    client.post(reverse("customers:import_preview", args=[ImportBatch.objects.model._base_manager.get().pk]),
                {"action": "confirm"})
    with org_a.scope():
        assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_import_rechecks_duplicates_at_confirmation(org_a, client_as):
    client = client_as(org_a.users["mdirector"])
    response = client.post(reverse("customers:import"), {"file": _xlsx([_row("客户甲", "13900000001")])})
    make_customer(org_a, name="客户甲", phone="13900000001")  # added meanwhile
    client.post(response.url, {"action": "confirm"})
    with org_a.scope():
        assert Customer.objects.filter(name="客户甲").count() == 1


@pytest.mark.django_db
def test_import_bad_file_and_roles(org_a, org_b, client_as):
    client = client_as(org_a.users["mdirector"])
    junk = io.BytesIO(b"not an excel file")
    junk.name = "x.xlsx"
    response = client.post(reverse("customers:import"), {"file": junk})
    assert response.status_code == 200 and "无法读取该文件" in response.content.decode()
    csv = io.BytesIO(b"a,b")
    csv.name = "x.csv"
    assert ".xlsx" in client.post(reverse("customers:import"), {"file": csv}).content.decode()
    for persona in ["sales", "gm", "finance"]:
        assert client_as(org_a.users[persona]).get(reverse("customers:import")).status_code == 403
    response = client.post(reverse("customers:import"), {"file": _xlsx([_row("客户甲", "13900000001")])})
    # Another tenant cannot open the batch; its parsed rows are encrypted at rest.
    assert client_as(org_b.users["allroles"]).get(response.url).status_code == 404
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT payload FROM {ImportBatch._meta.db_table}")
        raw = [row[0] for row in cursor.fetchall()]
    assert len(raw) == 1 and raw[0].startswith("v1:") and "13900000001" not in raw[0]


# --- exports -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_keeps_formulas_as_text_and_names_the_reader(org_a, client_as):
    make_customer(org_a, name="=HYPERLINK(\"http://evil\",\"x\")", characteristics="=1+1")
    for i in range(3):
        make_customer(org_a, name=f"客户{i}")
    client = client_as(org_a.users["exec"])
    response = client.get(reverse("customers:export"))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value]
    formula_cells = [c for c in cells if str(c.value).startswith("=")]
    assert formula_cells and all(c.data_type == "s" for c in formula_cells)
    assert org_a.users["exec"].display_name in ws["A1"].value
    assert "021****1234" in [c.value for c in cells]  # phones masked in the list export


@pytest.mark.django_db
def test_export_query_count_independent_of_rows(org_a, client_as, django_assert_max_num_queries):
    for i in range(12):
        make_customer(org_a, name=f"客户{i}")
    client = client_as(org_a.users["exec"])
    client.get(reverse("home"))  # session and login bookkeeping out of the count
    with django_assert_max_num_queries(12):
        assert client.get(reverse("customers:export")).status_code == 200


@pytest.mark.django_db
def test_print_card_is_pdf_with_stamp(org_a, client_as, cust_a):
    response = client_as(org_a.users["gmassist"]).get(reverse("customers:print", args=[cust_a.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert org_a.users["gmassist"].display_name in text
    assert cust_a.name in text
    # Salesperson may open the record but not print it.
    assert client_as(org_a.users["sales"]).get(reverse("customers:print", args=[cust_a.pk])).status_code == 403


@pytest.mark.django_db
def test_large_import_is_bulk_with_history(org_a, django_assert_max_num_queries):
    content = _xlsx([_row(f"客户{i:04d}", f"139{i:08d}") for i in range(1200)]).read()
    with org_a.scope():
        batch = importer.import_preview(tenant=org_a.tenant, actor=org_a.users["mdirector"], file_name="big.xlsx",
                                        content=content)
        assert (batch.row_count, batch.error_count) == (1200, 0)
        # A few statements per batch of rows (SQLite caps parameters per statement at 999),
        # not several per row: 1,200 rows by row would be ~10,000 queries.
        with django_assert_max_num_queries(80):
            assert importer.import_confirm(batch=batch, actor=org_a.users["mdirector"]) == 1200
        assert Customer.objects.count() == 1200
        history = Customer.history.model.objects.filter(tenant=org_a.tenant)
        assert history.count() == 1200
        assert set(history.values_list("history_user_id", flat=True)) == {org_a.users["mdirector"].pk}
        assert Customer.tags.through.objects.count() == 2400
        sample = Customer.objects.get(name="客户0007")
        assert sample.phone == "13900000007" and sample.tag_names == "新、重点"


@pytest.mark.django_db
def test_visit_export_is_stamped_logged_and_limited_to_export_roles(org_a, client_as, cust_a):
    from datetime import date

    from customers.models import CustomerAccessLog

    with org_a.scope():
        services.visit_create(customer=cust_a, actor=org_a.users["sales"], data={
            "visited_on": date(2026, 5, 1), "visited_by": org_a.users["sales"], "visit_type": "visit",
            "needs": "=cmd|' /C calc'!A0"})
    assert client_as(org_a.users["sales"]).get(reverse("customers:visit_export")).status_code == 403
    response = client_as(org_a.users["gm"]).get(reverse("customers:visit_export"))
    ws = load_workbook(io.BytesIO(response.content)).active
    assert org_a.users["gm"].display_name in ws["A1"].value
    needs = ws.cell(row=3, column=7)
    assert needs.value.startswith("=cmd") and needs.data_type == "s"
    with org_a.scope():
        assert list(CustomerAccessLog.objects.values_list("customer_id", "action")) == [(cust_a.pk, "export")]
