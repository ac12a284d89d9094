import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from contracts import selectors
from contracts.models import (
    ConfirmationStatus,
    ContractImportJob,
    ImportStatus,
    PriceList,
    PriceListConfirmation,
    PriceListStatus,
)
from contracts.services import pricelist as services
from contracts.tests.helpers import approved_product, make_design

pytestmark = pytest.mark.django_db


def _today(org):
    return timezone.localdate(timezone=org.tenant.zone)


def _draft_with(org, product, prices, actor="mspec"):
    with org.scope():
        draft = services.pricelist_draft(tenant=org.tenant, actor=org.users[actor])
        for (vehicle_class, term), price in prices.items():
            services.entry_save(price_list=draft, actor=org.users[actor], product=product, vehicle_class=vehicle_class,
                                term_months=term, price=Decimal(price))
    return draft


def _publish(org, draft, effective_on=None, capture=None):
    with org.scope():
        return services.pricelist_publish(price_list=draft, actor=org.users["mspec"],
                                          effective_on=effective_on or _today(org))


def test_publish_asks_every_branch_gm_and_marketing_sees_who_has_not_confirmed(org_a, client_as,
                                                                              django_capture_on_commit_callbacks):
    """S000-37/38."""
    product = approved_product(org_a)
    draft = _draft_with(org_a, product, {("A级", 12): "1800", ("A级", 24): "2980"})
    with django_capture_on_commit_callbacks(execute=True):
        published = _publish(org_a, draft)
    assert published.status == PriceListStatus.PUBLISHED
    with org_a.scope():
        gm_ids = set(PriceListConfirmation.objects.filter(price_list=published).values_list("user_id", flat=True))
    assert {org_a.users["bgm"].pk, org_a.users["bgm2"].pk, org_a.users["allroles"].pk} == gm_ids
    assert any("请确认" in m.subject and org_a.users["bgm"].email in m.to for m in mail.outbox)
    # bgm confirms, bgm2 objects (a comment is required)
    bgm = client_as(org_a.users["bgm"])
    with org_a.scope():
        mine = PriceListConfirmation.objects.get(price_list=published, user=org_a.users["bgm"])
        theirs = PriceListConfirmation.objects.get(price_list=published, user=org_a.users["bgm2"])
    assert bgm.post(reverse("contracts:pricelist_confirm", args=[mine.pk]), {"decision": "confirmed"}).status_code == 302
    assert bgm.post(reverse("contracts:pricelist_confirm", args=[theirs.pk]), {"decision": "confirmed"}).status_code == 404
    bgm2 = client_as(org_a.users["bgm2"])
    bgm2.post(reverse("contracts:pricelist_confirm", args=[theirs.pk]), {"decision": "objected", "comment": ""})
    with org_a.scope():
        theirs.refresh_from_db()
        assert theirs.status == ConfirmationStatus.PENDING  # refused: no comment
    bgm2.post(reverse("contracts:pricelist_confirm", args=[theirs.pk]), {"decision": "objected", "comment": "24 个月偏贵"})
    with org_a.scope():
        theirs.refresh_from_db()
        assert theirs.status == ConfirmationStatus.OBJECTED and theirs.comment == "24 个月偏贵"
    page = client_as(org_a.users["mspec"]).get(reverse("contracts:pricelist_detail", args=[published.pk]))
    pending = {c.user_id for c in page.context["pending"]}
    assert pending == {org_a.users["allroles"].pk}
    assert "24 个月偏贵" in page.content.decode()
    # a branch GM does not see the others' answers
    assert client_as(org_a.users["bgm"]).get(reverse("contracts:pricelist_detail", args=[published.pk])
                                             ).context["confirmations"] == []


def test_operations_ticks_implemented_per_product(org_a, client_as):
    """S000-39."""
    product = approved_product(org_a)
    other = approved_product(org_a, code="YB-T36", term_months=36)
    published = _publish(org_a, _draft_with(org_a, product, {("A级", 24): "2980"}))
    ops = client_as(org_a.users["ops"])
    url = reverse("contracts:pricelist_implement", args=[published.pk])
    assert ops.post(url, {"product": product.pk}).status_code == 302
    with org_a.scope():
        assert published.implementations.filter(product=product).exists()
        with pytest.raises(ValidationError) as exc:
            services.implementation_tick(price_list=published, product=product, actor=org_a.users["ops"])
        assert exc.value.code == "already_implemented"
        with pytest.raises(ValidationError) as exc:
            services.implementation_tick(price_list=published, product=other, actor=org_a.users["ops"])
        assert exc.value.code == "not_in_list"
    assert client_as(org_a.users["mspec"]).post(url, {"product": product.pk}).status_code == 403


