"""Expense requests in the audit log: the payee's bank details show only to a reader who
may open the request itself."""

from __future__ import annotations

from marketing.audit import ConfidentialAudit
from marketing.roles import Cap

from .selectors import visible_expenses

BANK_FIELDS = frozenset({"payee_name", "payee_bank", "payee_account"})


class ExpenseAudit(ConfidentialAudit):
    object_types = frozenset({"expenses.ExpenseRequest"})
    hidden_fields = BANK_FIELDS

    def visible(self, request, events):
        membership = getattr(request, "membership", None)
        if membership is None or not any(membership.can(c) for c in (Cap.EXPENSES_REQUEST, Cap.EXPENSES_VIEW_ALL)):
            return set()  # the expense pages themselves answer 403 to this reader
        ids = {int(e.object_id) for e in events if e.object_id.isdigit()}
        seen = {str(pk) for pk in visible_expenses(membership=membership).filter(pk__in=ids).values_list("pk", flat=True)}
        return {e.pk for e in events if e.object_id in seen}

    def label_q(self, request):  # the label (number + activity) is not confidential
        from django.db.models import Q

        return Q()
