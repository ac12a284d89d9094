"""Pages: reach (branch A cannot see branch B's requests, another tenant's ids are 404),
capabilities (403), forms with clear errors, formula-safe exports, pinned query counts."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from marketing.materials import services
from marketing.materials.models import MaterialRequest, RequestStatus, Shipment, StockMovement

from .helpers import approved_request, line_ids, make_material, make_request

pytestmark = pytest.mark.django_db


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content)).active


def test_branch_sees_only_its_own_requests(org_a, client_as):
    """S000-06: a branch sees its own requests; marketing sees every branch's."""
    m = make_material(org_a, "P1", stock=10)
    mine = make_request(org_a, [(m, 1, "")], applicant="sales", branch="A1")
    theirs = make_request(org_a, [(m, 2, "")], applicant="sales2", branch="A2")
    client = client_as(org_a.users["sales"])
    page = client.get(reverse("materials:requests")).content.decode()
    assert mine.number in page and theirs.number not in page
    assert client.get(reverse("materials:request_detail", kwargs={"pk": theirs.pk})).status_code == 404
    assert client.get(reverse("materials:request_detail", kwargs={"pk": mine.pk})).status_code == 200
    rows = list(_sheet(client.get(reverse("materials:requests_export"))).iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [mine.number]
    marketing = client_as(org_a.users["mspec"]).get(reverse("materials:requests")).content.decode()
    assert mine.number in marketing and theirs.number in marketing


def test_other_tenant_gets_404(org_a, org_b, client_as):
    m = make_material(org_a, "P1", stock=10)
    req = approved_request(org_a, [(m, 1, "")])
    with org_a.scope():
        shipment = services.request_dispatch(req=req, actor=org_a.users["mspec"],
                                             quantities={line_ids(org_a, req)["P1"]: 1})
    client = client_as(org_b.users["allroles"])
    for name, pk in [("materials:request_detail", req.pk), ("materials:material_detail", m.pk),
                     ("materials:material_edit", m.pk)]:
        assert client.get(reverse(name, kwargs={"pk": pk})).status_code == 404
    assert client.post(reverse("materials:shipment_receive", kwargs={"pk": shipment.pk})).status_code == 404
    assert client.post(reverse("materials:material_receive", kwargs={"pk": m.pk}), {"receive-quantity": 5}).status_code == 404
    with org_a.scope():
        m.refresh_from_db()
        shipment.refresh_from_db()
    assert m.on_hand == 9 and shipment.received_at is None


def test_capabilities(org_a, client_as):
    m = make_material(org_a, "P1", stock=10)
    sales = client_as(org_a.users["sales"])
    assert sales.get(reverse("materials:material_create")).status_code == 403
    assert sales.get(reverse("materials:movements")).status_code == 403
    assert sales.get(reverse("materials:stock_export")).status_code == 403
    assert sales.post(reverse("materials:material_receive", kwargs={"pk": m.pk}), {"receive-quantity": 5}).status_code == 403
    assert sales.get(reverse("materials:library_create")).status_code == 403
    finance = client_as(org_a.users["finance"])  # no materials capability at all
    assert finance.get(reverse("materials:requests")).status_code == 403
    assert finance.get(reverse("materials:library")).status_code == 200  # every member reads the library
    mspec = client_as(org_a.users["mspec"])
    assert mspec.get(reverse("materials:request_create")).status_code == 403


def test_request_form_creates_and_submits(org_a, client_as):
    m = make_material(org_a, "P1", stock=10)
    client = client_as(org_a.users["sales"])
    url = reverse("materials:request_create")
    assert client.get(url).status_code == 200
    data = {"branch": org_a.branches["A1"].pk, "note": "补货", "lines-TOTAL_FORMS": 2, "lines-INITIAL_FORMS": 0,
            "lines-0-material": m.pk, "lines-0-quantity": 3, "lines-0-reason": "门店",
            "lines-1-material": "", "lines-1-quantity": ""}
    response = client.post(url, data)
    with org_a.scope():
        req = MaterialRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("materials:request_detail",
                                                                            kwargs={"pk": req.pk})
    assert req.status == RequestStatus.SUBMITTED and req.note == "补货"


def test_request_form_errors_write_nothing(org_a, client_as):
    m = make_material(org_a, "P1", stock=10)
    far = make_material(org_a, "R2", stock=10, regions=[org_a.regions["RA2"]])
    client = client_as(org_a.users["sales"])
    base = {"branch": org_a.branches["A1"].pk, "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 0}
    empty = client.post(reverse("materials:request_create"), {**base, "lines-0-material": ""})
    assert empty.status_code == 200 and "请至少填写一种物料" in empty.content.decode()
    no_qty = client.post(reverse("materials:request_create"), {**base, "lines-0-material": m.pk})
    assert "请填写数量" in no_qty.content.decode()
    # R2 is not in A1's catalogue: not even offered
    other = client.post(reverse("materials:request_create"), {**base, "lines-0-material": far.pk,
                                                              "lines-0-quantity": 1})
    assert other.status_code == 200 and "选择一个有效的选项" in other.content.decode()
    with org_a.scope():
        assert not MaterialRequest.objects.exists()


def test_dispatch_page_partial_and_refusal(org_a, client_as):
    m = make_material(org_a, "P1", stock=3)
    req = approved_request(org_a, [(m, 5, "")])
    line = line_ids(org_a, req)["P1"]
    client = client_as(org_a.users["mspec"])
    url = reverse("materials:request_dispatch", kwargs={"pk": req.pk})
    too_many = client.post(url, {f"line_{line}": 5})
    # the form caps at the remaining 5, the stock of 3 refuses: a clear message, nothing moved
    assert too_many.status_code == 400 and "库存不足" in too_many.content.decode()
    with org_a.scope():
        assert not Shipment.objects.exists()
    ok = client.post(url, {f"line_{line}": 3, "courier": "顺丰", "waybill": "SF9"})
    assert ok.status_code == 302
    with org_a.scope():
        req.refresh_from_db()
        m.refresh_from_db()
    assert req.status == RequestStatus.PARTIAL and m.on_hand == 0
    page = client.get(reverse("materials:request_detail", kwargs={"pk": req.pk})).content.decode()
    assert "SF9" in page and "部分发货" in page


def test_dispatch_double_submit_sends_once(org_a, client_as):
    m = make_material(org_a, "P1", stock=10)
    req = approved_request(org_a, [(m, 4, "")])
    line = line_ids(org_a, req)["P1"]
    client = client_as(org_a.users["mspec"])
    url = reverse("materials:request_dispatch", kwargs={"pk": req.pk})
    token = "a" * 32
    first = client.post(url, {f"line_{line}": 2, "submit_token": token})
    second = client.post(url, {f"line_{line}": 2, "submit_token": token})
    assert first.status_code == 302 and second.status_code == 302
    with org_a.scope():
        assert StockMovement.objects.filter(shipment__request=req).count() == 1
        m.refresh_from_db()
    assert m.on_hand == 8


def test_receipt_by_branch(org_a, client_as):
    m = make_material(org_a, "P1", stock=10)
    req = approved_request(org_a, [(m, 2, "")])
    with org_a.scope():
        shipment = services.request_dispatch(req=req, actor=org_a.users["mspec"],
                                             quantities={line_ids(org_a, req)["P1"]: 2})
    other = client_as(org_a.users["sales2"])  # branch A2: the request is not theirs to see
    assert other.post(reverse("materials:shipment_receive", kwargs={"pk": shipment.pk})).status_code == 404
    client = client_as(org_a.users["sales"])
    assert client.post(reverse("materials:shipment_receive", kwargs={"pk": shipment.pk})).status_code == 302
    with org_a.scope():
        req.refresh_from_db()
    assert req.status == RequestStatus.RECEIVED


def test_stock_page_for_branch_shows_only_orderable(org_a, client_as):
    make_material(org_a, "OPEN1", stock=10)
    make_material(org_a, "FAR01", stock=10, regions=[org_a.regions["RA2"]])
    make_material(org_a, "OFF01", stock=10, active=False)
    page = client_as(org_a.users["sales"]).get(reverse("materials:stock")).content.decode()
    assert "OPEN1" in page and "FAR01" not in page and "OFF01" not in page
    page = client_as(org_a.users["mspec"]).get(reverse("materials:stock")).content.decode()
    assert "OPEN1" in page and "FAR01" in page and "OFF01" in page


def test_low_stock_filter_and_flag(org_a, client_as):
    make_material(org_a, "LOW01", stock=5, low_stock_threshold=5)
    make_material(org_a, "OK001", stock=6, low_stock_threshold=5)
    client = client_as(org_a.users["mspec"])
    page = client.get(reverse("materials:stock") + "?low=true").content.decode()
    assert "LOW01" in page and "OK001" not in page and "低库存" in page


def test_receive_and_adjust_pages(org_a, client_as):
    m = make_material(org_a, "P1", stock=4)
    client = client_as(org_a.users["mspec"])
    assert client.post(reverse("materials:material_receive", kwargs={"pk": m.pk}),
                       {"receive-quantity": 6, "receive-reason": "交货"}).status_code == 302
    bad = client.post(reverse("materials:material_adjust", kwargs={"pk": m.pk}), {"adjust-delta": -11, "adjust-reason": "盘点"})
    assert bad.status_code == 400 and "库存不足" in bad.content.decode()
    missing = client.post(reverse("materials:material_adjust", kwargs={"pk": m.pk}), {"adjust-delta": -1})
    assert missing.status_code == 400
    with org_a.scope():
        m.refresh_from_db()
    assert m.on_hand == 10


def test_material_edit_is_versioned(org_a, client_as):
    m = make_material(org_a, "P1")
    client = client_as(org_a.users["mspec"])
    url = reverse("materials:material_edit", kwargs={"pk": m.pk})
    html = client.get(url).content.decode()
    import re

    version = re.search(r'name="row_version" value="([^"]+)"', html).group(1)
    with org_a.scope():
        services.material_update(material=m, actor=org_a.users["mdirector"], data={"name": "别人改过"})
    stale = client.post(url, {"name": "我的修改", "code": "P1", "unit": "张", "low_stock_threshold": 0,
                              "active": "on", "row_version": version})
    assert stale.status_code == 200
    with org_a.scope():
        m.refresh_from_db()
    assert m.name == "别人改过"


def test_exports_are_formula_safe(org_a, client_as):
    evil = '=HYPERLINK("http://x","y")'
    m = make_material(org_a, "F1", stock=10, name=evil)
    req = make_request(org_a, [(m, 1, "+SUM(A1:A2)")], note="@cmd")
    client = client_as(org_a.users["mspec"])
    stock = _sheet(client.get(reverse("materials:stock_export")))
    assert stock["B2"].value == evil and stock["B2"].data_type == "s"
    assert stock["D2"].value == 10
    reqs = _sheet(client.get(reverse("materials:requests_export")))
    row = list(reqs[2])
    assert row[0].value == req.number and row[6].value == evil and row[6].data_type == "s"
    assert row[10].value == "+SUM(A1:A2)" and row[10].data_type == "s" and row[11].value == "@cmd"
    ledger = _sheet(client.get(reverse("materials:movements_export")))
    assert ledger["C2"].value == evil and ledger["C2"].data_type == "s" and ledger["E2"].value == 10


def test_query_counts_do_not_grow_with_rows(org_a, client_as, django_assert_max_num_queries):
    materials = [make_material(org_a, f"Q{i}", stock=100, branches=[org_a.branches["A1"]]) for i in range(6)]
    for i in range(6):
        make_request(org_a, [(materials[i], 1, ""), (materials[(i + 1) % 6], 2, "")])
    client = client_as(org_a.users["mspec"])
    # Measured with 1 and with 6 rows: the same counts (session, membership, page, prefetches).
    for name, limit in [("requests", 11), ("requests_export", 6), ("stock", 8), ("stock_export", 7),
                        ("movements", 6), ("movements_export", 5), ("library", 5)]:
        with django_assert_max_num_queries(limit):
            assert client.get(reverse(f"materials:{name}")).status_code == 200, name


def test_pages_in_english(org_a, client_as):
    from django.utils import translation

    from marketing.roles import CAPABILITY_LABELS, Cap

    make_material(org_a, "P1", stock=3, low_stock_threshold=5)
    client = client_as(org_a.users["mspec"], language="en")
    page = client.get(reverse("materials:stock")).content.decode()
    assert "HQ materials stock" in page and "Low stock" in page
    assert "Uniform templates" in client.get(reverse("materials:library")).content.decode()
    with translation.override("en"):
        assert str(CAPABILITY_LABELS[Cap.MATERIALS_MANAGE]) == "Manage the HQ materials stock and dispatch"