def test_versions_stay_readable_diff_and_version_in_force_on_a_date(org_a, client_as):
    product = approved_product(org_a)
    other = approved_product(org_a, code="YB-T36", term_months=36)
    today = _today(org_a)
    v1 = _publish(org_a, _draft_with(org_a, product, {("A级", 12): "1800", ("A级", 24): "2980", ("B级", 24): "3500"}))
    # the next draft starts as a copy of v1
    with org_a.scope():
        draft = services.pricelist_draft(tenant=org_a.tenant, actor=org_a.users["mspec"])
        assert draft.version == 2 and draft.entries.count() == 3
        services.entry_save(price_list=draft, actor=org_a.users["mspec"], product=product, vehicle_class="A级",
                            term_months=24, price=Decimal("3180"))
        services.entry_delete(entry=draft.entries.get(vehicle_class="B级"), actor=org_a.users["mspec"])
        services.entry_save(price_list=draft, actor=org_a.users["mspec"], product=other, vehicle_class="A级",
                            term_months=36, price=Decimal("5200"))
    v2 = _publish(org_a, draft, effective_on=today + dt.timedelta(days=10))
    with org_a.scope():
        assert selectors.pricelist_in_force(tenant=org_a.tenant, day=today).pk == v1.pk
        assert selectors.pricelist_in_force(tenant=org_a.tenant, day=today + dt.timedelta(days=9)).pk == v1.pk
        assert selectors.pricelist_in_force(tenant=org_a.tenant, day=today + dt.timedelta(days=10)).pk == v2.pk
        assert selectors.pricelist_in_force(tenant=org_a.tenant, day=today - dt.timedelta(days=1)) is None
        diff = selectors.pricelist_diff(v1, v2)
        v1_prices = {(e.vehicle_class, e.term_months): e.price for e in v1.entries.all()}
    got = {(c["kind"], c["code"], c["vehicle_class"], c["term_months"], c["old"], c["new"]) for c in diff["changes"]}
    assert got == {
        ("changed", "YB-T24", "A级", 24, Decimal("2980.00"), Decimal("3180.00")),
        ("removed", "YB-T24", "B级", 24, Decimal("3500.00"), None),
        ("added", "YB-T36", "A级", 36, None, Decimal("5200.00")),
    }
    assert diff["unchanged"] == 1
    assert v1_prices[("A级", 24)] == Decimal("2980.00")  # the old version is untouched
    sales = client_as(org_a.users["sales"])
    index = sales.get(reverse("contracts:pricelist_index"), {"on": (today + dt.timedelta(days=10)).isoformat()})
    assert index.context["in_force"].pk == v2.pk
    page = sales.get(reverse("contracts:pricelist_diff"), {"a": 1, "b": 2}).content.decode()
    assert "3180.00" in page and "5200.00" in page
    assert sales.get(reverse("contracts:pricelist_detail", args=[v1.pk])).status_code == 200


def test_publish_refusals_and_published_is_frozen(org_a, client_as):
    product = approved_product(org_a)
    with org_a.scope():
        empty = services.pricelist_draft(tenant=org_a.tenant, actor=org_a.users["mspec"])
        with pytest.raises(ValidationError) as exc:
            services.pricelist_publish(price_list=empty, actor=org_a.users["mspec"], effective_on=_today(org_a))
        assert exc.value.code == "empty"
    draft = _draft_with(org_a, product, {("A级", 12): "1800"})
    with org_a.scope(), pytest.raises(ValidationError) as exc:
        services.pricelist_publish(price_list=draft, actor=org_a.users["mspec"],
                                   effective_on=_today(org_a) - dt.timedelta(days=1))
    assert exc.value.code == "bad_effective_on"
    published = _publish(org_a, draft)
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            services.entry_save(price_list=published, actor=org_a.users["mspec"], product=product, vehicle_class="A级",
                                term_months=12, price=Decimal("1"))
        assert exc.value.code == "not_draft"
        designing = make_design(org_a, code="YB-DES").product
        draft = services.pricelist_draft(tenant=org_a.tenant, actor=org_a.users["mspec"])
        with pytest.raises(ValidationError) as exc:
            services.entry_save(price_list=draft, actor=org_a.users["mspec"], product=designing, vehicle_class="A级",
                                term_months=12, price=Decimal("100"))
        assert exc.value.code == "product_not_priceable"
    # drafts are marketing's only
    assert client_as(org_a.users["sales"]).get(reverse("contracts:pricelist_draft")).status_code == 403
    assert client_as(org_a.users["sales"]).get(reverse("contracts:pricelist_export", args=[draft.pk])).status_code == 404


