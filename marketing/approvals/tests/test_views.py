import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from expenses.models import ExpenseStatus
from expenses.tests.helpers import approve, current_step, flow_of, make_expense, pending, use_legacy_chain
from marketing.approvals.models import (
    ApprovalChain,
    ApprovalComment,
    ApprovalDelegation,
    ApprovalTask,
    TaskStatus,
)
from marketing.tasks import send_approval_digests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _legacy_expense_chain(request):
    """These tests exercise the engine on the pre-issue-8 expense chain (conditions, branch
    steps, five signers); seed 000's default chain is pinned in expenses/tests/test_chain.py."""
    if "org_a" in request.fixturenames:
        use_legacy_chain(request.getfixturevalue("org_a"))


def _post_act(client, flow, **data):
    return client.post(reverse("approvals:act", args=[flow.pk]), data, follow=True)


def test_inbox_lists_my_pending_and_badge(org_a, client_as):
    expense = make_expense(org_a)
    page = client_as(org_a.users["bgm"]).get(reverse("approvals:inbox"))
    assert page.status_code == 200
    body = page.content.decode()
    assert expense.number in body
    assert 'class="badge"' in body or ">1<" in body
    other = client_as(org_a.users["finance"]).get(reverse("approvals:inbox")).content.decode()
    assert expense.number not in other


def test_inbox_other_tenant_sees_nothing(org_a, org_b, client_as):
    expense = make_expense(org_a)
    body = client_as(org_b.users["allroles"]).get(reverse("approvals:inbox")).content.decode()
    assert expense.number not in body


def test_inbox_query_count_is_independent_of_rows(org_a, client_as, django_assert_max_num_queries):
    client = client_as(org_a.users["bgm"])
    make_expense(org_a)
    with django_assert_max_num_queries(14) as few:
        assert client.get(reverse("approvals:inbox")).status_code == 200
    for _i in range(6):
        make_expense(org_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("approvals:inbox")).status_code == 200


def test_mine_lists_my_submissions(org_a, client_as, django_assert_max_num_queries):
    expense = make_expense(org_a)
    client = client_as(org_a.users["sales"])
    with django_assert_max_num_queries(12):
        body = client.get(reverse("approvals:mine") + "?status=in_progress").content.decode()
    assert expense.number in body
    assert expense.number not in client_as(org_a.users["sales2"]).get(reverse("approvals:mine")).content.decode()


def test_flow_page_for_participants_only(org_a, org_b, client_as):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    url = reverse("approvals:flow", args=[flow.pk])
    assert client_as(org_a.users["bgm"]).get(url).status_code == 200
    assert client_as(org_a.users["sales"]).get(url).status_code == 200
    assert client_as(org_a.users["hr"]).get(url).status_code == 404
    assert client_as(org_b.users["allroles"]).get(url).status_code == 404


def test_approve_through_the_page(org_a, client_as):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["bgm"])[0]
    response = _post_act(client_as(org_a.users["bgm"]), flow, action="approve", task=task.pk,
                         version=flow.version, comment="同意，按计划执行")
    assert response.status_code == 200
    assert current_step(org_a, expense) == "市场部审核"


def test_tampered_posts_are_refused(org_a, client_as):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    bgm_task = pending(org_a, expense, org_a.users["bgm"])[0]
    # finance posts bgm's task id (skipping a step) and a made-up status field
    response = _post_act(client_as(org_a.users["finance"]), flow, action="approve", task=bgm_task.pk,
                         version=flow.version, status="approved")
    assert response.status_code == 404  # finance takes no part in this flow: not even visible
    # the applicant (a participant) tries to approve their own step
    response = _post_act(client_as(org_a.users["sales"]), flow, action="approve", task=bgm_task.pk,
                         version=flow.version)
    assert "不能审批自己提交的单据" in response.content.decode()
    # an unknown action
    response = _post_act(client_as(org_a.users["bgm"]), flow, action="finish", task=bgm_task.pk)
    assert "finish" in response.content.decode() or "有效" in response.content.decode()
    # a task id from another flow
    other = make_expense(org_a)
    other_task = pending(org_a, other, org_a.users["bgm"])[0]
    response = _post_act(client_as(org_a.users["bgm"]), flow, action="approve", task=other_task.pk,
                         version=flow.version)
    assert "表单已过期" in response.content.decode()
    assert current_step(org_a, expense) == "分公司总经理签字"
    assert current_step(org_a, other) == "分公司总经理签字"


