import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from expenses.models import ExpenseAttachment, ExpenseRequest, ExpenseStatus
from expenses.tests.helpers import (
    ROUTINE_PATH,
    approve,
    approve_through,
    current_step,
    make_expense,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


def _form(org, branch="A1", **overrides):
    data = {
        "branch": org.branches[branch].pk, "activity": "车展展位", "activity_kind": "routine",
        "purpose": "车展展位租赁及物料", "contract_amount": "200000", "amount": "6000",
        "payee_name": "星程广告", "payee_bank": "工商银行杭州分行", "payee_account": "6222 0210 0001 2345",
        "planned_date": (dt.date.today() + dt.timedelta(days=5)).isoformat(), "attachment_kind": "quote",
        "submit": "1",
    }
    data.update(overrides)
    return data


def _count(org):
    with org.scope():
        return ExpenseRequest.objects.count()


# --- list -----------------------------------------------------------------------------------


def test_list_is_scoped_to_branch_and_tenant(org_a, org_b, client_as):
    mine = make_expense(org_a)
    other_branch = make_expense(org_a, applicant="sales2", branch="A2")
    foreign = make_expense(org_b, branch="B1")
    url = reverse("expenses:index")
    sales = client_as(org_a.users["sales"]).get(url).content.decode()
    assert mine.number in sales and f">{other_branch.number}<" not in sales
    finance = client_as(org_a.users["finance"]).get(url).content.decode()
    assert f">{mine.number}<" in finance and f">{other_branch.number}<" in finance
    b_page = client_as(org_b.users["allroles"]).get(url).content.decode()
    assert f">{foreign.number}<" in b_page and org_a.users["sales"].full_name not in b_page
    assert client_as(org_a.users["hr"]).get(url).status_code == 403


def test_filter_choices_are_limited_to_what_the_user_sees(org_a, client_as):
    make_expense(org_a)
    make_expense(org_a, applicant="sales2", branch="A2")
    page = client_as(org_a.users["sales"]).get(reverse("expenses:index"))
    branch_choices = {str(b) for b in page.context["filter"].form.fields["branch"].queryset}
    applicants = {u.username for u in page.context["filter"].form.fields["applicant"].queryset}
    assert branch_choices == {"甲一分公司"}
    assert org_a.users["sales2"].username not in applicants and org_a.users["sales"].username in applicants
    # a branch outside the user's reach posted by hand is refused, not silently applied
    tampered = client_as(org_a.users["sales"]).get(reverse("expenses:index"), {"branch": org_a.branches["A2"].pk})
    assert not tampered.context["filter"].is_valid()


def test_filters_status_amount_period(org_a, client_as):
    small = make_expense(org_a, amount=Decimal("1000.00"))
    big = make_expense(org_a, amount=Decimal("9000.00"), planned_date=dt.date.today() + dt.timedelta(days=40))
    approve(org_a, small, "mspec")
    client = client_as(org_a.users["finance"])
    url = reverse("expenses:index")

    def numbers(params):
        return {e.number for e in client.get(url, params).context["page"]}

    assert numbers({"amount_min": "5000"}) == {big.number}
    assert numbers({"amount_max": "5000"}) == {small.number}
    assert numbers({"until": (dt.date.today() + dt.timedelta(days=20)).isoformat()}) == {small.number}
    assert numbers({"over_ratio": "true"}) == {big.number}  # 9% > 5%
    assert numbers({"status": "submitted"}) == {small.number, big.number}
    assert numbers({"status": "archived"}) == set()


def test_list_query_count_is_independent_of_rows(org_a, client_as, django_assert_max_num_queries):
    client = client_as(org_a.users["finance"])
    make_expense(org_a)
    url = reverse("expenses:index") + "?status=submitted&amount_min=1"
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    for _i in range(8):
        make_expense(org_a, applicant="sales2", branch="A2")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# --- create / edit -----------------------------------------------------------------------------


def test_create_and_submit(org_a, client_as):
    client = client_as(org_a.users["sales"])
    assert client.get(reverse("expenses:create")).status_code == 200
    response = client.post(reverse("expenses:create"), _form(org_a, attachments=[pdf_upload()]))
    assert response.status_code == 302
    with org_a.scope():
        expense = ExpenseRequest.objects.get()
        assert expense.ratio == Decimal("0.0300") and expense.payee_account == "6222021000012345"
        assert expense.status == ExpenseStatus.SUBMITTED and expense.applicant == org_a.users["sales"]
        att = ExpenseAttachment.objects.get()
        assert att.file.name.startswith(f"tenants/{org_a.tenant.pk}/expenses/{expense.pk}/")
    assert current_step(org_a, expense) == "市场审核"  # S000-23: marketing reviews first


def test_create_draft_then_submit(org_a, client_as):
    client = client_as(org_a.users["sales"])
    data = _form(org_a)
    data.pop("submit")
    client.post(reverse("expenses:create"), {**data, "draft": "1"})
    with org_a.scope():
        expense = ExpenseRequest.objects.get()
    assert expense.status == ExpenseStatus.DRAFT
    client.post(reverse("expenses:submit", args=[expense.pk]))
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.SUBMITTED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "-50"}, "金额必须大于 0"),
        ({"amount": "0"}, "金额必须大于 0"),
        ({"contract_amount": "999999999999"}, "金额过大"),
        ({"amount": "12abc"}, "请输入有效的金额"),
        ({"amount": "300000"}, "费用金额不能超过相关合同金额"),
        ({"payee_name": ""}, "请填写收款人"),
        ({"payee_account": "12-34"}, "银行账号应为 8 到 30 位数字"),
        ({"planned_date": "2026-13-40"}, ""),
    ],
)
def test_bad_input_is_refused_and_kept(org_a, client_as, overrides, message):
    response = client_as(org_a.users["sales"]).post(reverse("expenses:create"), _form(org_a, **overrides))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'class="error"' in body
    assert "车展展位租赁及物料" in body  # nothing the user typed is lost
    assert _count(org_a) == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (pdf_upload("virus.exe", b"MZ\x90\x00"), "不支持的文件类型"),
        (pdf_upload("fake.pdf", b"<html></html>"), "内容与扩展名不符"),
        (pdf_upload("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)), "超过 10 MB"),
    ],
)
def test_bad_attachments_are_refused(org_a, client_as, upload, message):
    response = client_as(org_a.users["sales"]).post(reverse("expenses:create"), _form(org_a, attachments=[upload]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _count(org_a) == 0


def test_branch_outside_reach_or_tenant_is_refused(org_a, org_b, client_as):
    client = client_as(org_a.users["sales"])
    for branch_id in (org_a.branches["A2"].pk, org_b.branches["B1"].pk):
        response = client.post(reverse("expenses:create"), {**_form(org_a), "branch": branch_id})
        assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    assert _count(org_a) == 0
    assert client_as(org_a.users["finance"]).get(reverse("expenses:create")).status_code == 403


def test_edit_rejected_and_resubmit(org_a, client_as):
    expense = make_expense(org_a)
    client = client_as(org_a.users["mspec"])
    from expenses.tests.helpers import flow_of, pending

    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["mspec"])[0]
    client.post(reverse("approvals:act", args=[flow.pk]), {"action": "reject", "task": task.pk, "comment": "金额偏高"})
    url = reverse("expenses:edit", args=[expense.pk])
    assert client_as(org_a.users["bgm"]).get(url).status_code == 403  # sees it, may not edit it
    assert client_as(org_a.users["sales2"]).get(url).status_code == 404
    sales = client_as(org_a.users["sales"])
    assert sales.get(url).status_code == 200
    response = sales.post(url, _form(org_a, amount="2500"))
    assert response.status_code == 302
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.SUBMITTED and expense.amount == Decimal("2500.00")
    assert flow_of(org_a, expense).round == 2
    assert sales.get(url).status_code == 403  # in approval again: no edits


# --- detail, pdf, xlsx, pay, attachments ---------------------------------------------------------


def test_detail_reach(org_a, org_b, client_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # files are written at commit
        expense = make_expense(org_a, files=[("quote", pdf_upload())])
    url = reverse("expenses:detail", args=[expense.pk])
    assert client_as(org_a.users["bgm"]).get(url).status_code == 200
    page = client_as(org_a.users["mspec"]).get(url)
    assert "费用比例 3.00%" in page.content.decode()  # the ratio policy is shown to the reviewer
    assert client_as(org_a.users["sales"]).get(url).status_code == 200
    assert client_as(org_a.users["sales2"]).get(url).status_code == 404
    assert client_as(org_a.users["bgm2"]).get(url).status_code == 404
    assert client_as(org_b.users["allroles"]).get(url).status_code == 404
    assert client_as(org_a.users["hr"]).get(url).status_code == 403
    with org_a.scope():
        att = ExpenseAttachment.objects.get()
    download = reverse("expenses:attachment", args=[att.pk])
    assert client_as(org_a.users["sales"]).get(download).status_code == 200
    assert client_as(org_a.users["sales2"]).get(download).status_code == 404
    assert client_as(org_b.users["allroles"]).get(download).status_code == 404


def test_archived_request_prints_as_pdf_with_signatures(org_a, client_as):
    expense = make_expense(org_a)
    approve_through(org_a, expense)
    response = client_as(org_a.users["finance"]).get(reverse("expenses:pdf", args=[expense.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert expense.number in text
    for persona in ROUTINE_PATH:
        assert org_a.users[persona].full_name in text
    assert "营销费用申请表" in text


def test_xlsx_export_opens_and_keeps_text_as_text(org_a, client_as, django_assert_max_num_queries):
    make_expense(org_a, activity="=HYPERLINK(\"http://x\")")
    make_expense(org_a, applicant="sales2", branch="A2")
    client = client_as(org_a.users["sales"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("expenses:export"))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "申请编号" and len(rows) == 2  # only the user's branch
    cell = ws.cell(row=2, column=4)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
    assert rows[1][6] == 3000


def test_finance_records_payout(org_a, org_b, client_as):
    expense = make_expense(org_a)
    url = reverse("expenses:pay", args=[expense.pk])
    finance = client_as(org_a.users["finance"])
    early = finance.post(url, {"paid_on": dt.date.today().isoformat(), "reference": "FK001"})
    assert early.status_code == 400 and "只有已归档的申请可以登记发放" in early.content.decode()
    approve_through(org_a, expense)
    assert client_as(org_a.users["bgm"]).post(url, {"paid_on": dt.date.today(), "reference": "x"}).status_code == 403
    assert client_as(org_b.users["allroles"]).post(url, {"paid_on": dt.date.today(), "reference": "x"}).status_code == 404
    future = finance.post(url, {"paid_on": (dt.date.today() + dt.timedelta(days=3)).isoformat(), "reference": "FK001"})
    assert future.status_code == 400 and "不能是将来的日期" in future.content.decode()
    missing = finance.post(url, {"paid_on": dt.date.today().isoformat(), "reference": ""})
    assert missing.status_code == 400
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.ARCHIVED
    assert finance.post(url, {"paid_on": dt.date.today().isoformat(), "reference": "FK001"}).status_code == 302
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.PAID and expense.payment_reference == "FK001"
    assert expense.paid_by == org_a.users["finance"]


def test_home_cards_show_inbox_count(org_a, client_as):
    make_expense(org_a)
    body = client_as(org_a.users["mspec"]).get("/").content.decode()
    assert "待我审批" in body and "营销费用审批中" in body


@pytest.mark.parametrize("name", ["detail", "edit", "submit", "pay", "pdf"])
def test_every_object_url_hides_other_branches_and_tenants(org_a, org_b, client_as, name):
    expense = make_expense(org_a, submit=False)
    url = reverse(f"expenses:{name}", args=[expense.pk])
    for user in (org_a.users["sales2"], org_a.users["bgm2"], org_b.users["allroles"]):
        client = client_as(user)
        codes = {client.get(url).status_code, client.post(url).status_code}
        assert codes <= {404, 405, 403}, (user, codes)
        # no capability -> 403 before any lookup (pay); otherwise the object is simply not there
        assert 404 in codes or (name == "pay" and codes == {403}), (user, codes)
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.DRAFT  # nobody submitted it for the applicant


def test_attachment_delete_only_by_applicant_before_submission(org_a, client_as):
    expense = make_expense(org_a, submit=False, files=[("quote", pdf_upload())])
    with org_a.scope():
        att = ExpenseAttachment.objects.get()
    url = reverse("expenses:attachment_delete", args=[att.pk])
    assert client_as(org_a.users["sales2"]).post(url).status_code == 404
    client_as(org_a.users["bgm"]).post(url)  # visible to the branch GM, but not theirs
    with org_a.scope():
        assert ExpenseAttachment.objects.filter(pk=att.pk).exists()
    assert client_as(org_a.users["sales"]).post(url).status_code == 302
    with org_a.scope():
        assert not ExpenseAttachment.objects.filter(pk=att.pk).exists()
    assert expense.pk


def test_drafts_are_private_to_the_applicant(org_a, client_as):
    draft = make_expense(org_a, submit=False)
    assert client_as(org_a.users["finance"]).get(reverse("expenses:detail", args=[draft.pk])).status_code == 404
    assert client_as(org_a.users["sales"]).get(reverse("expenses:detail", args=[draft.pk])).status_code == 200


def test_reader_without_part_in_the_flow_gets_no_action_forms(org_a, client_as):
    expense = make_expense(org_a)
    body = client_as(org_a.users["exec"]).get(reverse("expenses:detail", args=[expense.pk])).content.decode()
    assert "审批进度" in body and 'value="comment"' not in body and 'value="approve"' not in body
    body = client_as(org_a.users["mspec"]).get(reverse("expenses:detail", args=[expense.pk])).content.decode()
    assert 'value="approve"' in body and 'value="comment"' in body


def test_xlsx_query_count_is_independent_of_rows(org_a, client_as, django_assert_max_num_queries):
    client = client_as(org_a.users["finance"])
    make_expense(org_a)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("expenses:export") + "?status=submitted").status_code == 200
    for _i in range(6):
        make_expense(org_a, applicant="sales2", branch="A2")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("expenses:export") + "?status=submitted")
    assert len(list(load_workbook(io.BytesIO(response.content)).active.iter_rows())) == 8
