"""Register rows of the customer archive and the partner register, pinned (issue 22).

Each test names its row id and checks the rule with exact values."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from customers import services
from customers.history import customer_history
from customers.models import Contact, Customer, CustomerAccessLog, Visit, VisitType
from marketing.roles import Cap, Role, capabilities_for

from .conftest import make_contact, make_customer

pytestmark = pytest.mark.django_db


def _visit(org, customer, **extra):
    data = {
        "visited_on": dt.date(2026, 5, 1),
        "visited_by": org.users["sales"],
        "visit_type": VisitType.VISIT,
        "companions": "王工",
        "needs": "需要延保方案",
        "proposal": "三年延保",
        "outcome": "同意试点",
        "next_step": "送合同",
        "next_date": dt.date(2026, 5, 8),
    }
    data.update(extra)
    with org.scope():
        return services.visit_create(customer=customer, actor=org.users["sales"], data=data)


def _log_rows(org):
    with org.scope():
        return sorted(
            CustomerAccessLog.objects.filter(tenant=org.tenant).values_list(
                "user_id", "customer_id", "action"
            )
        )


def test_S003_17_who_read_what_is_provable(org_a, org_b, client_as, cust_a):
    """S003-17: every read of the archive leaves a row naming who read which customer and how;
    a refused read leaves none; the GM reads the log, another tenant's GM sees none of it."""
    gm, exec_ = org_a.users["gm"], org_a.users["exec"]
    assert client_as(gm).get(reverse("customers:detail", args=[cust_a.pk])).status_code == 200
    assert client_as(exec_).get(reverse("customers:print", args=[cust_a.pk])).status_code == 200
    assert (
        client_as(org_a.users["finance"]).get(reverse("customers:detail", args=[cust_a.pk])).status_code
        == 404
    )
    assert _log_rows(org_a) == sorted([(gm.pk, cust_a.pk, "view"), (exec_.pk, cust_a.pk, "print")])
    page = client_as(gm).get(reverse("customers:access_log"), {"customer": cust_a.pk})
    assert sorted((r.user_id, r.action) for r in page.context["page"]) == sorted(
        [(gm.pk, "view"), (exec_.pk, "print")]
    )
    assert len(client_as(org_b.users["gm"]).get(reverse("customers:access_log")).context["page"]) == 0


def test_S003_20_every_change_is_tracked_with_who_and_what(org_a, cust_a):
    """S003-20: the archive is dynamic and each change (customer, contact, visit) is a history
    entry with the user and the old → new values."""
    with org_a.scope():
        services.customer_update(
            customer=cust_a, actor=org_a.users["mdirector"], data={"characteristics": "年销量 3500 台"}
        )
        contact = Contact.objects.get(customer=cust_a)
        services.contact_update(contact=contact, actor=org_a.users["sales"], data={"personality": "喜欢登山"})
    _visit(org_a, cust_a, needs="新需求")
    with org_a.scope():
        entries = customer_history(customer=cust_a)
    by_kind = {}
    for e in entries:
        by_kind.setdefault((e["kind"], e["type"]), []).append(e)
    edit = by_kind[("客户", "修改")][0]
    assert edit["user"] == org_a.users["mdirector"].display_name
    assert [(c["field"], c["old"], c["new"]) for c in edit["changes"]] == [
        ("客户特点", "年销量 3000 台", "年销量 3500 台")
    ]
    contact_edit = by_kind[("联系人", "修改")][0]
    assert contact_edit["user"] == org_a.users["sales"].display_name
    assert [(c["field"], c["old"], c["new"]) for c in contact_edit["changes"]] == [
        ("性格与爱好", "喜欢钓鱼", "喜欢登山")
    ]
    assert len(by_kind[("拜访", "新建")]) == 1
    assert len(by_kind[("客户", "新建")]) == 1


EXPORTERS = {"gm", "exec", "gmassist", "mdirector", "allroles"}


def test_S003_14_export_and_print_only_for_export_roles_and_stamped(org_a, client_as, cust_a):
    """S003-14: the archive is not taken out: only the export roles (执行董事, 总经理, 总经理助理,
    市场营销总监) export or print; every export is stamped 机密 with the reader's name (first row,
    last row, page footer)."""
    assert {r for r in Role if Cap.CUSTOMERS_EXPORT in capabilities_for([r])} == {
        Role.EXECUTIVE_DIRECTOR,
        Role.GENERAL_MANAGER,
        Role.GM_ASSISTANT,
        Role.MARKETING_DIRECTOR,
    }
    for key, user in org_a.users.items():
        client = client_as(user)
        expected = 200 if key in EXPORTERS else 403
        assert client.get(reverse("customers:export")).status_code == expected, key
        assert client.get(reverse("customers:print", args=[cust_a.pk])).status_code in (
            (200,) if key in EXPORTERS else (403, 404)
        ), key
    response = client_as(org_a.users["gmassist"]).get(reverse("customers:export"))
    ws = load_workbook(io.BytesIO(response.content)).active
    name = org_a.users["gmassist"].display_name
    first, last = ws["A1"].value, ws.cell(row=ws.max_row, column=1).value
    assert first.startswith(f"机密 · 仅供 {name} (") and "· 导出时间 " in first
    assert last == first and ws.oddFooter.center.text == first


