"""The chain editor: conditions from dropdowns (field / operator / value, no expression
typing), step order by ↑/↓ (no sort numbers), add/remove without losing what was typed, and
the route preview of a sample request. Expense chain of tenant A (seed 000 / SC-007)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from expenses.tests.helpers import make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.forms import chain_post_from_rows, spec_initial
from marketing.approvals.models import ApprovalChain, StepKind, StepScope
from marketing.approvals.registry import (
    StepSpec,
    build_condition,
    condition_fields,
    condition_holds,
    condition_rows,
    get_type,
)
from marketing.approvals.selectors import chain_for
from marketing.roles import Role

pytestmark = pytest.mark.django_db

KEY = "expenses.request"
URL = reverse("approvals:chain_edit", args=[KEY])


OLD_DEFAULT = [  # the expense chain as shipped before seed 000's order became the default
    StepSpec(name="分公司总经理签字", role=Role.BRANCH_GM, scope=StepScope.BRANCH),
    StepSpec(name="市场部审核", role=Role.MARKETING_SPECIALIST, kind=StepKind.VERIFY,
             checklist=("费用比例", "合同金额", "费用金额")),
    StepSpec(name="市场营销总监审批", role=Role.MARKETING_DIRECTOR, condition="is_special == false"),
    StepSpec(name="总经理审批", role=Role.GENERAL_MANAGER, condition="is_special == true or ratio_over_limit == true"),
    StepSpec(name="财务核实", role=Role.FINANCE, kind=StepKind.VERIFY, checklist=("人员", "费用", "账户", "时间节点")),
    StepSpec(name="分公司出纳备案", role=Role.BRANCH_CASHIER, kind=StepKind.RECORD, scope=StepScope.BRANCH),
]


def known_chain(org):
    """Save OLD_DEFAULT as the tenant's chain (version 1), whatever the built-in default is."""
    with org.scope():
        approvals.chain_save(tenant=org.tenant, actor=org.users["admin"], key=KEY, steps=OLD_DEFAULT)


def _version_count(org):
    from marketing.approvals.models import ApprovalChainVersion

    with org.scope():
        return ApprovalChainVersion.objects.filter(tenant=org.tenant, document_type=KEY).count()


def _rows(org):
    with org.scope():
        fields = condition_fields(get_type(KEY), org.tenant)
        return [spec_initial(s, fields) for s in chain_for(tenant=org.tenant, key=KEY)]


def _post(client, rows, **extra):
    data = chain_post_from_rows(rows)
    for key, value in extra.items():
        data[key] = value
    return client.post(URL, {key: data.getlist(key) for key in data})


def _step_titles(body: str) -> list[str]:
    return re.findall(r"<h3>第 \d+ 步 · ([^<]+)</h3>", body)


def test_condition_rows_round_trip_through_the_grammar():
    assert condition_rows("") == ("all", [])
    assert condition_rows("is_special == false") == ("all", [("is_special", "==", False)])
    match, rows = condition_rows("is_special == true or ratio_over_limit == true")
    assert match == "any" and [r[0] for r in rows] == ["is_special", "ratio_over_limit"]
    assert condition_rows("a == 1 and b == 2 or c == 3") is None  # not one list of rows
    expr = build_condition([("amount", ">", Decimal("10000.0000")), ("branch", "in", ("A1", "A2"))])
    assert expr == "amount > 10000 and branch in A1|A2"
    assert condition_holds(expr, {"amount": Decimal("20000"), "branch": "A2"})
    assert not condition_holds(expr, {"amount": Decimal("20000"), "branch": "A3"})
    assert not condition_holds(expr, {"amount": Decimal("9000"), "branch": "A1"})


def test_field_types_are_read_off_the_model(org_a):
    with org_a.scope():
        fields = condition_fields(get_type(KEY), org_a.tenant)
    assert fields["amount"].type == "number"
    assert fields["is_special"].type == "bool"
    assert fields["ratio_over_limit"].type == "bool"
    assert fields["branch"].type == "choice" and ("A1", "甲一分公司") in fields["branch"].choices
    assert {c for c, _label in fields["region"].choices} == {"RA1", "RA2"}


def test_the_default_chain_shows_as_dropdowns_and_saves_back_unchanged(org_a, client_as):
    known_chain(org_a)
    admin = client_as(org_a.users["admin"])
    body = admin.get(URL).content.decode()
    assert _step_titles(body)[:2] == ["分公司总经理签字", "市场部审核"]
    assert 'type="text" name="steps-3-condition"' not in body  # no expression box
    assert '<option value="bool:true" selected>' in body  # is_special == true, as a dropdown
    with org_a.scope():
        before = [(s.name, s.condition) for s in chain_for(tenant=org_a.tenant, key=KEY)]
    assert _post(admin, _rows(org_a), op="save").status_code == 302
    with org_a.scope():
        after = [(s.name, s.condition) for s in chain_for(tenant=org_a.tenant, key=KEY)]
    assert after == before