def test_stale_form_gets_a_clear_message(org_a, client_as):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["bgm"])[0]
    approve(org_a, expense, "allroles")  # the other signer of the 或签 step was quicker
    response = _post_act(client_as(org_a.users["bgm"]), flow, action="approve", task=task.pk, version=flow.version)
    assert "已经有人处理过了" in response.content.decode()
    with org_a.scope():
        assert ApprovalTask.objects.get(pk=task.pk).status == TaskStatus.CANCELLED


def test_reject_without_reason_changes_nothing(org_a, client_as):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["bgm"])[0]
    response = _post_act(client_as(org_a.users["bgm"]), flow, action="reject", task=task.pk, version=flow.version)
    assert "驳回必须填写理由" in response.content.decode()
    assert current_step(org_a, expense) == "分公司总经理签字"
    _post_act(client_as(org_a.users["bgm"]), flow, action="reject", task=task.pk, version=flow.version,
              comment="预算不足")
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.REJECTED


def test_comment_with_attachment_and_bad_files(org_a, org_b, client_as, django_capture_on_commit_callbacks):
    expense = make_expense(org_a)
    flow = flow_of(org_a, expense)
    client = client_as(org_a.users["bgm"])
    good = SimpleUploadedFile("方案.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):  # files are written at commit
        _post_act(client, flow, action="comment", comment="见附件", attachment=good)
    bad_type = SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    body = _post_act(client, flow, action="comment", comment="x", attachment=bad_type).content.decode()
    assert "不支持的文件类型" in body
    fake_pdf = SimpleUploadedFile("fake.pdf", b"<html>", content_type="application/pdf")
    assert "内容与扩展名不符" in _post_act(client, flow, action="comment", attachment=fake_pdf).content.decode()
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1), content_type="application/pdf")
    assert "超过 10 MB" in _post_act(client, flow, action="comment", attachment=big).content.decode()
    with org_a.scope():
        notes = list(ApprovalComment.objects.filter(flow=flow))
    assert [n.attachment_name for n in notes] == ["方案.pdf"]
    assert notes[0].attachment.name.startswith(f"tenants/{org_a.tenant.pk}/approvals/")
    file_url = reverse("approvals:comment_file", args=[notes[0].pk])
    download = client_as(org_a.users["sales"]).get(file_url)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert client_as(org_a.users["hr"]).get(file_url).status_code == 404
    assert client_as(org_b.users["allroles"]).get(file_url).status_code == 404


def test_delegation_page(org_a, org_b, client_as):
    client = client_as(org_a.users["gm"])
    url = reverse("approvals:delegations")
    assert client.get(url).status_code == 200
    today = dt.date.today()
    bad = client.post(url, {"delegate": org_a.users["gmassist"].pk, "starts_on": today, "ends_on": today - dt.timedelta(days=2),
                            "reason": "出差"})
    assert "结束日期不能早于开始日期" in bad.content.decode()
    foreign = client.post(url, {"delegate": org_b.users["gm"].pk, "starts_on": today, "ends_on": today})
    assert foreign.status_code == 200 and "选择一个有效的选项" in foreign.content.decode() or "有效" in foreign.content.decode()
    with org_a.scope():
        assert not ApprovalDelegation.objects.exists()
    ok = client.post(url, {"delegate": org_a.users["gmassist"].pk, "starts_on": today, "ends_on": today,
                           "reason": "出差"})
    assert ok.status_code == 302
    with org_a.scope():
        delegation = ApprovalDelegation.objects.get()
    revoke = reverse("approvals:delegation_revoke", args=[delegation.pk])
    assert client_as(org_a.users["gmassist"]).post(revoke).status_code == 404
    assert client_as(org_b.users["allroles"]).post(revoke).status_code == 404
    assert client.post(revoke).status_code == 302
    with org_a.scope():
        delegation.refresh_from_db()
    assert delegation.revoked_at is not None


