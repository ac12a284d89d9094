import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from contracts import imports
from contracts.models import (
    Contract,
    ContractEvent,
    ContractImportJob,
    ContractState,
    ImportKind,
    ImportStatus,
)
from contracts.services import ledger
from contracts.tests.helpers import (
    approved_product,
    dispatched,
    make_batch,
    numbers_of,
    receive,
    sign,
    void,
    xlsx,
)
from marketing.models import AuditEvent

pytestmark = pytest.mark.django_db


def _state(org, number):
    with org.scope():
        return Contract.objects.get(number=number)


def test_print_batch_enters_stock_with_a_dated_event_each(org_a):
    product = approved_product(org_a)
    batch = make_batch(org_a, product, last="LZ-2026-000050")
    with org_a.scope():
        contracts = list(Contract.objects.filter(batch=batch).order_by("number"))
        assert len(contracts) == 50 and {c.state for c in contracts} == {ContractState.IN_STOCK}
        assert contracts[0].number == "LZ-2026-000001" and contracts[-1].number == "LZ-2026-000050"
        assert ContractEvent.objects.filter(contract__batch=batch, to_state=ContractState.IN_STOCK).count() == 50
        assert AuditEvent.objects.filter(verb="contracts.batch_create", object_id=str(batch.pk)).exists()


@pytest.mark.parametrize("first,last", [
    ("LZ-2026-000050", "LZ-2026-000150"),  # overlaps the end
    ("LZ-2026-000001", "LZ-2026-000001"),  # inside
    ("LZ-2026-000000", "LZ-2026-000300"),  # covers
])
def test_overlapping_ranges_are_refused(org_a, first, last):
    product = approved_product(org_a)
    make_batch(org_a, product)
    with pytest.raises(ValidationError) as exc:
        make_batch(org_a, product, first=first, last=last)
    assert exc.value.code == "overlap"


def test_batch_refusals_and_adjacent_range(org_a):
    product = approved_product(org_a)
    make_batch(org_a, product)
    make_batch(org_a, product, first="LZ-2026-000101", last="LZ-2026-000200")  # adjacent is fine
    for first, last, code in [("LZ-2026-0300", "LZ-2026-0400", "bad_range"),  # other width, same prefix
                              ("LZ-2026-000500", "LZ-2026-000400", "bad_range"),
                              ("LZ-2026-000900", "LZ-2027-000950", "bad_range"),
                              ("ABC", "ABD", "bad_number")]:
        with pytest.raises(ValidationError) as exc:
            make_batch(org_a, product, first=first, last=last)
        assert exc.value.code == code, (first, last)
    with pytest.raises(ValidationError) as exc:
        make_batch(org_a, product, first="LZ-2026-000900", last="LZ-2026-000950", days_ago=-1)
    assert exc.value.code == "bad_date"
    from contracts.tests.helpers import make_design

    designing = make_design(org_a, code="YB-DES").product
    with pytest.raises(ValidationError) as exc:
        make_batch(org_a, designing, first="XX-000001", last="XX-000010")
    assert exc.value.code == "product_not_ready"