def test_up_down_remove_add_rearrange_without_saving_or_losing_input(org_a, client_as):
    known_chain(org_a)
    admin = client_as(org_a.users["admin"])
    rows = _rows(org_a)
    rows[0]["name"] = "分总签字（改名未保存）"
    moved = _post(admin, rows, op="down:0")
    assert moved.status_code == 200
    assert _step_titles(moved.content.decode())[:2] == ["市场部审核", "分总签字（改名未保存）"]
    up = _post(admin, rows, op="up:2")
    assert _step_titles(up.content.decode())[:3] == ["分总签字（改名未保存）", "市场营销总监审批", "市场部审核"]
    removed = _post(admin, rows, op="remove:1")
    assert "市场部审核" not in _step_titles(removed.content.decode())
    added = _post(admin, rows, op="add")
    assert added.content.decode().count('class="chain-step"') == len(rows) + 1
    assert _version_count(org_a) == 1  # nothing saved yet
    # Save the reordered chain: the order on the page is the order of the steps.
    rows[0], rows[1] = rows[1], rows[0]
    assert _post(admin, rows, op="save").status_code == 302
    with org_a.scope():
        names = [s.name for s in chain_for(tenant=org_a.tenant, key=KEY)]
    assert names[:2] == ["市场部审核", "分总签字（改名未保存）"]


def test_dropdown_conditions_refuse_what_makes_no_sense(org_a, client_as):
    admin = client_as(org_a.users["admin"])
    rows = _rows(org_a)[:1]
    cases = [
        ({"c0_field": "is_special", "c0_op": ">", "c0_values": ["bool:true"]}, "不能用"),
        ({"c0_field": "is_special", "c0_op": "==", "c0_values": []}, "请选择“是”或“否”"),
        ({"c0_field": "branch", "c0_op": "==", "c0_values": ["branch:A1", "branch:A2"]}, "请为"),
        ({"c0_field": "branch", "c0_op": "in", "c0_values": ["branch:NOPE"]}, "请为"),
        ({"c0_field": "amount", "c0_op": ">=", "c0_number": "abc"}, "数"),
        ({"c0_field": "no_such", "c0_op": "=="}, "选择一个有效的选项"),
    ]
    for extra, message in cases:
        row = {**rows[0], **extra}
        page = _post(admin, [row], op="save")
        assert page.status_code == 200, extra
        assert message in page.content.decode(), (extra, message)
    with org_a.scope():
        assert not ApprovalChain.objects.filter(tenant=org_a.tenant).exists()


def test_branch_in_condition_runs_on_real_requests(org_a, client_as):
    admin = client_as(org_a.users["admin"])
    row = {**_rows(org_a)[0], "name": "总经理审批", "approver": "role:general_manager", "scope": StepScope.TENANT,
           "c0_field": "branch", "c0_op": "in", "c0_values": ["branch:A1", "branch:A2"]}
    ops = {**_rows(org_a)[0], "name": "运营备案", "approver": "role:operations", "kind": "record",
           "scope": StepScope.TENANT}
    assert _post(admin, [row, ops], op="save").status_code == 302
    with org_a.scope():
        assert chain_for(tenant=org_a.tenant, key=KEY)[0].condition == "branch in A1|A2"
    in_a1 = make_expense(org_a, branch="A1")
    in_a3 = make_expense(org_a, applicant="allroles", branch="A3")
    assert {t.step.name for t in pending(org_a, in_a1)} == {"总经理审批"}
    assert {t.step.name for t in pending(org_a, in_a3)} == {"运营备案"}


def test_route_preview_of_a_sample_request(org_a, client_as):
    known_chain(org_a)
    admin = client_as(org_a.users["admin"])
    sample = {"op": "preview", "sample-applicant": org_a.users["sales"].pk, "sample-branch": org_a.branches["A1"].pk,
              "sample-f_amount": "3000", "sample-f_contract_amount": "100000", "sample-f_ratio": "0.03",
              "sample-f_is_special": "1", "sample-f_ratio_over_limit": "0"}
    page = _post(admin, _rows(org_a), **sample)
    body = page.content.decode()
    route = body[body.index('class="route"'):]
    assert "分公司总经理签字</strong>" in route and "甲一分总" in route
    # is_special: the director's step is struck through, the GM's applies.
    assert re.search(r'class="skipped"><strong>\d+\. 市场营销总监审批', route)
    assert re.search(r'class=""><strong>\d+\. 总经理审批</strong>\s*<span> — [^<]*甲总经理', route)
    assert _version_count(org_a) == 1  # a preview saves nothing
    routine = _post(admin, _rows(org_a), **{**sample, "sample-f_is_special": "0"}).content.decode()
    routine = routine[routine.index('class="route"'):]
    assert re.search(r'class="skipped"><strong>\d+\. 总经理审批', routine)


def test_route_preview_names_positions_and_missing_people(org_a, client_as):
    with org_a.scope():
        kam = approvals.position_create(tenant=org_a.tenant, actor=org_a.users["admin"], name="大客户部经理")
        approvals.position_assign(position=kam, actor=org_a.users["admin"], user=org_a.users["ops"],
                                  region=org_a.regions["RA1"])
    admin = client_as(org_a.users["admin"])
    base = _rows(org_a)[0]
    rows = [{**base, "name": "大客户部经理审批", "approver": "position:大客户部经理", "scope": StepScope.REGION},
            {**base, "name": "分公司出纳", "approver": "role:branch_cashier", "scope": StepScope.BRANCH}]
    sample = {"op": "preview", "sample-applicant": org_a.users["allroles"].pk}
    a1 = _post(admin, rows, **sample, **{"sample-branch": org_a.branches["A1"].pk}).content.decode()
    assert re.search(r"大客户部经理审批</strong>\s*<span> — 甲运营", a1)
    a3 = _post(admin, rows, **sample, **{"sample-branch": org_a.branches["A3"].pk}).content.decode()
    assert "找不到处理人" in a3  # nobody holds the position in RA2 and no fallback role
