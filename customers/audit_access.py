"""The customer archive in the audit log: an event about a customer, a contact, a visit or
an access request shows its label and values only to a reader who may open that customer,
and each such read is written to the customer access log (as a history read)."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models.functions import Cast

from marketing.audit import ConfidentialAudit

from .models import AccessAction, Contact, CustomerAccessRequest, Visit
from .selectors import customer_reach

BY_CUSTOMER_FK = {
    "customers.Contact": Contact,
    "customers.Visit": Visit,
    "customers.CustomerAccessRequest": CustomerAccessRequest,
}


class CustomerAudit(ConfidentialAudit):
    object_types = frozenset({"customers.Customer", *BY_CUSTOMER_FK})
    hidden_fields = None

    def _customer_of(self, events) -> dict[int, int | None]:
        """event id -> customer id (None when the object is gone)."""
        ids_by_type: dict[str, set[int]] = {}
        for e in events:
            if e.object_id.isdigit():
                ids_by_type.setdefault(e.object_type, set()).add(int(e.object_id))
        owner: dict[tuple[str, int], int] = {}
        for label, ids in ids_by_type.items():
            if label == "customers.Customer":
                owner.update({(label, i): i for i in ids})
            else:
                model = BY_CUSTOMER_FK[label]
                rows = model._base_manager.filter(pk__in=ids).values_list("pk", "customer_id")
                owner.update({(label, pk): cid for pk, cid in rows})
        return {e.pk: owner.get((e.object_type, int(e.object_id))) if e.object_id.isdigit() else None
                for e in events}

    def visible(self, request, events):
        membership = getattr(request, "membership", None)
        if membership is None:
            return set()
        customer_of = self._customer_of(events)
        wanted = {c for c in customer_of.values() if c}
        reachable = set(customer_reach(membership=membership).filter(pk__in=wanted).values_list("pk", flat=True))
        self._last = customer_of
        return {eid for eid, cid in customer_of.items() if cid in reachable}

    def record_reads(self, request, events):
        from .access import log_reads

        customer_of = getattr(self, "_last", None) or self._customer_of(events)
        customers = sorted({customer_of[e.pk] for e in events if customer_of.get(e.pk)})
        with transaction.atomic():
            log_reads(tenant=request.tenant, user=request.user, customers=customers, action=AccessAction.HISTORY,
                      request=request)

    def label_q(self, request):
        """Customer names are searchable only among customers the reader may open (and what
        the search then shows is logged as a read); contacts, visits, requests never."""
        q = ~models.Q(object_type__in=self.object_types)
        membership = getattr(request, "membership", None)
        if membership is not None:
            reach = customer_reach(membership=membership).annotate(
                pk_text=Cast("pk", models.CharField())).values("pk_text")
            q |= models.Q(object_type="customers.Customer", object_id__in=reach)
        return q

    def hidden_label(self, event):
        return "客户档案（保密）"
