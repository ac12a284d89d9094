import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from reports import imports, mailing, services
from reports.models import (
    DailyReport,
    DailySummary,
    ImportJob,
    ImportStatus,
    MonthlyTarget,
    RecipientOverride,
    SignedPartner,
    SummaryStatus,
    WorkdayOverride,
)

from .helpers import at, file_report, xlsx

D = dt.date(2026, 11, 20)
NOW = at(2026, 11, 23, 9)
# Page queries: session/user/membership + nav badges of every app + the page's own (about 4).
MAX_QUERIES = 14


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def a1_report(org_a):
    with org_a.scope():
        return file_report(org_a, "A1", D, now=NOW, partners=[{"kind": "dealer", "name": "顺达", "city": "上海", "contact": "李"}])


@pytest.fixture
def b1_report(org_b):
    with org_b.scope():
        return file_report(org_b, "B1", D, now=NOW)


def _post_report(client, url, **overrides):
    data = {"branch": "", "business_day": "2026-11-20", "narrative": "拜访三家4S店", "customer_visits": "3",
            "contracts_signed": "1", "problems": "", "next_plan": "", "action": "submit",
            "p-TOTAL_FORMS": "1", "p-INITIAL_FORMS": "0", "p-MIN_NUM_FORMS": "0", "p-MAX_NUM_FORMS": "50",
            "p-0-kind": "dealer", "p-0-name": "", "p-0-city": "", "p-0-contact": ""}
    data.update(overrides)
    return client.post(url, data)


def test_branch_gm_files_a_report(org_a, client_as):
    client = client_as(org_a.users["bgm"])
    assert client.get(reverse("reports:file")).status_code == 200
    r = _post_report(client, reverse("reports:file"), branch=str(org_a.branches["A1"].pk),
                     **{"p-0-name": "恒通修理厂", "p-0-kind": "repair_shop", "p-0-city": "上海", "p-0-contact": "王 138"})
    assert r.status_code == 302
    with org_a.scope():
        report = DailyReport.objects.get()
        assert report.is_submitted and report.submitted_at == NOW and not report.is_late
        assert SignedPartner.objects.get().name == "恒通修理厂"


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"customer_visits": "-1"}, "请输入不小于 0 的整数"),
        ({"customer_visits": "abc"}, "请输入不小于 0 的整数"),
        ({"narrative": ""}, "提交前请填写今日动态"),
        ({"business_day": "2026-11-21"}, "不是工作日"),
        ({"business_day": "2026-13-01"}, "日期格式不正确"),
        ({"p-0-name": "只填了名称"}, "这个字段是必填项"),
    ],
)
def test_bad_report_input_keeps_what_was_typed(org_a, client_as, overrides, text):
    client = client_as(org_a.users["bgm"])
    r = _post_report(client, reverse("reports:file"), branch=str(org_a.branches["A1"].pk), **overrides)
    assert r.status_code == 200
    assert text in r.content.decode()
    assert "拜访三家4S店" in r.content.decode() or overrides.get("narrative") == ""
    with org_a.scope():
        assert not DailyReport.objects.exists()


def test_cannot_file_for_another_branch(org_a, client_as):
    r = _post_report(client_as(org_a.users["bgm"]), reverse("reports:file"), branch=str(org_a.branches["A2"].pk))
    assert r.status_code == 200 and "请选择您负责的分公司" in r.content.decode()
    with org_a.scope():
        assert not DailyReport.objects.exists()


def test_roles_without_filing_right_get_403(org_a, client_as):
    for user in ("sales", "finance", "mspec"):
        assert client_as(org_a.users[user]).get(reverse("reports:file")).status_code == 403


def test_tenant_can_allow_salespeople_to_file(org_a, client_as):
    org_a.tenant.report_filing_roles = ["branch_gm", "salesperson"]
    org_a.tenant.save()
    assert client_as(org_a.users["sales"]).get(reverse("reports:file")).status_code == 200


def test_report_detail_and_edit_reach(org_a, org_b, client_as, a1_report, b1_report):
    bgm, bgm2, mspec = (client_as(org_a.users[k]) for k in ("bgm", "bgm2", "mspec"))
    assert bgm.get(reverse("reports:detail", args=[a1_report.pk])).status_code == 200
    assert mspec.get(reverse("reports:detail", args=[a1_report.pk])).status_code == 200
    assert bgm2.get(reverse("reports:detail", args=[a1_report.pk])).status_code == 404
    assert bgm2.get(reverse("reports:edit", args=[a1_report.pk])).status_code == 404
    assert bgm.get(reverse("reports:detail", args=[b1_report.pk])).status_code == 404
    assert bgm.get(reverse("reports:edit", args=[b1_report.pk])).status_code == 404
    assert client_as(org_a.users["sales"]).get(reverse("reports:detail", args=[a1_report.pk])).status_code == 403


