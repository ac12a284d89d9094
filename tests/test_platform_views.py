"""Tenant administration pages: users, roles, branches, settings, audit."""

import pytest
from django.urls import reverse

from marketing.models import AuditEvent, Branch, BranchUserObjectPermission, Membership, Region, User
from marketing.selectors import visible_branches

ADMIN_PAGES = ["marketing:users", "marketing:user_create", "marketing:org", "marketing:region_create",
               "marketing:branch_create", "marketing:settings"]


@pytest.mark.parametrize("url_name", ADMIN_PAGES + ["marketing:audit"])
def test_admin_pages_work_for_tenant_admin(org_a, client_as, url_name):
    assert client_as(org_a.users["admin"]).get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("persona", ["bgm", "sales", "mspec", "finance", "gm"])
@pytest.mark.parametrize("url_name", ADMIN_PAGES)
def test_admin_pages_refuse_other_roles(org_a, client_as, persona, url_name):
    assert client_as(org_a.users[persona]).get(reverse(url_name)).status_code == 403


def test_audit_visible_to_gm_not_to_specialist(org_a, client_as):
    assert client_as(org_a.users["gm"]).get(reverse("marketing:audit")).status_code == 200
    assert client_as(org_a.users["mspec"]).get(reverse("marketing:audit")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("marketing:users"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def _membership(org, key):
    with org.scope():
        return Membership.objects.get(user=org.users[key])


def test_user_pages_of_other_tenant_are_404(org_a, org_b, client_as):
    client = client_as(org_a.users["admin"])
    other = _membership(org_b, "bgm")
    for name in ["marketing:user_detail", "marketing:user_edit", "marketing:user_reset_password"]:
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.post(reverse("marketing:user_toggle_active", args=[other.pk])).status_code == 404
    assert client.get(reverse("marketing:branch_edit", args=[org_b.branches["B1"].pk])).status_code == 404
    assert client.get(reverse("marketing:region_edit", args=[org_b.regions["RB1"].pk])).status_code == 404
    # and nothing changed over there
    assert _membership(org_b, "bgm").is_active


def test_admin_creates_branch_user_with_branch(org_a, client_as):
    client = client_as(org_a.users["admin"])
    response = client.post(reverse("marketing:user_create"), {
        "username": "newgm", "password": "Sturdy-pass-771", "full_name": "新分总", "email": "n@a.test",
        "roles": ["branch_gm"], "branches": [org_a.branches["A3"].pk],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    with org_a.scope():
        membership = Membership.objects.get(user__username="newgm")
        assert membership.roles == {"branch_gm"}
        assert list(visible_branches(membership=membership).values_list("code", flat=True)) == ["A3"]
        event = AuditEvent.objects.get(verb="user.create", object_id=str(membership.user_id))
    assert event.actor == org_a.users["admin"] and event.after["branches"] == ["A3"]


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"roles": ["branch_gm"], "branches": []}, "branches", "分公司角色必须指定至少一个分公司"),
        ({"roles": []}, "roles", "至少选择一个角色"),
        ({"password": "123"}, "password", "密码"),
        ({"username": "bad name!"}, "username", "用户名只能包含"),
    ],
)
def test_user_create_rejects_bad_input_and_keeps_it(org_a, client_as, data, field, message):
    client = client_as(org_a.users["admin"])
    payload = {"username": "okname", "password": "Sturdy-pass-771", "full_name": "保留的姓名", "roles": ["finance"], **data}
    before = User.objects.count()
    response = client.post(reverse("marketing:user_create"), payload)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "保留的姓名" in page  # what the user typed is not lost
    assert User.objects.count() == before


def test_branch_choice_from_other_tenant_is_rejected(org_a, org_b, client_as):
    client = client_as(org_a.users["admin"])
    response = client.post(reverse("marketing:user_create"), {
        "username": "sneaky", "password": "Sturdy-pass-771", "full_name": "x",
        "roles": ["branch_gm"], "branches": [org_b.branches["B1"].pk],
    })
    assert response.status_code == 200
    assert not User.objects.filter(username="sneaky").exists()


