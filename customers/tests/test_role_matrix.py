"""Every persona of tenant A against every customers page: the expected answer is written
out here (not derived from the capability table), so a change in either shows up."""

import pytest
from django.urls import reverse

from .conftest import set_reach_policy

PERSONAS = ["admin", "gm", "exec", "gmassist", "mdirector", "mspec", "finance", "ops", "design", "hr",
            "bgm", "bgm2", "cashier", "rm", "sales", "sales2"]
ARCHIVE_WIDE = {"gm", "exec", "gmassist", "mdirector"}
# cust_a belongs to A1, owned by "sales"; "rm" manages A1 and A2 and reads their customers.
REQUESTERS = {"admin", "mspec", "finance", "ops", "design", "hr", "bgm", "bgm2", "cashier", "rm"}

# S003-16 (policy "seed", the default): the executives, the marketing director and the
# salespeople (市场业务员) query the whole archive; everyone else asks the GM (S003-18).
SEED = {
    # view: {persona: status}; personas not listed get the default in DEFAULTS
    "list": dict.fromkeys(PERSONAS, 200),
    "visits": dict.fromkeys(ARCHIVE_WIDE | {"sales", "sales2", "rm"}, 200),
    "detail": dict.fromkeys(ARCHIVE_WIDE | {"sales", "sales2", "rm"}, 200),
    "history": dict.fromkeys(ARCHIVE_WIDE | {"sales", "sales2", "rm"}, 200),
    "edit": {"mdirector": 200, "sales": 200, "sales2": 404},  # reading is not editing
    "contact_create": {"mdirector": 200, "sales": 200, "sales2": 404},
    "print": dict.fromkeys(ARCHIVE_WIDE, 200),
    "export": dict.fromkeys(ARCHIVE_WIDE, 200),
    "access_log": {"gm": 200, "admin": 200},
    "import": {"mdirector": 200},
    "create": {"mdirector": 200, "sales": 200, "sales2": 200},
    "reassign_bulk": {"mdirector": 200},
    "requests": dict.fromkeys(REQUESTERS | {"gm", "sales", "sales2"}, 200),
    # salespeople need not ask: sent to the list
    "request_create": {**dict.fromkeys(REQUESTERS, 200), "sales": 302, "sales2": 302},
}
# Policy "own": a salesperson reads only their own customers and asks for any other one.
OWN = {
    **SEED,
    "visits": dict.fromkeys(ARCHIVE_WIDE | {"sales", "sales2", "rm"}, 200),  # sales2: an empty list
    "detail": dict.fromkeys(ARCHIVE_WIDE | {"sales", "rm"}, 200),
    "history": dict.fromkeys(ARCHIVE_WIDE | {"sales", "rm"}, 200),
    "request_create": dict.fromkeys(REQUESTERS | {"sales", "sales2"}, 200),
}
# Without the capability: 403; with it but outside the reach: 404 (object pages).
DEFAULTS = {"detail": 404, "history": 404}
OBJECT_VIEWS = {"detail", "history", "edit", "contact_create", "print"}


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["seed", "own"])
@pytest.mark.parametrize("view", sorted(SEED))
def test_s003_16_role_matrix(org_a, client_as, cust_a, view, policy):
    set_reach_policy(org_a, policy)
    expected = SEED if policy == "seed" else OWN
    url = reverse(f"customers:{view}", args=[cust_a.pk] if view in OBJECT_VIEWS else [])
    got = {p: client_as(org_a.users[p]).get(url).status_code for p in PERSONAS}
    want = {p: expected[view].get(p, DEFAULTS.get(view, 403)) for p in PERSONAS}
    assert got == want