def test_state_machine_moves_and_refusals(org_a):
    product = approved_product(org_a)
    make_batch(org_a, product)
    _doc, dispatch = dispatched(org_a, product, 10)
    a1 = numbers_of(org_a, dispatch)
    assert a1[0] == "LZ-2026-000001"  # lowest first
    # an in-stock contract cannot be received, a dispatched one cannot be signed or voided
    with pytest.raises(ValidationError, match="尚未派发"):
        receive(org_a, "LZ-2026-000050")
    with pytest.raises(ValidationError, match="未登记领取"):
        sign(org_a, a1[0])
    with pytest.raises(ValidationError, match="请先登记领取人"):
        void(org_a, a1[0])
    # a contract of another branch cannot be received here
    _doc2, dispatch2 = dispatched(org_a, product, 5, applicant="sales2", branch="A2", gm="bgm2")
    a2 = numbers_of(org_a, dispatch2)
    with pytest.raises(ValidationError, match="派发给了其他分公司"):
        receive(org_a, a2[0], holder="sales")
    # a move dated before the previous one is refused
    with pytest.raises(ValidationError, match="早于上一次流转日期"):
        receive(org_a, a1[0], on=ledger.local_today(org_a.tenant) - dt.timedelta(days=30))
    assert receive(org_a, a1[0], a1[2]) == 3
    sign(org_a, a1[0])
    void(org_a, a1[1])
    with pytest.raises(ValidationError, match="已由客户签约，不能作废"):
        void(org_a, a1[0])
    with pytest.raises(ValidationError, match="不能重复作废"):
        void(org_a, a1[1])
    with pytest.raises(ValidationError, match="已于"):
        sign(org_a, a1[0])
    with pytest.raises(ValidationError) as exc:
        void(org_a, a1[2], reason="")
    assert exc.value.code == "reason_required"
    with pytest.raises(ValidationError, match="将来"):
        sign(org_a, a1[2], on=ledger.local_today(org_a.tenant) + dt.timedelta(days=1))
    # an HQ contract damaged in stock can be voided
    void(org_a, "LZ-2026-000090", reason="印刷破损")
    c = _state(org_a, a1[0])
    assert c.state == ContractState.SIGNED and c.holder_id == org_a.users["sales"].pk and c.signed_on
    with org_a.scope():
        history = list(ContractEvent.objects.filter(contract=c).order_by("id").values_list("from_state", "to_state"))
        assert history == [("", "in_stock"), ("in_stock", "dispatched"), ("dispatched", "received"),
                           ("received", "signed")]
        assert all(e.actor_id and e.on for e in ContractEvent.objects.filter(contract=c))
        assert AuditEvent.objects.filter(verb__in=["contracts.receive", "contracts.sign", "contracts.void"]).count() == 4


def _upload(org, kind, content, name="f.xlsx"):
    with org.scope():
        return imports.import_upload(tenant=org.tenant, kind=kind, filename=name, content=content,
                                     actor=org.users["mspec"])


def _confirm(org, job):
    with org.scope():
        return imports.import_confirm(job=job, actor=org.users["mspec"])


def _today(org):
    return ledger.local_today(org.tenant).isoformat()


STOCK_HEADER = ("产品", "合同编号起", "合同编号止", "印刷厂", "单价", "入库日期")


def test_stock_import_and_whole_file_fails_on_an_overlap(org_a):
    approved_product(org_a, code="YB-S1")
    good = _upload(org_a, ImportKind.STOCK, xlsx(STOCK_HEADER, [
        ("YB-S1", "HT-000001", "HT-000100", "甲印刷厂", 1.2, _today(org_a)),
        ("YB-S1", "HT-000101", "HT-000150", "甲印刷厂", "1.25", _today(org_a))]))
    assert good.status == ImportStatus.READY
    assert _confirm(org_a, good).status == ImportStatus.DONE
    with org_a.scope():
        assert Contract.objects.filter(number__startswith="HT-").count() == 150
    bad = _upload(org_a, ImportKind.STOCK, xlsx(STOCK_HEADER, [
        ("YB-S1", "HT-000200", "HT-000300", "甲印刷厂", 1.2, _today(org_a)),
        ("YB-S1", "HT-000250", "HT-000260", "甲印刷厂", 1.2, _today(org_a)),  # overlaps row 2
        ("YB-S1", "HT-000140", "HT-000160", "甲印刷厂", 1.2, _today(org_a)),  # overlaps the database
        ("YB-NONE", "Q-1", "Q-2", "", "x", "soon")]))
    assert bad.status == ImportStatus.INVALID
    assert {e["row"] for e in bad.errors} == {3, 4, 5}
    with org_a.scope():
        assert Contract.objects.filter(number__startswith="HT-").count() == 150


