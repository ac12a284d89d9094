"""Pages: reach (branch / region operations / marketing / salesperson), filing a day's
signings, the original's actions, exports, import, stats (S000-32, S000-33, S000-34)."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers.partners import services
from customers.partners.models import (
    Agreement,
    AgreementKind,
    CheckResult,
    OriginalState,
    Partner,
    SigningImport,
)
from marketing.models import Membership
from marketing.services import _set_branches

from .conftest import BAD_CHECK, VALID, VALID2, VALID3, pdf


def region_ops(org, codes):
    """甲运营 given branches: region operations of those branches' regions."""
    with org.scope():
        m = Membership.objects.get(user=org.users["ops"])
        _set_branches(m, [org.branches[c] for c in codes])
    return org.users["ops"]


@pytest.fixture
def three(make_a):
    """A dealer of A1 (served by 甲一销售), a repair shop of A2, a dealer of A3 (other region)."""
    p1 = make_a.partner("一号车行", "A1", VALID, salesperson=make_a.org.users["sales"])
    p2 = make_a.partner("二号修理厂", "A2", VALID2, type=make_a.shop)
    p3 = make_a.partner("三号车行", "A3", VALID3)
    for p in (p1, p2, p3):
        make_a.agreement(p)
    return p1, p2, p3


def listed(client, url="partners:list", **params):
    r = client.get(reverse(url), params)
    assert r.status_code == 200
    return r.content.decode()


class TestReach:
    def test_marketing_sees_all(self, three, client_as, org_a):
        html = listed(client_as(org_a.users["mspec"]))
        assert all(n in html for n in ["一号车行", "二号修理厂", "三号车行"])

    def test_branch_gm_sees_own_branch(self, three, client_as, org_a):
        html = listed(client_as(org_a.users["bgm"]))
        assert "一号车行" in html and "二号修理厂" not in html and "三号车行" not in html
        assert client_as(org_a.users["bgm"]).get(reverse("partners:detail", args=[three[1].pk])).status_code == 404

    def test_region_operations_see_their_region(self, three, client_as, org_a):
        ops = region_ops(org_a, ["A1"])  # region RA1 = A1 + A2
        html = listed(client_as(ops))
        assert "一号车行" in html and "二号修理厂" in html and "三号车行" not in html
        assert client_as(ops).get(reverse("partners:detail", args=[three[2].pk])).status_code == 404

    def test_hq_operations_without_branches_see_all(self, three, client_as, org_a):
        html = listed(client_as(org_a.users["ops"]))
        assert "三号车行" in html

    def test_salesperson_sees_partners_they_serve(self, three, client_as, org_a):
        html = listed(client_as(org_a.users["sales"]))
        assert "一号车行" in html and "二号修理厂" not in html

    def test_role_without_reach_403(self, three, client_as, org_a):
        assert client_as(org_a.users["finance"]).get(reverse("partners:list")).status_code == 403

    def test_other_tenant_is_404(self, three, client_as, org_b):
        client = client_as(org_b.users["allroles"])
        assert client.get(reverse("partners:detail", args=[three[0].pk])).status_code == 404
        agreement = three[0].agreements.model._base_manager.filter(partner=three[0]).first()
        assert client.get(reverse("partners:scan", args=[agreement.pk])).status_code == 404
        assert client.post(reverse("partners:send", args=[agreement.pk]), {}).status_code == 404

    def test_scan_only_through_reach_checked_view(self, make_a, org_a, client_as,
                                                  django_capture_on_commit_callbacks):
        p = make_a.partner("扫描车行", "A2", VALID)
        with django_capture_on_commit_callbacks(execute=True):
            a = make_a.agreement(p, scan=pdf())
        url = reverse("partners:scan", args=[a.pk])
        r = client_as(org_a.users["mspec"]).get(url)
        assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
        assert client_as(org_a.users["bgm"]).get(url).status_code == 404  # A1's GM, A2's partner