def test_S003_19_printed_card_holds_research_visits_and_contacts(org_a, client_as, cust_a):
    """S003-19: the 客户档案卡 brings together the customer's research fields, the decision makers'
    forms and the visits, stamped for the reader."""
    _visit(org_a, cust_a)
    response = client_as(org_a.users["gm"]).get(reverse("customers:print", args=[cust_a.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).replace("\n", "")
    for value in [
        f"客户档案卡：{cust_a.name}",
        "张三 60.00%",
        "年销量 3000 台",
        "经营稳定",
        "021-64001234",
        "李经理",
        "采购决策人",
        "1978",
        "本科",
        "13812345678",
        "喜欢钓鱼",
        "已婚，一子读高三",
        "2026-05-01 · 上门拜访",
        "需要延保方案",
        "三年延保",
        "同意试点",
        f"机密 · 仅供 {org_a.users['gm'].display_name}",
    ]:
        assert value in text, value


def test_S003_11_customer_record_fields(org_a, cust_a):
    """S003-11: the customer record holds name, main shareholders with stakes, address, phone,
    characteristics and business situation."""
    labels = {
        f: str(Customer._meta.get_field(f).verbose_name)
        for f in ["name", "shareholders", "address", "phone", "characteristics", "business_situation"]
    }
    assert labels == {
        "name": "客户名称",
        "shareholders": "主要股东及股份",
        "address": "地址",
        "phone": "电话",
        "characteristics": "客户特点",
        "business_situation": "经营状况",
    }
    with org_a.scope():
        c = Customer.objects.get(pk=cust_a.pk)
    assert (c.name, c.shareholders, c.address, c.phone, c.characteristics, c.business_situation) == (
        "上海永达大众汽车销售服务有限公司",
        [{"name": "张三", "stake": "60.00"}],
        "上海市闵行区七莘路 100 号",
        "021-64001234",
        "年销量 3000 台",
        "经营稳定",
    )


def test_S003_11_shareholders_are_parsed_with_stakes_and_capped_at_100():
    """S003-11: main shareholders are entered as "name stake%" lines; stakes are kept to the cent
    and more than 100 % in total is refused (the customer form and the import use this parser)."""
    from django.core.exceptions import ValidationError

    from customers.forms import parse_shareholders

    assert parse_shareholders("张三 60%\n李四：40") == [
        {"name": "张三", "stake": "60.00"},
        {"name": "李四", "stake": "40.00"},
    ]
    with pytest.raises(ValidationError) as exc:
        parse_shareholders("甲 60%\n乙 50%")
    assert [e.code for e in exc.value.error_list] == ["stake_total"]


def test_S003_11_the_service_refuses_stakes_over_100_whoever_calls_it(org_a, cust_a):
    """S003-11: the stake rules hold in the service too (not only in the form's parser): a
    caller that writes shareholders directly cannot store more than 100 %, a stake of 0 or a
    nameless shareholder; good rows are stored normalised."""
    from django.core.exceptions import ValidationError

    from customers.models import Customer

    sales = org_a.users["sales"]
    with org_a.scope():
        for rows, code in (([{"name": "甲", "stake": "60"}, {"name": "乙", "stake": "41"}], "stake_total"),
                           ([{"name": "甲", "stake": "0"}], "bad_stake"),
                           ([{"name": "甲", "stake": "abc"}], "bad_stake"),
                           ([{"name": " ", "stake": "10"}], "bad_shareholder"),
                           ("张三 60%", "bad_shareholder")):
            with pytest.raises(ValidationError) as exc:
                services.customer_update(customer=cust_a, actor=sales, data={"shareholders": rows})
            assert exc.value.code == code, rows
        with pytest.raises(ValidationError):
            services.customer_create(tenant=org_a.tenant, actor=sales, data={
                "name": "超额股东", "branch": org_a.branches["A1"], "owner": sales,
                "shareholders": [{"name": "甲", "stake": 100.5}]})
        services.customer_update(customer=cust_a, actor=sales, data={"shareholders": [
            {"name": " 张三 ", "stake": 60}, {"name": "李四", "stake": "39.999"}]})
        assert Customer.objects.get(pk=cust_a.pk).shareholders == [
            {"name": "张三", "stake": "60.00"}, {"name": "李四", "stake": "40.00"}]


def test_S003_12_contact_fields(org_a, cust_a):
    """S003-12: each decision maker / influencer has name, gender, age (birth year), education,
    phone, address, personality and hobbies, family situation and other useful information."""
    fields = [
        "name",
        "gender",
        "birth_year",
        "education",
        "phone",
        "address",
        "personality",
        "family",
        "notes",
    ]
    labels = [str(Contact._meta.get_field(f).verbose_name) for f in fields]
    assert labels == [
        "姓名",
        "性别",
        "出生年份",
        "学历",
        "电话",
        "住址",
        "性格与爱好",
        "家庭情况",
        "其他有助于业务的信息",
    ]
    contact = make_contact(
        org_a,
        cust_a,
        name="王总",
        purchase_role="influencer",
        gender="f",
        birth_year=1985,
        education="master",
        notes="每周三在公司",
    )
    with org_a.scope():
        c = Contact.objects.get(pk=contact.pk)
    assert [getattr(c, f) for f in fields] == [
        "王总",
        "f",
        1985,
        "master",
        "13812345678",
        "上海市徐汇区天钥桥路 8 弄 3 号 1201 室",
        "喜欢钓鱼",
        "已婚，一子读高三",
        "每周三在公司",
    ]
    assert (c.get_purchase_role_display(), c.get_gender_display(), c.get_education_display()) == (
        "影响者",
        "女",
        "硕士及以上",
    )


def test_S002_06_visit_is_on_site_or_invited(org_a, client_as, cust_a):
    """S002-06: a visit is recorded as 上门拜访 or 邀约来公司 (plus phone contact); the type is
    stored and shown on the visit list."""
    assert [(v.value, str(v.label)) for v in VisitType][:2] == [
        ("visit", "上门拜访"),
        ("invited", "邀约来公司"),
    ]
    client = client_as(org_a.users["sales"])
    response = client.post(
        reverse("customers:visit_create", args=[cust_a.pk]),
        {
            "visited_on": "2026-05-02",
            "visit_type": "invited",
            "visited_by": org_a.users["sales"].pk,
            "needs": "来公司看方案",
        },
    )
    assert response.status_code == 302
    _visit(org_a, cust_a)
    with org_a.scope():
        assert sorted(Visit.objects.filter(customer=cust_a).values_list("visit_type", flat=True)) == [
            "invited",
            "visit",
        ]
    page = client.get(reverse("customers:visits"))
    assert sorted(v.get_visit_type_display() for v in page.context["page"]) == ["上门拜访", "邀约来公司"]
    bad = client.post(
        reverse("customers:visit_create", args=[cust_a.pk]),
        {"visited_on": "2026-05-03", "visit_type": "lunch", "visited_by": org_a.users["sales"].pk},
    )
    assert bad.status_code == 200 and "visit_type" in bad.context["form"].errors


def test_S002_09_target_customer_table_export(org_a, client_as, cust_a):
    """S002-09: the 目标客户基本信息情况统计表 is the visit export: one row per visit with the facts
    found, only for export roles, and one logged read per customer in it."""
    other = make_customer(org_a, owner_key="sales2", branch="A2", name="杭州客户")
    _visit(org_a, cust_a)
    _visit(org_a, other, visited_on=dt.date(2026, 4, 1), visit_type=VisitType.INVITED, next_date=None)
    assert client_as(org_a.users["sales"]).get(reverse("customers:visit_export")).status_code == 403
    response = client_as(org_a.users["mdirector"]).get(reverse("customers:visit_export"))
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=4)]
    assert rows[0] == [
        "日期",
        "客户名称",
        "分公司",
        "方式",
        "拜访人",
        "同行人员",
        "了解到的需求",
        "方案",
        "结果",
        "下一步",
        "下次跟进日期",
        "分析师",
    ]
    assert sorted(rows[1:]) == sorted(
        [
            [
                "2026-05-01",
                cust_a.name,
                "甲一分公司",
                "上门拜访",
                "甲一销售",
                "王工",
                "需要延保方案",
                "三年延保",
                "同意试点",
                "送合同",
                "2026-05-08",
                None,
            ],
            [
                "2026-04-01",
                "杭州客户",
                "甲二分公司",
                "邀约来公司",
                "甲一销售",
                "王工",
                "需要延保方案",
                "三年延保",
                "同意试点",
                "送合同",
                None,
                None,
            ],
        ]
    )
    mdir = org_a.users["mdirector"].pk
    assert _log_rows(org_a) == sorted([(mdir, cust_a.pk, "export"), (mdir, other.pk, "export")])