def test_user_create_form_lists_only_own_branches(org_a, org_b, client_as):
    page = client_as(org_a.users["admin"]).get(reverse("marketing:user_create")).content.decode()
    assert "甲一分公司" in page and "乙一分公司" not in page


def test_edit_roles_and_branches_is_audited(org_a, client_as):
    client = client_as(org_a.users["admin"])
    target = _membership(org_a, "sales")
    response = client.post(reverse("marketing:user_edit", args=[target.pk]), {
        "full_name": "甲一销售", "roles": ["salesperson", "regional_manager"],
        "branches": [org_a.branches["A1"].pk, org_a.branches["A2"].pk],
    })
    assert response.status_code == 302
    with org_a.scope():
        event = AuditEvent.objects.filter(verb="user.update").latest("id")
        grants = set(BranchUserObjectPermission.objects.filter(user=org_a.users["sales"]).values_list("content_object__code", flat=True))
    assert event.before["roles"] == ["salesperson"]
    assert event.after["roles"] == ["regional_manager", "salesperson"]
    assert grants == {"A1", "A2"}


def test_guardian_sees_the_branch_grant(org_a):
    user = org_a.users["bgm"]
    with org_a.scope():
        assert user.has_perm("marketing.act_for_branch", org_a.branches["A1"])
        assert not user.has_perm("marketing.act_for_branch", org_a.branches["A2"])


def test_deactivate_keeps_history_and_blocks_login(org_a, client_as, client):
    from conftest import TEST_PASSWORD

    admin = client_as(org_a.users["admin"])
    target = _membership(org_a, "bgm2")
    assert admin.post(reverse("marketing:user_toggle_active", args=[target.pk])).status_code == 302
    with org_a.scope():
        target.refresh_from_db()
        assert not target.is_active and target.deactivated_at is not None
        assert AuditEvent.objects.filter(verb="user.deactivate", object_id=str(target.user_id)).exists()
    assert User.objects.filter(pk=target.user_id).exists()
    response = client.post("/login/", {"username": target.user.username, "password": TEST_PASSWORD})
    assert response.status_code == 200  # stays on the login page


def test_admin_cannot_deactivate_self(org_a, client_as):
    me = _membership(org_a, "admin")
    client_as(org_a.users["admin"]).post(reverse("marketing:user_toggle_active", args=[me.pk]))
    with org_a.scope():
        me.refresh_from_db()
    assert me.is_active


def test_what_can_this_user_do(org_a, client_as):
    target = _membership(org_a, "bgm")
    page = client_as(org_a.users["admin"]).get(reverse("marketing:user_detail", args=[target.pk])).content.decode()
    assert "填报本分公司日报" in page and "甲一分公司" in page
    assert "管理用户、角色、地区、分公司和设置" not in page


def test_branch_create_and_duplicate_code(org_a, client_as):
    client = client_as(org_a.users["admin"])
    region = org_a.regions["RA1"]
    ok = client.post(reverse("marketing:branch_create"), {"region": region.pk, "name": "新分公司", "code": "A9", "city": "宁波", "is_active": "on", "sort_order": 3})
    assert ok.status_code == 302
    dup = client.post(reverse("marketing:branch_create"), {"region": region.pk, "name": "另一个", "code": "A9", "sort_order": 3})
    assert dup.status_code == 200
    with org_a.scope():
        assert Branch.objects.filter(code="A9").count() == 1
        assert AuditEvent.objects.filter(verb="branch.create", object_label="新分公司").exists()


def test_branch_code_unique_per_tenant_not_globally(org_a, org_b, client_as):
    client = client_as(org_b.users["admin"])
    response = client.post(reverse("marketing:branch_create"), {"region": org_b.regions["RB1"].pk, "name": "同码", "code": "A1", "sort_order": 0})
    assert response.status_code == 302


