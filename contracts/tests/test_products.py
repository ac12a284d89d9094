import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts.models import Product, ProductStatus, ProductVersion, VersionStatus
from contracts.services import products as product_services
from contracts.tests.helpers import (
    DESIGN_PATH,
    approve,
    approved_product,
    current_step,
    make_design,
    pdf_upload,
    pending,
    version_data,
)
from marketing.approvals import services as approvals
from marketing.demo import membership_of

pytestmark = pytest.mark.django_db


def _reload(org, obj):
    with org.scope():
        return type(obj).objects.get(pk=obj.pk)


def test_chain_every_signatory_in_order_then_product_approved(org_a, django_capture_on_commit_callbacks):
    """S000-35/36: salesperson submits; 分总 → 产品设计部 → 市场营销部 → 营运部 → 财务部 → 总经理."""
    version = make_design(org_a)
    expected = ["分公司总经理签字", "产品设计部签字", "市场营销部审核", "营运部确认", "财务部签字", "总经理核准"]
    seen = []
    for persona, step in zip(DESIGN_PATH, expected, strict=True):
        assert current_step(org_a, version) == step
        # nobody else can sign this step
        others = [p for p in DESIGN_PATH if p != persona]
        assert all(not pending(org_a, version, user=org_a.users[p]) for p in others)
        assert _reload(org_a, version).status == VersionStatus.SUBMITTED
        with django_capture_on_commit_callbacks(execute=True):
            approve(org_a, version, persona)
        seen.append(step)
    assert seen == expected and current_step(org_a, version) is None
    version = _reload(org_a, version)
    assert version.status == VersionStatus.APPROVED and version.approved_at
    product = _reload(org_a, version.product)
    assert product.status == ProductStatus.APPROVED and product.current_version_id == version.pk
    # S000-37: marketing is asked to put it into the price list
    assert any("请完善产品体系报价表" in m.subject and org_a.users["mspec"].email in m.to for m in mail.outbox)


def test_rejection_returns_to_applicant_and_resubmission_is_a_new_round(org_a):
    version = make_design(org_a)
    approve(org_a, version, "bgm")
    approve(org_a, version, "design")
    task = pending(org_a, version, user=org_a.users["mspec"])[0]
    with org_a.scope():
        approvals.approval_reject(task=task, actor=org_a.users["mspec"], reason="条款与产品要素不符")
    version = _reload(org_a, version)
    assert version.status == VersionStatus.REJECTED
    assert _reload(org_a, version.product).status == ProductStatus.DESIGN
    user = org_a.users["sales"]
    with org_a.scope():
        product_services.version_update(version=version, membership=membership_of(user), actor=user,
                                        data={"coverage": "发动机、变速箱、驱动桥"}, submit=True)
    assert _reload(org_a, version).status == VersionStatus.SUBMITTED
    assert current_step(org_a, version) == "分公司总经理签字"


def test_return_goes_back_to_an_earlier_step(org_a):
    version = make_design(org_a)
    for persona in ["bgm", "design", "mspec", "ops"]:
        approve(org_a, version, persona)
    task = pending(org_a, version, user=org_a.users["finance"])[0]
    with org_a.scope():
        approvals.approval_return(task=task, actor=org_a.users["finance"], to_position=2, reason="成本测算请产品设计部复核")
    assert current_step(org_a, version) == "产品设计部签字"
    assert _reload(org_a, version).status == VersionStatus.SUBMITTED


def test_withdraw(org_a):
    version = make_design(org_a)
    flow = pending(org_a, version)[0].flow
    with org_a.scope():
        approvals.approval_withdraw(flow=flow, actor=org_a.users["sales"])
    assert _reload(org_a, version).status == VersionStatus.WITHDRAWN


def test_version_change_goes_through_the_chain_and_keeps_the_old_version(org_a):
    product = approved_product(org_a)
    v1 = product.current_version
    user = org_a.users["sales"]
    with org_a.scope():
        v2 = product_services.product_version_create(
            product=product, membership=membership_of(user), actor=user,
            data=version_data(org_a, price="3180.00", mileage_limit=80000, name="动力总成延保（加强版）"), submit=True)
        with pytest.raises(ValidationError) as exc:  # only one open version at a time
            product_services.product_version_create(product=product, membership=membership_of(user), actor=user,
                                                    data=version_data(org_a))
        assert exc.value.code == "open_version_exists"
    assert v2.number == 2 and v2.clauses  # clauses carried over
    # while v2 is in approval, v1 stays in force and the product stays online
    product = _reload(org_a, product)
    assert product.current_version_id == v1.pk and product.status == ProductStatus.ONLINE
    for persona in DESIGN_PATH:
        approve(org_a, v2, persona)
    product = _reload(org_a, product)
    assert product.current_version_id == v2.pk and product.name == "动力总成延保（加强版）"
    assert product.status == ProductStatus.ONLINE
    assert _reload(org_a, v1).status == VersionStatus.SUPERSEDED
    assert _reload(org_a, v2).status == VersionStatus.APPROVED


def test_refusals(org_a):
    with pytest.raises(ValidationError) as exc:
        make_design(org_a, branch="A2")  # a branch outside the salesperson's reach
    assert exc.value.code == "branch_not_allowed"
    with pytest.raises(ValidationError) as exc:
        make_design(org_a, clauses=False)
    assert exc.value.code == "clauses_required"
    make_design(org_a, code="YB-DUP")
    with pytest.raises(ValidationError):
        make_design(org_a, code="yb-dup")
    with pytest.raises(ValidationError) as exc:
        make_design(org_a, code="YB-BAD", clauses=True, submit=False, term_months=0)
    product = approved_product(org_a, code="YB-ST", online=False)
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        product_services.product_set_status(product=product, actor=org_a.users["mspec"], move="retire")
        product_services.product_set_status(product=_reload(org_a, product), actor=org_a.users["mspec"], move="retire")
    assert exc.value.code == "bad_move"
    design_only = make_design(org_a, code="YB-D1")
    with org_a.scope(), pytest.raises(ValidationError):
        product_services.product_set_status(product=design_only.product, actor=org_a.users["mspec"], move="online")


