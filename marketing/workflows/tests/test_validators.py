"""One validator module for every field type (validators.py): what the admin builds and what
an applicant enters. Each type: a good value, its stored form, and the refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from marketing.workflows.validators import clean_values, condition_values, validate_schema

pytestmark = pytest.mark.django_db


def F(key, kind, required=True, **extra):  # noqa: N802
    return {"key": key, "label": key.upper(), "type": kind, "required": required, "help": "", **extra}


TABLE = F("lines", "table", columns=[{"key": "item", "label": "项目", "type": "text"},
                                     {"key": "qty", "label": "数量", "type": "number"},
                                     {"key": "amount", "label": "金额", "type": "money"},
                                     {"key": "day", "label": "日期", "type": "date"}])
EVERY = [F("t", "text"), F("l", "textarea"), F("n", "number"), F("m", "money"), F("d", "date"),
         F("r", "daterange"), F("c", "choice", options=["常规", "特殊"]), F("p", "people"), F("b", "branch"),
         F("cu", "customer"), F("a", "attachment", required=False), TABLE]


def _clean(org, fields, raw):
    with org.scope():
        return clean_values(validate_schema(fields), raw, tenant=org.tenant)


@pytest.fixture
def customer(org_a):
    from customers.models import Customer

    with org_a.scope():
        return Customer.objects.create(tenant=org_a.tenant, name="甲客户", branch=org_a.branches["A1"],
                                       owner=org_a.users["sales"])


def test_every_type_accepts_a_good_value_and_stores_json(org_a, customer):
    values, errors = _clean(org_a, EVERY, {
        "t": " 标题 ", "l": "第一行\n第二行", "n": "12.50", "m": "1,234.5", "d": "2026-03-01",
        "r": ["2026-03-01", "2026-03-05"], "c": "特殊", "p": [str(org_a.users["gm"].pk), str(org_a.users["gm"].pk)],
        "b": str(org_a.branches["A2"].pk), "cu": str(customer.pk),
        "a": [{"id": 7, "name": "x.pdf"}],
        "lines": [{"item": "场地", "qty": "2", "amount": "3000", "day": "2026-03-02"},
                  {"item": "", "qty": "", "amount": "", "day": ""}],  # a blank row is dropped
    })
    assert errors == {}
    assert values == {
        "t": "标题", "l": "第一行\n第二行", "n": "12.5", "m": "1234.50", "d": "2026-03-01",
        "r": ["2026-03-01", "2026-03-05"], "c": "特殊", "p": [org_a.users["gm"].pk], "b": org_a.branches["A2"].pk,
        "cu": customer.pk, "a": [{"id": 7, "name": "x.pdf"}],
        "lines": [{"item": "场地", "qty": "2", "amount": "3000.00", "day": "2026-03-02"}],
    }


@pytest.mark.parametrize(("field", "raw", "message"), [
    (F("t", "text"), "x" * 201, "不能超过 200 个字"),
    (F("n", "number"), "abc", "请输入数字"),
    (F("n", "number"), "1e20", "数字超出范围"),
    (F("m", "money"), "10.001", "最多 2 位小数"),
    (F("m", "money"), "-5", "金额不能为负数"),
    (F("d", "date"), "2026-02-30", "请输入有效日期"),
    (F("d", "date"), "1800-01-01", "日期超出范围"),
    (F("r", "daterange"), ["2026-03-05", "2026-03-01"], "结束日期不能早于开始日期"),
    (F("r", "daterange"), ["2026-03-05", ""], "请填写开始和结束日期"),
    (F("c", "choice", options=["常规", "特殊"]), "其他", "请选择列出的选项之一"),
    (F("p", "people"), ["999999999"], "请选择本公司在职的人员"),
    (F("b", "branch"), "999999999", "请选择本公司的分公司"),
    (F("cu", "customer"), "999999999", "请选择您可查看的客户"),
    (TABLE, [{"item": "场地", "qty": "x", "amount": "1", "day": "2026-01-01"}], "第 1 行“数量”：请输入数字"),
    (TABLE, [{"item": "场地", "qty": "1", "amount": "", "day": "2026-01-01"}], "第 1 行“金额”未填写"),
])
def test_each_type_refuses_bad_input(org_a, field, raw, message):
    values, errors = _clean(org_a, [field], {field["key"]: raw})
    assert values == {}
    assert message in errors[field["key"]]


def test_required_and_optional(org_a):
    fields = [F("must", "text"), F("may", "money", required=False), F("rows", "table", columns=TABLE["columns"])]
    values, errors = _clean(org_a, fields, {"must": "  ", "may": "", "rows": [{"item": ""}]})
    assert errors == {"must": "此项必填。", "rows": "此项必填。"}
    assert values == {}


def test_another_tenants_people_branch_and_customer_are_refused(org_a, org_b):
    from customers.models import Customer

    with org_b.scope():
        foreign = Customer.objects.create(tenant=org_b.tenant, name="乙客户", branch=org_b.branches["B1"],
                                          owner=org_b.users["sales"])
    _values, errors = _clean(org_a, [F("p", "people"), F("b", "branch"), F("cu", "customer")], {
        "p": [str(org_b.users["gm"].pk)], "b": str(org_b.branches["B1"].pk), "cu": str(foreign.pk)})
    assert set(errors) == {"p", "b", "cu"}


@pytest.mark.parametrize(("fields", "code"), [
    ([], "no_fields"),
    ([F("Bad Key", "text")], "bad_key"),
    ([F("branch", "text")], "bad_key"),  # the engine's own condition field
    ([F("a", "text"), F("a", "number")], "duplicate_key"),
    ([F("a", "colour")], "bad_type"),
    ([F("a", "choice", options=[])], "no_options"),
    ([F("a", "choice", options=["有 空格"])], "bad_option"),
    ([F("a", "choice", options=["是", "否"])], "bad_option"),  # read as true/false by conditions
    ([F("a", "choice", options=["x", "x"])], "duplicate_option"),
    ([F("a", "table", columns=[])], "no_columns"),
    ([F("a", "table", columns=[{"key": "c1", "label": "x", "type": "people"}])], "bad_column_type"),
    ([{**F("a", "text"), "label": ""}], "label_required"),
])
def test_schema_refusals(fields, code):
    with pytest.raises(ValidationError) as exc:
        validate_schema(fields)
    assert exc.value.code == code


def test_condition_values_are_typed(org_a):
    fields = validate_schema([F("m", "money"), F("c", "choice", options=["特殊"]), F("b", "branch"), F("t", "text")])
    got = condition_values(fields, {"m": "5000.01", "c": "特殊", "b": org_a.branches["A2"].pk, "t": "x"},
                           branch_codes={org_a.branches["A2"].pk: "A2"})
    assert got == {"m": Decimal("5000.01"), "c": "特殊", "b": "A2"}
