"""Pages: the builder (↑/↓ buttons, no sort numbers; draft, publish), the engine's chain
editor on a form's key (conditions from the form's fields, route preview), filing with every
field type, the request page with the engine's panel, lists (filters, paging, xlsx safe
from formulas, query counts) and reach."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from marketing.approvals.registry import StepSpec
from marketing.roles import Role
from marketing.workflows.models import FormRequest, FormTemplate, FormVersion, VersionStatus

from .helpers import F, file_request, make_form, pdf

pytestmark = pytest.mark.django_db

FIN = StepSpec(name="财务审核", role=Role.FINANCE)


def _builder_post(rows, op):
    data = {"f-count": str(len(rows)), "op": op}
    for i, r in enumerate(rows):
        data.update({f"f-{i}-key": r["key"], f"f-{i}-label": r["label"], f"f-{i}-type": r["type"],
                     f"f-{i}-help": r.get("help", "")})
        if r.get("required"):
            data[f"f-{i}-required"] = "on"
        if "options" in r:
            data[f"f-{i}-options"] = "\n".join(r["options"])
        if "columns" in r:
            data[f"f-{i}-columns"] = r["columns"]
    return data


def test_build_a_form_in_the_browser_pages(org_a, client_as):
    client = client_as(org_a.users["admin"])
    r = client.post(reverse("workflows:template_create"), {"name": "用车申请", "code": "car-1", "category": "行政"})
    with org_a.scope():
        template = FormTemplate.objects.get(tenant=org_a.tenant, code="CAR-1")
    assert r.status_code == 302 and r["Location"] == reverse("workflows:builder", kwargs={"pk": template.pk})
    url = reverse("workflows:builder", kwargs={"pk": template.pk})
    rows = [{"key": "reason", "label": "事由", "type": "textarea", "required": True}]
    r = client.post(url, _builder_post(rows, "add"))  # a new row, nothing saved yet
    assert r.status_code == 200 and 'name="f-1-key" value="f1"' in r.content.decode()
    rows = [rows[0], {"key": "f1", "label": "费用", "type": "money", "required": True},
            {"key": "f2", "label": "车型", "type": "choice", "options": ["轿车", "商务车"]},
            {"key": "f3", "label": "行程", "type": "table", "columns": "地点\n公里数:数字\n路费:金额"}]
    r = client.post(url, _builder_post(rows, "down:0"))  # ↓ moves 事由 below 费用
    html = r.content.decode()
    assert html.index('value="费用"') < html.index('value="事由"')
    r = client.post(url, _builder_post([rows[1], rows[0], rows[2], rows[3]], "save"))
    assert r.status_code == 302
    with org_a.scope():
        draft = FormVersion.objects.get(template=template, status=VersionStatus.DRAFT)
    assert [f["key"] for f in draft.fields] == ["f1", "reason", "f2", "f3"]
    assert draft.fields[3]["columns"] == [{"key": "c1", "label": "地点", "type": "text"},
                                          {"key": "c2", "label": "公里数", "type": "number"},
                                          {"key": "c3", "label": "路费", "type": "money"}]
    r = client.post(url, _builder_post(rows, "publish"), follow=True)
    assert "请先为该表单设置审批流程" in r.content.decode()
    # The engine's chain editor on this form's key offers the form's own fields.
    chain_url = reverse("approvals:chain_edit", kwargs={"key": template.approval_key}) + f"?next={url}"
    page = client.get(chain_url).content.decode()
    assert "费用" in page and "车型" in page and "返回表单设计" in page
    data = {"steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "20", "steps-0-name": "总经理审批", "steps-0-kind": "approve",
            "steps-0-approver": f"role:{Role.GENERAL_MANAGER}", "steps-0-scope": "tenant", "steps-0-mode": "any",
            "steps-0-match": "all", "steps-0-c0_field": "f1", "steps-0-c0_op": ">", "steps-0-c0_number": "500",
            "op": "save"}
    r = client.post(chain_url, data)
    assert r.status_code == 302 and r["Location"] == url, r.content.decode()[:3000]
    r = client.post(url, _builder_post([rows[1], rows[0], rows[2], rows[3]], "publish"))
    with org_a.scope():
        version = FormVersion.objects.get(template=template, status=VersionStatus.PUBLISHED)
    assert version.chain == [{**version.chain[0], "when": {"match": "all", "rows": [
        {"field": "f1", "op": ">", "value": "500"}]}}]


def test_builder_refuses_bad_fields_with_a_message(org_a, client_as):
    template = make_form(org_a, steps=[FIN])
    r = client_as(org_a.users["admin"]).post(reverse("workflows:builder", kwargs={"pk": template.pk}), _builder_post(
        [{"key": "f1", "label": "车型", "type": "choice", "options": ["有 空格"]}], "save"))
    assert r.status_code == 200 and "不能包含空格或符号" in r.content.decode()


def test_builder_needs_the_capability(org_a, client_as):
    template = make_form(org_a, steps=[FIN])
    assert client_as(org_a.users["sales"]).get(reverse("workflows:builder", kwargs={"pk": template.pk})).status_code == 403


def test_file_a_request_with_every_field_type_through_the_page(org_a, client_as):
    template = make_form(org_a, steps=[FIN])
    client = client_as(org_a.users["sales"])
    url = reverse("workflows:request_new", kwargs={"pk": template.pk})
    page = client.get(url).content.decode()
    for name in ("v-subject", "v-period-start", "v-people", "v-target", "v-customer", "v-files", "v-lines-0-item"):
        assert f'name="{name}"' in page
    post = {"title": "春季活动", "branch": str(org_a.branches["A1"].pk), "v-subject": "主题", "v-amount": "abc",
            "v-nature": "常规", "v-lines-rows": "2", "v-lines-0-item": "场地", "v-lines-0-amount": "100", "op": "submit"}
    r = client.post(url, post)
    assert r.status_code == 200 and "请输入数字" in r.content.decode() and 'value="场地"' in r.content.decode()
    r = client.post(url, {**post, "op": "addrow:lines"})
    assert 'name="v-lines-2-item"' in r.content.decode()
    r = client.post(url, {**post, "v-amount": "1200", "v-period-start": "2026-05-01", "v-period-end": "2026-05-03",
                          "v-people": [str(org_a.users["gm"].pk)], "v-files": pdf()})
    with org_a.scope():
        req = FormRequest.objects.get(template=template)
    assert r.status_code == 302 and r["Location"] == reverse("workflows:request", kwargs={"pk": req.pk})
    detail = client.get(r["Location"]).content.decode()
    assert "1,200.00" in detail and "2026-05-01 ~ 2026-05-03" in detail and "甲总经理" in detail
    assert "plan.pdf" in detail and "财务审核" in detail  # the engine's panel
    assert client_as(org_a.users["finance"]).get(reverse("workflows:pdf", kwargs={"pk": req.pk}))["Content-Type"] \
        == "application/pdf"


def test_reach_applicant_branch_gm_approvers_viewers(org_a, client_as):
    template = make_form(org_a, steps=[FIN])
    req = file_request(org_a, template, applicant="sales", branch="A1")
    url = reverse("workflows:request", kwargs={"pk": req.pk})
    for persona, code in [("sales", 200), ("bgm", 200), ("finance", 200), ("mdirector", 200), ("admin", 200),
                          ("bgm2", 404), ("sales2", 404), ("hr", 404)]:
        assert client_as(org_a.users[persona]).get(url).status_code == code, persona
    with org_a.scope():
        from marketing.workflows import services

        services.template_update(template=template, actor=org_a.users["admin"], name=template.name,
                                 viewers=[org_a.users["hr"].pk])
    assert client_as(org_a.users["hr"]).get(url).status_code == 200


def test_other_tenant_gets_404(org_a, org_b, client_as):
    template = make_form(org_a, steps=[FIN])
    req = file_request(org_a, template)
    client = client_as(org_b.users["allroles"])
    for name, pk in [("workflows:request", req.pk), ("workflows:builder", template.pk),
                     ("workflows:requests", template.pk), ("workflows:export", template.pk)]:
        assert client.get(reverse(name, kwargs={"pk": pk})).status_code == 404
    assert client.get(reverse("approvals:chain_edit", kwargs={"key": template.approval_key})).status_code == 404


def test_list_filters_pages_and_exports_formula_safe(org_a, client_as, django_assert_max_num_queries):
    template = make_form(org_a, steps=[FIN])
    for i in range(3):
        file_request(org_a, template, title=f"=HYPERLINK(\"x\",\"{i}\")", subject="=1+1", amount=str(100 + i))
    file_request(org_a, template, title="杭州", applicant="sales2", branch="A2")
    client = client_as(org_a.users["mdirector"])
    url = reverse("workflows:requests", kwargs={"pk": template.pk})
    with django_assert_max_num_queries(14):
        r = client.get(url, {"branch": org_a.branches["A2"].pk})
    assert r.status_code == 200 and "杭州" in r.content.decode() and "HYPERLINK" not in r.content.decode()
    with django_assert_max_num_queries(16):
        r = client.get(reverse("workflows:export", kwargs={"pk": template.pk}))
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:7] == ("编号", "标题", "申请人", "分公司", "状态", "表单版本", "提交时间")
    assert len(rows) == 5
    titles = [ws.cell(row=n, column=2) for n in range(2, 6)]
    assert all(c.data_type == "s" for c in titles)
    assert {c.value for c in titles} >= {'=HYPERLINK("x","0")'}
    amount_col = rows[0].index("金额") + 1
    assert sorted(ws.cell(row=n, column=amount_col).value for n in range(2, 6)) == [100, 100, 101, 102]


def test_index_lists_published_forms(org_a, client_as):
    from marketing.workflows.setup import ensure_shipped

    with org_a.scope():
        ensure_shipped(tenant=org_a.tenant)
    page = client_as(org_a.users["sales"]).get(reverse("workflows:index")).content.decode()
    assert "SC-007 市场活动" in page and "SC-001 市场调研计划" in page


def test_chain_editor_route_preview_for_a_form(org_a, client_as):
    template = make_form(org_a, fields=[F("nature", "性质", "choice", True, options=["常规", "特殊"])],
                         steps=[StepSpec(name="总经理批准", role=Role.GENERAL_MANAGER, condition="nature == 特殊"),
                                StepSpec(name="总监批准", role=Role.MARKETING_DIRECTOR, condition="nature == 常规")])
    from marketing.approvals.forms import chain_post_from_rows, spec_initial
    from marketing.approvals.registry import condition_fields, get_type
    from marketing.approvals.selectors import chain_for

    with org_a.scope():
        fields = condition_fields(get_type(template.approval_key), org_a.tenant)
        rows = [spec_initial(s, fields) for s in chain_for(tenant=org_a.tenant, key=template.approval_key)]
    data = chain_post_from_rows(rows)
    post = {key: data.getlist(key) for key in data}
    post.update({"op": "preview", "sample-applicant": org_a.users["sales"].pk,
                 "sample-branch": org_a.branches["A1"].pk, "sample-f_nature": "特殊"})
    client = client_as(org_a.users["admin"])
    body = client.post(reverse("approvals:chain_edit", kwargs={"key": template.approval_key}), post).content.decode()
    route = body[body.index('class="route"'):]
    assert re.search(r'class=""><strong>\d+\. 总经理批准</strong>\s*<span> — [^<]*甲总经理', route)
    assert re.search(r'class="skipped"><strong>\d+\. 总监批准', route)


def test_a_stale_builder_does_not_overwrite_a_newer_save(org_a, client_as):
    from marketing.workflows import services

    template = make_form(org_a, steps=[FIN])
    url = reverse("workflows:builder", kwargs={"pk": template.pk})
    client = client_as(org_a.users["admin"])
    page = client.get(url).content.decode()
    stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)
    with org_a.scope():  # someone else saves a draft meanwhile
        services.draft_save(template=template, actor=org_a.users["mdirector"], fields=[F("a", "甲", "text")])
    rows = [{"key": "b", "label": "乙", "type": "text"}]
    r = client.post(url, {**_builder_post(rows, "save"), "stamp": stamp})
    assert r.status_code == 200 and "其他人刚刚修改了" in r.content.decode()
    with org_a.scope():
        assert FormVersion.objects.get(template=template, status=VersionStatus.DRAFT).fields[0]["key"] == "a"
    fresh = re.search(r'name="stamp" value="([^"]+)"', client.get(url).content.decode()).group(1)
    assert client.post(url, {**_builder_post(rows, "save"), "stamp": fresh}).status_code == 302


def test_request_page_and_index_query_counts(org_a, client_as, django_assert_max_num_queries):
    template = make_form(org_a, steps=[FIN])
    req = file_request(org_a, template, people=[str(org_a.users["gm"].pk)])
    client = client_as(org_a.users["finance"])
    with django_assert_max_num_queries(30):
        assert client.get(reverse("workflows:request", kwargs={"pk": req.pk})).status_code == 200
    sales = client_as(org_a.users["sales"])
    with django_assert_max_num_queries(10):
        assert sales.get(reverse("workflows:index")).status_code == 200


def test_inbox_filter_offers_the_approval_forms_as_one_type(org_a, client_as):
    from expenses.tests.helpers import make_expense

    template = make_form(org_a, steps=[FIN])
    req = file_request(org_a, template, title="展会报名")
    make_expense(org_a)  # the finance inbox has an expense too (市场审核 first: not finance's yet)
    client = client_as(org_a.users["finance"])
    page = client.get(reverse("approvals:inbox"), {"document_type": "form:*"}).content.decode()
    assert 'value="form:*"' in page and req.number in page
    mine = client_as(org_a.users["sales"]).get(reverse("approvals:mine"), {"document_type": "expenses.request"})
    assert req.number not in mine.content.decode()
    assert req.number in client_as(org_a.users["sales"]).get(reverse("approvals:mine"),
                                                               {"document_type": "form:*"}).content.decode()
