"""Forms (bad input keeps what was typed and changes nothing), contacts, visits, shares,
the access request through the approval engine, list query counts, nav and home cards."""

import pytest
from django.urls import reverse

from customers import services
from customers.models import (
    AccessRequestStatus,
    Contact,
    Customer,
    CustomerAccessRequest,
    CustomerUserObjectPermission,
    Visit,
)
from marketing.approvals import services as approvals
from marketing.approvals.models import ApprovalTask, TaskStatus

from .conftest import make_customer


def _customer_post(org, **extra):
    data = {
        "name": "杭州新客户汽车维修有限公司", "industry": "repair_shop", "stage": "target",
        "branch": org.branches["A1"].pk, "owner": org.users["sales"].pk, "phone": "0571-88886666",
        "address": "杭州市", "shareholders_text": "张三 60%\n李四 40%", "characteristics": "", "business_situation": "",
        "new_tags": "重点, 新开",
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_salesperson_creates_own_customer(org_a, client_as):
    client = client_as(org_a.users["sales"])
    response = client.post(reverse("customers:create"), _customer_post(org_a))
    assert response.status_code == 302
    with org_a.scope():
        c = Customer.objects.get()
        assert (c.owner, c.branch.code, c.phone) == (org_a.users["sales"], "A1", "0571-88886666")
        assert c.shareholders == [{"name": "张三", "stake": "60.00"}, {"name": "李四", "stake": "40.00"}]
        assert c.tag_names == "新开、重点"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("shareholders_text", "张三 70%\n李四 40%", "超过 100%"),
        ("shareholders_text", "张三", "格式不对"),
        ("phone", "call me", "请输入有效的电话号码"),
        ("branch", "A2", "选择一个有效的选项"),  # outside the salesperson's branches
        ("owner", "sales2", "选择一个有效的选项"),  # salespeople own what they create
        ("name", "", "这个字段是必填项"),
    ],
)
def test_create_rejects_bad_input_and_keeps_it(org_a, client_as, field, value, message):
    if field == "branch":
        value = org_a.branches[value].pk
    if field == "owner":
        value = org_a.users[value].pk
    response = client_as(org_a.users["sales"]).post(reverse("customers:create"), _customer_post(org_a, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"]["address"].value() == "杭州市"
    with org_a.scope():
        assert not Customer.objects.exists()


@pytest.mark.django_db
def test_create_forbidden_without_edit_right(org_a, client_as):
    for persona in ["gm", "exec", "finance"]:
        assert client_as(org_a.users[persona]).post(reverse("customers:create"), _customer_post(org_a)).status_code == 403


@pytest.mark.django_db
def test_mdirector_edits_any_customer_sales_only_own(org_a, client_as, cust_a):
    other = make_customer(org_a, owner_key="sales2", branch="A2", name="别人的")
    assert client_as(org_a.users["sales"]).get(reverse("customers:edit", args=[other.pk])).status_code == 404
    client = client_as(org_a.users["mdirector"])
    data = _customer_post(org_a, name="改名后", branch=other.branch_id)
    data.pop("owner")
    assert client.post(reverse("customers:edit", args=[other.pk]), data).status_code == 302
    with org_a.scope():
        other.refresh_from_db()
        assert other.name == "改名后" and other.owner == org_a.users["sales2"]


@pytest.mark.django_db
def test_contacts_and_visits(org_a, org_b, client_as, cust_a, own_policy):
    client = client_as(org_a.users["sales"])
    url = reverse("customers:contact_create", args=[cust_a.pk])
    bad = client.post(url, {"name": "赵总", "purchase_role": "influencer", "phone": "12", "birth_year": "1800"})
    assert bad.status_code == 200 and "请输入有效的电话号码" in bad.content.decode()
    with org_a.scope():
        assert Contact.objects.count() == 1
    ok = client.post(url, {"name": "赵总", "purchase_role": "influencer", "phone": "13700001111", "family": "二孩"})
    assert ok.status_code == 302
    with org_a.scope():
        contact = Contact.objects.get(name="赵总")
    assert client.post(reverse("customers:contact_edit", args=[contact.pk]),
                       {"name": "赵总", "purchase_role": "decision_maker"}).status_code == 302
    assert client_as(org_a.users["sales2"]).get(reverse("customers:contact_edit", args=[contact.pk])).status_code == 404
    assert client_as(org_b.users["allroles"]).get(reverse("customers:contact_edit", args=[contact.pk])).status_code == 404

    visit_url = reverse("customers:visit_create", args=[cust_a.pk])
    bad = client.post(visit_url, {"visited_on": "2026-05-10", "visit_type": "visit",
                                  "visited_by": org_a.users["sales"].pk, "next_date": "2026-05-01"})
    assert "下次跟进日期不能早于拜访日期" in bad.content.decode()
    ok = client.post(visit_url, {"visited_on": "2026-05-10", "visit_type": "invited", "visited_by": org_a.users["sales"].pk,
                                 "needs": "批量价格", "next_date": "2026-05-20"})
    assert ok.status_code == 302
    with org_a.scope():
        visit = Visit.objects.get()
    assert client.post(reverse("customers:visit_edit", args=[visit.pk]), {
        "visited_on": "2026-05-10", "visit_type": "call", "visited_by": org_a.users["sales"].pk}).status_code == 302
    assert client_as(org_b.users["allroles"]).get(reverse("customers:visit_edit", args=[visit.pk])).status_code == 404
    listing = client_as(org_a.users["gm"]).get(reverse("customers:visits"), {"visit_type": "call"})
    assert [v.pk for v in listing.context["page"]] == [visit.pk]
    assert list(client_as(org_a.users["sales2"]).get(reverse("customers:visits")).context["page"]) == []
    assert client.post(reverse("customers:contact_delete", args=[contact.pk])).status_code == 302
    with org_a.scope():
        assert not Contact.objects.filter(pk=contact.pk).exists()
        assert Contact.history.model.objects.filter(id=contact.pk, history_type="-").exists()


@pytest.mark.django_db
def test_share_form(org_a, org_b, client_as, cust_a):
    url = reverse("customers:share", args=[cust_a.pk])
    assert client_as(org_a.users["sales"]).post(url, {"user": org_b.users["sales"].pk}).status_code == 302
    assert client_as(org_a.users["sales"]).post(url, {"user": org_a.users["finance"].pk}).status_code == 302
    with org_a.scope():
        assert not CustomerUserObjectPermission.all_grants.exists()
    client_as(org_a.users["sales"]).post(url, {"user": org_a.users["sales2"].pk})
    with org_a.scope():
        grant = CustomerUserObjectPermission.objects.get()
        assert (grant.user, grant.expires_at) == (org_a.users["sales2"], None)
    # The colleague it was shared with cannot pass it on.
    assert client_as(org_a.users["sales2"]).post(url, {"user": org_a.users["allroles"].pk}).status_code == 403


@pytest.mark.django_db
def test_access_request_through_approval_chain(org_a, client_as, cust_a):
    bgm = org_a.users["bgm"]
    client = client_as(bgm)
    form_url = reverse("customers:request_create")
    bad = client.post(form_url, {"customer_name": "不存在的客户", "reason": "核对合同", "days": 7})
    assert "没有找到该客户" in bad.content.decode()
    bad = client.post(form_url, {"customer_name": cust_a.name, "reason": "", "days": 0})
    assert bad.status_code == 200
    with org_a.scope():
        assert not CustomerAccessRequest.objects.exists()
    response = client.post(form_url, {"customer_phone": "021-64001234", "reason": "核对该客户的合同申领", "days": 3})
    assert response.status_code == 302
    with org_a.scope():
        doc = CustomerAccessRequest.objects.get()
        assert (doc.customer, doc.days, doc.status) == (cust_a, 3, AccessRequestStatus.PENDING)
    assert client.get(reverse("customers:detail", args=[cust_a.pk])).status_code == 404
    page = client_as(org_a.users["gm"]).get(reverse("customers:request_detail", args=[doc.pk]))
    assert page.status_code == 200
    assert client_as(org_a.users["bgm2"]).get(reverse("customers:request_detail", args=[doc.pk])).status_code == 404
    with org_a.scope():
        task = ApprovalTask.objects.get(flow__object_id=doc.pk, flow__document_type="customers.access_request",
                                        assignee=org_a.users["gm"], status=TaskStatus.PENDING)
        approvals.approval_approve(task=task, actor=org_a.users["gm"], comment="同意")
        doc.refresh_from_db()
        assert doc.status == AccessRequestStatus.APPROVED and doc.grant_expires_at is not None
    assert client.get(reverse("customers:detail", args=[cust_a.pk])).status_code == 200


@pytest.mark.django_db
def test_access_request_rejected_grants_nothing(org_a, client_as, cust_a):
    with org_a.scope():
        from customers.access import access_request_submit

        doc = access_request_submit(tenant=org_a.tenant, actor=org_a.users["finance"], customer=cust_a,
                                    reason="核对费用", days=7)
        task = ApprovalTask.objects.get(flow__object_id=doc.pk, assignee=org_a.users["gm"], status=TaskStatus.PENDING)
        approvals.approval_reject(task=task, actor=org_a.users["gm"], reason="无业务需要")
        doc.refresh_from_db()
        assert doc.status == AccessRequestStatus.REJECTED and doc.decision_note == "无业务需要"
        assert not CustomerUserObjectPermission.all_grants.exists()
    assert client_as(org_a.users["finance"]).get(reverse("customers:detail", args=[cust_a.pk])).status_code == 404


@pytest.mark.django_db
def test_request_pages_roles(org_a, client_as):
    # S003-16: under the default policy a salesperson already reads the archive
    assert client_as(org_a.users["sales"]).get(reverse("customers:request_create")).status_code == 302
    assert client_as(org_a.users["finance"]).get(reverse("customers:request_create")).status_code == 200
    assert client_as(org_a.users["gm"]).get(reverse("customers:requests")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["sales", "gm"])
def test_list_query_count_independent_of_rows_and_grants(org_a, client_as, django_assert_max_num_queries, persona):
    user = org_a.users[persona]
    client = client_as(user)
    client.get(reverse("home"))

    def count():
        with django_assert_max_num_queries(16) as ctx:
            assert client.get(reverse("customers:list"), {"stage": "target"}).status_code == 200
        return len(ctx)

    from marketing import pagecache

    make_customer(org_a, name="一")
    # Both measurements with the dropdown/stage choices cache just dropped (the writes below
    # drop it too): the same work, so only rows and grants could make a difference.
    pagecache.bump_choices()
    first = count()
    for i in range(8):
        c = make_customer(org_a, owner_key="sales2", branch="A2", name=f"客户{i}")
        with org_a.scope():
            services.grant_create(customer=c, actor=org_a.users["gm"], user=org_a.users["sales"], days=3)
            c.tags.set(services.tags_get_or_create(tenant=org_a.tenant, names=[f"t{i}"]))
    pagecache.bump_choices()
    assert count() <= first


@pytest.mark.django_db
def test_list_filters_limited_to_tenant_and_reach(org_a, org_b, client_as, cust_a, own_policy):
    make_customer(org_a, owner_key="sales2", branch="A2", name="乙销售的客户", industry="fleet")
    response = client_as(org_a.users["sales"]).get(reverse("customers:list"))
    form = response.context["filter"].form
    assert {u.pk for u in form.fields["owner"].queryset} == {org_a.users["sales"].pk}
    assert {b.code for b in form.fields["branch"].queryset} == {"A1"}
    gm = client_as(org_a.users["gm"])
    by_industry = gm.get(reverse("customers:list"), {"industry": "fleet"})
    assert [c.name for c in by_industry.context["page"]] == ["乙销售的客户"]
    by_branch = gm.get(reverse("customers:list"), {"branch": org_a.branches["A1"].pk, "q": "永达"})
    assert [c.pk for c in by_branch.context["page"]] == [cust_a.pk]
    foreign = gm.get(reverse("customers:list"), {"branch": org_b.branches["B1"].pk})
    assert "branch" in foreign.context["filter"].form.errors


@pytest.mark.django_db
def test_navigation_and_home_cards(org_a, client_as, cust_a):
    home = client_as(org_a.users["sales"]).get(reverse("home")).content.decode()
    assert reverse("customers:list") in home
    home = client_as(org_a.users["finance"]).get(reverse("home")).content.decode()
    assert reverse("customers:request_create") in home


@pytest.mark.django_db
def test_english_ui(org_a, client_as, cust_a):
    body = client_as(org_a.users["gm"], language="en").get(reverse("customers:detail", args=[cust_a.pk])).content.decode()
    assert "Decision makers and influencers" in body and "Change history" in body


@pytest.mark.django_db
def test_bulk_reassign_when_salesperson_leaves(org_a, client_as, cust_a):
    second = make_customer(org_a, name="第二个")
    url = reverse("customers:reassign_bulk")
    assert client_as(org_a.users["sales"]).get(url).status_code == 403
    client = client_as(org_a.users["mdirector"])
    same = client.post(url, {"from_user": org_a.users["sales"].pk, "to_user": org_a.users["sales"].pk})
    assert "新负责人与原负责人相同" in same.content.decode()
    response = client.post(url, {"from_user": org_a.users["sales"].pk, "to_user": org_a.users["sales2"].pk})
    assert response.status_code == 302
    with org_a.scope():
        assert set(Customer.objects.values_list("owner_id", flat=True)) == {org_a.users["sales2"].pk}
        assert all(c.history.count() == 2 for c in (cust_a, second))


@pytest.mark.django_db
def test_reassigned_customer_keeps_its_branch_in_new_owners_form(org_a, client_as):
    customer = make_customer(org_a, owner_key="sales2", branch="A2", name="原甲二客户")
    with org_a.scope():
        services.customer_reassign(customer=customer, actor=org_a.users["mdirector"], owner=org_a.users["sales"])
    client = client_as(org_a.users["sales"])
    data = _customer_post(org_a, name="原甲二客户", branch=org_a.branches["A2"].pk)
    data.pop("owner")
    assert client.post(reverse("customers:edit", args=[customer.pk]), data).status_code == 302
    assert "选择一个有效的选项" in client.post(
        reverse("customers:edit", args=[customer.pk]), dict(data, branch=org_a.branches["A3"].pk)).content.decode()