def test_bad_clauses_file_is_refused(org_a):
    with pytest.raises(ValidationError) as exc:
        user = org_a.users["sales"]
        with org_a.scope():
            product_services.product_design_create(
                tenant=org_a.tenant, membership=membership_of(user), actor=user, code="YB-EXE",
                data=version_data(org_a), clauses=pdf_upload("x.exe", b"MZ..."))
    assert exc.value.code == "bad_file_type"
    with org_a.scope():
        assert not Product.objects.filter(code="YB-EXE").exists()


# --- pages --------------------------------------------------------------------------------


def test_design_form_creates_one_request_and_shows_errors(org_a, client_as):
    client = client_as(org_a.users["sales"])
    url = reverse("contracts:design_create")
    bad = client.post(url, {"code": "", "branch": org_a.branches["A1"].pk, "name": "x", "submit": "1"})
    assert bad.status_code == 200 and "请填写产品代码" in bad.content.decode()
    data = {"code": "yb-web", "branch": org_a.branches["A1"].pk, "name": "网页产品", "vehicle_type": "乘用车",
            "term_months": "24", "mileage_limit": "", "price": "1999", "coverage": "发动机", "reason": "",
            "clauses_file": pdf_upload(), "submit": "1"}
    ok = client.post(url, data)
    assert ok.status_code == 302
    data["clauses_file"] = pdf_upload()
    again = client.post(url, data)  # a double submit of the same code
    assert again.status_code == 200 and "已存在" in again.content.decode()
    with org_a.scope():
        assert ProductVersion.objects.filter(product__code="YB-WEB").count() == 1
        version = ProductVersion.objects.get(product__code="YB-WEB")
    assert version.status == VersionStatus.SUBMITTED and version.mileage_limit is None
    page = client_as(org_a.users["bgm"]).get(reverse("contracts:version_detail", args=[version.pk]))
    assert page.status_code == 200 and "分公司总经理签字" in page.content.decode()
    clauses = client.get(reverse("contracts:version_clauses", args=[version.pk]))
    assert clauses.status_code == 200 and b"".join(clauses.streaming_content).startswith(b"%PDF")


def test_reach_branch_sees_approved_products_and_own_requests(org_a, org_b, client_as):
    online = approved_product(org_a, code="YB-ON")
    mine = make_design(org_a, code="YB-MINE")
    theirs = make_design(org_a, applicant="sales2", code="YB-A2", branch="A2")
    foreign = make_design(org_b, code="YB-B", branch="B1")
    sales = client_as(org_a.users["sales"])
    page = sales.get(reverse("contracts:product_list")).content.decode()
    assert "YB-ON" in page and "YB-MINE" in page and "YB-A2" not in page
    assert sales.get(reverse("contracts:version_detail", args=[theirs.pk])).status_code == 404
    assert sales.get(reverse("contracts:product_detail", args=[theirs.product_id])).status_code == 404
    assert sales.get(reverse("contracts:version_detail", args=[foreign.pk])).status_code == 404
    for persona in ("design", "mspec", "ops", "finance", "gm"):
        listing = client_as(org_a.users[persona]).get(reverse("contracts:design_list")).content.decode()
        assert "YB-A2" in listing and "YB-MINE" in listing, persona
    assert client_as(org_a.users["hr"]).get(reverse("contracts:product_list")).status_code == 403
    assert mine.pk and online.pk


def test_product_page_actions_and_export(org_a, client_as):
    product = approved_product(org_a, code="YB-PG", online=False)
    client = client_as(org_a.users["mspec"])
    detail = client.get(reverse("contracts:product_detail", args=[product.pk])).content.decode()
    assert "上线" in detail and "v1" in detail
    assert client.post(reverse("contracts:product_status", args=[product.pk]), {"move": "online"}).status_code == 302
    assert _reload(org_a, product).status == ProductStatus.ONLINE
    client.post(reverse("contracts:product_bar", args=[product.pk]), {"bar_percent": "75"})
    assert str(_reload(org_a, product).sell_through_bar) == "0.7500"
    assert client_as(org_a.users["sales"]).post(reverse("contracts:product_status", args=[product.pk]),
                                                {"move": "retire"}).status_code == 403
    export = client.get(reverse("contracts:product_export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")


def test_formula_in_name_is_exported_as_text(org_a, client_as):
    import io

    from openpyxl import load_workbook

    approved_product(org_a, code="YB-FX", name="=HYPERLINK(\"http://x\")")
    data = client_as(org_a.users["mspec"]).get(reverse("contracts:product_export")).content
    ws = load_workbook(io.BytesIO(data)).active
    names = [ws.cell(row=r, column=2) for r in range(2, ws.max_row + 1)]
    assert any(c.value.startswith("=HYPERLINK") and c.data_type == "s" for c in names)


def test_pages_are_translated_to_english(org_a, client_as):
    approved_product(org_a, code="YB-EN")
    client = client_as(org_a.users["mspec"], language="en")
    listing = client.get(reverse("contracts:product_list")).content.decode()
    assert "Export Excel" in listing and "Request a new product" in listing
    page = client.get(reverse("contracts:ledger")).content.decode()
    assert "Contract ledger" in page and "合同台账" not in page.split("<main", 1)[-1]
