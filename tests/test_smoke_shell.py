import pytest


@pytest.mark.parametrize("persona", ["admin", "bgm", "sales", "gm"])
def test_home_renders_for_each_role(org_a, client_as, persona):
    response = client_as(org_a.users[persona]).get("/")
    assert response.status_code == 200
    assert org_a.tenant.name in response.content.decode()


def test_admin_sees_admin_nav_and_branch_gm_does_not(org_a, client_as):
    admin_page = client_as(org_a.users["admin"]).get("/").content.decode()
    bgm_page = client_as(org_a.users["bgm"]).get("/").content.decode()
    assert "/m/users/" in admin_page
    assert "/m/users/" not in bgm_page
