"""Transfers (调岗): what moves and what stays, open approvals to the successor, the effective
date at the tenant's midnight, reach."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer
from customers.tests.conftest import make_customer
from expenses.tests.helpers import approve, make_expense
from marketing.approvals.models import ApprovalTask, TaskStatus
from marketing.models import Membership
from marketing.notifications.models import Message
from marketing.people import services
from marketing.people.models import Transfer, TransferStatus
from marketing.roles import Role
from marketing.selectors import assigned_branch_ids

from .helpers import extra_user

pytestmark = pytest.mark.django_db


def _expense_at_gm(org):
    """An A1 expense waiting at 分总签字 (bgm)."""
    expense = make_expense(org)
    for persona in ("mspec", "finance", "cashier"):
        approve(org, expense, persona)
    return expense


def _transfer(org, who="bgm", to="A2", roles=(Role.BRANCH_GM,), days=0, **kw):
    with org.scope():
        return services.transfer_create(tenant=org.tenant, actor=org.users["admin"], user=org.users[who],
                                        to_branch=org.branches[to], to_roles=list(roles),
                                        effective_on=timezone.localdate() + dt.timedelta(days=days), **kw)


def test_preview_lists_what_moves_and_what_stays(org_a):
    make_customer(org_a, owner_key="sales")
    make_customer(org_a, owner_key="sales", name="第二家")
    with org_a.scope():
        p = services.transfer_preview(tenant=org_a.tenant, user=org_a.users["sales"], to_branch=org_a.branches["A3"],
                                      to_roles=[Role.SALESPERSON], customers_follow=False)
    assert p == {"old_branches": ["甲一分公司"], "old_roles": ["salesperson"], "customers": 2,
                 "customers_follow": False, "tasks_moving": 0, "tasks_staying": 0}


def test_transfer_with_open_approvals_goes_to_the_successor(org_a):
    expense = _expense_at_gm(org_a)
    successor = extra_user(org_a, "a1-gm-new", [Role.BRANCH_GM], ["A1"], full_name="新甲一分总")
    with org_a.scope():
        p = services.transfer_preview(tenant=org_a.tenant, user=org_a.users["bgm"], to_branch=org_a.branches["A2"],
                                      to_roles=[Role.BRANCH_GM], customers_follow=False)
    assert (p["tasks_moving"], p["tasks_staying"]) == (1, 0)
    t = _transfer(org_a, successor=successor)
    with org_a.scope():
        t.refresh_from_db()
        assert t.status == TransferStatus.APPLIED
        assert assigned_branch_ids(membership=Membership.objects.get(user=org_a.users["bgm"])) == {
            org_a.branches["A2"].pk}
        pending = ApprovalTask.objects.filter(flow__object_id=expense.pk, flow__document_type="expenses.request",
                                              status=TaskStatus.PENDING)
        # allroles (A1's other GM) keeps its own 或签 task; bgm's went to the successor
        assert {x.assignee for x in pending} == {successor, org_a.users["allroles"]}
        assert ApprovalTask.objects.get(flow__object_id=expense.pk, assignee=org_a.users["bgm"]).status == (
            TaskStatus.TRANSFERRED)
        assert t.result["tasks_kept"] == []


def test_transfer_without_a_candidate_keeps_the_task_and_tells_the_admin(org_a):
    expense = _expense_at_gm(org_a)
    # no successor, and A1's other GM (allroles) already holds a task of this step: nobody can take it
    t = _transfer(org_a)
    with org_a.scope():
        t.refresh_from_db()
        assert len(t.result["tasks_kept"]) == 1
        assert ApprovalTask.objects.filter(flow__object_id=expense.pk, status=TaskStatus.PENDING,
                                           assignee=org_a.users["bgm"]).count() == 1
        assert Message.objects.filter(kind="people.stranded", user=org_a.users["admin"]).count() == 1


def test_customers_stay_unless_chosen(org_a):
    c = make_customer(org_a, owner_key="sales")
    _transfer(org_a, who="sales", to="A3", roles=(Role.SALESPERSON,))
    with org_a.scope():
        assert Customer.objects.get(pk=c.pk).branch == org_a.branches["A1"]
    c2 = make_customer(org_a, owner_key="sales2", branch="A2")
    _transfer(org_a, who="sales2", to="A3", roles=(Role.SALESPERSON,), customers_follow=True)
    with org_a.scope():
        assert Customer.objects.get(pk=c2.pk).branch == org_a.branches["A3"]


def test_future_transfer_applies_at_the_tenants_midnight(org_a):
    t = _transfer(org_a, who="sales", to="A3", roles=(Role.SALESPERSON,), days=2)
    assert t.status == TransferStatus.SCHEDULED
    import zoneinfo

    sh = zoneinfo.ZoneInfo("Asia/Shanghai")
    eve = dt.datetime.combine(t.effective_on - dt.timedelta(days=1), dt.time(23, 59), tzinfo=sh)
    with org_a.scope():
        assert services.people_midnight(tenant=org_a.tenant, now=eve)["transfers"] == 0
        at = dt.datetime.combine(t.effective_on, dt.time(0, 1), tzinfo=sh)
        assert services.people_midnight(tenant=org_a.tenant, now=at)["transfers"] == 1
        t.refresh_from_db()
        assert t.status == TransferStatus.APPLIED
    with pytest.raises(ValidationError) as exc, org_a.scope():
        services.transfer_cancel(transfer=t, actor=org_a.users["admin"])
    assert exc.value.code == "not_scheduled"


def test_transfer_pages_and_reach(org_a, client_as):
    t = _transfer(org_a, who="sales2", to="A2", roles=(Role.SALESPERSON,), days=5)
    assert client_as(org_a.users["sales"]).get("/m/people/transfers/").status_code == 403
    bgm = client_as(org_a.users["bgm"])
    assert bgm.get("/m/people/transfers/").status_code == 200
    assert bgm.post(f"/m/people/transfers/{t.pk}/cancel/").status_code == 404  # into A2: not bgm's
    page = bgm.get("/m/people/transfers/new/").content.decode()
    chooser = re.search(r'<select name="user".*?</select>', page, re.S).group(0)
    assert "甲一销售" in chooser and "甲二销售" not in chooser  # own branch only
    admin = client_as(org_a.users["admin"])
    r = admin.post("/m/people/transfers/new/", {"user": org_a.users["sales"].pk, "to_branch": org_a.branches["A3"].pk,
                                                "to_roles": ["salesperson"], "effective_on": "2030-01-01",
                                                "preview": "1"})
    assert r.status_code == 200 and "调动内容" in r.content.decode()
    with org_a.scope():
        assert not Transfer.objects.filter(user=org_a.users["sales"]).exists()  # a preview writes nothing
    r = admin.post("/m/people/transfers/new/", {"user": org_a.users["sales"].pk, "to_branch": org_a.branches["A3"].pk,
                                                "to_roles": ["salesperson"], "effective_on": "2030-01-01"})
    assert r.status_code == 302
    assert admin.post(f"/m/people/transfers/{t.pk}/cancel/").status_code == 302
