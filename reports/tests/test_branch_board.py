"""A branch GM's daily work: the filing board of their own branches (issue 8)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from marketing import services as platform
from marketing.roles import Role

from .helpers import at, file_report

pytestmark = pytest.mark.django_db

D = dt.date(2026, 11, 20)  # a Friday: due Monday 2026-11-23 10:00
NOW = at(2026, 11, 23, 9)


def _rows(client):
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("reports:board"), {"day": D.isoformat()})
    assert response.status_code == 200
    board = response.context["board"]
    return [(r.branch.code, r.state) for r in board["rows"]], board["counts"], response.content.decode()


def test_branch_gm_board_shows_only_own_branches(org_a, client_as):
    with org_a.scope():
        file_report(org_a, "A1", D, now=NOW)
        two = platform.user_create(tenant=org_a.tenant, actor=None, username="bgm13", password="x-Pass-2026!",
                                   full_name="甲一三分总", roles=[Role.BRANCH_GM],
                                   branches=[org_a.branches["A1"], org_a.branches["A3"]])
    rows, counts, page = _rows(client_as(org_a.users["bgm"]))
    assert rows == [("A1", "on_time")] and counts["on_time"] == 1 and sum(counts.values()) == 1
    assert "只显示您所辖的分公司" in page and "甲二分公司" not in page
    rows, counts, _page = _rows(client_as(org_a.users["bgm2"]))
    assert rows == [("A2", "pending")]
    rows, _counts, _page = _rows(client_as(two))
    assert rows == [("A1", "on_time"), ("A3", "pending")]
    # marketing keeps the whole board
    rows, _counts, page = _rows(client_as(org_a.users["mspec"]))
    assert [code for code, _state in rows] == ["A1", "A2", "A3"] and "只显示您所辖的分公司" not in page
    # the htmx refresh has the same reach
    with time_machine.travel(NOW, tick=False):
        fragment = client_as(org_a.users["bgm"]).get(reverse("reports:board_rows"), {"day": D.isoformat()})
    assert "甲一分公司" in fragment.content.decode() and "甲三分公司" not in fragment.content.decode()


def test_board_in_branch_gm_navigation_not_for_others(org_a, client_as):
    url = reverse("reports:board")
    assert url in client_as(org_a.users["bgm"]).get(reverse("home")).content.decode()
    for persona in ("sales", "cashier", "finance"):
        assert client_as(org_a.users[persona]).get(url).status_code == 403, persona
