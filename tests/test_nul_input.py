"""A NUL character in a parameter is a 400, not a 500 on PostgreSQL (issue 9)."""

import pytest


@pytest.mark.django_db
def test_nul_in_a_search_box_is_refused(org_a, client_as):
    client = client_as(org_a.users["bgm"])
    assert client.get("/plans/library/", {"q": "案例\x00"}).status_code == 400
    assert client.get("/plans/library/", {"q": "案例"}).status_code == 200