class TestFiling:
    def _post(self, client, **data):
        base = {"signed_on": "2026-11-02", "starts_on": "2026-11-02", "ends_on": "2027-11-01", "number": "",
                "terms": "", "salesperson": ""}
        return client.post(reverse("partners:file"), {**base, **data})

    def test_region_operations_file_for_a_branch_of_their_region(self, make_a, org_a, client_as):
        ops = region_ops(org_a, ["A1"])
        client = client_as(ops)
        r = self._post(client, branch=org_a.branches["A2"].pk, p_type=make_a.dealer.pk, p_name="杭州新车行",
                       p_credit_code=VALID)
        assert r.status_code == 302
        with org_a.scope():
            a = Agreement.objects.get()
            assert (a.partner.name, a.branch, a.partner.region) == ("杭州新车行", org_a.branches["A2"],
                                                                    org_a.regions["RA1"])
            assert a.created_by == ops
        # A3 is another region: not a choice
        r = self._post(client, branch=org_a.branches["A3"].pk, p_type=make_a.dealer.pk, p_name="广州车行")
        assert r.status_code == 200 and "branch" in r.context["form"].errors
        with org_a.scope():
            assert Agreement.objects.count() == 1

    def test_renewal_picks_the_existing_partner(self, make_a, org_a, client_as):
        p = make_a.partner("老车行", "A1", VALID)
        make_a.agreement(p, signed_on=dt.date(2025, 11, 3))
        client = client_as(org_a.users["bgm"])
        html = client.get(reverse("partners:file"), {"q": VALID.lower()}).content.decode()
        assert f"?partner={p.pk}" in html
        r = self._post(client, branch=org_a.branches["A1"].pk, partner=p.pk)
        assert r.status_code == 302
        with org_a.scope():
            assert Partner.objects.count() == 1
            assert p.agreements.order_by("-id").first().kind == AgreementKind.RENEWAL

    def test_duplicate_code_refused_on_the_field(self, make_a, org_a, client_as):
        make_a.partner("已登记", "A1", VALID)
        r = self._post(client_as(org_a.users["bgm"]), branch=org_a.branches["A1"].pk, p_type=make_a.dealer.pk,
                       p_name="重复", p_credit_code=VALID)
        assert r.status_code == 200
        assert "已登记为“已登记”" in str(r.context["form"].errors["p_credit_code"])
        with org_a.scope():
            assert Partner.objects.count() == 1 and not Agreement.objects.exists()

    def test_check_digit_override_on_the_form(self, make_a, org_a, client_as):
        client = client_as(org_a.users["bgm"])
        r = self._post(client, branch=org_a.branches["A1"].pk, p_type=make_a.dealer.pk, p_name="老代码",
                       p_credit_code=BAD_CHECK)
        assert r.status_code == 200 and "p_credit_code_override" in r.context["form"].errors
        r = self._post(client, branch=org_a.branches["A1"].pk, p_type=make_a.dealer.pk, p_name="老代码",
                       p_credit_code=BAD_CHECK, p_credit_code_override="2014 年执照，工商核实无误")
        assert r.status_code == 302
        with org_a.scope():
            assert Partner.objects.get().credit_code_override == "2014 年执照，工商核实无误"

    def test_end_before_start_on_the_field(self, make_a, org_a, client_as):
        r = self._post(client_as(org_a.users["bgm"]), branch=org_a.branches["A1"].pk, p_type=make_a.dealer.pk,
                       p_name="x", ends_on="2026-11-01")
        assert "ends_on" in r.context["form"].errors
        with org_a.scope():
            assert not Partner.objects.exists()

    def test_scan_input_opens_the_phone_camera(self, org_a, client_as):
        html = client_as(org_a.users["bgm"]).get(reverse("partners:file")).content.decode()
        assert 'accept="image/*,application/pdf"' in html and 'capture="environment"' in html
        assert 'enctype="multipart/form-data"' in html

    def test_salesperson_cannot_file(self, org_a, client_as):
        assert client_as(org_a.users["sales"]).get(reverse("partners:file")).status_code == 403


