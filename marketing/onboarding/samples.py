"""The sample spreadsheets a trial tenant moves in with (samples/onboarding/*.xlsx), made up, in
the seed company's shapes: each carries a title row above its header, as the company's own
files do. ``python -m marketing.onboarding.samples [DIR]`` writes them; the tests and the
browser walk read the committed files, and ``FIGURES`` are the exact numbers the first daily
summary must show for them.

The company: 示范延保, two regions, three branches; December 2026."""

from __future__ import annotations

import io
import sys
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples" / "onboarding"
MONTH = "2026-12"
ORG = [("EAST", "华东区", [("SH", "上海分公司", "上海"), ("HZ", "杭州分公司", "杭州")]),
       ("SOUTH", "华南区", [("GZ", "广州分公司", "广州")])]
ROSTER = [
    ("周海", "上海分公司", "分公司总经理", "2019-03-01", "", "13800000001"),
    ("吴倩", "上海分公司", "销售", "2021-05-10", "", "13800000002"),
    ("郑浩", "上海分公司", "销售", "2022-07-01", "", "13800000003"),
    ("王磊", "上海分公司", "业务员", "2023-02-15", "2026-11-30", "13800000004"),  # left: not counted
    ("冯雪", "杭州分公司", "分公司总经理", "2020-01-06", "", "13800000005"),
    ("陈晨", "杭州分公司", "销售", "2024-03-01", "", "13800000006"),
    ("褚明", "广州分公司", "分公司总经理", "2018-09-01", "", "13800000007"),
    ("卫东", "广州分公司", "销售经理", "2021-11-01", "", "13800000008"),
    ("蒋琳", "广州分公司", "出纳", "2022-04-01", "", "13800000009"),
]
TARGETS = [("上海分公司", 600000), ("杭州分公司", 400000), ("广州分公司", 500000)]
COLLECTIONS = [("2026-12-01", "上海分公司", "52000.00"), ("2026-12-01", "杭州分公司", "18000.00"),
               ("2026-12-02", "上海分公司", "38000.00"), ("2026-12-02", "广州分公司", "75000.50")]
PRICE_LIST = [("YB-DL24", "A级（10万以下）", 12, 1280), ("YB-DL24", "A级（10万以下）", 24, 2380),
              ("YB-DL24", "B级（10-30万）", 12, 1680), ("YB-DL24", "B级（10-30万）", 24, 2980)]
PRICE_LIST_EFFECTIVE = "2026-07-01"
LEDGER_AS_OF = "2026-12-01"

# what the first summary (business day 2026-12-02) must say for these files
FIGURES = {
    "headcount": {"上海分公司": 2, "杭州分公司": 1, "广州分公司": 1},  # 销售/业务员/销售经理, still employed
    "mtd": {"上海分公司": Decimal("90000.00"), "杭州分公司": Decimal("18000.00"), "广州分公司": Decimal("75000.50")},
    "company_mtd": Decimal("183000.50"), "company_target": Decimal("1500000"),
    "company_rate": "12.2%",  # 183,000.50 / 1,500,000 = 12.20 %
}


def _ledger_rows():
    """60 contracts of YB-DL24: 20 in stock; 上海 25 out there, 杭州 15."""
    rows, n = [], 0

    def add(state, branch="", holder="", d="", r="", g="", v=""):
        nonlocal n
        n += 1
        rows.append([f"LZ-2026-{n:06d}", "YB-DL24", state, branch, holder, "2026-09-01", d, r, g, v, ""])

    for _i in range(20):
        add("在库")
    for branch, holders, spread in (("上海分公司", ("吴倩", "郑浩"), (5, 6, 12, 2)),
                                    ("杭州分公司", ("陈晨",), (4, 4, 6, 1))):
        dispatched, received, signed, voided = spread
        for _i in range(dispatched):
            add("已派发", branch, d="2026-10-08")
        for i in range(received):
            add("已领取", branch, holders[i % len(holders)], d="2026-10-08", r="2026-10-10")
        for i in range(signed):
            add("客户已签", branch, holders[i % len(holders)], d="2026-10-08", r="2026-10-10", g="2026-11-05")
        for i in range(voided):
            add("回收作废", branch, holders[i % len(holders)], d="2026-10-08", r="2026-10-10", v="2026-11-12")
    return rows


def _book(title: str, sheet: str, header: list[str], rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def files() -> dict[str, bytes]:
    return {
        "组织架构.xlsx": _book("示范延保 组织架构", "组织架构", ["地区", "地区代码", "分公司", "分公司代码", "城市"],
                           [(r, rc, b, bc, c) for rc, r, bs in ORG for bc, b, c in bs]),
        "人事动态表及通讯录.xlsx": _book("示范延保人事动态表及通讯录（2026年12月）", "花名册",
                                   ["姓名", "分公司", "岗位", "入职日期", "离职日期", "手机"], ROSTER),
        "销售月度考核目标.xlsx": _book("销售月度考核目标（2026年12月）", "目标", ["月份", "分公司", "目标金额"],
                                [(MONTH, b, a) for b, a in TARGETS]),
        "公司回款统计表.xlsx": _book("公司回款统计表（2026年12月）", "回款", ["日期", "分公司", "回款金额"], COLLECTIONS),
        "产品体系报价表.xlsx": _book("产品体系报价表（现行版）", "明细", ["产品代码", "车辆级别", "期限（月）", "价格"],
                              PRICE_LIST),
        "合同台账期初.xlsx": _book(f"合同台账（截至 {LEDGER_AS_OF}）", "台账",
                             ["合同编号", "产品", "状态", "分公司", "领取人", "入库日期", "派发日期", "领取日期",
                              "签约日期", "作废日期", "作废原因"], _ledger_rows()),
    }


def write(dest: Path = SAMPLES_DIR) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name, data in files().items():
        (dest / name).write_bytes(data)
        out.append(dest / name)
    return out


def path(name: str) -> Path:
    return SAMPLES_DIR / name


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLES_DIR):
        print(p)