def test_issue_signing_void_imports(org_a):
    from reports.models import RosterEntry

    product = approved_product(org_a)
    make_batch(org_a, product)
    _doc, dispatch = dispatched(org_a, product, 6)
    n = numbers_of(org_a, dispatch)
    with org_a.scope():
        RosterEntry.objects.create(tenant=org_a.tenant, branch=org_a.branches["A1"], name="花名册张三", position="销售",
                                   hire_date=dt.date(2025, 1, 1))
    issues = xlsx(("合同编号", "领取人", "领取日期"), [
        (n[0], org_a.users["sales"].username, _today(org_a)),
        (n[1], org_a.users["sales"].full_name, _today(org_a)),
        (n[2], "花名册张三", _today(org_a)),
        (n[3], "花名册张三", _today(org_a))])
    job = _upload(org_a, ImportKind.ISSUES, issues)
    assert job.status == ImportStatus.READY, job.errors
    assert _confirm(org_a, job).status == ImportStatus.DONE
    assert _state(org_a, n[2]).holder_name == "花名册张三" and _state(org_a, n[2]).holder_id is None
    assert _state(org_a, n[0]).holder_id == org_a.users["sales"].pk
    signings = xlsx(("合同编号", "签约日期"), [(n[0], _today(org_a)), (n[1], _today(org_a))])
    assert _confirm(org_a, _upload(org_a, ImportKind.SIGNINGS, signings)).status == ImportStatus.DONE
    with org_a.scope():
        events = ContractEvent.objects.count()
    again = _confirm(org_a, _upload(org_a, ImportKind.SIGNINGS, signings))  # the same CRM list again
    assert again.status == ImportStatus.DONE and again.result["moved"] == 0
    with org_a.scope():
        assert ContractEvent.objects.count() == events
    voids = xlsx(("合同编号", "作废日期", "原因"), [(n[2], _today(org_a), "填写错误")])
    assert _confirm(org_a, _upload(org_a, ImportKind.VOIDS, voids)).status == ImportStatus.DONE
    assert _state(org_a, n[2]).state == ContractState.VOIDED and _state(org_a, n[2]).void_reason == "填写错误"


@pytest.mark.parametrize("kind,header,rows,message", [
    (ImportKind.SIGNINGS, ("合同编号", "签约日期"), [("{n3}", "{today}"), ("LZ-9999-000001", "{today}")], "合同编号不存在"),
    (ImportKind.SIGNINGS, ("合同编号", "签约日期"), [("{n3}", "{today}"), ("{n5}", "{today}")], "未登记领取"),
    (ImportKind.SIGNINGS, ("合同编号", "签约日期"), [("{n3}", "{today}"), ("{n3}", "{today}")], "重复"),
    (ImportKind.VOIDS, ("合同编号", "作废日期", "原因"), [("{n3}", "{today}", "损坏"), ("{n0}", "{today}", "")],
     "作废原因为空"),
    (ImportKind.VOIDS, ("合同编号", "作废日期", "原因"), [("{n3}", "{today}", "损坏"), ("{n0}", "{today}", "x")],
     "已由客户签约"),
    (ImportKind.ISSUES, ("合同编号", "领取人", "领取日期"), [("{n4}", "{sales}", "{today}"), ("{a2}", "{sales}", "{today}")],
     "派发给了其他分公司"),
    (ImportKind.ISSUES, ("合同编号", "领取人"), [("{n4}", "{sales}")], "缺少必需的列"),
])
def test_a_bad_row_fails_the_whole_movement_file(org_a, kind, header, rows, message):
    product = approved_product(org_a)
    make_batch(org_a, product)
    _doc, dispatch = dispatched(org_a, product, 6)
    n = numbers_of(org_a, dispatch)
    _doc2, dispatch2 = dispatched(org_a, product, 2, applicant="sales2", branch="A2", gm="bgm2")
    receive(org_a, n[0], n[3])
    sign(org_a, n[0])
    values = {"today": _today(org_a), "sales": org_a.users["sales"].username, "a2": numbers_of(org_a, dispatch2)[0],
              **{f"n{i}": v for i, v in enumerate(n)}}
    content = xlsx(header, [[c.format(**values) for c in r] for r in rows])
    with org_a.scope():
        before = list(Contract.objects.order_by("pk").values_list("state", flat=True))
    job = _upload(org_a, kind, content)
    assert job.status == ImportStatus.INVALID
    assert message in " ".join(imports.error_lines(job))
    with pytest.raises(ValidationError):
        _confirm(org_a, job)
    with org_a.scope():
        assert list(Contract.objects.order_by("pk").values_list("state", flat=True)) == before


