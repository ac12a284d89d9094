"""Imports accept the sheets people really have (issue 8; seed rules S000-18, S000-19,
S000-31): a title row or two above the header, header synonyms, a totals line, and a
downloadable template for each import."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reports.imports import TEMPLATES, import_file_now, parse_file
from reports.models import Collection, ImportKind, MonthlyTarget, RosterEntry

from .helpers import xlsx


def test_title_rows_and_synonyms_collections(org_a):
    """S000-19: finance's 回款统计表 with a merged-style title and a date line above the header."""
    content = xlsx([
        ["上海利真 2026年11月 公司回款统计表"],
        ["制表：财务部", None, "单位：元"],
        ["回款日期", "所属分公司", "到账金额（元）"],
        ["2026-11-02", "甲一分公司", "1,200.50"],
        ["2026-11-02", "A2", 300],
        ["合计", None, 1500.5],
    ])
    with org_a.scope():
        result = parse_file(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, content=content, filename="回款.xlsx")
        assert result.ok, result.errors
        assert (result.header_row, result.total, result.skipped) == (3, 2, [6])
        assert [r["row"] for r in result.rows] == [4, 5]  # row numbers are the sheet's
        import_file_now(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, filename="回款.xlsx", content=content)
        assert dict(Collection.objects.values_list("branch__code", "amount")) == {
            "A1": Decimal("1200.50"), "A2": Decimal("300.00")}


def test_synonyms_roster_and_targets(org_a):
    """S000-18 (HR's 人事动态表及通讯录) and S000-31 (销售月度考核目标) with their own header names."""
    roster = xlsx([["人事动态表及通讯录"], ["员工姓名", "分支机构", "职务", "入职时间", "离职时间", "手机号码"],
                   ["张三", "A1", "销售", "2025-01-02", None, "13800138000"]])
    targets = xlsx([["考核月份", "分公司名称", "月度目标"], ["2026年11月", "甲三分公司", 80000], ["总计", None, 80000]])
    with org_a.scope():
        r1, o1 = import_file_now(tenant=org_a.tenant, kind=ImportKind.ROSTER, filename="r.xlsx", content=roster)
        r2, o2 = import_file_now(tenant=org_a.tenant, kind=ImportKind.TARGETS, filename="t.xlsx", content=targets)
        assert o1 and o2, (r1.errors, r2.errors)
        entry = RosterEntry.objects.get()
        assert (entry.name, entry.position, entry.hire_date, entry.phone) == ("张三", "销售", dt.date(2025, 1, 2), "13800138000")
        assert MonthlyTarget.objects.get().amount == Decimal("80000.00")


def test_header_not_found_names_the_missing_columns(org_a):
    content = xlsx([["标题"], ["日期", "分公司"], ["2026-11-02", "A1"]])
    with org_a.scope():
        result = parse_file(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, content=content, filename="c.xlsx")
    (error,) = result.errors
    assert error["row"] is None and "缺少必需的列：金额" in error["messages"][0] and "导入模板" in error["messages"][0]


def test_header_further_down_than_ten_rows_is_not_guessed(org_a):
    content = xlsx([[f"说明 {i}"] for i in range(10)] + [["日期", "分公司", "回款金额"], ["2026-11-02", "A1", 1]])
    with org_a.scope():
        result = parse_file(tenant=org_a.tenant, kind=ImportKind.COLLECTIONS, content=content, filename="c.xlsx")
    assert not result.ok and "缺少必需的列" in result.errors[0]["messages"][0]


@pytest.mark.parametrize("kind", ["roster", "collections", "targets"])
def test_each_import_has_a_template_its_import_accepts(org_a, client_as, kind):
    client = client_as(org_a.users["finance"])
    page = client.get(reverse("reports:imports")).content.decode()
    url = reverse("reports:import_template", args=[kind])
    assert url in page
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["数据", "说明"]
    assert wb["数据"].max_row == 2 and [c.value for c in wb["数据"][1]][:2] == list(TEMPLATES[kind][0][:2])
    # the template's own header parses (the example branch is unknown in this tenant, nothing else)
    with org_a.scope():
        result = parse_file(tenant=org_a.tenant, kind=kind, content=r.content, filename="t.xlsx")
    assert [" ".join(e["messages"]) for e in result.errors] == ["未知的分公司：上海分公司"]


def test_template_needs_the_import_right_and_a_known_kind(org_a, client_as):
    assert client_as(org_a.users["bgm"]).get(reverse("reports:import_template", args=["targets"])).status_code == 403
    assert client_as(org_a.users["finance"]).get(reverse("reports:import_template", args=["nope"])).status_code == 404