def test_S001_08_sales_channels_register(org_a, client_as):
    """S001-08: sales channels (dealers, repair shops) are built and maintained in the partner
    register: a partner is registered once, its agreements renew on the same partner, edits are
    kept in its history, and marketing sees it in the register."""
    from customers.partners import services as partners
    from customers.partners.models import AgreementKind, EventKind, Partner
    from customers.partners.tests.conftest import VALID, Maker

    make = Maker(org_a)
    p = make.partner("恒通汽车销售", "A1", VALID, salesperson=org_a.users["sales"])
    a1 = make.agreement(p, signed_on=dt.date(2025, 11, 3))
    a2 = make.agreement(p, signed_on=dt.date(2026, 11, 2))
    with org_a.scope():
        partners.partner_update(
            partner=p, actor=org_a.users["mspec"], data={"contacts": "赵经理 13900000000"}
        )
        assert (a1.kind, a2.kind) == (AgreementKind.NEW, AgreementKind.RENEWAL)
        assert list(Partner.objects.values_list("name", "type__code", "branch__code")) == [
            ("恒通汽车销售", "dealer", "A1")
        ]
        assert [e.kind for e in p.events.order_by("pk")] == [
            EventKind.REGISTERED,
            EventKind.SIGNED,
            EventKind.RENEWED,
            EventKind.EDITED,
        ]
    body = client_as(org_a.users["mdirector"]).get(reverse("partners:list")).content.decode()
    assert "恒通汽车销售" in body


