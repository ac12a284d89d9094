"""Issue 19: a step that names only people who have all been disabled (e.g. departed) falls back
to the step's position / role, else to the document's branch GM, instead of stranding the
request. A step with anyone still active behaves as before."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from expenses.tests.helpers import make_expense, pending
from marketing.approvals import services as approvals
from marketing.approvals.models import StepScope
from marketing.approvals.registry import StepSpec
from marketing.approvals.selectors import people_for
from marketing.models import Membership
from marketing.roles import Role
from marketing.selectors import users_with_roles
from marketing.services import user_set_active

pytestmark = pytest.mark.django_db

KEY = "expenses.request"


def _chain(org, *steps):
    with org.scope():
        approvals.chain_save(tenant=org.tenant, actor=org.users["admin"], key=KEY, steps=list(steps))


def _disable(org, *personas):
    with org.scope():
        for p in personas:
            user_set_active(membership=Membership.objects.get(tenant=org.tenant, user=org.users[p]),
                            actor=org.users["admin"], active=False)


def _holders(org, role, branch=None):
    with org.scope():
        return set(users_with_roles(tenant=org.tenant, roles=[role], branch=org.branches[branch] if branch else None)
                   .values_list("pk", flat=True))


def _assignees(org, expense):
    return {t.assignee.pk for t in pending(org, expense)}


def test_named_step_with_a_role_falls_back_to_the_role(org_a):
    _chain(org_a, StepSpec(name="执行董事审批", user_ids=(org_a.users["exec"].pk,), role=Role.GENERAL_MANAGER))
    assert _assignees(org_a, make_expense(org_a)) == {org_a.users["exec"].pk}
    _disable(org_a, "exec")
    gms = _holders(org_a, Role.GENERAL_MANAGER)
    assert org_a.users["gm"].pk in gms and org_a.users["exec"].pk not in gms
    assert _assignees(org_a, make_expense(org_a)) == gms


def test_named_step_without_a_role_falls_back_to_the_documents_branch_gm(org_a):
    _chain(org_a, StepSpec(name="执行董事审批", user_ids=(org_a.users["exec"].pk,)))
    _disable(org_a, "exec")
    a1, a2 = _holders(org_a, Role.BRANCH_GM, "A1"), _holders(org_a, Role.BRANCH_GM, "A2")
    assert org_a.users["bgm"].pk in a1 and org_a.users["bgm"].pk not in a2 and org_a.users["bgm2"].pk in a2
    assert _assignees(org_a, make_expense(org_a, applicant="sales", branch="A1")) == a1
    assert _assignees(org_a, make_expense(org_a, applicant="sales2", branch="A2")) == a2


def test_one_named_person_still_active_means_no_fall_back(org_a):
    named = (org_a.users["exec"].pk, org_a.users["hr"].pk)
    _chain(org_a, StepSpec(name="会签", user_ids=named, role=Role.GENERAL_MANAGER))
    _disable(org_a, "exec")
    assert _assignees(org_a, make_expense(org_a)) == {org_a.users["hr"].pk}


def test_no_role_and_no_branch_stays_empty_and_the_engine_refuses(org_a):
    _chain(org_a, StepSpec(name="执行董事审批", user_ids=(org_a.users["exec"].pk,)))
    _disable(org_a, "exec")
    with org_a.scope():
        assert people_for(tenant=org_a.tenant, scope=StepScope.TENANT, user_ids=(org_a.users["exec"].pk,)) == []
        got = people_for(tenant=org_a.tenant, scope=StepScope.TENANT, user_ids=(org_a.users["exec"].pk,),
                         branch=org_a.branches["A1"])
        assert {u.pk for u in got} == _holders(org_a, Role.BRANCH_GM, "A1")
    # the whole chain: nobody at all (the branch GM disabled too) is refused, not silently approved
    _disable(org_a, *[p for p, u in org_a.users.items() if u.pk in _holders(org_a, Role.BRANCH_GM, "A1")])
    with pytest.raises(ValidationError) as exc:
        make_expense(org_a, applicant="sales", branch="A1")
    assert exc.value.code == "no_assignee"
