"""A record's change history as a diff: every save of the customer, its contacts and its
visits, with who and when, and for each change the fields that moved (old -> new).

Reads the historical tables through their scoped managers, filtered by tenant and by the
customer: three queries whatever the length of the history. Personal values (phone,
address, family situation) are masked in the diff; the detail page is where they show."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .crypto import mask_phone, mask_text
from .models import Contact, Customer, Visit
from .stages import stage_set

MASKED = {"phone": mask_phone, "address": mask_text, "family": lambda v: mask_text(v, keep=0)}
SKIP = {"id", "tenant", "history_id", "history_date", "history_change_reason", "history_type", "history_user",
        "created_at", "customer"}


def _display(model, field_name: str, value, users: dict, branches: dict, stages=None):
    if value in (None, ""):
        return "—"
    if model is Customer and field_name == "stage" and stages is not None:
        return stages.label(value)
    field = model._meta.get_field(field_name)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if field_name in ("owner", "visited_by"):
        return users.get(value, f"#{value}")
    if field_name == "branch":
        return branches.get(value, f"#{value}")
    if field_name == "shareholders":
        return "；".join(f"{s.get('name', '')} {s.get('stake', '')}%" for s in value or []) or "—"
    if field_name in MASKED and not (model is Customer and field_name == "address"):
        return MASKED[field_name](value)
    return str(value)


def _entries(model, history_qs, kind: str, users: dict, branches: dict, stages=None) -> list[dict]:
    fields = [f for f in model.history.model._meta.fields if f.name not in SKIP and not f.name.endswith("_ptr")]
    names = [f.attname if f.is_relation else f.name for f in fields]
    out: list[dict] = []
    previous: dict[int, dict] = {}
    for h in history_qs.order_by("history_date", "history_id"):
        values = {f.name: getattr(h, f.attname) for f in fields}
        before = previous.get(h.id)
        changes = []
        for f, _attname in zip(fields, names, strict=True):
            old = before.get(f.name) if before else None
            new = values[f.name]
            if h.history_type == "~" and old == new:
                continue
            if h.history_type == "+" and new in (None, "", []):
                continue
            if h.history_type == "-":
                continue
            changes.append({
                "field": str(model._meta.get_field(f.name).verbose_name),
                "old": _display(model, f.name, old, users, branches, stages) if before else "",
                "new": _display(model, f.name, new, users, branches, stages),
            })
        previous[h.id] = values
        if h.history_type == "~" and not changes:
            continue
        out.append({
            "at": h.history_date, "user": users.get(h.history_user_id, _("系统")), "kind": kind,
            "label": values.get("name") or (values.get("visited_on") and str(values["visited_on"])) or "",
            "type": {"+": _("新建"), "~": _("修改"), "-": _("删除")}[h.history_type],
            "changes": changes,
        })
    return out


def customer_history(*, customer: Customer) -> list[dict]:
    from marketing.models import Branch, User

    tenant_id = customer.tenant_id
    hc = Customer.history.model.objects.filter(tenant_id=tenant_id, id=customer.pk)
    hct = Contact.history.model.objects.filter(tenant_id=tenant_id, customer_id=customer.pk)
    hv = Visit.history.model.objects.filter(tenant_id=tenant_id, customer_id=customer.pk)
    rows = [list(hc), list(hct), list(hv)]
    user_ids = {h.history_user_id for group in rows for h in group} | {
        getattr(h, "owner_id", None) for h in rows[0]
    } | {getattr(h, "visited_by_id", None) for h in rows[2]}
    users = {u.pk: u.display_name for u in User.objects.filter(pk__in=[i for i in user_ids if i])}
    branches = dict(Branch.objects.filter(tenant_id=tenant_id).values_list("pk", "name"))
    entries = (
        _entries(Customer, _ListQS(rows[0]), _("客户"), users, branches, stage_set(customer.tenant))
        + _entries(Contact, _ListQS(rows[1]), _("联系人"), users, branches)
        + _entries(Visit, _ListQS(rows[2]), _("拜访"), users, branches)
    )
    return sorted(entries, key=lambda e: e["at"], reverse=True)


class _ListQS(list):
    """The already-fetched history rows, sortable like the queryset they came from."""

    def order_by(self, *_fields):
        return sorted(self, key=lambda h: (h.history_date, h.history_id))