class TestOriginalPages:
    def test_branch_sends_marketing_receives_and_archives(self, make_a, org_a, client_as):
        a = make_a.agreement(make_a.partner())
        bgm, mspec = client_as(org_a.users["bgm"]), client_as(org_a.users["mspec"])
        assert bgm.post(reverse("partners:receive", args=[a.pk]), {"result": "complete"}).status_code == 403
        bgm.post(reverse("partners:send", args=[a.pk]),
                 {"courier": "顺丰", "waybill": "SF1", "sent_on": "2026-11-03"})
        r = bgm.post(reverse("partners:send", args=[a.pk]),
                     {"courier": "顺丰", "waybill": "SF2", "sent_on": "2026-11-03"}, follow=True)
        assert "不能重复登记寄出" in r.content.decode()
        mspec.post(reverse("partners:receive", args=[a.pk]), {"result": CheckResult.COMPLETE})
        mspec.post(reverse("partners:archive", args=[a.pk]), {"location": "C柜-2"})
        with org_a.scope():
            a.refresh_from_db()
            assert (a.original_state, a.waybill, a.archive_location) == (OriginalState.ARCHIVED, "SF1", "C柜-2")

    def test_edit_is_versioned(self, make_a, org_a, client_as):
        p = make_a.partner()
        client = client_as(org_a.users["mspec"])
        form = client.get(reverse("partners:edit", args=[p.pk])).context["form"]
        version = form["row_version"].value()
        with org_a.scope():
            services.partner_update(partner=p, actor=org_a.users["bgm"], data={"city": "苏州"})
        data = {"type": make_a.dealer.pk, "name": "改名", "credit_code": "", "credit_code_override": "", "city": "",
                "address": "", "branch": org_a.branches["A1"].pk, "salesperson": "", "contacts": "",
                "row_version": version}
        r = client.post(reverse("partners:edit", args=[p.pk]), data)
        assert r.status_code == 200 and r.context["form"].non_field_errors()
        with org_a.scope():
            p.refresh_from_db()
            assert p.name == "恒通汽车销售"


class TestExports:
    def test_register_export_one_row_per_agreement_formula_safe(self, make_a, org_a, client_as,
                                                                django_assert_max_num_queries):
        p = make_a.partner("=HYPERLINK(\"x\")", "A1", VALID)
        make_a.agreement(p, signed_on=dt.date(2025, 11, 3))
        make_a.agreement(p, signed_on=dt.date(2026, 11, 2), terms="@SUM(1)")
        client = client_as(org_a.users["mspec"])
        with django_assert_max_num_queries(12):
            r = client.get(reverse("partners:register_export"))
        ws = load_workbook(io.BytesIO(r.content)).active
        rows = list(ws.iter_rows(min_row=4, values_only=True))
        assert len(rows) == 2
        assert rows[0][2] == '=HYPERLINK("x")' and ws.cell(row=4, column=3).data_type == "s"
        assert rows[0][4] == VALID and rows[0][5] == "甲一区" and rows[0][13] == "待寄出"

    def test_partner_list_queries_do_not_grow(self, make_a, org_a, client_as, django_assert_max_num_queries):
        for i in range(8):
            make_a.agreement(make_a.partner(f"车行{i}", "A1"))
        client = client_as(org_a.users["mspec"])
        with django_assert_max_num_queries(14):
            assert client.get(reverse("partners:list")).status_code == 200
        with django_assert_max_num_queries(14):
            assert client.get(reverse("partners:register"), {"original": "to_send"}).status_code == 200
        with django_assert_max_num_queries(12):
            r = client.get(reverse("partners:export"))
        assert len(list(load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=4))) == 8

    def test_filters(self, make_a, org_a, client_as):
        p1 = make_a.partner("即将到期", "A1", VALID)
        today = dt.date.today()
        make_a.agreement(p1, signed_on=today - dt.timedelta(days=300), starts_on=today - dt.timedelta(days=300),
                         ends_on=today + dt.timedelta(days=10))
        p2 = make_a.partner("远期", "A3", VALID2, type=make_a.shop)
        make_a.agreement(p2, signed_on=dt.date(2026, 1, 5))
        client = client_as(org_a.users["mspec"])
        html = listed(client, expiring_days=30)
        assert "即将到期" in html and "远期" not in html
        html = listed(client, type=make_a.shop.pk)
        assert "远期" in html and "即将到期" not in html
        html = listed(client, region=org_a.regions["RA1"].pk)
        assert "即将到期" in html and "远期" not in html
        html = listed(client, "partners:register", signed_from="2026-01-01", signed_to="2026-01-31")
        assert "远期" in html and "即将到期" not in html


def _xlsx(rows):
    from customers.partners.imports import COLUMNS, LABELS

    wb = Workbook()
    ws = wb.active
    ws.append([LABELS[k] for k in COLUMNS])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "signings.xlsx"
    return buf


ROW = ["A1", "经销商", "导入车行", VALID, "", "上海", "", "", "", "2026-11-02", "2026-11-02", "2027-11-01", "", ""]