def test_branch_region_of_other_tenant_rejected(org_a, org_b, client_as):
    client = client_as(org_a.users["admin"])
    response = client.post(reverse("marketing:branch_create"), {"region": org_b.regions["RB1"].pk, "name": "越界", "code": "X1", "sort_order": 0})
    assert response.status_code == 200
    with org_a.scope():
        assert not Branch.objects.filter(code="X1").exists()


def test_region_edit(org_a, client_as):
    client = client_as(org_a.users["admin"])
    region = org_a.regions["RA2"]
    assert client.post(reverse("marketing:region_edit", args=[region.pk]), {"name": "华南", "code": "RA2", "sort_order": 2}).status_code == 302
    with org_a.scope():
        assert Region.objects.get(pk=region.pk).name == "华南"
        event = AuditEvent.objects.get(verb="region.update")
    assert event.before == {"name": "甲二区", "sort_order": 1} and event.after == {"name": "华南", "sort_order": 2}


def test_settings_update_audited_and_validated(org_a, client_as):
    client = client_as(org_a.users["admin"])
    base = {"name": "甲公司", "time_zone": "Asia/Shanghai", "marketing_mailbox": "m@alpha.test", "report_deadline_time": "10:00",
            "reminder_time": "09:30", "summary_send_time": "10:00", "approval_digest_time": "08:15", "sales_positions": "销售, 业务员", "report_filing_roles": ["branch_gm"],
            "expense_ratio_limit": "0.08", "customer_reach_policy": "seed", "customer_grant_days": 7, "customer_read_alert_per_hour": 30}
    assert client.post(reverse("marketing:settings"), base).status_code == 302
    org_a.tenant.refresh_from_db()
    assert org_a.tenant.sales_positions == ["销售", "业务员"]
    assert org_a.tenant.approval_digest_time.strftime("%H:%M") == "08:15"
    with org_a.scope():
        event = AuditEvent.objects.get(verb="tenant.settings")
    assert event.before["expense_ratio_limit"] == "0.05" and event.after["expense_ratio_limit"] == "0.08"
    bad = client.post(reverse("marketing:settings"), {**base, "reminder_time": "10:30", "time_zone": "Mars/Base"})
    page = bad.content.decode()
    assert bad.status_code == 200 and "提醒时间必须早于日报截止时间" in page and "未知的时区" in page
    org_a.tenant.refresh_from_db()
    assert org_a.tenant.time_zone == "Asia/Shanghai"


def test_audit_filter_by_verb_and_actor_choices_are_tenant_only(org_a, org_b, client_as):
    client = client_as(org_a.users["admin"])
    page = client.get(reverse("marketing:audit"), {"verb": "user.create"}).content.decode()
    assert "user.create" in page and "tenant.settings" not in page
    assert "乙管理员" not in page


def test_list_query_count_does_not_grow(org_a, client_as, django_assert_max_num_queries):
    from marketing import services

    client = client_as(org_a.users["admin"])
    with django_assert_max_num_queries(12):
        client.get(reverse("marketing:users"))
    with org_a.scope():
        for i in range(15):
            services.user_create(tenant=org_a.tenant, actor=None, username=f"bulk{i}", password=None, full_name=f"批量{i}", roles=["finance"])
    with django_assert_max_num_queries(12):
        client.get(reverse("marketing:users"))


def test_password_change(org_a, client_as):
    from conftest import TEST_PASSWORD

    user = org_a.users["sales"]
    client = client_as(user)
    bad = client.post(reverse("marketing:password_change"), {"old_password": "wrong", "new_password1": "Another-pass-99", "new_password2": "Another-pass-99"})
    assert bad.status_code == 200
    good = client.post(reverse("marketing:password_change"), {"old_password": TEST_PASSWORD, "new_password1": "Another-pass-99", "new_password2": "Another-pass-99"})
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-pass-99")
    with org_a.scope():
        assert AuditEvent.objects.filter(verb="user.password_change", actor=user).exists()
