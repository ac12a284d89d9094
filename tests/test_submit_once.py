"""Double submits (issue 9): the same rendered form posted twice creates one record and the
second POST lands on the first result. One mechanism for every create form."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from customers.models import Customer
from customers.tests.test_views import _customer_post
from expenses.models import ExpenseRequest
from expenses.tests.test_views import _form as _expense_post
from marketing.approvals.models import ApprovalFlow
from marketing.models import FormSubmission
from marketing.submit_once import TOKEN_FIELD

pytestmark = pytest.mark.django_db


def _token_of(page) -> str:
    match = re.search(rf'name="{TOKEN_FIELD}" value="([0-9a-f]{{32}})"', page.content.decode())
    assert match, "the create form must carry a one-time submit token"
    return match.group(1)


def test_expense_double_submit_creates_one_request_and_one_flow(org_a, client_as):
    client = client_as(org_a.users["sales"])
    token = _token_of(client.get(reverse("expenses:create")))
    data = {**_expense_post(org_a), TOKEN_FIELD: token}
    first = client.post(reverse("expenses:create"), data)
    second = client.post(reverse("expenses:create"), data)
    with org_a.scope():
        expense = ExpenseRequest.objects.get()
        assert ApprovalFlow.objects.filter(object_id=expense.pk).count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == reverse("expenses:detail", args=[expense.pk])
    assert "未重复创建" in client.get(second["Location"]).content.decode()


def test_customer_double_submit_creates_one_customer(org_a, client_as):
    client = client_as(org_a.users["sales"])
    token = _token_of(client.get(reverse("customers:create")))
    data = {**_customer_post(org_a), TOKEN_FIELD: token}
    first = client.post(reverse("customers:create"), data)
    second = client.post(reverse("customers:create"), data)
    with org_a.scope():
        customer = Customer.objects.get()
    assert second["Location"] == first["Location"] == reverse("customers:detail", args=[customer.pk])


def test_a_rejected_form_keeps_its_token_and_can_be_sent_again(org_a, client_as):
    client = client_as(org_a.users["sales"])
    token = _token_of(client.get(reverse("customers:create")))
    bad = client.post(reverse("customers:create"), {**_customer_post(org_a, name=""), TOKEN_FIELD: token})
    assert bad.status_code == 200 and _token_of(bad) == token
    with org_a.scope():
        assert not FormSubmission.objects.filter(token=token).exists()  # the failed try claims nothing
    good = client.post(reverse("customers:create"), {**_customer_post(org_a), TOKEN_FIELD: token})
    assert good.status_code == 302
    with org_a.scope():
        assert Customer.objects.count() == 1


def test_a_new_page_load_is_a_new_submission(org_a, client_as):
    client = client_as(org_a.users["sales"])
    for _ in range(2):
        token = _token_of(client.get(reverse("customers:create")))
        client.post(reverse("customers:create"), {**_customer_post(org_a), TOKEN_FIELD: token})
    with org_a.scope():
        assert Customer.objects.count() == 2


def test_malformed_token_is_400_and_another_users_token_is_refused(org_a, client_as):
    client = client_as(org_a.users["sales"])
    assert client.post(reverse("customers:create"), {**_customer_post(org_a), TOKEN_FIELD: "x' or 1=1"}).status_code == 400
    token = _token_of(client.get(reverse("customers:create")))
    client.post(reverse("customers:create"), {**_customer_post(org_a), TOKEN_FIELD: token})
    other = client_as(org_a.users["allroles"]).post(reverse("customers:create"), {**_customer_post(org_a), TOKEN_FIELD: token})
    assert other.status_code == 400
    with org_a.scope():
        assert Customer.objects.count() == 1


def test_same_token_in_another_tenant_is_independent(org_a, org_b, client_as):
    token = "0" * 32
    client_as(org_a.users["sales"]).post(reverse("customers:create"), {**_customer_post(org_a), TOKEN_FIELD: token})
    data_b = {**_customer_post(org_a), "branch": org_b.branches["B1"].pk, "owner": org_b.users["sales"].pk,
              TOKEN_FIELD: token}
    assert client_as(org_b.users["sales"]).post(reverse("customers:create"), data_b).status_code == 302
    with org_b.scope():
        assert Customer.objects.count() == 1


def _walk(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


CREATE_ROUTE = re.compile(r"(new/|file/|imports?/|confirm/|resend/)$")


def test_every_create_view_uses_the_submit_token():
    """A new app's create page that forgets ``@once_per_submit`` fails here."""
    missing = [route for route, p in _walk(get_resolver())
               if CREATE_ROUTE.search(route) and not route.startswith("admin/")
               and not getattr(p.callback, "once_per_submit", False)]
    assert not missing, f"create views without @once_per_submit: {missing}"
