import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.imports import MAX_IMPORT_BYTES, import_file_now, parse_file
from reports.models import Collection, ImportKind, MonthlyTarget, RosterEntry

from .helpers import xlsx

COLL = ImportKind.COLLECTIONS


def _messages(result):
    return {e["row"]: " ".join(e["messages"]) for e in result.errors}


def test_collections_headers_in_english_any_order(org_a):
    content = xlsx([["Amount", "Branch", "Date"], [100.5, "A1", dt.date(2026, 11, 2)], ["2,000.00", "甲二分公司", "2026/11/02"]])
    with org_a.scope():
        result, outcome = import_file_now(tenant=org_a.tenant, kind=COLL, filename="c.xlsx", content=content)
        assert result.ok and outcome == {"changed": True, "created": 2, "updated": 0, "unchanged": 0, "deleted": 0}
        assert sorted(Collection.objects.values_list("amount", flat=True)) == [Decimal("100.50"), Decimal("2000.00")]


@pytest.mark.parametrize(
    ("rows", "row", "text"),
    [
        ([["日期", "分公司", "回款金额"], ["2026-11-02", "火星分公司", 1]], 2, "未知的分公司"),
        ([["日期", "分公司", "回款金额"], ["2026-13-45", "A1", 1]], 2, "日期格式不正确"),
        ([["日期", "分公司", "回款金额"], ["2026-11-02", "A1", -5]], 2, "不能为负数"),
        ([["日期", "分公司", "回款金额"], ["2026-11-02", "A1", "一百"]], 2, "不是数字"),
        ([["日期", "分公司", "回款金额"], ["2026-11-02", "A1", 1.234]], 2, "两位小数"),
        ([["日期", "分公司"], ["2026-11-02", "A1"]], None, "缺少必需的列：金额"),
        ([["日期", "分公司", "回款金额"], ["2026-11-02", "A1", 1], ["2026-11-02", "甲一分公司", 2]], 3, "与第 2 行重复"),
        ([["日期", "分公司", "回款金额"]], None, "没有数据行"),
        ([], None, "文件为空"),
    ],
)
def test_any_bad_row_imports_nothing(org_a, rows, row, text):
    good = [["2026-11-03", "A2", 10]]
    content = xlsx(rows + good if len(rows) > 1 else rows)
    with org_a.scope():
        result, outcome = import_file_now(tenant=org_a.tenant, kind=COLL, filename="c.xlsx", content=content)
        assert outcome is None
        assert text in _messages(result)[row]
        assert not Collection.objects.exists()


def test_wrong_type_empty_and_oversized_files(org_a):
    with org_a.scope():
        for filename, content, text in [
            ("c.csv", b"a,b,c\n", "文件类型不正确"),
            ("c.xlsx", b"not a zip at all", "文件类型不正确"),
            ("c.xlsx", b"", "文件为空"),
            ("c.xlsx", b"0" * (MAX_IMPORT_BYTES + 1), "上限"),
        ]:
            result = parse_file(tenant=org_a.tenant, kind=COLL, content=content, filename=filename)
            assert text in _messages(result)[None], filename


def test_other_tenants_branch_is_unknown(org_a, org_b):
    with org_a.scope():
        result = parse_file(tenant=org_a.tenant, kind=COLL, filename="c.xlsx",
                            content=xlsx([["日期", "分公司", "回款金额"], ["2026-11-02", "B1", 1]]))
    assert "未知的分公司" in _messages(result)[2]


def test_reimport_changes_nothing_and_correction_replaces_those_dates(org_a):
    first = xlsx([["日期", "分公司", "回款金额"], ["2026-11-02", "A1", 10], ["2026-11-03", "A1", 20]])
    with org_a.scope():
        import_file_now(tenant=org_a.tenant, kind=COLL, filename="c.xlsx", content=first)
        ids = set(Collection.objects.values_list("pk", flat=True))
        _, outcome = import_file_now(tenant=org_a.tenant, kind=COLL, filename="c.xlsx", content=first)
        assert outcome["changed"] is False and set(Collection.objects.values_list("pk", flat=True)) == ids
        corrected = xlsx([["日期", "分公司", "回款金额"], ["2026-11-03", "A1", 25], ["2026-11-03", "A2", 5]])
        import_file_now(tenant=org_a.tenant, kind=COLL, filename="c.xlsx", content=corrected)
        got = {(c.branch.code, c.day.day): c.amount for c in Collection.objects.select_related("branch")}
    assert got == {("A1", 2): Decimal("10.00"), ("A1", 3): Decimal("25.00"), ("A2", 3): Decimal("5.00")}


def test_roster_and_targets(org_a):
    roster = xlsx([["手机", "岗位", "姓名", "分公司", "入职日期", "离职日期"],
                   ["138", "销售", "张三", "A1", "2025-01-02", None],
                   ["", "销售", "李四", "A1", "2025-01-02", "2024-01-01"]])
    with org_a.scope():
        result, outcome = import_file_now(tenant=org_a.tenant, kind=ImportKind.ROSTER, filename="r.xlsx", content=roster)
        assert outcome is None and "离职日期早于入职日期" in _messages(result)[3]
        ok = xlsx([["姓名", "分公司", "岗位", "入职日期"], ["张三", "A1", "销售", "2025-01-02"]])
        import_file_now(tenant=org_a.tenant, kind=ImportKind.ROSTER, filename="r.xlsx", content=ok)
        assert list(RosterEntry.objects.values_list("name", flat=True)) == ["张三"]
        targets = xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 50000], ["2026-13", "A2", 1]])
        result, outcome = import_file_now(tenant=org_a.tenant, kind=ImportKind.TARGETS, filename="t.xlsx", content=targets)
        assert outcome is None and "月份格式不正确" in _messages(result)[3]
        assert not MonthlyTarget.objects.exists()


def test_commands(org_a, tmp_path, capsys):
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", 50000]]))
    bad.write_bytes(xlsx([["月份", "分公司", "目标金额"], ["2026-11", "A1", -1]]))
    call_command("import_targets", "--tenant", "alpha", str(good))
    assert "imported 1 rows" in capsys.readouterr().out
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_targets", "--tenant", "alpha", str(bad))
    assert "row 2: 金额不能为负数" in capsys.readouterr().err
    with org_a.scope():
        assert MonthlyTarget.objects.get().amount == Decimal("50000.00")
    for name in ("import_roster", "import_collections"):
        with pytest.raises(CommandError):
            call_command(name, "--tenant", "alpha", str(bad))
    with pytest.raises(CommandError, match="unknown tenant"):
        call_command("import_targets", "--tenant", "nope", str(good))


def test_progress_is_reported_for_large_files(org_a):
    rows = [["日期", "分公司", "回款金额"]] + [[f"2026-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}", f"A{1 + i // 336 % 3}", 1]
                                          for i in range(1008)]
    calls = []
    with org_a.scope():
        result = parse_file(tenant=org_a.tenant, kind=COLL, content=xlsx(rows), filename="c.xlsx",
                            progress=lambda done, total: calls.append((done, total)))
    assert result.ok and result.total == 1008
    assert calls == [(500, 1008), (1000, 1008)]
