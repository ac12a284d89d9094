"""The tenant's sales stages (customers/stages.py): S002-10, first half -- the progress stages
are the tenant's own, and a deal that fails needs its reason, whatever the failed stage is
called."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from customers import services
from customers.models import Customer, CustomerStage, Stage
from customers.stages import stage_save, stage_set
from customers.tests.conftest import make_customer
from marketing.models import AuditEvent

pytestmark = pytest.mark.django_db


def _add_intention(org, client_as):
    """The admin adds 意向客户 between 目标客户 and 洽谈中, through the page."""
    client = client_as(org.users["admin"])
    page = client.post("/customers/stages/new/", {
        "label": "意向客户", "label_en": "Interested", "kind": "open", "position": "15", "is_active": "on",
        "next_codes": ["negotiating", "lost"], "previous": ["target"],
    })
    assert page.status_code == 302, page.content.decode()[:2000]
    with org.scope():
        return CustomerStage.objects.get(tenant=org.tenant, label="意向客户")


def test_S002_10_a_tenant_adds_a_stage_and_its_moves(org_a, org_b, client_as, cust_a):
    """S002-10: the tenant's progress stages -- an added stage sits where the admin puts it, the
    moves it allows hold in the service, and the other tenant keeps the starting stages."""
    with org_a.scope():
        assert not stage_set(org_a.tenant).configured  # starting stages, nothing written yet
    intention = _add_intention(org_a, client_as)
    assert intention.code == "stage-5" and intention.next_codes == ["lost", "negotiating"]
    with org_a.scope():
        # by id: the fixture's tenant object keeps the set it read (a request's tenant is its own)
        stages = stage_set(org_a.tenant.pk)
        assert [s.code for s in stages] == ["target", "stage-5", "negotiating", "signed", "lost"]
        assert "stage-5" in stages.by_code["target"].next
        sales = org_a.users["sales"]
        with pytest.raises(ValidationError) as exc:  # still no skipping to a signed contract
            services.customer_update(customer=cust_a, actor=sales, data={"stage": Stage.SIGNED})
        assert exc.value.code == "bad_stage_transition"
        services.customer_update(customer=cust_a, actor=sales, data={"stage": "stage-5"})
        with pytest.raises(ValidationError):  # 意向客户 -> 已签约 is not one of its moves
            services.customer_update(customer=cust_a, actor=sales, data={"stage": Stage.SIGNED})
        services.customer_update(customer=cust_a, actor=sales, data={"stage": Stage.NEGOTIATING})
        assert Customer.objects.get(pk=cust_a.pk).stage == Stage.NEGOTIATING
        audit = AuditEvent.objects.get(tenant=org_a.tenant, verb="customers.stage_create")
        assert audit.after["label"] == "意向客户" and audit.after["previous"] == ["target"]
        # the change also wrote the four starting stages as the tenant's rows
        assert CustomerStage.objects.filter(tenant=org_a.tenant).count() == 5
    with org_b.scope():
        assert [s.code for s in stage_set(org_b.tenant)] == ["target", "negotiating", "signed", "lost"]
        assert CustomerStage.objects.filter(tenant=org_b.tenant).count() == 0
    # the list page shows the stage name and its pill; the filter offers it
    listing = client_as(org_a.users["gm"]).get("/customers/", {"stage": "negotiating"})
    body = listing.content.decode()
    assert listing.status_code == 200 and '<option value="stage-5">意向客户</option>' in body
    assert cust_a.name in body


def test_S002_10_a_renamed_lost_stage_still_needs_the_reason(org_a, client_as, cust_a):
    """S002-10: 失败 → 分析失败原因 -- the reason is required for any stage of the lost kind,
    in the service, the form and the import."""
    with org_a.scope():
        stage_save(tenant=org_a.tenant, actor=org_a.users["admin"], code="lost",
                   data={"label": "合作失败", "label_en": "Deal failed"})
        paused = stage_save(tenant=org_a.tenant, actor=org_a.users["admin"], previous=["target", "negotiating"],
                            data={"label": "暂缓合作", "kind": "lost", "position": 50, "is_active": True,
                                  "next_codes": ["target"]})
        with pytest.raises(ValidationError) as exc:
            services.customer_update(customer=cust_a, actor=org_a.users["sales"], data={"stage": paused.code})
        assert exc.value.error_dict["lost_reason"][0].code == "lost_reason_required"
        assert "暂缓合作" in exc.value.error_dict["lost_reason"][0].message % exc.value.error_dict["lost_reason"][0].params
    page = client_as(org_a.users["sales"]).post(f"/customers/{cust_a.pk}/edit/", {
        "name": cust_a.name, "industry": "dealer_4s", "stage": "lost", "lost_reason": "",
        "branch": org_a.branches["A1"].pk})
    assert page.status_code == 200 and "标为“合作失败”时请写明失败原因" in page.content.decode()
    page = client_as(org_a.users["sales"]).post(f"/customers/{cust_a.pk}/edit/", {
        "name": cust_a.name, "industry": "dealer_4s", "stage": "lost", "lost_reason": "价格高于厂家延保",
        "branch": org_a.branches["A1"].pk})
    assert page.status_code == 302
    with org_a.scope():
        saved = Customer.objects.get(pk=cust_a.pk)
        assert (saved.stage, saved.lost_reason) == ("lost", "价格高于厂家延保")
    detail = client_as(org_a.users["sales"]).get(f"/customers/{cust_a.pk}/").content.decode()
    assert '<span class="pill pill-muted">合作失败</span>' in detail
    english = client_as(org_a.users["sales"], language="en").get(f"/customers/{cust_a.pk}/")
    assert "Deal failed" in english.content.decode()


def test_S002_10_import_and_export_use_the_tenants_names(org_a, client_as):
    """S002-10: the import reads the tenant's stage names (a lost one needs its reason) and the
    export writes them."""
    from openpyxl import Workbook

    from customers.importer import parse_rows

    with org_a.scope():
        stage_save(tenant=org_a.tenant, actor=org_a.users["admin"], previous=["target"],
                   data={"label": "意向客户", "kind": "open", "position": 15, "is_active": True,
                         "next_codes": ["negotiating"]})
        wb = Workbook()
        ws = wb.active
        ws.append(["客户名称", "阶段", "分公司", "负责销售", "失败/流失原因"])
        ws.append(["甲", "意向客户", "A1", org_a.users["sales"].username, ""])
        ws.append(["乙", "已流失", "A1", org_a.users["sales"].username, ""])
        ws.append(["丙", "已流失", "A1", org_a.users["sales"].username, "厂家自营延保"])
        ws.append(["丁", "", "A1", org_a.users["sales"].username, ""])
        buf = io.BytesIO()
        wb.save(buf)
        rows = parse_rows(tenant=org_a.tenant, content=buf.getvalue())
    assert [(r["name"], r["stage"]) for r in rows] == [("甲", "stage-5"), ("乙", "lost"), ("丙", "lost"), ("丁", "target")]
    assert [r["errors"] for r in rows] == [[], ["阶段“已流失”须填写失败/流失原因"], [], []]
    make_customer(org_a, name="意向甲", stage="target")
    with org_a.scope():
        c = Customer.objects.get(tenant=org_a.tenant, name="意向甲")
        services.customer_update(customer=c, actor=org_a.users["sales"], data={"stage": "stage-5"})
    export = client_as(org_a.users["mdirector"]).get("/customers/export/")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert ["意向甲", "意向客户"] in [[r[0], r[2]] for r in sheet.iter_rows(min_row=3, values_only=True)]


def test_stage_rules_keep_the_set_usable_and_refuse_a_stale_tab(org_a, client_as, cust_a):
    """The only won stage cannot be retired; a retired stage leaves the choices but its
    customers can move anywhere; an edit made from a stale page is refused."""
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:
            stage_save(tenant=org_a.tenant, actor=org_a.users["admin"], code="signed", data={"is_active": False})
        assert exc.value.code == "stage_kind_missing"
        with pytest.raises(ValidationError) as exc:
            stage_save(tenant=org_a.tenant, actor=org_a.users["admin"], code="negotiating", data={"label": "目标客户"})
        assert exc.value.error_dict["label"][0].code == "stage_label_taken"
        services.customer_update(customer=cust_a, actor=org_a.users["sales"], data={"stage": "negotiating"})
    client = client_as(org_a.users["admin"])
    form = client.get("/customers/stages/negotiating/edit/")
    assert form.status_code == 200
    revision = form.context["form"].initial["revision"]
    post = {"label": "洽谈", "kind": "open", "position": "20", "next_codes": ["signed", "lost", "target"],
            "previous": ["target"], "revision": str(revision)}
    assert client.post("/customers/stages/negotiating/edit/", post).status_code == 302  # retired (no is_active)
    stale = client.post("/customers/stages/negotiating/edit/", post | {"label": "洽谈阶段"})
    assert stale.status_code == 200 and "此阶段已被他人修改" in stale.content.decode()
    with org_a.scope():
        stages = stage_set(org_a.tenant.pk)
        assert stages.label("negotiating") == "洽谈" and not stages.by_code["negotiating"].active
        assert "negotiating" not in dict(stages.choices())
        assert "negotiating" in dict(stages.choices(keep="negotiating"))
        # a customer in a retired stage moves to any active stage (here straight to signed)
        services.customer_update(customer=cust_a, actor=org_a.users["sales"], data={"stage": "signed"})
        with pytest.raises(ValidationError):  # nobody moves into a retired stage
            services.customer_update(customer=cust_a, actor=org_a.users["sales"], data={"stage": "negotiating"})
    listing = client_as(org_a.users["admin"]).get("/customers/stages/")
    assert listing.status_code == 200 and "洽谈" in listing.content.decode()


def test_only_the_tenant_admin_edits_stages(org_a, client_as):
    for key in ("sales", "gm", "mdirector"):
        assert client_as(org_a.users[key]).get("/customers/stages/").status_code in (403, 404)
        assert client_as(org_a.users[key]).post("/customers/stages/new/", {
            "label": "x", "kind": "open", "position": "1"}).status_code in (403, 404)
    assert client_as(org_a.users["admin"]).get("/customers/stages/nope/edit/").status_code == 404
    with org_a.scope():
        assert CustomerStage.objects.filter(tenant=org_a.tenant).count() == 0


def test_meeting_pack_leaves_out_every_lost_kind_stage(org_a):
    """The monthly pack's customer list skips customers in any lost-kind stage."""
    import datetime as dt

    from reports.meetings.pack import _customers

    with org_a.scope():
        stage_save(tenant=org_a.tenant, actor=org_a.users["admin"], previous=["target"],
                   data={"label": "暂缓合作", "kind": "lost", "position": 50, "is_active": True, "next_codes": []})
    make_customer(org_a, name="在谈")
    paused = make_customer(org_a, name="暂缓")
    with org_a.scope():
        services.customer_update(customer=paused, actor=org_a.users["sales"],
                                 data={"stage": "stage-5", "lost_reason": "预算冻结"})
        rows = _customers(org_a.tenant, dt.date(2026, 12, 1), dt.date(2026, 12, 31), {})
    assert [r["name"] for r in rows] == ["在谈"] and rows[0]["stage"] == "目标客户"


def test_a_stale_tab_on_the_starting_stages_is_refused(org_a, client_as):
    """Two tabs open the starting (not yet written) 洽谈中: the first save writes the tenant's
    stages; the second, read before that, is refused instead of overwriting it."""
    admin = client_as(org_a.users["admin"])
    first, second = (admin.get("/customers/stages/negotiating/edit/") for _ in range(2))
    post = {"label": "洽谈", "kind": "open", "position": "20", "is_active": "on",
            "next_codes": ["signed", "lost", "target"], "previous": ["target"]}
    assert first.context["form"].initial["revision"] == 0
    assert admin.post("/customers/stages/negotiating/edit/", post | {"revision": "0"}).status_code == 302
    stale = admin.post("/customers/stages/negotiating/edit/", post | {"label": "洽谈阶段", "revision": "0"})
    assert stale.status_code == 200 and "此阶段已被他人修改" in stale.content.decode()
    assert second.status_code == 200
    with org_a.scope():
        assert stage_set(org_a.tenant.pk).label("negotiating") == "洽谈"