def _xlsx(rows, header=("产品代码", "车辆级别", "期限（月）", "价格")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, content, name="报价.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("contracts:pricelist_import"), {"file": SimpleUploadedFile(name, content)})


def test_import_preview_per_row_errors_and_atomic_confirm(org_a, client_as):
    product = approved_product(org_a)
    make_design(org_a, code="YB-DES")
    client = client_as(org_a.users["mspec"])
    client.post(reverse("contracts:pricelist_draft"))  # creates the draft
    with org_a.scope():
        draft = PriceList.objects.get(tenant=org_a.tenant, status=PriceListStatus.DRAFT)
        services.entry_save(price_list=draft, actor=org_a.users["mspec"], product=product, vehicle_class="旧",
                            term_months=12, price=Decimal("1"))
    bad = _upload(client, _xlsx([("YB-T24", "A级", 12, 1800), ("YB-NOPE", "A级", 12, 1), ("YB-DES", "A级", 12, 1),
                                 ("YB-T24", "", 12.5, "abc"), ("YB-T24", "A级", 12, 1900)]))
    with org_a.scope():
        job = ContractImportJob.objects.latest("pk")
    assert bad.status_code == 302 and job.status == ImportStatus.INVALID
    rows = {e["row"] for e in job.errors}
    assert rows == {3, 4, 5, 6}
    page = client.get(reverse("contracts:import_detail", args=[job.pk])).content.decode()
    assert "未知的产品代码：YB-NOPE" in page and "与第 2 行重复" in page and "第 5 行" in page
    assert client.post(reverse("contracts:import_confirm", args=[job.pk])).status_code == 302
    with org_a.scope():
        assert list(draft.entries.values_list("vehicle_class", flat=True)) == ["旧"]  # nothing applied
    _upload(client, _xlsx([("yb-t24", "A级", 12, 1800), ("YB-T24", "A级", 24, "2,980.00")]))
    with org_a.scope():
        job = ContractImportJob.objects.latest("pk")
    assert job.status == ImportStatus.READY and len(job.preview) == 2
    assert client.post(reverse("contracts:import_confirm", args=[job.pk])).status_code == 302
    with org_a.scope():
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE
        assert sorted(draft.entries.values_list("term_months", "price")) == [(12, Decimal("1800.00")),
                                                                            (24, Decimal("2980.00"))]
    # confirming twice changes nothing more
    again = client.post(reverse("contracts:import_confirm", args=[job.pk]))
    assert again.status_code == 302
    assert _upload(client, b"not a zip", name="x.xlsx").status_code == 302
    with org_a.scope():
        assert ContractImportJob.objects.latest("pk").status == ImportStatus.INVALID
    assert client_as(org_a.users["sales"]).get(reverse("contracts:import_detail", args=[job.pk])).status_code == 403


def test_export_is_printable_and_formula_safe(org_a, client_as):
    product = approved_product(org_a)
    draft = _draft_with(org_a, product, {("=1+1", 12): "1800", ("A级", 24): "2980"})
    published = _publish(org_a, draft)
    data = client_as(org_a.users["sales"]).get(reverse("contracts:pricelist_export", args=[published.pk])).content
    wb = load_workbook(io.BytesIO(data))
    ws = wb["产品体系报价表"]
    assert "第 1 版" in ws["A1"].value
    assert [c.value for c in ws[2]][:7] == ["产品代码", "产品名称", "适用车型", "里程上限（公里）", "车辆级别",
                                            "12个月（元）", "24个月（元）"]
    classes = [ws.cell(row=r, column=5) for r in range(3, ws.max_row + 1)]
    assert any(c.value == "=1+1" and c.data_type == "s" for c in classes)
    flat = wb["明细"]
    assert [c.value for c in flat[1]] == ["产品代码", "车辆级别", "期限（月）", "价格"]
    assert flat.max_row == 3


def test_double_draft_click_creates_one_draft(org_a, client_as):
    client = client_as(org_a.users["mspec"])
    client.post(reverse("contracts:pricelist_draft"))
    client.post(reverse("contracts:pricelist_draft"))
    with org_a.scope():
        assert PriceList.objects.filter(status=PriceListStatus.DRAFT).count() == 1


@time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False)
def test_in_force_uses_the_tenant_date(org_a):
    product = approved_product(org_a)
    published = _publish(org_a, _draft_with(org_a, product, {("A级", 12): "1800"}), effective_on=dt.date(2026, 3, 2))
    with org_a.scope():
        assert selectors.pricelist_in_force(tenant=org_a.tenant, day=dt.date(2026, 3, 2)).pk == published.pk


def test_export_round_trips_through_the_draft_import(org_a, client_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = approved_product(org_a)
    published = _publish(org_a, _draft_with(org_a, product, {("A级", 12): "1800", ("B级", 24): "2980"}))
    client = client_as(org_a.users["mspec"])
    data = client.get(reverse("contracts:pricelist_export", args=[published.pk])).content
    client.post(reverse("contracts:pricelist_draft"))
    client.post(reverse("contracts:pricelist_import"), {"file": SimpleUploadedFile("v1.xlsx", data)})
    with org_a.scope():
        job = ContractImportJob.objects.latest("pk")
        assert job.status == ImportStatus.READY and job.total_rows == 2
