"""Pages: reach (404 for what a member may not see), the form with tables, review, export,
the case library's masking, bad input answers 400."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from marketing.models import Membership
from reports.submissions import services
from reports.submissions.models import Submission, SubmissionRule, SubmissionStatus

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH)  # Friday, before the weekly plan's 12:00


def rule(org, code):
    return SubmissionRule.objects.get(tenant=org.tenant, code=code)


@pytest.mark.django_db
def test_salesperson_submits_weekly_plan_with_table_rows(org_a, client_as):
    with org_a.scope():
        r = rule(org_a, "weekly_plan")
    client = client_as(org_a.users["sales"])
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/plans/rules/{r.pk}/submit/")
        assert page.status_code == 200 and "下周重点工作" in page.content.decode()
        bad = client.post(f"/plans/rules/{r.pk}/submit/?period=2026-10-09", {
            "f_key_work": "拜访", "visits__rows": "2", "visits__0__customer": "宝马4S", "visits__0__day": "2026-13-40",
            "version": "0", "_submit": "1",
        })
        assert bad.status_code == 200
        assert "第 1 行「计划日期」" in bad.content.decode()
        assert 'value="宝马4S"' in bad.content.decode()  # the user's input is kept
        with org_a.scope():
            assert not Submission.objects.filter(rule=r, period=dt.date(2026, 10, 9)).exists()
        ok = client.post(f"/plans/rules/{r.pk}/submit/?period=2026-10-09", {
            "f_key_work": "拜访 3 家", "visits__rows": "3", "visits__0__customer": "宝马4S", "visits__0__purpose": "续保",
            "visits__0__day": "2026-10-12", "visits__1__customer": "", "version": "0", "_submit": "1",
        })
        assert ok.status_code == 302
    with org_a.scope():
        sub = Submission.objects.get(rule=r, period=dt.date(2026, 10, 9), submitter=org_a.users["sales"])
        assert sub.status == SubmissionStatus.SUBMITTED
        assert sub.data == {"key_work": "拜访 3 家", "visits": [{"customer": "宝马4S", "purpose": "续保", "day": "2026-10-12"}]}


@pytest.mark.django_db
def test_reach_other_salesperson_and_other_tenant_get_404(org_a, org_b, client_as):
    with org_a.scope():
        sub = services.submission_save(
            membership=Membership.objects.get(user=org_a.users["sales"]), rule=rule(org_a, "weekly_plan"),
            period=dt.date(2026, 10, 9), branch=None, data={"key_work": "机密计划", "visits": []}, submit=True, now=NOW)
    assert client_as(org_a.users["sales"]).get(f"/plans/s/{sub.pk}/").status_code == 200
    assert client_as(org_a.users["sales2"]).get(f"/plans/s/{sub.pk}/").status_code == 404
    assert client_as(org_b.users["allroles"]).get(f"/plans/s/{sub.pk}/").status_code == 404
    director = client_as(org_a.users["mdirector"]).get(f"/plans/s/{sub.pk}/")
    assert director.status_code == 200 and "审阅通过" in director.content.decode()
    # A branch GM is neither submitter nor reviewer of the weekly plan: the rule itself is hidden.
    assert client_as(org_a.users["bgm"]).get(f"/plans/rules/{sub.rule_id}/").status_code == 404


@pytest.mark.django_db
def test_review_from_the_page_and_board_export(org_a, client_as):
    with org_a.scope():
        sub = services.submission_save(
            membership=Membership.objects.get(user=org_a.users["sales"]), rule=rule(org_a, "weekly_plan"),
            period=dt.date(2026, 10, 9), branch=None, data={"key_work": "=HYPERLINK(\"x\")", "visits": []},
            submit=True, now=NOW)
    director = client_as(org_a.users["mdirector"])
    resp = director.post(f"/plans/s/{sub.pk}/review/", {"decision": "return", "comment": "", "version": sub.version})
    assert resp.status_code == 302
    with org_a.scope():
        assert Submission.objects.get(pk=sub.pk).status == SubmissionStatus.SUBMITTED  # comment required
    director.post(f"/plans/s/{sub.pk}/review/", {"decision": "return", "comment": "重写", "version": sub.version})
    with org_a.scope():
        assert Submission.objects.get(pk=sub.pk).status == SubmissionStatus.RETURNED
    export = director.get(f"/plans/rules/{sub.rule_id}/?period=2026-10-09&format=xlsx")
    ws = load_workbook(io.BytesIO(export.content)).active
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    cell = rows[org_a.users["sales"].display_name][4]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"  # text, never a formula


@pytest.mark.django_db
def test_bad_period_answers_400_not_500(org_a, client_as):
    with org_a.scope():
        r = rule(org_a, "weekly_plan")
    client = client_as(org_a.users["mdirector"])
    assert client.get(f"/plans/rules/{r.pk}/?period=9999-12-31").status_code == 400
    assert client.get(f"/plans/rules/{r.pk}/?period=2026-10-08").status_code == 400  # a Thursday
    assert client.get(f"/plans/rules/{r.pk}/?period=garbage").status_code == 400


@pytest.mark.django_db
def test_case_library_masks_customer_names_for_readers_outside_the_branch(org_a, client_as):
    """S000-30: cases are shared with every branch; customer names only for readers who may see them."""
    from customers.models import Customer

    with org_a.scope():
        customer = Customer.objects.create(tenant=org_a.tenant, name="杭州宝马之星4S店", branch=org_a.branches["A1"],
                                           owner=org_a.users["sales"])
        services.submission_save(
            membership=Membership.objects.get(user=org_a.users["bgm"]), rule=rule(org_a, "case_sharing"),
            period=dt.date(2026, 10, 9), branch=org_a.branches["A1"], submit=True, now=NOW,
            data={"title": "续保案例", "customer": customer.pk, "story": "价格顾虑化解", "script": "锁定维修成本", "recorder": None},
        )
    outsider = client_as(org_a.users["bgm2"]).get("/plans/library/?q=价格顾虑").content.decode()
    assert "续保案例" in outsider and "杭州宝马之星4S店" not in outsider and "杭＊＊" in outsider
    owner = client_as(org_a.users["sales"]).get("/plans/library/?q=价格顾虑").content.decode()
    assert "杭州宝马之星4S店" in owner
    assert "续保案例" not in client_as(org_a.users["bgm2"]).get("/plans/library/?q=杭州宝马").content.decode()


RULE_POST = {
    "code": "weekly_stats", "name": "销售情况周统计表", "scope": "branch", "submitter_roles": ["branch_gm"],
    "cadence": "weekly", "weekdays": ["4"], "month_day": "26", "deadline_time": "17:00",
    "shift_to_working_day": "on", "remind_minutes_before": "60", "digest_delay_minutes": "30",
    "sort_order": "80", "is_active": "on",
}
TEMPLATE_POST = {
    "f-count": "2",
    "f-0-key": "sales", "f-0-label": "本周回款", "f-0-type": "money", "f-0-required": "1", "f-0-ccount": "0",
    "f-1-key": "rows", "f-1-label": "明细", "f-1-type": "table", "f-1-ccount": "3",
    "f-1-c-0-key": "dealer", "f-1-c-0-label": "经销商", "f-1-c-0-type": "text",
    "f-1-c-1-key": "amount", "f-1-c-1-label": "金额", "f-1-c-1-type": "money",
    "f-1-c-2-key": "", "f-1-c-2-label": "", "f-1-c-2-type": "text",  # the empty slot is ignored
}


@pytest.mark.django_db
def test_rule_editor_needs_the_capability_and_validates_the_template(org_a, client_as):
    assert client_as(org_a.users["sales"]).get("/plans/rules/new/").status_code == 403
    admin = client_as(org_a.users["admin"])
    bad = {**RULE_POST, **TEMPLATE_POST, "f-1-c-1-type": "attachment", "f-0-key": "9x"}
    resp = admin.post("/plans/rules/new/", bad)
    html = resp.content.decode()
    assert resp.status_code == 200 and "字段 1：编码只能用字母" in html and "字段 2 第 2 列：表格列不能用这种类型" in html
    assert 'value="经销商"' in html  # nothing typed is lost
    resp = admin.post("/plans/rules/new/", {**RULE_POST, **TEMPLATE_POST})
    assert resp.status_code == 302
    with org_a.scope():
        created = SubmissionRule.objects.get(tenant=org_a.tenant, code="weekly_stats")
        assert created.fields == [
            {"key": "sales", "label": "本周回款", "type": "money", "required": True, "help": ""},
            {"key": "rows", "label": "明细", "type": "table", "required": False, "help": "",
             "columns": [{"key": "dealer", "label": "经销商", "type": "text"},
                         {"key": "amount", "label": "金额", "type": "money"}]},
        ]
        assert created.weekdays == [4]


@pytest.mark.django_db
def test_rule_editor_buttons_add_move_and_delete_without_saving(org_a, client_as):
    admin = client_as(org_a.users["admin"])
    post = {**RULE_POST, **TEMPLATE_POST}
    # Move the table up: its columns go with it; nothing is saved, nothing typed is lost.
    html = admin.post("/plans/rules/new/", {**post, "_field_move": "1:up"}).content.decode()
    assert html.index('value="明细"') < html.index('value="本周回款"')
    assert 'value="经销商"' in html and 'value="销售情况周统计表"' in html
    assert "这个字段是必填项" not in html  # no "required" errors on a rule being put together
    with org_a.scope():
        assert not SubmissionRule.objects.filter(tenant=org_a.tenant, code="weekly_stats").exists()
    html = admin.post("/plans/rules/new/", {**post, "_field_delete": "0"}).content.decode()
    assert 'value="本周回款"' not in html and 'value="明细"' in html
    html = admin.post("/plans/rules/new/", {**post, "_field_add": "1"}).content.decode()
    assert 'name="f-count" value="3"' in html
    html = admin.post("/plans/rules/new/", {**post, "_col_delete": "1:0"}).content.decode()
    assert 'value="经销商"' not in html and 'value="金额"' in html
    # "Make it a table" on a text field turns it into a table with a first column slot.
    html = admin.post("/plans/rules/new/", {**post, "_col_add": "0"}).content.decode()
    assert 'id="f-0-c-0-label"' in html
    # Blank codes are generated; an editor page of an existing rule shows its fields.
    auto = {**post, "f-0-key": "", "f-1-c-0-key": ""}
    assert admin.post("/plans/rules/new/", auto).status_code == 302
    with org_a.scope():
        rule = SubmissionRule.objects.get(tenant=org_a.tenant, code="weekly_stats")
        assert rule.fields[0]["key"] == "field_1" and rule.fields[1]["columns"][0]["key"] == "col_1"
    page = admin.get(f"/plans/rules/{rule.pk}/edit/").content.decode()
    assert 'value="本周回款"' in page and 'value="col_1"' in page


@pytest.mark.django_db
def test_home_card_lists_my_submissions_due(org_a, client_as):
    with time_machine.travel(NOW, tick=False):
        home = client_as(org_a.users["sales"]).get("/").content.decode()
    assert "待交的计划与报表" in home


@pytest.mark.django_db
def test_my_due_costs_the_same_queries_whatever_the_rules(org_a, django_assert_max_num_queries):
    from reports.submissions import selectors

    with org_a.scope():
        m = Membership.objects.select_related("tenant").prefetch_related("role_assignments").get(user=org_a.users["allroles"])
        with django_assert_max_num_queries(4):
            items = selectors.my_due(membership=m, now=NOW)
        # allroles submits every shipped rule: 3 branch rules for A1-A3 and 19 person rules once.
        assert len(items) == 3 * 3 + 19


@pytest.mark.django_db
def test_visit_plan_board_shows_plan_against_done(org_a, client_as):
    """S002-03 / S002-15: a salesperson plans next week's visits; the archive's visit records
    tick them off and the board shows planned vs done."""
    from customers.models import Customer, Visit

    sunday = dt.date(2026, 10, 11)
    with org_a.scope():
        sales = org_a.users["sales"]
        a = Customer.objects.create(tenant=org_a.tenant, name="宁波丰田4S", branch=org_a.branches["A1"], owner=sales)
        b = Customer.objects.create(tenant=org_a.tenant, name="余姚修理厂", branch=org_a.branches["A1"], owner=sales)
        sub = services.submission_save(
            membership=Membership.objects.get(user=sales), rule=rule(org_a, "visit_plan"), period=sunday, branch=None,
            submit=True, now=dt.datetime(2026, 10, 11, 9, 0, tzinfo=SH),
            data={"visits": [{"customer": a.pk, "day": "2026-10-12", "purpose": "续保"},
                             {"customer": b.pk, "day": "2026-10-14", "purpose": "签约"}]})
        Visit.objects.create(tenant=org_a.tenant, customer=a, visited_on=dt.date(2026, 10, 12), visited_by=sales)
        Visit.objects.create(tenant=org_a.tenant, customer=b, visited_on=dt.date(2026, 10, 20), visited_by=sales)  # after the week
    page = client_as(org_a.users["bgm"]).get(f"/plans/rules/{sub.rule_id}/?period=2026-10-11").content.decode()
    assert "计划/完成" in page and "1/2" in page
    detail = client_as(org_a.users["sales"]).get(f"/plans/s/{sub.pk}/").content.decode()
    assert detail.count("已拜访") == 1 and detail.count("未拜访") == 1


@pytest.mark.django_db
def test_case_library_queries_do_not_grow_with_cases(org_a, client_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(org_a.users["bgm2"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/plans/library/").status_code == 200
        return len(ctx)

    few = count()
    with org_a.scope():
        r = rule(org_a, "case_sharing")
        bgm = Membership.objects.get(user=org_a.users["bgm"])
        for day in (dt.date(2026, 9, 4), dt.date(2026, 9, 11), dt.date(2026, 9, 18)):
            services.submission_save(membership=bgm, rule=r, period=day, branch=org_a.branches["A1"], submit=True,
                                     data={"title": "t", "story": "s", "script": "x", "recorder": bgm.user_id},
                                     now=dt.datetime(2026, 9, 1, 9, 0, tzinfo=SH))
    assert count() == few