def test_confirm_revalidates_a_file_that_went_stale(org_a):
    product = approved_product(org_a)
    make_batch(org_a, product)
    _doc, dispatch = dispatched(org_a, product, 3)
    n = numbers_of(org_a, dispatch)
    receive(org_a, n[0], n[1])
    job = _upload(org_a, ImportKind.SIGNINGS, xlsx(("合同编号", "签约日期"), [(n[0], _today(org_a)), (n[1], _today(org_a))]))
    assert job.status == ImportStatus.READY
    void(org_a, n[1])  # meanwhile
    assert _confirm(org_a, job).status == ImportStatus.INVALID
    assert _state(org_a, n[0]).state == ContractState.RECEIVED  # nothing applied


def test_management_commands(org_a, tmp_path):
    product = approved_product(org_a, code="YB-CMD")
    path = tmp_path / "stock.xlsx"
    path.write_bytes(xlsx(STOCK_HEADER, [("YB-CMD", "CM-0001", "CM-0020", "乙印刷厂", 2, _today(org_a))]))
    call_command("import_contract_stock", "--tenant", org_a.tenant.slug, str(path))
    with org_a.scope():
        assert Contract.objects.filter(number__startswith="CM-").count() == 20
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_contract_stock", "--tenant", org_a.tenant.slug, str(path))  # overlaps now
    _doc, dispatch = dispatched(org_a, product, 4)
    n = numbers_of(org_a, dispatch)
    issues = tmp_path / "issues.xlsx"
    issues.write_bytes(xlsx(("合同编号", "领取人", "领取日期"), [(x, org_a.users["sales"].username, _today(org_a))
                                                         for x in n]))
    call_command("import_contract_issues", "--tenant", org_a.tenant.slug, str(issues))
    signings = tmp_path / "signings.xlsx"
    signings.write_bytes(xlsx(("合同编号", "签约日期"), [(n[0], _today(org_a))]))
    call_command("import_contract_signings", "--tenant", org_a.tenant.slug, str(signings))
    call_command("import_contract_signings", "--tenant", org_a.tenant.slug, str(signings))  # unchanged, no error
    voids = tmp_path / "voids.xlsx"
    voids.write_bytes(xlsx(("合同编号", "作废日期", "原因"), [(n[1], _today(org_a), "污损"), ("NOPE-1", _today(org_a), "x")]))
    with pytest.raises(CommandError):
        call_command("import_contract_voids", "--tenant", org_a.tenant.slug, str(voids))
    assert _state(org_a, n[1]).state == ContractState.RECEIVED
    with pytest.raises(CommandError, match="unknown tenant"):
        call_command("import_contract_voids", "--tenant", "nope", str(voids))
    with org_a.scope():
        assert ContractImportJob.objects.filter(created_by__isnull=True).count() >= 5


# --- pages ---------------------------------------------------------------------------------


