"""Every persona of tenant A against every customers page: the expected answer is written
out here (not derived from the capability table), so a change in either shows up."""

import pytest
from django.urls import reverse

PERSONAS = ["admin", "gm", "exec", "gmassist", "mdirector", "mspec", "finance", "ops", "design", "hr",
            "bgm", "bgm2", "cashier", "rm", "sales", "sales2"]
ARCHIVE_WIDE = {"gm", "exec", "gmassist", "mdirector"}
REQUESTERS = {"admin", "mspec", "finance", "ops", "design", "hr", "bgm", "bgm2", "cashier", "rm"}

EXPECTED = {
    # view: {persona: status}; personas not listed get the default in DEFAULTS
    "list": dict.fromkeys(PERSONAS, 200),
    "visits": dict.fromkeys(ARCHIVE_WIDE | {"sales", "sales2"}, 200),
    "detail": dict.fromkeys(ARCHIVE_WIDE | {"sales"}, 200),
    "history": dict.fromkeys(ARCHIVE_WIDE | {"sales"}, 200),
    "edit": {"mdirector": 200, "sales": 200, "sales2": 404},
    "contact_create": {"mdirector": 200, "sales": 200, "sales2": 404},
    "print": dict.fromkeys(ARCHIVE_WIDE, 200),
    "export": dict.fromkeys(ARCHIVE_WIDE, 200),
    "access_log": {"gm": 200, "admin": 200},
    "import": {"mdirector": 200},
    "create": {"mdirector": 200, "sales": 200, "sales2": 200},
    "reassign_bulk": {"mdirector": 200},
    "requests": dict.fromkeys(REQUESTERS | {"gm"}, 200),
    "request_create": dict.fromkeys(REQUESTERS, 200),
}
# Without the capability: 403; with it but outside the reach: 404 (object pages).
DEFAULTS = {"detail": 404, "history": 404}
OBJECT_VIEWS = {"detail", "history", "edit", "contact_create", "print"}


@pytest.mark.django_db
@pytest.mark.parametrize("view", sorted(EXPECTED))
def test_role_matrix(org_a, client_as, cust_a, view):
    url = reverse(f"customers:{view}", args=[cust_a.pk] if view in OBJECT_VIEWS else [])
    got = {p: client_as(org_a.users[p]).get(url).status_code for p in PERSONAS}
    want = {p: EXPECTED[view].get(p, DEFAULTS.get(view, 403)) for p in PERSONAS}
    assert got == want