def test_edit_after_deadline_is_kept_as_amendment(org_a, client_as, a1_report):
    client = client_as(org_a.users["bgm"])
    with org_a.scope():
        partner_id = a1_report.partners.get().pk
    with time_machine.travel(at(2026, 11, 23, 11), tick=False):
        page = client.get(reverse("reports:edit", args=[a1_report.pk])).content.decode()
        assert "截止后补充修订" in page
        r = _post_report(client, reverse("reports:edit", args=[a1_report.pk]), narrative="补充：下午又签一家",
                         **{"p-TOTAL_FORMS": "2", "p-INITIAL_FORMS": "1", "p-0-id": str(partner_id),
                            "p-0-name": "顺达", "p-0-city": "上海", "p-0-contact": "李", "p-1-kind": "dealer"})
    assert r.status_code == 302
    detail = client.get(reverse("reports:detail", args=[a1_report.pk])).content.decode()
    assert "截止后修订" in detail and "补充：下午又签一家" in detail


def test_report_list_is_scoped_and_query_count_is_flat(org_a, client_as, django_assert_max_num_queries, a1_report):
    with org_a.scope():
        file_report(org_a, "A2", D, user="bgm2", now=NOW)
    bgm = client_as(org_a.users["bgm"]).get(reverse("reports:list")).content.decode()
    assert "甲一分公司" in bgm and "甲二分公司</td>" not in bgm
    client = client_as(org_a.users["mspec"])
    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(reverse("reports:list") + f"?branch={org_a.branches['A2'].pk}").content.decode()
    assert "甲二分公司</td>" in page and "甲一分公司</td>" not in page


