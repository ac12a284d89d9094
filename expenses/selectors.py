"""Reads of expense requests, always narrowed to what the member may see: every request with
``expenses.view_all``; otherwise the requests of the member's branches."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from marketing.models import Membership
from marketing.roles import Cap
from marketing.selectors import visible_branches

from .models import ExpenseRequest, ExpenseStatus


def visible_expenses(*, membership: Membership) -> QuerySet[ExpenseRequest]:
    # A draft is the applicant's own until it is submitted.
    qs = ExpenseRequest.objects.filter(tenant_id=membership.tenant_id).filter(
        ~Q(status=ExpenseStatus.DRAFT) | Q(applicant_id=membership.user_id)
    )
    if not membership.can(Cap.EXPENSES_VIEW_ALL):
        qs = qs.filter(branch__in=visible_branches(membership=membership).values("pk"))
    return qs


def expense_list(*, membership: Membership) -> QuerySet[ExpenseRequest]:
    return visible_expenses(membership=membership).select_related("branch", "branch__region", "applicant")


def expense_detail(*, membership: Membership) -> QuerySet[ExpenseRequest]:
    return expense_list(membership=membership).select_related("paid_by").prefetch_related("attachments")