def test_S002_08_customer_details_reach_the_manager_and_the_revisit_follows(org_a, client_as, cust_a):
    """S002-08: what the salesperson found (needs, proposal) is reported to the department manager --
    the 营销部经理 (marketing director) reads it on the customer's page -- and the salesperson revisits with the proposal."""
    _visit(org_a, cust_a)
    _visit(org_a, cust_a, visited_on=dt.date(2026, 5, 8), needs="确认方案", proposal="三年延保（修订）",
           outcome="签约意向", next_step="", next_date=None)
    with org_a.scope():
        rows = list(Visit.objects.filter(customer=cust_a).order_by("visited_on").values_list(
            "visited_on", "proposal", "next_date"))
    assert rows == [(dt.date(2026, 5, 1), "三年延保", dt.date(2026, 5, 8)),
                    (dt.date(2026, 5, 8), "三年延保（修订）", None)]
    page = client_as(org_a.users["mdirector"]).get(reverse("customers:detail", args=[cust_a.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "需要延保方案" in html and "三年延保（修订）" in html


def test_S001_09_customers_selected_adjusted_evaluated_monitored(org_a, client_as, cust_a):
    """S001-09: customer resources are managed -- selected (a new record starts as 目标客户), adjusted
    (stage moves only along the allowed path; the owner is reassigned, audited), evaluated (the tenant's
    labels, e.g. A类, filter the list) and monitored (every change is in the record's history)."""
    from django.core.exceptions import ValidationError

    from customers.models import Stage
    from marketing.models import AuditEvent

    assert cust_a.stage == Stage.TARGET
    with org_a.scope():
        with pytest.raises(ValidationError) as exc:  # target -> signed skips the negotiation
            services.customer_update(customer=cust_a, actor=org_a.users["sales"], data={"stage": Stage.SIGNED})
        assert exc.value.code == "bad_stage_transition"
        services.customer_update(customer=cust_a, actor=org_a.users["sales"], data={"stage": Stage.NEGOTIATING})
        services.customer_reassign(customer=cust_a, actor=org_a.users["mdirector"], owner=org_a.users["sales2"])
        tag = services.tags_get_or_create(tenant=org_a.tenant, names=["A类"])[0]
        services.customer_update(customer=cust_a, actor=org_a.users["mdirector"], data={}, tags=[tag])
        other = make_customer(org_a, name="上海其他客户")
        cust_a.refresh_from_db()
        assert (cust_a.stage, cust_a.owner_id) == (Stage.NEGOTIATING, org_a.users["sales2"].pk)
        audit = AuditEvent.objects.filter(tenant=org_a.tenant, verb="customers.customer_reassign").get()
        assert (audit.before, audit.after) == ({"owner": org_a.users["sales"].pk}, {"owner": org_a.users["sales2"].pk})
        changes = {(c["field"], c["old"], c["new"]) for e in customer_history(customer=cust_a) for c in e.get("changes", [])}
    page = client_as(org_a.users["mdirector"]).get(reverse("customers:list"), {"tag": tag.pk})
    assert [c.pk for c in page.context["page"]] == [cust_a.pk] and other.pk != cust_a.pk
    assert any(f == "阶段" for f, _o, _n in changes), changes
