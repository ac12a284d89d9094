import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from contracts.exports import USAGE_COLUMNS
from contracts.models import Contract, UsageWeek
from contracts.selectors_ledger import cost_ledger, usage
from contracts.services.usage import usage_remind
from contracts.tests.helpers import (
    approved_product,
    dispatched,
    make_batch,
    numbers_of,
    receive,
    sign,
    void,
)

pytestmark = pytest.mark.django_db


def _setup(org):
    """A1 (region RA1): 10 dispatched, 6 received, 3 signed, 1 voided. A2 (RA1): 4 dispatched.
    A3 (RA2): 5 dispatched of a second product, 2 received, 2 signed."""
    p1 = approved_product(org, code="YB-P1")
    p2 = approved_product(org, code="YB-P2")
    make_batch(org, p1, first="P1-000001", last="P1-000100", cost="2.00")
    make_batch(org, p2, first="P2-000001", last="P2-000050", cost="3.50")
    _d, a1 = dispatched(org, p1, 10)
    n = numbers_of(org, a1)
    receive(org, n[0], n[5])
    for x in n[:3]:
        sign(org, x)
    void(org, n[3])
    dispatched(org, p1, 4, applicant="sales2", branch="A2", gm="bgm2")
    _d, a3 = dispatched(org, p2, 5, applicant="allroles", branch="A3", gm="gm_a3")
    m = numbers_of(org, a3)
    receive(org, m[0], m[1], holder="allroles")
    sign(org, m[0])
    sign(org, m[1])
    return p1, p2, n


@pytest.fixture
def setup(org_a):
    # A3 has no branch GM but allroles: let the request be filed by allroles (skips its own GM step)
    import contracts.tests.helpers as h

    original = h.request_through_chain

    def through(org, doc, gm="bgm", marketing="mspec"):
        if gm == "gm_a3":
            h.approve(org, doc, marketing, key="contracts.request")
            with org.scope():
                doc.refresh_from_db()
            return doc
        return original(org, doc, gm=gm, marketing=marketing)

    h.request_through_chain = through
    try:
        yield _setup(org_a)
    finally:
        h.request_through_chain = original


def test_usage_per_region_and_product(org_a, setup):
    today = dt.date.today()
    with org_a.scope():
        rows = usage(tenant=org_a.tenant, as_of=today)
    got = {(r["group"], r["product"]): {k: r[k] for k in ("received", "in_use", "signed", "voided", "remaining",
                                                           "total", "ratio")} for r in rows}
    assert got == {
        ("甲一区", "YB-P1"): {"received": 6, "in_use": 2, "signed": 3, "voided": 1, "remaining": 8, "total": 14,
                             "ratio": Decimal("0.2143")},
        ("甲二区", "YB-P2"): {"received": 2, "in_use": 0, "signed": 2, "voided": 0, "remaining": 3, "total": 5,
                             "ratio": Decimal("0.4000")},
    }
    with org_a.scope():
        by_branch = usage(tenant=org_a.tenant, as_of=today, region_id=org_a.regions["RA1"].pk)
    assert {(r["group"], r["total"], r["received"]) for r in by_branch} == {("甲一分公司", 10, 6), ("甲二分公司", 4, 0)}


def test_usage_as_of_an_earlier_date_ignores_later_moves(org_a, setup):
    _p1, _p2, n = setup
    yesterday = dt.date.today() - dt.timedelta(days=1)
    with org_a.scope():
        Contract.objects.filter(number__in=n[:2]).update(signed_on=dt.date.today())
        Contract.objects.filter(number__in=n[2:6]).update(received_on=yesterday, dispatched_on=yesterday)
        Contract.objects.filter(number=n[2]).update(signed_on=yesterday)
        Contract.objects.filter(number__in=n[:2] + n[6:]).update(dispatched_on=yesterday, received_on=None)
        rows = {r["product"]: r for r in usage(tenant=org_a.tenant, as_of=yesterday)
                if r["group"] == "甲一区"}
    row = rows["YB-P1"]
    assert (row["received"], row["signed"], row["voided"]) == (4, 1, 0)
    assert row["total"] == 10 and row["remaining"] == 6


