"""One rounding rule for 完成率 (issue #20): the unrounded ratio is kept (the xlsx cell holds it,
formatted 0.0 %), and every output rounds it once, half up, to 0.1 %. The issue's examples:
64.2515 % reads 64.3 % and 112.154 % reads 112.2 % on the page, in the e-mail (HTML and text),
in the xlsx as Excel / LibreOffice show it, and in the PDF. A third branch at exactly
64.245 % reads 64.2 %: a rate rounded to four places first (0.6425) would read 64.3 %."""

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pypdf
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from reports import imports, mailing, services
from reports.models import ImportKind
from reports.summary import compile_summary, pct, rate_pct

from .helpers import at

D = dt.date(2026, 11, 20)  # Friday; the summary goes out Monday 23rd
MTD = {"A1": "642515.00", "A2": "642450.00", "A3": "1121540.00"}  # each against a 1,000,000.00 target
SHOWN = {"甲一分公司": "64.3%", "甲二分公司": "64.2%", "甲三分公司": "112.2%"}


def _setup(org):
    imports.apply_rows(tenant=org.tenant, kind=ImportKind.COLLECTIONS, rows=[
        {"branch_id": org.branches[code].pk, "day": dt.date(2026, 11, 2), "amount": Decimal(amount)}
        for code, amount in MTD.items()
    ])
    for code in MTD:
        services.target_set(tenant=org.tenant, branch=org.branches[code], month=D, amount=Decimal("1000000"), actor=None)


def excel_shows(value: float, places: int = 1) -> str:
    """What Excel / LibreOffice display for a number cell formatted ``0.0%``: the double to 15
    significant digits (their precision), then rounded half away from zero."""
    exact = Decimal(repr(value))
    digits = Decimal(f"{exact:.15g}") * 100
    return f"{digits.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


def test_pct_rounds_the_unrounded_ratio_once_half_up():
    assert pct("0.642515") == "64.3%" and pct("1.12154") == "112.2%"
    assert pct("0.64245") == "64.2%"  # not 64.3 % (which 0.6425, a pre-rounded rate, would read)
    assert pct("0.64250") == "64.3%"  # a real tie rounds up, not to even
    # snapshots stored before ``ratio`` derive it from their exact money figures
    assert rate_pct({"rate": "0.6425", "mtd": "642450.00", "target": "1000000.00"}) == "64.2%"
    assert rate_pct({"rate": "0.6425", "mtd_targeted": "642450.00", "mtd": "900000.00", "target": "1000000.00"}) == "64.2%"


def test_excel_display_emulation_matches_the_rule():
    for ratio in ("0.642515", "1.12154", "0.64245", "0.6425", "0.0005", "0.9995"):
        assert excel_shows(float(Decimal(ratio))) == pct(ratio)


def test_compiled_ratio_is_unrounded(org_a):
    with org_a.scope():
        _setup(org_a)
        data = compile_summary(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 23, 10))
    rows = {r["code"]: r for r in data["rows"]}
    assert Decimal(rows["A1"]["ratio"]) == Decimal("0.642515")
    assert Decimal(rows["A3"]["ratio"]) == Decimal("1.12154")
    assert Decimal(rows["A2"]["ratio"]) == Decimal("0.64245") and rows["A2"]["rate"] == "0.6425"  # key only
    assert [(r["branch"], Decimal(r["ratio"])) for r in data["ranking"]] == [
        ("甲三分公司", Decimal("1.12154")), ("甲一分公司", Decimal("0.642515")), ("甲二分公司", Decimal("0.64245"))]


def test_page_email_xlsx_and_pdf_agree(org_a, client_as):
    with org_a.scope():
        _setup(org_a)
        row = mailing.summary_send(tenant=org_a.tenant, business_day=D, now=at(2026, 11, 23, 10))
    msg = mail.outbox[-1]
    html = msg.alternatives[0][0]
    files = {a[0]: a[1] for a in msg.attachments if a[0]}
    page = client_as(org_a.users["gm"]).get(reverse("reports:summary_detail", args=[row.pk])).content.decode()
    pdf = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files["daily-summary-2026-11-20.pdf"])).pages)
    # region 甲一区: (642,515 + 642,450) / 2,000,000 = 64.24825 % -> 64.2 %;
    # company: 2,406,505 / 3,000,000 = 80.21683 % -> 80.2 %
    for name, out in (("html", html), ("text", msg.body), ("page", page), ("pdf", pdf)):
        for shown in ("64.3%", "112.2%", "64.2%", "80.2%"):
            assert shown in out, (name, shown)
        for wrong in ("112.1%", "64.25%", "112.15%"):
            assert wrong not in out, (name, wrong)
    a2_line = next(line for line in msg.body.splitlines() if "甲二分公司" in line and "完成率" in line)
    assert "64.2%" in a2_line and "64.3%" not in a2_line

    wb = load_workbook(io.BytesIO(files["daily-summary-2026-11-20.xlsx"]))
    ws = wb["汇总"]
    header_at = next(i for i, r in enumerate(ws.iter_rows(values_only=True), 1) if r[1] == "分公司")
    shown = {}
    for cells in ws.iter_rows(min_row=header_at + 1):
        assert cells[6].number_format == "0.0%"
        shown[cells[1].value] = excel_shows(cells[6].value)
    assert shown == SHOWN
    assert {r[1]: r[6] for r in ws.iter_rows(min_row=header_at + 1, values_only=True)} == {
        "甲一分公司": 0.642515, "甲二分公司": 0.64245, "甲三分公司": 1.12154}  # unrounded cells
    ranking = wb["完成率排名"]
    top = next(i for i, r in enumerate(ranking.iter_rows(values_only=True), 1) if r[0] == "名次")
    assert [(r[2], excel_shows(r[5])) for r in ranking.iter_rows(min_row=top + 1, values_only=True)] == [
        ("甲三分公司", "112.2%"), ("甲一分公司", "64.3%"), ("甲二分公司", "64.2%")]
    totals = {r[0]: r[6] for r in wb["合计"].iter_rows(values_only=True) if r and r[0] in ("甲一区", "公司合计")}
    assert {k: excel_shows(v) for k, v in totals.items()} == {"甲一区": "64.2%", "公司合计": "80.2%"}