def test_board(org_a, org_b, client_as, django_assert_max_num_queries, a1_report):
    client = client_as(org_a.users["mspec"])
    with django_assert_max_num_queries(MAX_QUERIES):
        r = client.get(reverse("reports:board"))
    page = r.content.decode()
    assert r.status_code == 200 and 'hx-trigger="every 30s"' in page and "按时" in page and "乙一分公司" not in page
    rows = client.get(reverse("reports:board_rows"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in rows and "甲三分公司" in rows
    assert client_as(org_a.users["sales"]).get(reverse("reports:board")).status_code == 403
    # the branch GM's own-branch board: reports/tests/test_branch_board.py


def _upload(client, content, kind="collections", name="c.xlsx"):
    return client.post(reverse("reports:imports"), {"kind": kind, "file": _file(content, name)})


def _file(content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_import_upload_preview_confirm(org_a, client_as, django_capture_on_commit_callbacks):
    client = client_as(org_a.users["finance"])
    content = xlsx([["日期", "分公司", "回款金额"], ["2026-11-20", "A1", "100.00"]])
    with django_capture_on_commit_callbacks(execute=True):
        r = _upload(client, content)
    assert r.status_code == 302
    with org_a.scope():
        job = ImportJob.objects.get()
    assert job.status == ImportStatus.READY
    assert "确认导入" in client.get(r.url).content.decode()
    progress = client.get(reverse("reports:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert progress.status_code == 286
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert client.post(reverse("reports:import_confirm", args=[job.pk]), follow=True).status_code == 200
    assert "100.00" in client.get(reverse("reports:collections")).content.decode()


def test_import_with_bad_rows_shows_them_and_imports_nothing(org_a, client_as, django_capture_on_commit_callbacks):
    client = client_as(org_a.users["hr"])
    content = xlsx([["姓名", "分公司", "岗位", "入职日期"], ["张三", "火星", "销售", "昨天"]])
    with django_capture_on_commit_callbacks(execute=True):
        r = _upload(client, content, kind="roster")
    page = client.get(r.url).content.decode()
    assert "未知的分公司：火星" in page and "入职日期格式不正确" in page and "没有导入任何数据" in page
    with org_a.scope():
        job = ImportJob.objects.get()
    r = client.post(reverse("reports:import_confirm", args=[job.pk]), follow=True)
    assert "不能确认导入" in r.content.decode()


def test_import_form_rejects_wrong_type(org_a, client_as):
    r = _upload(client_as(org_a.users["finance"]), b"a,b", name="c.csv")
    assert r.status_code == 200 and "文件类型不正确" in r.content.decode()
    with org_a.scope():
        assert not ImportJob.objects.exists()


def test_import_reach(org_a, org_b, client_as):
    with org_b.scope():
        job = imports.import_create(tenant=org_b.tenant, kind="targets", filename="t.xlsx", content=b"x", actor=None)
    client = client_as(org_a.users["finance"])
    for name in ("reports:import_detail", "reports:import_progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("reports:import_confirm", args=[job.pk])).status_code == 404
    assert client_as(org_a.users["bgm"]).get(reverse("reports:imports")).status_code == 403


def test_targets(org_a, org_b, client_as):
    client = client_as(org_a.users["mspec"])
    r = client.post(reverse("reports:targets"), {"branch": org_a.branches["A1"].pk, "month": "2026-11", "amount": "50000"})
    assert r.status_code == 302
    r = client.post(reverse("reports:targets"), {"branch": org_b.branches["B1"].pk, "month": "2026-11", "amount": "1"})
    assert r.status_code == 200 and "选择一个有效的选项" in r.content.decode()
    r = client.post(reverse("reports:targets"), {"branch": org_a.branches["A1"].pk, "month": "2026/11", "amount": "-3"})
    assert "月份格式应为 YYYY-MM" in r.content.decode() and "目标金额不能为负数" in r.content.decode()
    with org_a.scope():
        target = MonthlyTarget.objects.get()
        assert target.amount == Decimal("50000.00")
    assert client.post(reverse("reports:target_edit", args=[target.pk]), {"amount": "60000"}).status_code == 302
    target.refresh_from_db()
    assert target.amount == Decimal("60000.00")
    assert client_as(org_b.users["allroles"]).get(reverse("reports:target_edit", args=[target.pk])).status_code == 404
    assert client_as(org_a.users["sales"]).get(reverse("reports:targets")).status_code == 403


def test_s000_31_branch_gm_reads_targets_but_cannot_set_them_unreviewed(org_a, client_as):
    """S000-31 / S001-11: a branch GM's targets come through the reviewed 销售月度考核目标 rule;
    the direct form is marketing's. The GM still sees the branch's targets."""
    with org_a.scope():
        MonthlyTarget.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], month=dt.date(2026, 11, 1),
                                     amount=Decimal("80000"))
        MonthlyTarget.objects.create(tenant=org_a.tenant, branch=org_a.branches["A2"], month=dt.date(2026, 11, 1),
                                     amount=Decimal("70000"))
        target = MonthlyTarget.objects.get(branch=org_a.branches["A1"])
    client = client_as(org_a.users["bgm"])
    page = client.get(reverse("reports:targets"))
    html = page.content.decode()
    assert page.status_code == 200 and "80000" in html and "70000" not in html  # own branch only
    assert "销售月度考核目标" in html and 'name="amount"' not in html
    r = client.post(reverse("reports:targets"), {"branch": org_a.branches["A1"].pk, "month": "2026-11", "amount": "1"})
    assert r.status_code == 403
    assert client.post(reverse("reports:target_edit", args=[target.pk]), {"amount": "1"}).status_code == 403
    target.refresh_from_db()
    assert target.amount == Decimal("80000.00")


def test_partner_paper_flag(org_a, org_b, client_as, a1_report):
    with org_a.scope():
        partner = SignedPartner.objects.get()
    assert client_as(org_a.users["bgm"]).post(reverse("reports:partner_paper", args=[partner.pk]), {"received": "1"}).status_code == 403
    assert client_as(org_b.users["mspec"]).post(reverse("reports:partner_paper", args=[partner.pk]), {"received": "1"}).status_code == 404
    client = client_as(org_a.users["mspec"])
    assert client.post(reverse("reports:partner_paper", args=[partner.pk]), {"received": "1"}).status_code == 302
    partner.refresh_from_db()
    assert partner.paper_received
    assert "顺达" in client.get(reverse("reports:partners") + "?paper_received=true").content.decode()


def test_calendar(org_a, org_b, client_as):
    client = client_as(org_a.users["admin"])
    page = client.get(reverse("reports:calendar")).content.decode()
    assert "缺少 2027 年" in page
    assert client.post(reverse("reports:calendar"), {"day": "2027-01-01", "is_working": "0", "note": "元旦"}).status_code == 302
    r = client.post(reverse("reports:calendar"), {"day": "not-a-date", "is_working": "0", "note": "x"})
    assert r.status_code == 200 and "输入一个有效的日期" in r.content.decode()
    with org_a.scope():
        override = WorkdayOverride.objects.get()
    assert client_as(org_b.users["admin"]).post(reverse("reports:override_delete", args=[override.pk])).status_code == 404
    assert client_as(org_a.users["bgm"]).get(reverse("reports:calendar")).status_code == 403
    assert client.post(reverse("reports:override_delete", args=[override.pk])).status_code == 302
    with org_a.scope():
        assert not WorkdayOverride.objects.exists()


@pytest.fixture
def summary(org_a, a1_report):
    with org_a.scope():
        file_report(org_a, "A2", D, user="bgm2", now=NOW, narrative="甲二的日报内容")
        return mailing.summary_send(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 23, 10))


def test_summaries_browse_and_download(org_a, org_b, client_as, summary, django_assert_max_num_queries):
    client = client_as(org_a.users["gm"])
    with django_assert_max_num_queries(MAX_QUERIES):
        assert "2026-11-20" in client.get(reverse("reports:summaries")).content.decode()
    page = client.get(reverse("reports:summary_detail", args=[summary.pk])).content.decode()
    assert "甲二的日报内容" in page and "公司合计" in page
    with django_assert_max_num_queries(MAX_QUERIES):
        r = client.get(reverse("reports:summary_file", args=[summary.pk, "xlsx"]))
    assert load_workbook(io.BytesIO(r.content)).worksheets[0].max_row == 5  # title row + header + 3 branches
    assert client.get(reverse("reports:summary_file", args=[summary.pk, "pdf"]))["Content-Type"] == "application/pdf"
    assert client.get(reverse("reports:summary_file", args=[summary.pk, "doc"])).status_code == 404
    assert client_as(org_b.users["gm"]).get(reverse("reports:summary_detail", args=[summary.pk])).status_code == 404
    assert client_as(org_a.users["sales"]).get(reverse("reports:summaries")).status_code == 403


def test_branch_gm_sees_only_own_branch_in_summary(org_a, client_as, summary):
    """S000-21 with the tenant's "branch GMs get all branches" turned off."""
    type(org_a.tenant).objects.filter(pk=org_a.tenant.pk).update(summary_all_branches_to_branch_gm=False)
    client = client_as(org_a.users["bgm"])
    page = client.get(reverse("reports:summary_detail", args=[summary.pk])).content.decode()
    assert "甲一分公司" in page and "甲二的日报内容" not in page and "公司合计" not in page
    wb = load_workbook(io.BytesIO(client.get(reverse("reports:summary_file", args=[summary.pk, "xlsx"])).content))
    assert [c.value for c in wb.worksheets[0]["B"]][2:] == ["甲一分公司"]


def test_branch_gm_sees_the_whole_summary_by_default(org_a, client_as, summary):
    """S000-21: the seed sends one summary to 分总及以上, so by default a branch GM reads it all."""
    assert org_a.tenant.summary_all_branches_to_branch_gm is True
    page = client_as(org_a.users["bgm"]).get(reverse("reports:summary_detail", args=[summary.pk])).content.decode()
    assert "甲二的日报内容" in page and "公司合计" in page


def test_resend_failed_summary(org_a, client_as, summary, django_capture_on_commit_callbacks):
    from django.core import mail

    with org_a.scope():
        DailySummary.objects.filter(pk=summary.pk).update(status=SummaryStatus.FAILED, last_error="SMTP down")
    assert client_as(org_a.users["gm"]).post(reverse("reports:summary_resend", args=[summary.pk])).status_code == 403
    client = client_as(org_a.users["mspec"])
    assert "SMTP down" in client.get(reverse("reports:summary_detail", args=[summary.pk])).content.decode()
    sent_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("reports:summary_resend", args=[summary.pk])).status_code == 302
    summary.refresh_from_db()
    assert summary.status == SummaryStatus.SENT and summary.generation == 2 and len(mail.outbox) == sent_before + 1


def test_recipients_page(org_a, org_b, client_as):
    client = client_as(org_a.users["admin"])
    assert "甲总经理" in client.get(reverse("reports:recipients")).content.decode()
    assert client.post(reverse("reports:recipients"), {"user": org_a.users["mspec"].pk, "include": "1"}).status_code == 302
    r = client.post(reverse("reports:recipients"), {"user": org_b.users["gm"].pk, "include": "1"})
    assert r.status_code == 200 and "选择一个有效的选项" in r.content.decode()
    with org_a.scope():
        assert list(RecipientOverride.objects.values_list("user_id", "include")) == [(org_a.users["mspec"].pk, True)]
    assert client_as(org_a.users["gm"]).get(reverse("reports:recipients")).status_code == 403


def test_roster_and_collections_lists(org_a, client_as):
    with org_a.scope():
        services.target_set(tenant=org_a.tenant, branch=org_a.branches["A1"], month=D, amount=Decimal(1), actor=None)
    for name in ("reports:roster", "reports:collections"):
        assert client_as(org_a.users["hr"]).get(reverse(name)).status_code == 200
        assert client_as(org_a.users["sales"]).get(reverse(name)).status_code == 403


def test_home_card_for_latest_summary(org_a, client_as, summary):
    page = client_as(org_a.users["gm"]).get(reverse("home")).content.decode()
    assert "最新每日汇总" in page and reverse("reports:summary_detail", args=[summary.pk]) in page


def test_home_cards(org_a, client_as, a1_report):
    page = client_as(org_a.users["mspec"]).get(reverse("home")).content.decode()
    assert "1/3" in page
    assert "缺少官方节假日安排的年份" in client_as(org_a.users["admin"]).get(reverse("home")).content.decode()
    assert "已提交" in client_as(org_a.users["bgm"]).get(reverse("home")).content.decode()


def test_query_counts_do_not_grow_with_rows(org_a, client_as, a1_report):
    client = client_as(org_a.users["mspec"])
    urls = [reverse("reports:list"), reverse("reports:board"), reverse("reports:partners"), reverse("reports:targets")]
    with org_a.scope():
        services.target_set(tenant=org_a.tenant, branch=org_a.branches["A1"], month=D, amount=Decimal(5), actor=None)
    for u in urls:  # warm the per-user caches (inbox badge), as a second page view would
        client.get(u)
    before = [_count(client, u) for u in urls]
    with org_a.scope():
        for day in (dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 18)):
            for code, user in (("A1", "bgm"), ("A2", "bgm2")):
                file_report(org_a, code, day, user=user, now=NOW,
                            partners=[{"kind": "dealer", "name": f"店{day.day}", "city": "杭州", "contact": "王"}])
            for code in ("A1", "A2", "A3"):
                services.target_set(tenant=org_a.tenant, branch=org_a.branches[code], month=day.replace(month=day.day % 12 + 1),
                                    amount=Decimal(5), actor=None)
    assert [_count(client, u) for u in urls] == before


def test_english_ui(org_a, client_as, a1_report):
    client = client_as(org_a.users["mspec"], language="en")
    page = client.get(reverse("reports:board")).content.decode()
    assert "Filing board" in page and "On time" in page
    client = client_as(org_a.users["bgm"], language="en")
    r = _post_report(client, reverse("reports:file"), branch=str(org_a.branches["A1"].pk), customer_visits="-2")
    assert "Enter a whole number of 0 or more." in r.content.decode()


def test_summary_files_and_resend_of_another_tenant_answer_404(org_a, org_b, client_as, summary):
    with org_a.scope():
        DailySummary.objects.filter(pk=summary.pk).update(status=SummaryStatus.FAILED)
    other = client_as(org_b.users["allroles"])
    for fmt in ("xlsx", "pdf"):
        assert other.get(reverse("reports:summary_file", args=[summary.pk, fmt])).status_code == 404
    assert other.post(reverse("reports:summary_resend", args=[summary.pk])).status_code == 404
    summary.refresh_from_db()
    assert summary.status == SummaryStatus.FAILED and summary.generation == 1


def test_gm_no_longer_filing_still_reads_own_reports(org_a, client_as, a1_report):
    org_a.tenant.report_filing_roles = ["salesperson"]
    org_a.tenant.save()
    client = client_as(org_a.users["bgm"])
    assert client.get(reverse("reports:file")).status_code == 403
    assert client.get(reverse("reports:detail", args=[a1_report.pk])).status_code == 200
    assert "修改" not in client.get(reverse("reports:detail", args=[a1_report.pk])).content.decode().split("page-head")[1][:600]


def test_file_opens_existing_report_unless_picking_another_day(org_a, client_as, a1_report):
    client = client_as(org_a.users["bgm"])
    r = client.get(reverse("reports:file") + "?day=2026-11-20")
    assert r.status_code == 302 and r.url == reverse("reports:edit", args=[a1_report.pk])
    assert client.get(reverse("reports:file") + "?day=2026-11-20&pick=1").status_code == 200
    # the "new report" form never overwrites an existing report (nor drops its partners)
    r = _post_report(client, reverse("reports:file"), branch=str(org_a.branches["A1"].pk), narrative="同一天再次提交")
    assert "的日报已存在" in r.content.decode() and "同一天再次提交" in r.content.decode()
    with org_a.scope():
        assert DailyReport.objects.get().narrative == "今日拜访客户"
        assert SignedPartner.objects.count() == 1