def test_chain_editor_permissions_and_validation(org_a, client_as):
    url = reverse("approvals:chain_edit", args=["expenses.request"])
    assert client_as(org_a.users["bgm"]).get(reverse("approvals:chains")).status_code == 403
    assert client_as(org_a.users["bgm"]).get(url).status_code == 403
    admin = client_as(org_a.users["admin"])
    assert admin.get(reverse("approvals:chains")).status_code == 200
    page = admin.get(url)
    assert page.status_code == 200 and "分公司总经理签字" in page.content.decode()
    assert admin.get(reverse("approvals:chain_edit", args=["nope.type"])).status_code == 404
    base = {"steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "20", "op": "save"}
    step = {"steps-0-name": "总经理审批", "steps-0-kind": "approve", "steps-0-approver": "role:general_manager",
            "steps-0-scope": "tenant", "steps-0-mode": "any"}
    def chains_now():
        return [(c.pk, [st.name for st in c.steps.all()]) for c in ApprovalChain.objects.order_by("pk")]

    with org_a.scope():
        before = chains_now()
    bad = admin.post(url, {**base, **step, "steps-0-c0_field": "amount", "steps-0-c0_op": ">"})
    assert bad.status_code == 200 and "请填写用于比较的数值" in bad.content.decode()
    bad2 = admin.post(url, {**base, **step, "steps-0-kind": "verify"})
    assert "核对步骤至少需要一个核对项" in bad2.content.decode()
    with org_a.scope():  # nothing saved by the refused posts
        assert chains_now() == before
    blank_extra = {"steps-1-name": "", "steps-1-kind": "approve", "steps-1-approver": "role:tenant_admin",
                   "steps-1-scope": "tenant", "steps-1-mode": "any"}
    ok = admin.post(url, {**base, "steps-TOTAL_FORMS": "2", **step, **blank_extra,
                          "steps-0-c0_field": "amount", "steps-0-c0_op": ">", "steps-0-c0_number": "10000"})
    assert ok.status_code == 302
    with org_a.scope():
        chain = ApprovalChain.objects.get()
        assert [(s.name, s.condition) for s in chain.steps.all()] == [("总经理审批", "amount > 10000")]


def test_daily_digest_once_per_user_and_day(org_a, django_capture_on_commit_callbacks):
    make_expense(org_a)
    make_expense(org_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_approval_digests(tenant_id=org_a.tenant.pk)
    digests = [m for m in mail.outbox if "审批日报" in m.subject]
    assert sent == len(digests) == 2  # bgm and allroles each wait for two
    bgm = [m for m in digests if org_a.users["bgm"].email in m.to][0]
    assert "2 项" in bgm.subject
    assert send_approval_digests(tenant_id=org_a.tenant.pk) == 0
    assert len([m for m in mail.outbox if "审批日报" in m.subject]) == 2


def test_return_transfer_withdraw_through_the_page(org_a, client_as):
    from marketing import services as platform
    from marketing.roles import Role

    expense = make_expense(org_a)
    approve(org_a, expense, "bgm")
    approve(org_a, expense, "mspec")
    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["mdirector"])[0]
    director = client_as(org_a.users["mdirector"])
    no_reason = _post_act(director, flow, action="return", task=task.pk, version=flow.version, to_position=1)
    assert "退回必须填写理由" in no_reason.content.decode()
    _post_act(director, flow, action="return", task=task.pk, version=flow.version, to_position=1, comment="分总复核")
    assert current_step(org_a, expense) == "分公司总经理签字"
    with org_a.scope():
        other_gm = platform.user_create(tenant=org_a.tenant, actor=None, username="bgm_a1b", password="x-Pass-2026!",
                                        full_name="甲一副总", roles=[Role.BRANCH_GM], branches=[org_a.branches["A1"]])
    flow = flow_of(org_a, expense)
    task = pending(org_a, expense, org_a.users["bgm"])[0]
    wrong = _post_act(client_as(org_a.users["bgm"]), flow, action="transfer", task=task.pk, version=flow.version,
                      to_user=org_a.users["bgm2"].pk)  # a GM of another branch
    assert "只能转交给同一角色的其他同事" in wrong.content.decode()
    _post_act(client_as(org_a.users["bgm"]), flow, action="transfer", task=task.pk, version=flow.version,
              to_user=other_gm.pk)
    assert pending(org_a, expense, other_gm)
    flow = flow_of(org_a, expense)
    not_mine = _post_act(client_as(org_a.users["bgm"]), flow, action="withdraw", version=flow.version)
    assert "只有申请人可以撤回" in not_mine.content.decode()
    _post_act(client_as(org_a.users["sales"]), flow, action="withdraw", version=flow.version)
    with org_a.scope():
        expense.refresh_from_db()
    assert expense.status == ExpenseStatus.WITHDRAWN and pending(org_a, expense) == []
