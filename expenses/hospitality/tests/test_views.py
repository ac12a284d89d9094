"""Pages: reach (salesperson own, branch GM their branches, finance/executives all), 404 for
another tenant, forms with clear messages, lists with filters and paging, xlsx (formula-safe,
first sheet 招待费明细), the claim PDF, navigation, home card, inbox items."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from expenses.hospitality.models import ApplicationStatus, HospitalityApplication, HospitalityClaim

from .helpers import TUESDAY, approved_app, at, claim, line, venue

WED = TUESDAY + dt.timedelta(days=1)


@pytest.fixture
def world(org_a, org_b):
    v = venue(org_a)
    hz = venue(org_a, name="杭州饭店", city="杭州")  # A2's city
    with at(TUESDAY):
        a1 = approved_app(org_a, v)
        a2 = approved_app(org_a, hz, approver="bgm2", persona="sales2", branch="A2", guest_list=[
            {"name": "=HYPERLINK(\"http://x\")", "title": "", "company": "=1+1", "city": "北京"}])
    with at(WED, 21):
        c1 = claim(org_a, a1, [line("dish", "580.00", 5), line("drink", "88.00")])
        c2 = claim(org_a, a2, [line("dish", "300.00", 3)], persona="sales2")
    vb = venue(org_b, name="乙店", city="沈阳")
    with at(TUESDAY):
        b = approved_app(org_b, vb, branch="B1")
    with at(WED, 21):
        cb = claim(org_b, b, [line("dish", "100.00", 1)])
    return {"v": v, "a1": a1, "a2": a2, "c1": c1, "c2": c2, "b": b, "cb": cb}


def ids(page, objs):
    return {o.number for o in objs if o.number in page}


def test_reach(org_a, world, client_as):
    a1, a2, c1, c2 = world["a1"], world["a2"], world["c1"], world["c2"]
    cases = {"sales": {a1.number}, "sales2": {a2.number}, "bgm": {a1.number}, "bgm2": {a2.number},
             "rm": set(), "finance": {a1.number, a2.number}, "gm": {a1.number, a2.number},
             "exec": {a1.number, a2.number}, "mdirector": {a1.number, a2.number}}
    for persona, expected in cases.items():
        client = client_as(org_a.users[persona])
        page = client.get("/hospitality/").content.decode()
        assert ids(page, [a1, a2]) == expected, persona
        claims = client.get("/hospitality/claims/").content.decode()
        assert ids(claims, [c1, c2]) == {c.number for c in (c1, c2) if c.application.number in expected}, persona
    bgm = client_as(org_a.users["bgm"])
    assert bgm.get(f"/hospitality/applications/{a2.pk}/").status_code == 404
    assert bgm.get(f"/hospitality/claims/{c2.pk}/").status_code == 404
    assert bgm.get(f"/hospitality/claims/{c1.pk}/").status_code == 200
    assert client_as(org_a.users["ops"]).get("/hospitality/").status_code == 403


def test_other_tenant_is_404(org_a, world, client_as):
    client = client_as(org_a.users["allroles"])
    for url in (f"/hospitality/applications/{world['b'].pk}/", f"/hospitality/claims/{world['cb'].pk}/",
                f"/hospitality/claims/{world['cb'].pk}/claim.pdf"):
        assert client.get(url).status_code == 404


def test_filters_and_paging(org_a, world, client_as):
    client = client_as(org_a.users["finance"])
    page = client.get("/hospitality/claims/", {"branch": org_a.branches["A2"].pk}).content.decode()
    assert world["c2"].number in page and world["c1"].number not in page
    page = client.get("/hospitality/claims/", {"personal": "true"}).content.decode()
    assert world["c1"].number in page and world["c2"].number not in page
    page = client.get("/hospitality/", {"q": "HYPERLINK"}).content.decode()
    assert world["a2"].number in page and world["a1"].number not in page
    assert client.get("/hospitality/", {"page": "99"}).status_code == 200


def test_xlsx_export(org_a, world, client_as, django_assert_max_num_queries):
    client = client_as(org_a.users["finance"])
    with django_assert_max_num_queries(25):
        r = client.get("/hospitality/export.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    assert ws.title == "招待费明细"
    header = [c.value for c in ws[1]]
    assert header[:10] == ["编号", "销售", "分公司", "招待日期", "就餐人数", "菜品数", "账单金额", "公司承担", "个人自理", "状态"]
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=2)}
    c1 = rows[world["c1"].number]
    # 2 diners -> 3 dishes; 5 for 580 -> 232.00 personal, plus the drinks 88.00
    assert c1[4:9] == [2, 5, 668.0, 348.0, 320.0]
    apps = wb["招待申请"]
    cells = [c for row in apps.iter_rows(min_row=2) for c in row]
    hostile = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert hostile == [] or all(c.data_type == "s" for c in hostile)
    assert any("HYPERLINK" in str(c.value) for c in cells)
    # a salesperson's export holds only their own
    own = load_workbook(io.BytesIO(client_as(org_a.users["sales"]).get("/hospitality/export.xlsx").content))
    numbers = [r[0].value for r in own.worksheets[0].iter_rows(min_row=2)]
    assert numbers == [world["c1"].number]


def test_claim_pdf(org_a, world, client_as):
    from pypdf import PdfReader

    r = client_as(org_a.users["sales"]).get(f"/hospitality/claims/{world['c1'].pk}/claim.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert world["c1"].number in text and "232.00" in text


def test_application_form_on_the_phone_and_bad_input(org_a, world, client_as):
    client = client_as(org_a.users["sales"])
    page = client.get("/hospitality/emergency/").content.decode()
    assert 'name="viewport"' in page
    assert "紧急招待申请" in page
    with at(TUESDAY):
        r = client.post("/hospitality/apply/", {
            "branch": org_a.branches["A1"].pk, "visit_date": "2026-03-10", "venue": world["v"].pk, "meals": "on",
            "expected_diners": "2", "progress": "进展", "companion_count": "1",
            "g-TOTAL_FORMS": "1", "g-INITIAL_FORMS": "0", "g-MIN_NUM_FORMS": "0", "g-MAX_NUM_FORMS": "20",
            "g-0-name": "钱总", "g-0-company": "郑州某公司", "g-0-city": "郑州"})
    body = r.content.decode()
    assert r.status_code == 200 and "紧急申请" in body and "钱总" in body  # nothing typed is lost
    form = {"branch": org_a.branches["A1"].pk, "visit_date": "2026-03-10", "venue": world["v"].pk, "meals": "on",
            "expected_diners": "3", "emergency_note": "郑州客户临时来访", "client_key": "k" * 32}
    with at(TUESDAY):
        r = client.post("/hospitality/emergency/", form)
        r2 = client.post("/hospitality/emergency/", form)  # a double submit
        assert r.status_code == r2.status_code == 302 and r["Location"] == r2["Location"]
        client.post("/hospitality/emergency/", {**form, "client_key": "m" * 32})  # a new form: a new record
    with org_a.scope():
        assert HospitalityApplication.objects.filter(status=ApplicationStatus.EMERGENCY).count() == 2


def test_claim_form_posts_lines_and_invoice(org_a, client_as):
    from .helpers import invoice

    v = venue(org_a)
    with at(TUESDAY):
        app = approved_app(org_a, v)
    client = client_as(org_a.users["sales"])
    assert client.get(f"/hospitality/claims/new/?application={app.pk}").status_code == 200
    data = {"application": app.pk, "venue": v.pk, "diners": "2", "submit": "1", "invoices": invoice(),
            "l-TOTAL_FORMS": "2", "l-INITIAL_FORMS": "0", "l-MIN_NUM_FORMS": "0", "l-MAX_NUM_FORMS": "40",
            "l-0-kind": "dish", "l-0-quantity": "4", "l-0-amount": "400.00",
            "l-1-kind": "drink", "l-1-quantity": "1", "l-1-amount": "abc"}
    with at(WED, 21):
        bad = client.post("/hospitality/claims/new/", data)
        assert bad.status_code == 200 and "请输入有效的金额" in bad.content.decode()
        data["l-1-amount"] = "50.00"
        data["invoices"] = invoice()
        data["client_key"] = "c" * 32
        r = client.post("/hospitality/claims/new/", data)
        data["invoices"] = invoice()
        again = client.post("/hospitality/claims/new/", data)  # a double submit: the same claim
    assert r.status_code == again.status_code == 302 and r["Location"] == again["Location"]
    with org_a.scope():
        c = HospitalityClaim.objects.get(application=app)
    # 2 diners -> 3 dishes; 4 for 400 -> 100.00, plus drinks 50.00
    assert (c.company_share, c.personal_share, c.status) == (D("300.00"), D("150.00"), "submitted")
    finance = client_as(org_a.users["finance"])
    page = finance.get(f"/hospitality/claims/{c.pk}/").content.decode()
    assert "财务更正" in page
    inbox = finance.get("/approvals/").content.decode()
    assert c.number in inbox
    with org_a.scope():
        line_id = c.lines.get(kind="drink").pk
    r = finance.post(f"/hospitality/claims/{c.pk}/correct/", {"line": line_id, "kind": "staple", "quantity": "1",
                                                               "amount": "50.00", "reason": "实为主食"})
    assert r.status_code == 302
    with org_a.scope():
        c.refresh_from_db()
    assert c.personal_share == D("100.00")


def test_navigation_and_home_card(org_a, world, client_as):
    home = client_as(org_a.users["sales"]).get("/").content.decode()
    assert "/hospitality/claims/" in home and "本月招待费" in home
    assert "/hospitality/policy/" not in home
    admin = client_as(org_a.users["admin"]).get("/").content.decode()
    assert "/hospitality/policy/" in admin


def test_english(org_a, world, client_as):
    page = client_as(org_a.users["sales"], language="en").get("/hospitality/claims/").content.decode()
    assert "Hospitality claims" in page


def test_list_query_counts_are_flat(org_a, world, client_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(org_a.users["finance"])
    counts = {}
    for url in ("/hospitality/", "/hospitality/claims/"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx)
    v = world["v"]
    with at(TUESDAY):
        for _i in range(5):
            app = approved_app(org_a, v)
            with at(WED, 21):
                claim(org_a, app, [line("dish", "100.00", 1)])
    for url, before in counts.items():
        with django_assert_max_num_queries(before):
            assert client.get(url).status_code == 200


def test_complete_an_emergency_and_edit_a_draft_claim_through_the_pages(org_a, client_as):
    from .helpers import emergency

    v = venue(org_a)
    with at(TUESDAY, 12):
        app = emergency(org_a, v)
    client = client_as(org_a.users["sales"])
    assert client.get(f"/hospitality/applications/{app.pk}/").status_code == 200
    assert client_as(org_a.users["sales2"]).get(f"/hospitality/applications/{app.pk}/edit/").status_code == 404
    with at(WED):
        page = client.get(f"/hospitality/applications/{app.pk}/edit/")
        assert page.status_code == 200 and "北京客户临时来访" in page.content.decode()
        r = client.post(f"/hospitality/applications/{app.pk}/edit/", {
            "branch": org_a.branches["A1"].pk, "visit_date": "2026-03-20", "venue": v.pk, "meals": "on",
            "expected_diners": "2", "progress": "已签意向书", "companions": "甲一销售", "companion_count": "1",
            "g-TOTAL_FORMS": "2", "g-INITIAL_FORMS": "0", "g-MIN_NUM_FORMS": "0", "g-MAX_NUM_FORMS": "20",
            "g-0-name": "钱总", "g-0-company": "郑州某公司", "g-0-city": "郑州"})
    assert r.status_code == 302
    with org_a.scope():
        app.refresh_from_db()
        assert (app.status, app.visit_date, app.guests.count()) == (ApplicationStatus.SUBMITTED, TUESDAY, 1)
    with at(WED, 21):
        draft = claim(org_a, None, [line("dish", "100.00", 1)], submit=False, venue=v,
                      branch=org_a.branches["A1"], meal_date=WED)
        page = client.get(f"/hospitality/claims/{draft.pk}/edit/")
        assert page.status_code == 200 and "100.00" in page.content.decode()
    assert client_as(org_a.users["finance"]).get(f"/hospitality/claims/{draft.pk}/").status_code == 404  # a draft
    admin = client_as(org_a.users["admin"])
    assert admin.get(f"/hospitality/venues/{v.pk}/").status_code == 200
    assert admin.get("/hospitality/policy/new/").status_code == 200