def test_cost_ledger_copies_times_unit_cost(org_a, setup):
    with org_a.scope():
        rows = cost_ledger(tenant=org_a.tenant, as_of=dt.date.today())
    assert {(r["region"], r["product"], r["copies"], r["amount"]) for r in rows} == {
        ("甲一区", "YB-P1", 14, Decimal("28.00")), ("甲二区", "YB-P2", 5, Decimal("17.50"))}


def _sheet(data):
    wb = load_workbook(io.BytesIO(data))
    return wb, wb.worksheets[0]


def test_xlsx_first_sheet_has_exactly_the_columns_sorted_with_percent(org_a, setup, client_as, tmp_path):
    today = dt.date.today()
    response = client_as(org_a.users["mspec"]).get(reverse("contracts:usage_export"), {"as_of": today.isoformat()})
    wb, ws = _sheet(response.content)
    assert ws.title == "合同使用情况"
    assert [c.value for c in ws[1]] == USAGE_COLUMNS == ["地区", "产品", "销售领取", "在途使用", "客户已签", "回收作废",
                                                       "剩余有效", "套餐总量", "签约量占比"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert body == [["甲一区", "YB-P1", 6, 2, 3, 1, 8, 14, pytest.approx(0.2143)],
                    ["甲二区", "YB-P2", 2, 0, 2, 0, 3, 5, pytest.approx(0.4)]]
    assert ws["I2"].number_format.endswith("%") and isinstance(ws["I2"].value, float)
    assert "各地区使用合同成本" in wb.sheetnames and "分公司明细" in wb.sheetnames
    out = tmp_path / "usage.xlsx"
    call_command("export_contract_usage", "--tenant", org_a.tenant.slug, "--as-of", today.isoformat(),
                 "--out", str(out))
    _wb2, ws2 = _sheet(out.read_bytes())
    assert [[c.value for c in row] for row in ws2.iter_rows()] == [[c.value for c in row] for row in ws.iter_rows()]


def test_usage_page_reach_drilldown_and_confirmation(org_a, setup, client_as):
    sales = client_as(org_a.users["sales"])
    own = sales.get(reverse("contracts:usage")).context["rows"]
    assert [(r["group"], r["total"]) for r in own] == [("甲一区", 10)]  # own branch only
    mspec = client_as(org_a.users["mspec"])
    page = mspec.get(reverse("contracts:usage"), {"region": org_a.regions["RA1"].pk})
    assert {r["group"] for r in page.context["rows"]} == {"甲一分公司", "甲二分公司"}
    mspec.post(reverse("contracts:usage_confirm"), {"as_of": dt.date.today().isoformat()})
    with org_a.scope():
        week = UsageWeek.objects.get(as_of=dt.date.today())
    assert week.confirmed_by_id == org_a.users["mspec"].pk
    again = mspec.post(reverse("contracts:usage_confirm"), {"as_of": dt.date.today().isoformat()}, follow=True)
    assert "已由" in again.content.decode()
    assert sales.post(reverse("contracts:usage_confirm"), {"as_of": dt.date.today().isoformat()}).status_code == 403


def test_friday_reminder_goes_to_operations_once(org_a, django_capture_on_commit_callbacks):
    with time_machine.travel(dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC), tick=False), org_a.scope():
        assert usage_remind(tenant=org_a.tenant) is False  # Thursday
    friday = time_machine.travel(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC), tick=False)
    with friday, org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        assert usage_remind(tenant=org_a.tenant) is True
        assert usage_remind(tenant=org_a.tenant) is False
    reminders = [m for m in mail.outbox if "合同使用情况" in m.subject]
    assert len(reminders) == 1 and org_a.users["ops"].email in reminders[0].to