def test_ledger_reach_filters_and_constant_queries(org_a, org_b, client_as, django_assert_max_num_queries):
    product = approved_product(org_a)
    make_batch(org_a, product, last="LZ-2026-000200")
    _d1, dispatch = dispatched(org_a, product, 30)
    _d2, dispatch2 = dispatched(org_a, product, 20, applicant="sales2", branch="A2", gm="bgm2")
    mine, theirs = numbers_of(org_a, dispatch), numbers_of(org_a, dispatch2)
    sales = client_as(org_a.users["sales"])
    page = sales.get(reverse("contracts:ledger"))
    numbers = {c.number for c in page.context["page"]}
    assert numbers <= set(mine) and mine[0] in numbers and not numbers & set(theirs)
    with org_a.scope():
        other = Contract.objects.get(number=theirs[0])
        in_stock = Contract.objects.filter(state=ContractState.IN_STOCK).first()
    assert sales.get(reverse("contracts:contract_detail", args=[other.pk])).status_code == 404
    assert sales.get(reverse("contracts:contract_detail", args=[in_stock.pk])).status_code == 404
    assert client_as(org_b.users["allroles"]).get(reverse("contracts:contract_detail", args=[other.pk])).status_code == 404
    mspec = client_as(org_a.users["mspec"])
    got = mspec.get(reverse("contracts:ledger"), {"state": "dispatched", "branch": org_a.branches["A2"].pk})
    assert {c.number for c in got.context["page"]} == set(theirs)
    ranged = mspec.get(reverse("contracts:ledger"), {"number_from": mine[2], "number_to": mine[4]})
    assert [c.number for c in ranged.context["page"]] == mine[2:5]
    with django_assert_max_num_queries(12):
        mspec.get(reverse("contracts:ledger"))
    make_batch(org_a, product, first="LZ-2026-001000", last="LZ-2026-001400")
    with django_assert_max_num_queries(12):
        mspec.get(reverse("contracts:ledger"))
    detail = mspec.get(reverse("contracts:contract_detail", args=[other.pk])).content.decode()
    assert "已派发" in detail and "在库" in detail
    assert client_as(org_a.users["hr"]).get(reverse("contracts:ledger")).status_code == 403


def test_ledger_export_is_formula_safe(org_a, client_as):
    import io

    from openpyxl import load_workbook

    product = approved_product(org_a)
    make_batch(org_a, product, first="=1+000001", last="=1+000003")
    data = client_as(org_a.users["mspec"]).get(reverse("contracts:ledger_export")).content
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A2"].value == "=1+000001" and ws["A2"].data_type == "s"


def test_receive_page_and_contract_actions(org_a, client_as):
    product = approved_product(org_a)
    make_batch(org_a, product)
    _doc, dispatch = dispatched(org_a, product, 5)
    n = numbers_of(org_a, dispatch)
    bgm = client_as(org_a.users["bgm"])
    bad = bgm.post(reverse("contracts:receive"), {"first_number": n[0], "last_number": n[1], "on": _today(org_a)})
    assert "请选择领取人" in bad.content.decode()
    ok = bgm.post(reverse("contracts:receive"), {"first_number": n[0], "last_number": n[1], "on": _today(org_a),
                                                 "holder": org_a.users["sales"].pk})
    assert ok.status_code == 302 and _state(org_a, n[1]).state == ContractState.RECEIVED
    again = bgm.post(reverse("contracts:receive"), {"first_number": n[0], "on": _today(org_a),
                                                    "holder": org_a.users["sales"].pk})
    assert "不能登记领取" in again.content.decode()
    c = _state(org_a, n[0])
    mspec = client_as(org_a.users["mspec"])
    mspec.post(reverse("contracts:contract_move", args=[c.pk]), {"move": "sign", "on": _today(org_a)})
    assert _state(org_a, n[0]).state == ContractState.SIGNED
    assert bgm.post(reverse("contracts:contract_move", args=[c.pk]), {"move": "void", "on": _today(org_a)}
                    ).status_code == 403


def test_every_list_exports_xlsx(org_a, client_as):
    import io

    from openpyxl import load_workbook

    product = approved_product(org_a)
    make_batch(org_a, product, last="LZ-2026-000010")
    from contracts.tests.helpers import make_request, request_through_chain

    request_through_chain(org_a, make_request(org_a, product, 30))  # prints: a print order
    client = client_as(org_a.users["mspec"])
    for name, title in [("contracts:ledger_export", "合同台账"), ("contracts:request_export", "合同申领"),
                        ("contracts:batch_export", "印刷批次"), ("contracts:print_order_export", "印刷单"),
                        ("contracts:design_export", "产品设计审批"), ("contracts:product_export", "延保产品")]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        ws = load_workbook(io.BytesIO(response.content)).active
        assert ws.title == title and ws.max_row >= 2, name
    assert client.get(reverse("contracts:print_orders"), {"status": "received"}).context["page"].object_list.count() == 0