class TestImport:
    def test_preview_then_atomic_confirm(self, make_a, org_a, client_as):
        existing = make_a.partner("已有修理厂", "A2", VALID2, type=make_a.shop)
        client = client_as(org_a.users["mspec"])
        second = ["A2", "修理厂", "已有修理厂", VALID2, "", "", "", "", "", "2026-11-02", "2026-11-02", "2027-11-01",
                  "", ""]
        r = client.post(reverse("partners:import"), {"file": _xlsx([ROW, second])})
        with org_a.scope():
            job = SigningImport.objects.get()
            assert job.status == "ready" and not Agreement.objects.exists()
        assert r.status_code == 302
        page = client.get(reverse("partners:import_preview", args=[job.pk])).content.decode()
        assert "续签已有单位" in page and "新单位" in page
        client.post(reverse("partners:import_confirm", args=[job.pk]))
        with org_a.scope():
            job.refresh_from_db()
            assert job.status == "done" and job.result["agreements"] == 2 and job.result["partners_created"] == 1
            assert Partner.objects.count() == 2 and existing.agreements.count() == 1

    def test_unknown_branch_and_bad_rows_import_nothing(self, make_a, org_a, client_as):
        client = client_as(org_a.users["mspec"])
        bad_branch = ["ZZ", *ROW[1:]]
        bad_dates = [*ROW[:2], "另一家", VALID2, *ROW[4:10], "2027-11-02", "2027-11-01", "", ""]
        client.post(reverse("partners:import"), {"file": _xlsx([ROW, bad_branch, bad_dates])})
        with org_a.scope():
            job = SigningImport.objects.get()
            assert job.status == "invalid" and not Agreement.objects.exists() and not Partner.objects.exists()
        page = client.get(reverse("partners:import_preview", args=[job.pk])).content.decode()
        assert "第 3 行：未知分公司“ZZ”" in page and "第 4 行：合作结束日期不能早于开始日期" in page
        r = client.post(reverse("partners:import_confirm", args=[job.pk]), follow=True)
        assert "不能确认导入" in r.content.decode()

    def test_branch_gm_cannot_import_for_another_branch(self, make_a, org_a, client_as):
        client = client_as(org_a.users["bgm"])
        client.post(reverse("partners:import"), {"file": _xlsx([["A2", *ROW[1:]]])})
        with org_a.scope():
            assert SigningImport.objects.get().status == "invalid"

    def test_template_download(self, org_a, client_as):
        r = client_as(org_a.users["bgm"]).get(reverse("partners:import_template"))
        header = next(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        assert header[0] == "分公司代码" and "统一社会信用代码" in header


class TestStats:
    def test_exact_figures_per_region(self, make_a, org_a, client_as):
        """November 2026: RA1 new 2 dealers (one renewal not counted) + 1 shop; RA2 new 1 dealer."""
        d = dt.date(2026, 11, 2)
        p1 = make_a.partner("甲", "A1", VALID)
        make_a.agreement(p1, signed_on=dt.date(2025, 11, 3))
        make_a.agreement(p1, signed_on=d)  # renewal: not new
        for name, branch, code in [("乙", "A1", ""), ("丙", "A2", "")]:
            make_a.agreement(make_a.partner(name, branch, code), signed_on=d)
        make_a.agreement(make_a.partner("丁", "A2", VALID2, type=make_a.shop), signed_on=d)
        a = make_a.agreement(make_a.partner("戊", "A3", VALID3), signed_on=d)
        with org_a.scope():
            services.original_send(agreement=a, actor=org_a.users["bgm"], courier="顺丰", waybill="1",
                                   sent_on=dt.date(2026, 11, 3))
            services.original_receive(agreement=a, actor=org_a.users["mspec"], result="complete")
        r = client_as(org_a.users["mspec"]).get(reverse("partners:stats"), {"month": "2026-11"})
        ctx = r.context
        rows = {row["region"].code: row for row in ctx["rows"]}
        assert rows["RA1"]["new"] == [2, 1] and rows["RA2"]["new"] == [1, 0]
        assert rows["RA1"]["active"] == 4 and rows["RA2"]["active"] == 1
        assert rows["RA1"]["outstanding"] == 5 and rows["RA2"]["outstanding"] == 0
        assert ctx["total"] == {"new": [3, 1], "active": 5, "outstanding": 5}


def test_detail_queries_do_not_grow_with_agreements(make_a, org_a, client_as, django_assert_max_num_queries):
    p = make_a.partner()
    for year in range(2020, 2027):
        make_a.agreement(p, signed_on=dt.date(year, 3, 2))
    client = client_as(org_a.users["mspec"])
    with django_assert_max_num_queries(16):
        r = client.get(reverse("partners:detail", args=[p.pk]))
    assert r.status_code == 200 and r.content.decode().count("续签") >= 6
